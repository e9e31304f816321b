"""SecureBucket: an S3 bucket with every control a regulated workload needs, as split resources.

pulumi-aws v7 deprecates the inline ``aws.s3.Bucket`` blocks (versioning, encryption, logging, policy,
object lock), so each control is its own resource keyed on the bucket: a policy check can find it by
type and a preview diff shows which control changed.

Defaults: versioning on, SSE-KMS with a customer-managed key and an S3 bucket key, all four public
access block flags, ACLs disabled (BucketOwnerEnforced), a TLS-only bucket policy, server access logging
into a log sink, and incomplete multipart uploads aborted after 7 days. ``object_lock_retention_days``
adds Object Lock in COMPLIANCE mode (WORM: not even the root user can shorten it).

``log_sink=True`` is the one explicit relaxation, for buckets that AWS log delivery writes into: S3
server access logs and ELB access logs can only be delivered to SSE-S3 (AES256) buckets, and a sink
does not log its own access (it would log into itself). The sink's policy admits the S3 logging
service for this account only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.errors import ConfigError
from fintech_infra.wiring import KeyRef

__all__ = ["ABORT_INCOMPLETE_UPLOADS_DAYS", "MAX_OBJECT_LOCK_DAYS", "PolicyStatements", "SecureBucket"]

Statements: TypeAlias = Sequence[pulumi.Input[Mapping[str, Any]]]
PolicyStatements: TypeAlias = Statements | Callable[[pulumi.Output[str]], Statements]
"""Extra bucket policy statements: a list, or a function of the bucket's ARN returning one (a statement
that names this bucket as its Resource cannot exist before the bucket does)."""

ABORT_INCOMPLETE_UPLOADS_DAYS = 7
"""Days after which an unfinished multipart upload's parts are deleted (they are billed but invisible)."""

MAX_OBJECT_LOCK_DAYS = 36500
"""S3's ceiling for a default retention period (100 years)."""


def _validate(
    name: str,
    *,
    key: KeyRef | None,
    log_sink: bool,
    access_log_bucket: pulumi.Input[str] | None,
    object_lock_retention_days: int | None,
) -> None:
    where = f"SecureBucket {name!r}"
    if log_sink:
        if key is not None:
            raise ConfigError(
                f"{where}: key: {key.alias!r} is not allowed with log_sink=True (AWS log delivery writes only "
                "to SSE-S3 buckets); allowed: None"
            )
        if access_log_bucket is not None:
            raise ConfigError(
                f"{where}: access_log_bucket: a log sink does not log its own access; allowed: None with log_sink=True"
            )
    else:
        if key is None:
            raise ConfigError(
                f"{where}: key: None is not allowed; allowed: a KeyRef (SSE-KMS), or log_sink=True for a "
                "bucket AWS log delivery writes into"
            )
        if access_log_bucket is None:
            raise ConfigError(
                f"{where}: access_log_bucket: None is not allowed; allowed: the name of a log_sink=True SecureBucket"
            )
    if object_lock_retention_days is not None and (
        isinstance(object_lock_retention_days, bool)
        or not isinstance(object_lock_retention_days, int)
        or not 1 <= object_lock_retention_days <= MAX_OBJECT_LOCK_DAYS
    ):
        raise ConfigError(
            f"{where}: object_lock_retention_days: {object_lock_retention_days!r} is out of range; "
            f"allowed: 1 to {MAX_OBJECT_LOCK_DAYS} days, or None for no Object Lock"
        )


class SecureBucket(FintechComponent):
    """A versioned, encrypted, private, TLS-only, access-logged S3 bucket (optionally WORM)."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "bucket": "The bucket's name.",
        "arn": "The bucket's ARN.",
    }

    def __init__(
        self,
        name: str,
        *,
        key: KeyRef | None = None,
        log_sink: bool = False,
        access_log_bucket: pulumi.Input[str] | None = None,
        object_lock_retention_days: int | None = None,
        extra_policy_statements: PolicyStatements = (),
        lifecycle_rules: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = (),
        protect: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``protect=False`` is an explicit relaxation for buckets that hold no evidence.

        ``extra_policy_statements`` may be a function of the bucket ARN, e.g.
        ``lambda arn: [{..., "Resource": pulumi.Output.concat(arn, "/AWSLogs/*")}]``. ``lifecycle_rules`` are
        added after the rule that aborts incomplete multipart uploads.
        """
        _validate(
            name,
            key=key,
            log_sink=log_sink,
            access_log_bucket=access_log_bucket,
            object_lock_retention_days=object_lock_retention_days,
        )
        super().__init__("fintech:bucket:SecureBucket", name, opts)
        this = pulumi.ResourceOptions(parent=self)

        self.resource = aws.s3.Bucket(
            child(name, "bucket"),
            force_destroy=False,
            object_lock_enabled=True if object_lock_retention_days is not None else None,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.bucket: pulumi.Output[str] = self.resource.bucket
        self.arn: pulumi.Output[str] = self.resource.arn

        public_access = aws.s3.BucketPublicAccessBlock(
            child(name, "public-access"),
            bucket=self.bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=this,
        )
        aws.s3.BucketOwnershipControls(
            child(name, "ownership"),
            bucket=self.bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=this,
        )
        self.versioning = versioning = aws.s3.BucketVersioning(
            child(name, "versioning"),
            bucket=self.bucket,
            versioning_configuration={"status": "Enabled"},
            opts=this,
        )
        self.versioning = versioning
        """Replication and Object Lock need versioning first."""
        aws.s3.BucketServerSideEncryptionConfiguration(
            child(name, "encryption"),
            bucket=self.bucket,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=(
                        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="AES256" if key is None else "aws:kms",
                            kms_master_key_id=None if key is None else key.arn,
                        )
                    ),
                    # A bucket key cuts KMS requests (and cost) by ~99% for SSE-KMS; moot for SSE-S3.
                    bucket_key_enabled=key is not None,
                )
            ],
            opts=this,
        )
        # S3 rejects concurrent configuration changes on one bucket (OperationAborted), and a policy put
        # races the public access block; order the policy after it.
        aws.s3.BucketPolicy(
            child(name, "policy"),
            bucket=self.bucket,
            policy=self._policy(log_sink=log_sink, extra=extra_policy_statements),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        if access_log_bucket is not None:
            aws.s3.BucketLogging(
                child(name, "access-logs"),
                bucket=self.bucket,
                target_bucket=access_log_bucket,
                target_prefix=f"s3/{name}/",
                opts=this,
            )
        aws.s3.BucketLifecycleConfiguration(
            child(name, "lifecycle"),
            bucket=self.bucket,
            rules=[
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
                },
                *lifecycle_rules,
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if object_lock_retention_days is not None:
            # Object Lock needs versioning; COMPLIANCE mode cannot be shortened or removed by anyone.
            aws.s3.BucketObjectLockConfiguration(
                child(name, "object-lock"),
                bucket=self.bucket,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "COMPLIANCE", "days": object_lock_retention_days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})

    def _policy(self, *, log_sink: bool, extra: PolicyStatements) -> pulumi.Output[str]:
        objects = pulumi.Output.concat(self.arn, "/*")
        statements: list[pulumi.Input[Mapping[str, Any]]] = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                # A Deny on every principal is how S3 enforces TLS; it grants nothing.
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [self.arn, objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        if log_sink:
            account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
            statements.append(
                {
                    "Sid": "AllowS3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": objects,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            )
        statements.extend(extra(self.arn) if callable(extra) else extra)
        return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})
