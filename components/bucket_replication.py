"""S3 replication of one KMS-encrypted bucket into its replica in another Region: the role and the rule.

One implementation for every replicated bucket of the library (the audit trail's Object Lock bucket, a concern's
application-data bucket). The role S3 assumes reads the source's versions, writes replicas, and uses the two
keys only through S3 in each bucket's Region (``kms:ViaService``), as the S3 user guide's policy for replicating
SSE-KMS objects does: ``kms:Decrypt`` on the source key, ``kms:Encrypt`` on the replica's. The rule replicates
SSE-KMS objects (S3 skips them unless ``SourceSelectionCriteria`` enables ``SseKmsEncryptedObjects``), re-encrypting
them under ``ReplicaKmsKeyID``, a key in the replica's Region. Both buckets need versioning first
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html).

Source: :data:`REPLICATION_KMS_SOURCE` (checked 2026-12-07).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fintech_infra._iam import key_via_service, service_trust_policy
from fintech_infra.aws_facts import Source
from fintech_infra.bucket import SecureBucket
from fintech_infra.wiring import KeyRef

__all__ = ["REPLICATION_KMS_SOURCE", "ReplicationNames", "replicate_bucket"]

REPLICATION_KMS_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html",
    quote='"Action":["kms:Decrypt"] ... "kms:ViaService":"s3.source-bucket-region.amazonaws.com" ... '
    '"Action":["kms:Encrypt"] ... "kms:ViaService":"s3.destination-bucket-region.amazonaws.com"',
)

_READ_VERSIONS = ("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging")
# S3 replicates a locked object's retention and legal hold with it, and reads them from the source version.
_READ_LOCKS = ("s3:GetObjectRetention", "s3:GetObjectLegalHold")


@dataclass(frozen=True)
class ReplicationNames:
    """The logical names of the role, its policy and the replication configuration (kept per caller: a rename
    would replace the role and briefly drop the configuration)."""

    role: str
    policy: str
    configuration: str


def replicate_bucket(
    names: ReplicationNames,
    *,
    source: SecureBucket,
    source_key: KeyRef,
    replica: SecureBucket,
    replica_key: KeyRef,
    replica_provider: pulumi.ProviderResource | None,
    regions: tuple[pulumi.Input[str], pulumi.Input[str]],
    rule_id: str,
    replicate_deletes: bool,
    locked: bool = False,
    description: str | None = None,
    parent: pulumi.Resource,
) -> aws.s3.BucketReplicationConfig:
    """Replicate every SSE-KMS object of ``source`` (in ``parent``'s Region) to ``replica`` (``replica_provider``'s).

    ``replicate_deletes``: delete markers follow (an application bucket) or stay on the source (an audit trail:
    S3 never replicates deletions of locked versions anyway). ``locked``: the source has Object Lock, so the role
    also reads each version's retention and legal hold. ``regions``: the source's and the replica's.
    """
    here = pulumi.ResourceOptions(parent=parent)
    source_region, replica_region = regions
    role = aws.iam.Role(
        names.role,
        description=description,
        assume_role_policy=service_trust_policy("s3.amazonaws.com"),
        tags={},
        opts=here,
    )
    writes: Sequence[str] = ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags")
    if not replicate_deletes:
        writes = ("s3:ReplicateObject", "s3:ReplicateTags")
    policy = aws.iam.RolePolicy(
        names.policy,
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadReplicationConfiguration",
                        "Effect": "Allow",
                        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        "Resource": [source.arn],
                    },
                    {
                        "Sid": "ReadSourceVersions",
                        "Effect": "Allow",
                        "Action": [*_READ_VERSIONS, *(_READ_LOCKS if locked else ())],
                        "Resource": [pulumi.Output.concat(source.arn, "/*")],
                    },
                    {
                        "Sid": "WriteReplicas",
                        "Effect": "Allow",
                        "Action": list(writes),
                        "Resource": [pulumi.Output.concat(replica.arn, "/*")],
                    },
                    {
                        "Sid": "DecryptSourceViaS3",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": [source_key.arn],
                        "Condition": key_via_service("s3", source_region),
                    },
                    {
                        "Sid": "EncryptReplicasViaS3",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt"],
                        "Resource": [replica_key.arn],
                        "Condition": key_via_service("s3", replica_region),
                    },
                ],
            }
        ),
        # Under the role; an application bucket's policy was once the component's child, hence the alias.
        opts=pulumi.ResourceOptions(parent=role, aliases=[pulumi.Alias(parent=parent)]),
    )
    return aws.s3.BucketReplicationConfig(
        names.configuration,
        bucket=source.bucket,
        role=role.arn,
        rules=[
            aws.s3.BucketReplicationConfigRuleArgs(
                id=rule_id,
                status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                    status="Enabled" if replicate_deletes else "Disabled"
                ),
                source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                        status="Enabled"
                    )
                ),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=replica.arn,
                    encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=replica_key.arn
                    ),
                ),
            )
        ],
        # S3 refuses a replication configuration before versioning on both sides; the role must be usable.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[source.versioning, replica.versioning, policy]),
    )
