"""AWS facts behind the hardening decisions of issue 15 (what checkov flags on the shipped stacks).

The values the hardening guardrails judge by are in :mod:`fintech_infra.hardening_facts`; these are the sources of
the decisions themselves.

Each decision (build it, or argue it not applicable) rests on one of these sources; docs/components.md's
"Hardening decisions" section and the components' docstrings cite them. Quotes are the sources' words, with
``...`` where text is left out.
"""

from __future__ import annotations

from fintech_infra.aws_facts import Source

__all__ = [
    "ALB_ACCESS_LOGS_SSE_S3_ONLY",
    "ALB_TARGET_CERTIFICATES_NOT_VALIDATED",
    "CLOUDTRAIL_SNS_TOPIC_POLICY",
    "LAMBDA_CODE_SIGNING",
    "LAMBDA_UNRESERVED_MINIMUM",
    "LAMBDA_XRAY_PERMISSIONS",
    "OBJECT_LOCK_NO_ACCESS_LOG_TARGET",
    "REPLICATION_DESTINATION_OBJECT_LOCK",
    "REPLICATION_KMS_PERMISSIONS",
    "REPLICATION_OBJECT_LOCK_PERMISSIONS",
    "S3_ACCESS_LOGS_NOT_TO_ITSELF",
    "SECRETS_MANAGER_CALLS_STEP_BY_STEP",
    "SNS_ENCRYPTED_TOPIC_PUBLISHERS",
    "SSM_SECURESTRING_TIERS",
]

# -- Audit-trail replication ----------------------------------------------------------------------------------------

REPLICATION_DESTINATION_OBJECT_LOCK = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html",
    quote="DstBucketObjectLockConfigMissing: To replicate objects from a source bucket with Object Lock enabled, the "
    "destination bucket must also have Object Lock enabled. ... DstBucketUnversioned: Versioning is not enabled for "
    "the S3 destination bucket.",
)
"""The replica bucket is created with Object Lock (S3 enables it at creation) and versioning."""
REPLICATION_OBJECT_LOCK_PERMISSIONS = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication",
    quote="To view an object version's retention mode and retention period, you must have the s3:GetObjectRetention "
    "permission. To view an object version's legal hold status, you must have the s3:GetObjectLegalHold permission.",
)
"""Replicating locked objects copies their retention: the replication role reads it from the source versions."""
REPLICATION_KMS_PERMISSIONS = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html",
    quote="There are some special considerations when you're replicating objects that have been encrypted by using "
    "server-side encryption. ... This topic explains the permissions that you need to direct Amazon S3 to replicate "
    "objects that have been encrypted",
)
"""SSE-KMS objects replicate only when selected (``SseKmsEncryptedObjects``), re-encrypted under the destination key
(``ReplicaKmsKeyID``): the role decrypts with the source key and encrypts with the destination key."""

# -- Log buckets ----------------------------------------------------------------------------------------------------

OBJECT_LOCK_NO_ACCESS_LOG_TARGET = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html",
    quote="S3 buckets with Object Lock can't be used as destination buckets for server access logs.",
)
S3_ACCESS_LOGS_NOT_TO_ITSELF = Source(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",
    quote="Your target bucket should not have server access logging enabled. ... delivering logs to the source bucket "
    "will cause an infinite loop of logs and is not recommended.",
)
"""Why a log sink does not log its own access (checkov CKV_AWS_18 on the sink itself)."""
ALB_ACCESS_LOGS_SSE_S3_ONLY = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    quote="The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3).",
)
"""Why the ALB log bucket is SSE-S3 (checkov CKV_AWS_145 on it)."""

# -- Load balancer to targets ---------------------------------------------------------------------------------------

ALB_TARGET_CERTIFICATES_NOT_VALIDATED = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html",
    quote="The load balancer establishes TLS connections with the targets using certificates that you install on the "
    "targets. The load balancer does not validate these certificates. Therefore, you can use self-signed "
    "certificates or certificates that have expired.",
)

# -- Rotation Lambda ------------------------------------------------------------------------------------------------

SECRETS_MANAGER_CALLS_STEP_BY_STEP = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html",
    quote="During rotation, Secrets Manager calls the same function several times, each time with different "
    "parameters. ... Step - The rotation step: create_secret, set_secret, test_secret, or finish_secret.",
)
"""Secrets Manager waits for each step's answer before the next, and a failed step fails the rotation, which it
records (``RotationFailed``) and retries. A dead-letter queue (checkov CKV_AWS_116) receives only the failed events
of asynchronous invocations (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): it would stay
empty."""
LAMBDA_UNRESERVED_MINIMUM = Source(
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html",
    quote="Reserved concurrency - This sets both the maximum and minimum number of concurrent instances allocated to "
    "your function. ... You can reserve up to the Unreserved account concurrency value that is shown, minus 100 for "
    "functions that don't have reserved concurrency.",
    verify="aws lambda get-account-settings --query 'AccountLimit.UnreservedConcurrentExecutions'   # must exceed "
    "100 plus the cell's reservations",
    offline=False,
)
"""Reserving concurrency for the rotation function fails in an account whose limit leaves too little unreserved."""
LAMBDA_XRAY_PERMISSIONS = Source(
    "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
    quote="Your function needs permission to upload trace data to X-Ray. ... xray:PutTraceSegments ... "
    "xray:PutTelemetryRecords",
)
LAMBDA_CODE_SIGNING = Source(
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html",
    quote="Code signing for AWS Lambda helps to ensure that only trusted code runs in your Lambda functions.",
)

# -- Routing manifest -----------------------------------------------------------------------------------------------

SSM_SECURESTRING_TIERS = Source(
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
    quote="Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. (PutParameter's ValidationException, "
    "which links this page; the advanced tier's limit, 8 KB, is on the page.)",
)

# -- CloudTrail notifications ---------------------------------------------------------------------------------------

CLOUDTRAIL_SNS_TOPIC_POLICY = Source(
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html",
    quote="To send notifications to an SNS topic, CloudTrail must have the required permissions.",
)
SNS_ENCRYPTED_TOPIC_PUBLISHERS = Source(
    "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
    quote="Several AWS services publish events to Amazon SNS topics. To allow these event sources to work with "
    "encrypted topics, you must ... kms:GenerateDataKey* ... kms:Decrypt",
)
