"""Cache guardrails (ElastiCache Redis/Valkey replication groups)."""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import at_least, equals, one_of, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list, is_unknown
from fintech_guardrails.registry import dora, pci, resource_rule
from fintech_guardrails.rules.secrets import customer_managed_key


@resource_rule(
    types=(t.REDIS,),
    name="redis-encryption-at-rest-cmk",
    severity=Severity.CRITICAL,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("cdk-nag:AwsSolutions-AEC3", "checkov:CKV_AWS_29", "checkov:CKV_AWS_191", "GDPR Art. 32"),
    exemptible=False,
    remediation="Use RedisCluster with the cell's cache key (atRestEncryptionEnabled=True, kmsKeyId).",
)
def redis_at_rest(r: Resource, out: Findings) -> None:
    """Replication groups encrypt data at rest with a customer-managed KMS key.

    ``atRestEncryptionEnabled`` unset means off for Redis OSS (AWS default); ``kmsKeyId`` unset means an
    AWS-owned key; both are violations. A key ARN unknown during preview is pending.
    """
    require(r, out, "atRestEncryptionEnabled", equals(True))
    require(r, out, "kmsKeyId", customer_managed_key)


@resource_rule(
    types=(t.REDIS,),
    name="redis-encryption-in-transit",
    severity=Severity.CRITICAL,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=("cdk-nag:AwsSolutions-AEC3", "checkov:CKV_AWS_30"),
    exemptible=False,
    remediation="Set transitEncryptionEnabled=True and leave transitEncryptionMode unset or `required`.",
)
def redis_in_transit(r: Resource, out: Findings) -> None:
    """Replication groups require TLS for every connection.

    ``transitEncryptionEnabled`` unset means off (AWS default). ``transitEncryptionMode`` unset means `required`
    when encryption is enabled at creation; `preferred` (accepts plaintext) is a violation. Unknowns are pending.
    """
    require(r, out, "transitEncryptionEnabled", equals(True))
    require(r, out, "transitEncryptionMode", one_of(None, "required"))


@resource_rule(
    types=(t.REDIS,),
    name="redis-auth",
    severity=Severity.HIGH,
    framework=pci("8.3.1", "All user access to system components is authenticated"),
    tags=("cdk-nag:AwsSolutions-AEC6", "checkov:CKV_AWS_31"),
    remediation=(
        "Authenticate clients with an AUTH token (authTokenWo from a generated secret) or RBAC user groups "
        "(userGroupIds)."
    ),
)
def redis_auth(r: Resource, out: Findings) -> None:
    """Clients must authenticate (an AUTH token or RBAC user groups).

    Neither ``authTokenWo``/``authToken`` nor ``userGroupIds`` set means no authentication and is a violation;
    an unknown token or group list is pending (its presence is what counts).
    """
    if any(r.props.get(key) not in (None, "") for key in ("authTokenWo", "authToken")):
        return
    groups = as_list(r.get("userGroupIds"))
    if is_unknown(groups):
        out.wait("userGroupIds")
    elif not groups:
        out.fail("clients must authenticate: set authTokenWo or userGroupIds")


@resource_rule(
    types=(t.REDIS,),
    name="redis-multi-az-failover",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Redundant ICT capacity"),
    tags=("cdk-nag:AwsSolutions-AEC4", "checkov:CKV2_AWS_50"),
    remediation="Keep RedisSettings.nodes >= 2 (RedisCluster sets multiAzEnabled and automaticFailoverEnabled).",
)
def redis_multi_az(r: Resource, out: Findings) -> None:
    """Replication groups are Multi-AZ with automatic failover.

    ``multiAzEnabled`` and ``automaticFailoverEnabled`` unset mean off (AWS default). Unknowns are pending.
    """
    require(r, out, "multiAzEnabled", equals(True))
    require(r, out, "automaticFailoverEnabled", equals(True))


@resource_rule(
    types=(t.REDIS,),
    name="redis-snapshots",
    severity=Severity.MEDIUM,
    framework=dora("Art. 12", "Backup policies and procedures"),
    tags=("checkov:CKV_AWS_134",),
    config={
        "minDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "default": 7,
            "description": "Shortest snapshot retention; default 7 days.",
        }
    },
    remediation="Keep RedisSettings.snapshot_retention_days at or above the minimum.",
)
def redis_snapshots(r: Resource, out: Findings) -> None:
    """Daily snapshots are kept for the configured days (default 7).

    ``snapshotRetentionLimit`` unset means 0 (no snapshots, AWS default) and is a violation. Unknowns are pending.
    """
    require(r, out, "snapshotRetentionLimit", at_least(int(r.settings.value("minDays"))))
