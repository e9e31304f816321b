"""Data-store hardening: keys stay enabled, databases present a current CA, tag their snapshots and log
connections and statements, secrets keep a recovery window, buckets disable ACLs.

The AWS values (current RDS CAs, PostgreSQL ``log_statement`` values, the Secrets Manager recovery window) come
from ``data/hardening_facts.json`` and ``data/aws_limits.json``, generated from the library with their sources.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, one_of, require, unset_or
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import dora, pci, resource_rule, stack_rule
from fintech_guardrails.rules.s3 import companions

_FACTS = facts.load("hardening_facts")
RDS_CAS: tuple[str, ...] = tuple(_FACTS["rds_ca_identifiers"]["values"])
LOG_STATEMENT_VALUES: frozenset[str] = frozenset(_FACTS["postgres_logging"]["log_statement"])
_RECOVERY = facts.load("aws_limits")["secretsRecoveryWindowDays"]
ON_VALUES = frozenset({"1", "on", "true"})


@resource_rule(
    types=(t.KMS_KEY, t.KMS_REPLICA_KEY),
    name="kms-key-enabled",
    severity=Severity.HIGH,
    framework=pci("3.6.1", "Procedures protect cryptographic keys against disclosure and misuse"),
    tags=("DORA Art. 9", "checkov:CKV_AWS_227"),
    remediation="Leave EncryptionKey/KeyRing keys enabled (isEnabled unset or true); retire a key by rotation, "
    "never by disabling it under data it still protects.",
    url=_FACTS["kms_key_enabled"]["source"]["url"],
)
def kms_key_enabled(r: Resource, out: Findings) -> None:
    """KMS keys are enabled.

    A disabled key cannot decrypt: every database, secret, log group and bucket it protects becomes unreadable.
    ``isEnabled`` (``enabled`` on replica keys) unset means enabled (AWS default) and passes. Unknown values are
    pending.
    """
    require(r, out, "enabled" if r.type == t.KMS_REPLICA_KEY else "isEnabled", unset_or(equals(True)))


@resource_rule(
    types=(t.RDS_INSTANCE, t.RDS_CLUSTER_INSTANCE),
    name="rds-ca-certificate-current",
    severity=Severity.MEDIUM,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=("checkov:CKV_AWS_211",),
    remediation="Keep the library's CA (rds_baseline.CA_CERT_IDENTIFIER, one of the current RDS CAs).",
    url=_FACTS["rds_ca_identifiers"]["source"]["url"],
)
def rds_ca_certificate_current(r: Resource, out: Findings) -> None:
    """RDS instances and Aurora cluster members present a current RDS certificate authority.

    ``caCertIdentifier`` must be one of the RDS CAs in service (rds-ca-rsa2048-g1, rds-ca-rsa4096-g1,
    rds-ca-ecc384-g1): clients that verify the server certificate fail against an expired one. Unset means the
    account's default CA for the region, which the account can override and the pack cannot see: a violation.
    Unknown values are pending.
    """
    require(r, out, "caCertIdentifier", one_of(*RDS_CAS))


@resource_rule(
    types=(t.RDS_INSTANCE, t.RDS_CLUSTER),
    name="rds-copy-tags-to-snapshot",
    severity=Severity.LOW,
    framework=dora("Art. 12", "Backup policies and procedures"),
    tags=("PCI DSS 4.0.1 12.5.1", "checkov:CKV2_AWS_60", "checkov:CKV_AWS_313"),
    remediation="Keep the library's data-safety options (copy_tags_to_snapshot=True on every database copy).",
)
def rds_copy_tags_to_snapshot(r: Resource, out: Findings) -> None:
    """RDS instances and Aurora clusters copy their tags onto their snapshots.

    Snapshots carry the Jurisdiction, DataConcern and ComplianceScope tags that residency, backup and access
    policies select on; an untagged snapshot escapes them. ``copyTagsToSnapshot`` unset means false (AWS default)
    and is a violation. Unknown values are pending.
    """
    require(r, out, "copyTagsToSnapshot", equals(True))


def _parameters(group: Node) -> dict[str, Any] | Any:
    items = as_list(group.get("parameters"))
    if items is UNKNOWN or contains_unknown(items):
        return UNKNOWN
    return {str(dig(item, "name")): dig(item, "value") for item in items}


def _logging_problems(parameters: dict[str, Any]) -> list[str]:
    problems = [
        f"{name} must be 1"
        for name in ("log_connections", "log_disconnections")
        if str(parameters.get(name)) not in ON_VALUES
    ]
    if parameters.get("log_statement") not in LOG_STATEMENT_VALUES:
        problems.append("log_statement must be ddl, mod or all")
    duration = parameters.get("log_min_duration_statement")
    try:
        logs_slow = duration is not None and int(str(duration)) >= 0
    except ValueError:
        logs_slow = False
    if not logs_slow:
        problems.append("log_min_duration_statement must be 0 or more milliseconds")
    return problems


_POSTGRES_GROUP = {
    "postgres": ("parameterGroupName", t.RDS_PARAMETER_GROUP),
    "aurora-postgresql": ("dbClusterParameterGroupName", t.RDS_CLUSTER_PARAMETER_GROUP),
}


@stack_rule(
    name="rds-postgres-logging-parameters",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("PCI DSS 4.0.1 10.2.1.2", "checkov:CKV2_AWS_30", "checkov:CKV2_AWS_27"),
    remediation="Keep FinancialDatabase's parameter groups (rds_baseline.db_parameters): log_connections, "
    "log_disconnections, log_statement (ddl, or all for audit) and log_min_duration_statement.",
    url=_FACTS["postgres_logging"]["source"]["url"],
)
def rds_postgres_logging_parameters(stack: Stack, out: Findings) -> None:
    """PostgreSQL databases log connections, disconnections and statements through their parameter group.

    RDS PostgreSQL instances are judged by their ``parameterGroupName``, Aurora PostgreSQL clusters by their
    ``dbClusterParameterGroupName``; the group must set log_connections and log_disconnections to 1, log_statement
    to ddl, mod or all, and log_min_duration_statement to 0 or more. No group (the engine's default group, which
    logs none of these) is a violation; read replicas (no engine: they follow their source) are skipped. Unknown
    names or parameters are pending.
    """
    for database in stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER):
        engine = database.get("engine")
        if is_unknown(engine):
            out.wait("engine", database.urn)
            continue
        wiring = _POSTGRES_GROUP.get(str(engine)) if isinstance(engine, str) else None
        if wiring is None or (database.type == t.RDS_INSTANCE) != (engine == "postgres"):
            continue
        prop, group_type = wiring
        groups = stack.refs(database, prop, group_type)
        if not groups:
            name = database.get(prop)
            if is_unknown(name):
                out.wait(prop, database.urn)
            else:
                out.fail(
                    f"{prop} must name a parameter group that turns on connection and statement logging", database.urn
                )
            continue
        for group in groups:
            parameters = _parameters(group)
            if parameters is UNKNOWN:
                out.wait("parameter group parameters", database.urn)
                continue
            for problem in _logging_problems(parameters):
                out.fail(f"the database's parameter group: {problem}", database.urn)


@resource_rule(
    types=(t.SECRET,),
    name="secretsmanager-recovery-window",
    severity=Severity.MEDIUM,
    framework=dora("Art. 12", "Backup policies and procedures"),
    tags=("PCI DSS 4.0.1 3.6.1",),
    remediation="Keep AppSecret's recovery_window_days (default 30, 7-30 allowed); never 0 (force delete).",
    url=_FACTS["secret_recovery_window"]["source"]["url"],
)
def secretsmanager_recovery_window(r: Resource, out: Findings) -> None:
    """Secrets Manager secrets keep a recovery window of 7 to 30 days.

    A window of 0 deletes the secret at once, with no way back; the credentials of a database are then lost with
    it. ``recoveryWindowInDays`` unset means 30 days (AWS default) and passes. Unknown values are pending.
    """
    low, high = int(_RECOVERY["minimum"]), int(_RECOVERY["maximum"])
    window = r.get("recoveryWindowInDays")
    if is_unknown(window):
        out.wait("recoveryWindowInDays")
    elif window is not None and (
        isinstance(window, bool) or not isinstance(window, (int, float)) or not low <= window <= high
    ):
        out.fail(f"recoveryWindowInDays must be between {low} and {high} days (0 deletes without recovery)")


@stack_rule(
    name="s3-bucket-acls-disabled",
    severity=Severity.MEDIUM,
    framework=pci("7.2.1", "An access control model is defined"),
    tags=("PCI DSS 4.0.1 1.4.4", "checkov:CKV2_AWS_65"),
    remediation="Create buckets with SecureBucket, which sets BucketOwnershipControls to BucketOwnerEnforced; grant "
    "access with bucket policies, never ACLs.",
)
def s3_bucket_acls_disabled(stack: Stack, out: Findings) -> None:
    """Every bucket disables ACLs (object ownership BucketOwnerEnforced) and sets none.

    With ACLs disabled, the bucket owner owns every object and only policies grant access, so an object uploaded by
    another account cannot carry its own grants. A bucket needs a ``BucketOwnershipControls`` with
    ``objectOwnership`` BucketOwnerEnforced; a bucket ``acl`` input or a ``BucketAcl`` resource on it is a
    violation. Unknown values are pending.
    """
    for bucket in stack.of_type(t.BUCKET):
        controls = companions(stack, bucket, t.BUCKET_OWNERSHIP_CONTROLS)
        owners = [dig(control.props, "rule", "objectOwnership") for control in controls]
        if "BucketOwnerEnforced" not in owners:
            if any(is_unknown(owner) for owner in owners):
                out.wait("objectOwnership", bucket.urn)
            else:
                out.fail(
                    "the bucket needs BucketOwnershipControls with objectOwnership BucketOwnerEnforced", bucket.urn
                )
        acl = bucket.get("acl")
        if is_unknown(acl):
            out.wait("acl", bucket.urn)
        elif acl is not None:
            out.fail("the bucket must not set an acl; grant access with the bucket policy", bucket.urn)
        if stack.referrers(bucket, *t.BUCKET_ACLS, prop="bucket"):
            out.fail("the bucket must not carry a BucketAcl; ACLs are disabled", bucket.urn)
