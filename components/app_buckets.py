"""Application-data buckets: one S3 bucket per entry of a cell's ``buckets``, in its concern's key, with a copy in
the DR region inside the jurisdiction, and grants to the services that declare it, and to no one else.

- :class:`BucketSettings`: what a stack file says (name, concern).
- :class:`ConcernBucket`: a :class:`~fintech_infra.bucket.SecureBucket` (SSE-KMS with the concern's key and a
  bucket key, versioning, TLS-only policy, public access blocked, server access logs into the cell's log sink) whose
  lifecycle keeps superseded and deleted versions for the jurisdiction's record retention
  (``min_audit_log_retention_days``: an overwrite or a delete never loses a record before then). With a DR region,
  a replica bucket there under the DR region's key of the same concern, and S3 replication of every object
  version and delete marker into it (:mod:`fintech_infra.bucket_replication`).
- :func:`grant_bucket_access`: one role policy per service on its task role: get and put objects in its buckets
  only, and the concerns' keys only through S3 in the role's region.

The replica is read by nothing until a failover: the standby's services get no grant on it (as for queues).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import role_policy_with_keys
from fintech_infra._naming import child
from fintech_infra.bucket import SecureBucket
from fintech_infra.bucket_config import BucketSettings
from fintech_infra.bucket_replication import ReplicationNames, replicate_bucket
from fintech_infra.wiring import KeyRef

__all__ = [
    "BucketSettings",
    "ConcernBucket",
    "DrBucketPlacement",
    "bucket_name_variable",
    "grant_bucket_access",
]


@dataclass(frozen=True)
class DrBucketPlacement:
    """Where a bucket's replica lives: the cell's DR region, its key of the same concern, and its log sink."""

    region: str
    provider: pulumi.ProviderResource
    key: KeyRef
    access_log_bucket: pulumi.Input[str]


class ConcernBucket(FintechComponent):
    """A concern's application-data bucket, its lifecycle from the jurisdiction, and its DR replica."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "bucket": "The bucket's S3 name.",
        "arn": "ARN of the bucket.",
        "dr_arn": "ARN of its replica in the DR region; None without one.",
    }

    def __init__(
        self,
        name: str,
        settings: BucketSettings,
        *,
        region: str,
        key: KeyRef,
        access_log_bucket: pulumi.Input[str],
        retention_days: int,
        dr: DrBucketPlacement | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``retention_days``: the jurisdiction's record retention, how long a superseded version is kept."""
        # The DataConcern tag on both buckets: the data-separation rules and the bucket-path guardrail read it.
        super().__init__("fintech:buckets:ConcernBucket", name, opts, scope={"DataConcern": settings.concern.value})
        lifecycle: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "keep-superseded-versions-for-record-retention",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": retention_days},
            }
        ]
        self.data = SecureBucket(
            child(name, "data"),
            key=key,
            access_log_bucket=access_log_bucket,
            lifecycle_rules=lifecycle,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket: pulumi.Output[str] = self.data.bucket
        self.arn: pulumi.Output[str] = self.data.arn
        self.replica: SecureBucket | None = None
        self.dr_arn: pulumi.Output[str] | None = None
        if dr is not None:
            self.replica = SecureBucket(
                child(name, "dr"),
                key=dr.key,
                access_log_bucket=dr.access_log_bucket,
                lifecycle_rules=lifecycle,
                opts=pulumi.ResourceOptions(parent=self, provider=dr.provider),
            )
            self.dr_arn = self.replica.arn
            replicate_bucket(
                ReplicationNames(
                    role=child(name, "replication"),
                    policy=child(name, "replication-policy"),
                    configuration=child(name, "replication"),
                ),
                source=self.data,
                source_key=key,
                replica=self.replica,
                replica_key=dr.key,
                replica_provider=dr.provider,
                regions=(region, dr.region),
                rule_id="copy-to-dr-region",
                replicate_deletes=True,
                parent=self,
            )
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})


def bucket_name_variable(bucket: str) -> str:
    """The environment variable a service that lists ``bucket`` reads its S3 name from: ``BUCKET_NAME_<NAME>``."""
    return "BUCKET_NAME_" + bucket.upper().replace("-", "_")


def grant_bucket_access(
    name: str,
    *,
    role: aws.iam.Role,
    bucket_arns: Sequence[pulumi.Input[str]],
    keys: Sequence[KeyRef],
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """A task role's access to the objects of exactly ``bucket_arns`` (encrypted with ``keys``): get and put; the
    keys only through S3 in the role's region (SSE-KMS needs GenerateDataKey to write and Decrypt to read)."""
    return role_policy_with_keys(
        child(name, "bucket-policy"),
        role=role,
        sid="UseOwnBucketObjects",
        actions=["s3:GetObject", "s3:PutObject"],
        resources=[pulumi.Output.concat(arn, "/*") for arn in bucket_arns],
        key_sid="BucketKeysViaS3",
        key_arns=[key.arn for key in keys],
        service="s3",
        parent=parent,
    )
