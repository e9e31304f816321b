"""AuditTrail: a multi-region CloudTrail into a WORM bucket, mirrored to an encrypted CloudWatch log group.

The bucket is a :class:`~fintech_infra.bucket.SecureBucket` with Object Lock in COMPLIANCE mode for the
jurisdiction's audit retention, so no one (not even the account root) can delete or shorten evidence
before it expires. Log files are SSE-KMS with the audit concern's key and carry digest files (log file
validation) that prove they were not altered. The trail records management events and S3 object-level
(data) events on every bucket except its own (:func:`trail_event_selectors`): logging its own bucket would log
CloudTrail's deliveries, each delivery a new event, without end (AWS calls this recursive logging). Reads and
deletions of the evidence itself are still visible: the bucket's server access logs go to the cell's
access-log bucket, and Object Lock refuses the deletions.

CloudTrail may only write with ``aws:SourceArn`` equal to this trail's ARN. That ARN is deterministic
(the trail's physical name is fixed), so the bucket policy exists before the trail does, which CloudTrail
requires at creation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.bucket import MAX_OBJECT_LOCK_DAYS, SecureBucket
from fintech_infra.config import DataConcern
from fintech_infra.errors import ConfigError
from fintech_infra.logs import cloudwatch_retention, encrypted_log_group
from fintech_infra.wiring import KeyRef

__all__ = ["AuditTrail", "trail_event_selectors"]


def trail_event_selectors(trail_bucket_arn: pulumi.Input[str]) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """Management events, and S3 object-level events on every bucket except the trail's own.

    CloudTrail's own delivery (PutObject into the trail bucket) would otherwise be a data event, delivered as a
    new log file, logged again: recursive logging. The provider has no ``RecursiveLogging`` argument, so the
    bucket is excluded by ARN prefix. Advanced selectors replace basic ones entirely (the API takes one kind),
    so management events need their own selector.
    """
    return [
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="Management events",
            field_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])
            ],
        ),
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="S3 object events except the trail bucket",
            field_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="resources.type", equals=["AWS::S3::Object"]
                ),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="resources.ARN", not_starts_withs=[pulumi.Output.concat(trail_bucket_arn, "/")]
                ),
            ],
        ),
    ]


DEPLOY_RECORDS_PREFIX = "deployments/"
"""Where each `pulumi up` of a CI deploy leaves its record (fintech_infra_gate.deploy_record)."""
_RECORD_WRITES = ["s3:PutObject", "s3:PutObjectRetention"]


def _deploy_record_statements(bucket_arn: pulumi.Output[str], writer: str | None) -> list[pulumi.Input[dict[str, Any]]]:
    """The deploy role may add records under the prefix, with their retention, and write nothing else here.

    Object Lock (compliance mode, the bucket's default) keeps every record for the audit retention, whoever asks.
    """
    if writer is None:
        return []
    records = pulumi.Output.format("{0}/{1}*", bucket_arn, DEPLOY_RECORDS_PREFIX)
    return [
        {
            "Sid": "DeployRecordsWrite",
            "Effect": "Allow",
            "Principal": {"AWS": writer},
            "Action": _RECORD_WRITES,
            "Resource": records,
        },
        {
            "Sid": "DeployRecordsOnly",
            "Effect": "Deny",
            "Principal": {"AWS": writer},
            "Action": [*_RECORD_WRITES, "s3:PutObjectLegalHold", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            "NotResource": records,
        },
    ]


class AuditTrail(FintechComponent):
    """The account's API audit trail for one cell: CloudTrail + Object Lock bucket + CloudWatch Logs."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "trail_arn": "The trail's ARN.",
        "bucket_name": "The Object Lock bucket holding the log files.",
        "log_group_name": "The CloudWatch log group the trail also delivers to.",
        "notification_topic_arn": "The encrypted SNS topic the trail notifies of each delivered log file.",
    }

    def __init__(
        self,
        name: str,
        *,
        key: KeyRef,
        logs_key: KeyRef,
        retention_days: int,
        access_log_bucket: pulumi.Input[str],
        deploy_records_writer: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``key`` (the audit concern's key, admitting cloudtrail.amazonaws.com) encrypts the bucket and the
        log files; ``logs_key`` the log group. ``retention_days`` is the jurisdiction's minimum audit
        retention: the Object Lock period, and the log group's retention rounded up. ``deploy_records_writer``
        (the stack's deploy role) may write deployment records under :data:`DEPLOY_RECORDS_PREFIX`, and no other
        object of the bucket."""
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise ConfigError(
                f"AuditTrail {name!r}: retention_days: {retention_days!r} is not a retention period; "
                f"allowed: 1 to {MAX_OBJECT_LOCK_DAYS} days (the jurisdiction's min_audit_log_retention_days)"
            )
        if retention_days > MAX_OBJECT_LOCK_DAYS:
            raise ConfigError(
                f"AuditTrail {name!r}: retention_days: {retention_days!r} exceeds the Object Lock maximum; "
                f"allowed: 1 to {MAX_OBJECT_LOCK_DAYS} days"
            )
        log_retention = cloudwatch_retention(retention_days)
        super().__init__("fintech:audit:AuditTrail", name, opts, scope={"DataConcern": DataConcern.AUDIT.value})

        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        trail_name = physical(name, "trail", limit=128)
        # The ARN the trail will have, known before it exists: the bucket policy and role need it first.
        trail_arn = pulumi.Output.format("arn:{0}:cloudtrail:{1}:{2}:trail/{3}", partition, region, account, trail_name)

        def cloudtrail_statements(bucket_arn: pulumi.Output[str]) -> list[pulumi.Input[dict[str, Any]]]:
            only_this_trail = {"aws:SourceArn": trail_arn}
            return [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": only_this_trail},
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.format("{0}/AWSLogs/{1}/*", bucket_arn, account),
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **only_this_trail}},
                },
                *_deploy_record_statements(bucket_arn, deploy_records_writer),
            ]

        bucket = SecureBucket(
            child(name, "bucket"),
            key=key,
            access_log_bucket=access_log_bucket,
            object_lock_retention_days=retention_days,
            extra_policy_statements=cloudtrail_statements,
            opts=pulumi.ResourceOptions(parent=self),
        )
        group = encrypted_log_group(
            child(name, "logs"),
            key=logs_key,
            retention_days=log_retention,
            parent=self,
            log_group_name=f"/aws/cloudtrail/{trail_name}",
        )
        role = aws.iam.Role(
            child(name, "logs-role"),
            description=f"CloudTrail {trail_name} delivers events to its log group",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                        }
                    ],
                }
            ),
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            child(name, "logs-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DeliverTrailEvents",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(group.arn, ":log-stream:*"),
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = self._notification_topic(name, key=key, trail_arn=trail_arn)
        trail = aws.cloudtrail.Trail(
            child(name, "trail"),
            name=trail_name,
            s3_bucket_name=bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=key.arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(group.arn, ":*"),
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=trail_event_selectors(bucket.arn),
            sns_topic_name=topic.arn,
            tags={},
            # CloudTrail checks the bucket policy, the role and the topic policy when the trail is created.
            opts=pulumi.ResourceOptions(
                parent=self, protect=True, depends_on=[bucket, role_policy, self._topic_policy]
            ),
        )
        self._trail = name
        self._bucket = bucket
        self._key = key
        self._retention_days = retention_days
        self.replica_bucket_name: pulumi.Output[str] | None = None
        self.trail_arn: pulumi.Output[str] = trail.arn
        self.bucket_name: pulumi.Output[str] = bucket.bucket
        self.log_group_name: pulumi.Output[str] = group.name
        self.notification_topic_arn: pulumi.Output[str] = topic.arn
        self.register_outputs(
            {
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "log_group_name": self.log_group_name,
                "notification_topic_arn": self.notification_topic_arn,
            }
        )

    def _notification_topic(self, name: str, *, key: KeyRef, trail_arn: pulumi.Output[str]) -> aws.sns.Topic:
        """The topic CloudTrail notifies of each delivered log file, encrypted with the audit key.

        Only this trail may publish (``aws:SourceArn``); the audit key's policy lets CloudTrail use it for an
        encrypted topic under the same condition (:mod:`fintech_infra.kms`). Subscribers (a SIEM, a reviewer's
        queue) are the operator's: with none, notifications are dropped and the trail still delivers.
        """
        topic = aws.sns.Topic(
            child(name, "notifications"),
            kms_master_key_id=key.arn,
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._topic_policy = aws.sns.TopicPolicy(
            child(name, "notifications-policy"),
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AWSCloudTrailSNSPolicy",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "SNS:Publish",
                            "Resource": topic.arn,
                            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=topic),
        )
        return topic

    def replicate_to(
        self,
        name: str,
        *,
        key: KeyRef,
        access_log_bucket: pulumi.Input[str],
        provider: pulumi.ProviderResource,
    ) -> SecureBucket:
        """Replicate every log file to an Object Lock bucket in the DR region (``provider``'s), under ``key`` there.

        The replica is a :class:`SecureBucket` with the same COMPLIANCE retention, created with Object Lock (S3 can
        only replicate a locked source into a locked destination, and versioning on both sides). S3 replicates each
        object's own retention with it. The replication role reads the source versions with their retention and
        legal hold, decrypts with the source key and encrypts with the replica's key; deletions are not replicated
        (delete markers stay on the source). Residency is the caller's: the DR region is the jurisdiction's.
        """
        if self.replica_bucket_name is not None:
            raise ConfigError(f"AuditTrail {self._trail!r}: replicate_to: already replicated; allowed: one replica")
        there = pulumi.ResourceOptions(parent=self, provider=provider)
        replica = SecureBucket(
            child(name, "bucket"),
            key=key,
            access_log_bucket=access_log_bucket,
            object_lock_retention_days=self._retention_days,
            opts=there,
        )
        source = self._bucket
        role = aws.iam.Role(
            child(name, "role"),
            description=f"S3 replicates the audit trail bucket of {self._trail} to its DR replica",
            assume_role_policy=service_trust_policy("s3.amazonaws.com"),
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            child(name, "policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadSourceConfiguration",
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": source.arn,
                        },
                        {
                            "Sid": "ReadSourceVersions",
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                                "s3:GetObjectRetention",
                                "s3:GetObjectLegalHold",
                            ],
                            "Resource": pulumi.Output.concat(source.arn, "/*"),
                        },
                        {
                            "Sid": "WriteReplicas",
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
                            "Resource": pulumi.Output.concat(replica.arn, "/*"),
                        },
                        {
                            "Sid": "DecryptSource",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": self._key.arn,
                        },
                        {
                            "Sid": "EncryptReplica",
                            "Effect": "Allow",
                            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                            "Resource": key.arn,
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.s3.BucketReplicationConfig(
            child(name, "replication"),
            bucket=source.bucket,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="audit-trail-to-dr",
                    status="Enabled",
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Disabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.arn,
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=key.arn
                        ),
                    ),
                )
            ],
            # S3 refuses a replication configuration before versioning on both sides; the role must be usable.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source.versioning, replica.versioning, policy]),
        )
        self.replica_bucket_name = replica.bucket
        return replica
