"""S3 guardrails: each joins a bucket with its split resources (pulumi-aws v7 deprecates the inline ones)."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import dora, pci, stack_rule
from fintech_guardrails.rules.secrets import customer_managed
from fintech_guardrails.settings import jurisdiction_minimum

PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def companions(stack: Stack, bucket: Node, type_: str) -> list[Node]:
    """Split resources (versioning, encryption, ...) whose ``bucket`` refers to ``bucket``."""
    return stack.referrers(bucket, type_, prop="bucket")


def log_sinks(stack: Stack) -> set[str]:
    """Buckets that receive S3 server access logs or load balancer access logs."""
    sinks: set[str] = set()
    for logging in stack.of_type(t.BUCKET_LOGGING):
        sinks.update(node.urn for node in stack.refs(logging, "targetBucket", t.BUCKET))
    for lb in stack.of_type(*t.LOAD_BALANCERS):
        sinks.update(node.urn for node in stack.refs(lb, "accessLogs", t.BUCKET))
        bucket = dig(lb.props, "accessLogs", "bucket")
        if isinstance(bucket, str):
            sinks.update(node.urn for node in stack.of_type(t.BUCKET) if bucket in (node.get("bucket"), node.get("id")))
    return sinks


@stack_rule(
    name="s3-bucket-encryption",
    severity=Severity.CRITICAL,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=(
        "PCI DSS 4.0.1 3.6.1",
        "cdk-nag:PCI.DSS.321-S3DefaultEncryptionKMS",
        "checkov:CKV_AWS_145",
        "GDPR Art. 32",
        "checkov:CKV_AWS_19",
    ),
    exemptible=False,
    remediation=(
        "Create buckets with SecureBucket: SSE-KMS with the concern's key, or log_sink=True for log targets (SSE-S3)."
    ),
)
def s3_encryption(stack: Stack, out: Findings) -> None:
    """Buckets default to SSE-KMS with a customer-managed key; log-sink buckets use SSE-S3.

    Carve-out: a bucket that receives S3 server access logs or load balancer access logs must use SSE-S3
    (AES256), because AWS log delivery cannot write to SSE-KMS buckets. No encryption configuration means
    S3's default SSE-S3, which is not accepted for other buckets. A key unknown during preview is pending.
    """
    sinks = log_sinks(stack)
    for bucket in stack.of_type(t.BUCKET):
        configs = companions(stack, bucket, t.BUCKET_SSE)
        if not configs:
            out.fail("the bucket has no server-side encryption configuration", bucket.urn)
            continue
        for config in configs:
            rules = as_list(config.get("rules"))
            algorithm = (
                UNKNOWN if rules is UNKNOWN else dig(rules, 0, "applyServerSideEncryptionByDefault", "sseAlgorithm")
            )
            if is_unknown(algorithm):
                out.wait("sseAlgorithm", bucket.urn)
            elif bucket.urn in sinks:
                if algorithm != "AES256":
                    out.fail(
                        "a log-sink bucket must use SSE-S3 (AES256); AWS log delivery cannot use SSE-KMS", bucket.urn
                    )
            elif algorithm not in ("aws:kms", "aws:kms:dsse"):
                out.fail("the bucket must default to SSE-KMS", bucket.urn)
            else:
                key = dig(rules, 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
                if is_unknown(key):
                    out.wait("kmsMasterKeyId", bucket.urn)
                elif not customer_managed(key):
                    out.fail("SSE-KMS must name a customer-managed kmsMasterKeyId", bucket.urn)


@stack_rule(
    name="s3-bucket-versioning",
    severity=Severity.MEDIUM,
    framework=pci("10.3.4", "Audit log files are protected from modification"),
    tags=("cdk-nag:PCI.DSS.321-S3BucketVersioningEnabled", "checkov:CKV_AWS_21"),
    remediation="SecureBucket enables versioning; keep it.",
)
def s3_versioning(stack: Stack, out: Findings) -> None:
    """Every bucket has versioning Enabled.

    No versioning resource means never enabled (S3 default). An unknown status is pending.
    """
    for bucket in stack.of_type(t.BUCKET):
        configs = companions(stack, bucket, t.BUCKET_VERSIONING)
        statuses = [dig(config.props, "versioningConfiguration", "status") for config in configs]
        if "Enabled" in statuses:
            continue
        if any(is_unknown(status) for status in statuses):
            out.wait("versioningConfiguration.status", bucket.urn)
        else:
            out.fail("the bucket must have versioning Enabled", bucket.urn)


@stack_rule(
    name="s3-bucket-public-access-block",
    severity=Severity.CRITICAL,
    framework=pci(
        "1.4.4", "System components that store cardholder data are not directly accessible from untrusted networks"
    ),
    tags=(
        "PCI DSS 4.0.1 7.2.1",
        "cdk-nag:AwsSolutions-S2",
        "checkov:CKV2_AWS_6",
        "checkov:CKV_AWS_53",
        "checkov:CKV_AWS_54",
        "checkov:CKV_AWS_55",
        "checkov:CKV_AWS_56",
        "checkov:CKV_AWS_20",
        "checkov:CKV_AWS_57",
        "cdk-nag:PCI.DSS.321-S3BucketLevelPublicAccessProhibited",
        "cdk-nag:PCI.DSS.321-S3BucketPublicReadProhibited",
        "cdk-nag:PCI.DSS.321-S3BucketPublicWriteProhibited",
    ),
    remediation="SecureBucket adds a public access block with all four flags true.",
)
def s3_public_access_block(stack: Stack, out: Findings) -> None:
    """Every bucket has a public access block with all four flags true.

    A flag left unset means false (AWS default) and is a violation. Unknown flags are pending.
    """
    for bucket in stack.of_type(t.BUCKET):
        blocks = companions(stack, bucket, t.BUCKET_PAB)
        if not blocks:
            out.fail("the bucket has no public access block", bucket.urn)
        for block in blocks:
            values = [block.get(flag) for flag in PAB_FLAGS]
            if any(value is False or value is None for value in values):
                out.fail("all four public access block flags must be true", bucket.urn)
            elif any(is_unknown(value) for value in values):
                out.wait("public access block flags", bucket.urn)


def denies_insecure_transport(policy: Any) -> Any:
    if is_unknown(policy):
        return UNKNOWN
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return False
    statements = as_list(document.get("Statement") if isinstance(document, dict) else None)
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        condition = dig(statement, "Condition", "Bool", "aws:SecureTransport")
        if str(condition).lower() == "false":
            return True
    return False


@stack_rule(
    name="s3-bucket-tls-only",
    severity=Severity.HIGH,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=(
        "PCI DSS 4.0.1 2.2.7",
        "cdk-nag:AwsSolutions-S10",
        "checkov:CKV_AWS_379",
        "cdk-nag:PCI.DSS.321-S3BucketSSLRequestsOnly",
    ),
    exemptible=False,
    remediation="SecureBucket's policy denies requests with aws:SecureTransport=false; keep it.",
)
def s3_tls_only(stack: Stack, out: Findings) -> None:
    """Every bucket policy denies requests that don't use TLS.

    No bucket policy means plain HTTP is allowed and is a violation. A policy document unknown during preview
    (built from ARNs of the same update) is pending.
    """
    for bucket in stack.of_type(t.BUCKET):
        verdicts = [
            denies_insecure_transport(policy.get("policy")) for policy in companions(stack, bucket, t.BUCKET_POLICY)
        ]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts:
            out.wait("bucket policy", bucket.urn)
        else:
            out.fail("the bucket policy must Deny requests with aws:SecureTransport false", bucket.urn)


@stack_rule(
    name="s3-bucket-access-logging",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=(
        "cdk-nag:AwsSolutions-S1",
        "checkov:CKV_AWS_18",
        "cdk-nag:PCI.DSS.321-S3BucketLoggingEnabled",
        "awsguard:s3-bucket-logging-enabled",
    ),
    remediation="Pass SecureBucket an access_log_bucket (the cell's log-sink bucket).",
)
def s3_access_logging(stack: Stack, out: Findings) -> None:
    """Every bucket sends server access logs to a log-sink bucket.

    Carve-out: log-sink buckets themselves (targets of access logging or load balancer logs) need no access
    logging of their own; logging them would recurse. A target unknown during preview is pending.
    """
    sinks = log_sinks(stack)
    for bucket in stack.of_type(t.BUCKET):
        if bucket.urn in sinks:
            continue
        loggings = companions(stack, bucket, t.BUCKET_LOGGING)
        if not loggings:
            out.fail("the bucket has no server access logging", bucket.urn)
        elif all(
            is_unknown(logging.get("targetBucket")) and not logging.property_dependencies.get("targetBucket")
            for logging in loggings
        ):
            out.wait("targetBucket", bucket.urn)


def audit_buckets(stack: Stack) -> list[Node]:
    """Buckets holding audit records: tagged DataConcern=audit, or a CloudTrail trail's bucket."""
    found = [bucket for bucket in stack.of_type(t.BUCKET) if bucket.tag("DataConcern") == "audit"]
    for trail in stack.of_type(t.TRAIL):
        for bucket in stack.refs(trail, "s3BucketName", t.BUCKET):
            if bucket not in found:
                found.append(bucket)
    return found


@stack_rule(
    name="s3-audit-object-lock",
    severity=Severity.HIGH,
    framework=pci("10.3.4", "Audit log files are protected from modification"),
    tags=("PCI DSS 4.0.1 10.5.1", "checkov:CKV_AWS_143", "SEC 17a-4(f)"),
    remediation=(
        "Give AuditTrail's bucket object_lock_retention_days >= the jurisdiction's audit retention (COMPLIANCE mode)."
    ),
)
def s3_audit_object_lock(stack: Stack, out: Findings) -> None:
    """Audit buckets use Object Lock in COMPLIANCE mode for at least the jurisdiction's audit retention.

    Audit buckets are those tagged DataConcern=audit and every CloudTrail trail's bucket. The bucket needs
    ``objectLockEnabled`` and a lock configuration whose default retention (days, or years x 365) reaches the
    jurisdiction's ``min_audit_log_retention_days``. Unknowns are pending.
    """
    registry = stack.settings.registry
    for bucket in audit_buckets(stack):
        code = stack.jurisdiction(bucket)
        minimum = jurisdiction_minimum(registry, code, "min_audit_log_retention_days")
        enabled = bucket.get("objectLockEnabled")
        if is_unknown(enabled):
            out.wait("objectLockEnabled", bucket.urn)
        elif enabled is not True:
            out.fail("the audit bucket must be created with objectLockEnabled", bucket.urn)
        locks = companions(stack, bucket, t.BUCKET_OBJECT_LOCK)
        if not locks:
            out.fail("the audit bucket needs an object lock configuration", bucket.urn)
        for lock in locks:
            retention = dig(lock.props, "rule", "defaultRetention")
            if contains_unknown(retention):
                out.wait("object lock default retention", bucket.urn)
                continue
            mode = dig(retention, "mode")
            days = (dig(retention, "days") or 0) + (dig(retention, "years") or 0) * 365
            if mode != "COMPLIANCE":
                out.fail("object lock must use COMPLIANCE mode", bucket.urn)
            if days < minimum:
                out.fail(f"object lock must retain at least {minimum} days for this jurisdiction", bucket.urn)


def _jurisdiction_regions(stack: Stack, code: str | None) -> set[Any]:
    """The regions where the stack builds a VPC for the jurisdiction: its cell's primary and DR regions."""
    return {vpc.region for vpc in stack.of_type(t.VPC) if stack.jurisdiction(vpc) == code}


@stack_rule(
    name="s3-audit-replicated-to-dr",
    severity=Severity.HIGH,
    framework=dora("12", "Backup policies and procedures, restoration and recovery procedures and methods"),
    tags=(
        "PCI DSS 4.0.1 10.5.1",
        "checkov:CKV_AWS_144",
        "cdk-nag:PCI.DSS.321-S3BucketReplicationEnabled",
        "GDPR Art. 32",
    ),
    remediation=(
        "Give the cell a dr_region: JurisdictionCell replicates the trail bucket with AuditTrail.replicate_to into an "
        "Object Lock bucket there."
    ),
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html",
)
def s3_audit_replicated(stack: Stack, out: Findings) -> None:
    """A trail's bucket replicates to an Object Lock bucket in the jurisdiction's DR region, when it has one here.

    The DR region is any other region where the stack builds a VPC for the same jurisdiction; a cell without one
    (dev) keeps a single copy and is not judged. The bucket needs a replication configuration with an Enabled
    rule whose destination is a bucket created with ``objectLockEnabled`` (S3 replicates a locked source only into
    a locked destination) in one of those regions; the residency guardrails judge that region. Unknowns are pending.
    """
    for trail in stack.of_type(t.TRAIL):
        for bucket in stack.refs(trail, "s3BucketName", t.BUCKET):
            region = bucket.region
            if is_unknown(region):
                out.wait("region", bucket.urn)
                continue
            elsewhere = _jurisdiction_regions(stack, stack.jurisdiction(bucket)) - {region}
            if not elsewhere:
                continue
            configs = companions(stack, bucket, t.BUCKET_REPLICATION)
            if not configs:
                out.fail(
                    f"the trail bucket is not replicated to the DR region ({', '.join(sorted(map(str, elsewhere)))})",
                    bucket.urn,
                )
                continue
            verdicts = [_replicates_locked(stack, config, elsewhere) for config in configs]
            if True in verdicts:
                continue
            if UNKNOWN in verdicts:
                out.wait("replication rules", bucket.urn)
            else:
                out.fail(
                    "the trail bucket must replicate (an Enabled rule) into an Object Lock bucket in the DR region",
                    bucket.urn,
                )


def _replicates_locked(stack: Stack, config: Node, regions: set[Any]) -> Any:
    rules = as_list(config.get("rules"))
    if rules is UNKNOWN:
        return UNKNOWN
    statuses = [dig(rule, "status") for rule in rules]
    if "Enabled" not in statuses:
        return UNKNOWN if any(is_unknown(status) for status in statuses) else False
    destinations = stack.refs(config, "rules", t.BUCKET)
    if not destinations:
        return UNKNOWN if contains_unknown(rules) else False
    answers: list[Any] = []
    for destination in destinations:
        locked, region = destination.get("objectLockEnabled"), destination.region
        if is_unknown(locked) or is_unknown(region):
            answers.append(UNKNOWN)
        else:
            answers.append(locked is True and region in regions)
    return True if True in answers else (UNKNOWN if UNKNOWN in answers else False)
