"""The shared vocabulary of the stack-config tree: the frozen settings base, names, environments, concerns.

Every settings model (:mod:`fintech_infra.config`, :mod:`fintech_infra.data_config`,
:mod:`fintech_infra.compute_config`) derives from :class:`FrozenSettings`: immutable, and an unknown key is an
error rather than silently ignored.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["ROTATION_CLIENT", "DataConcern", "DatabaseEngine", "Environment", "FrozenSettings", "Hostname", "Name"]

ROTATION_CLIENT = "rotation"
"""The client label a data store admits its rotation function under (rule ``<store>-sg-from-rotation``); no
application service may take it as its name."""

Environment = Literal["dev", "staging", "prod"]
DatabaseEngine = Literal["rds-instance", "aurora"]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,24}$")]
Hostname = Annotated[
    str,
    StringConstraints(min_length=4, max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$"),
]


class DataConcern(enum.StrEnum):
    """The four kinds of financial data, each on its own database, key and security group."""

    CRM = "crm"
    TRADING = "trading"
    PAYMENTS = "payments"
    AUDIT = "audit"


class FrozenSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
