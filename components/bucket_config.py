"""What a stack file says about a cell's application-data buckets (:mod:`fintech_infra.app_buckets` builds them)."""

from __future__ import annotations

from pydantic import Field

from fintech_infra._config_base import DataConcern, FrozenSettings, Name

__all__ = ["BucketSettings"]


class BucketSettings(FrozenSettings):
    """One S3 bucket of a cell for one concern's application data (e.g. payments statements)."""

    name: Name = Field(
        description="Bucket name in the cell (not the S3 name); services list it in `buckets`. Required."
    )
    concern: DataConcern = Field(
        description="The data concern its objects belong to: encrypted with that concern's key, replicated to the "
        "DR region under the DR key when the cell has one; only services that declare the concern may use it. "
        "Required."
    )
