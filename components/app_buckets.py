"""Application-data buckets: one S3 bucket per entry of a cell's ``buckets``, in its concern's key, with a copy in
the DR region inside the jurisdiction, and grants to the services that declare it, and to no one else.

- :class:`BucketSettings`: what a stack file says (name, concern).
- :class:`ConcernBucket`: a :class:`~fintech_infra.bucket.SecureBucket` (SSE-KMS with the concern's key and a
  bucket key, versioning, TLS-only policy, public access blocked, server access logs into the cell's log sink) whose
  lifecycle keeps superseded and deleted versions for the jurisdiction's record retention
  (``min_audit_log_retention_days``: an overwrite or a delete never loses a record before then). With a DR region,
  a replica bucket there under the DR region's key of the same concern, and S3 replication of every object
  version and delete marker into it (:data:`S3_REPLICATION_KMS`).
- :func:`grant_bucket_access`: one role policy per service on its task role: get and put objects in its buckets
  only, and the concerns' keys only through S3 in the role's region.

The replica is read by nothing until a failover: the standby's services get no grant on it (as for queues).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child
from fintech_infra.bucket import SecureBucket
from fintech_infra.bucket_config import BucketSettings
from fintech_infra.wiring import KeyRef

__all__ = [
    "S3_REPLICATION_KMS",
    "BucketSettings",
    "ConcernBucket",
    "DrBucketPlacement",
    "bucket_name_variable",
    "grant_bucket_access",
]

S3_REPLICATION_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html"
"""Checked 2026-12-07: S3 replicates SSE-KMS objects only when the rule's ``SourceSelectionCriteria`` enables
``SseKmsEncryptedObjects`` and its destination names ``EncryptionConfiguration.ReplicaKmsKeyID`` (a key in the
destination region); the replication role needs ``kms:Decrypt`` on the source key and ``kms:Encrypt`` on the
destination key (AWS's example scopes both with ``kms:ViaService`` to S3 in each region), with
``s3:GetReplicationConfiguration``/``s3:ListBucket`` on the source bucket, ``s3:GetObjectVersionForReplication``,
``GetObjectVersionAcl`` and ``GetObjectVersionTagging`` on its objects and ``s3:ReplicateObject``,
``ReplicateDelete`` and ``ReplicateTags`` on the destination's. Both buckets must have versioning enabled
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html)."""


@dataclass(frozen=True)
class DrBucketPlacement:
    """Where a bucket's replica lives: the cell's DR region, its key of the same concern, and its log sink."""

    region: str
    provider: pulumi.ProviderResource
    key: KeyRef
    access_log_bucket: pulumi.Input[str]


def _via_s3(region: pulumi.Input[str]) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com")}}


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
            self._replicate(name, region=region, key=key, dr=dr, replica=self.replica)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    def _replicate(
        self, name: str, *, region: str, key: KeyRef, dr: DrBucketPlacement, replica: SecureBucket
    ) -> aws.s3.BucketReplicationConfig:
        here = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            child(name, "replication"),
            assume_role_policy=service_trust_policy("s3.amazonaws.com"),
            opts=here,
        )
        source, target = self.data.arn, replica.arn
        aws.iam.RolePolicy(
            child(name, "replication-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadReplicationConfiguration",
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": [source],
                        },
                        {
                            "Sid": "ReadSourceVersions",
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            "Resource": [pulumi.Output.concat(source, "/*")],
                        },
                        {
                            "Sid": "WriteReplicas",
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": [pulumi.Output.concat(target, "/*")],
                        },
                        {
                            "Sid": "DecryptSourceViaS3",
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt"],
                            "Resource": [key.arn],
                            "Condition": _via_s3(region),
                        },
                        {
                            "Sid": "EncryptReplicasViaS3",
                            "Effect": "Allow",
                            "Action": ["kms:Encrypt"],
                            "Resource": [dr.key.arn],
                            "Condition": _via_s3(dr.region),
                        },
                    ],
                }
            ),
            opts=here,
        )
        return aws.s3.BucketReplicationConfig(
            child(name, "replication"),
            role=role.arn,
            bucket=self.data.bucket,
            rules=[
                {
                    "id": "copy-to-dr-region",
                    "status": "Enabled",
                    "filter": {},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": target,
                        "encryption_configuration": {"replica_kms_key_id": dr.key.arn},
                    },
                }
            ],
            # Replication needs versioning on both buckets first (S3 refuses the configuration otherwise).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.data.versioning, replica.versioning]),
        )


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
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    return aws.iam.RolePolicy(
        child(name, "bucket-policy"),
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "UseOwnBucketObjects",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": [pulumi.Output.concat(arn, "/*") for arn in bucket_arns],
                    },
                    {
                        "Sid": "BucketKeysViaS3",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": [key.arn for key in keys],
                        "Condition": _via_s3(region),
                    },
                ],
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
