"""Database guardrails (RDS PostgreSQL instances and Aurora clusters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import at_least, between, equals, includes, is_set, not_equal, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import present
from fintech_guardrails.registry import dora, pci, resource_rule
from fintech_guardrails.rules.secrets import customer_managed_key

DATABASES = (t.RDS_INSTANCE, t.RDS_CLUSTER)
DB_AND_MEMBERS = (t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_CLUSTER_INSTANCE)


def replica_props(resource_type: str, props: Mapping[str, Any]) -> bool:
    """A read replica or a global-database secondary: it inherits backups and credentials from its source."""
    return (
        present(props.get("replicateSourceDb"))
        or present(props.get("replicationSourceIdentifier"))
        or (
            resource_type == t.RDS_CLUSTER
            and present(props.get("globalClusterIdentifier"))
            and not present(props.get("masterUsername"))
        )
    )


def is_replica(r: Resource) -> bool:
    return replica_props(r.type, r.props)


@resource_rule(
    types=DATABASES,
    name="rds-storage-encrypted-cmk",
    severity=Severity.CRITICAL,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=(
        "PCI DSS 4.0.1 3.6.1",
        "awsguard:rds-storage-encrypted",
        "cdk-nag:AwsSolutions-RDS2",
        "checkov:CKV_AWS_16",
        "checkov:CKV_AWS_327",
        "GDPR Art. 32",
        "checkov:CKV_AWS_96",
        "cdk-nag:PCI.DSS.321-RDSStorageEncrypted",
    ),
    exemptible=False,
    remediation="Leave FinancialDatabase's key to the concern's KeyRing key; storageEncrypted=True with that kmsKeyId.",
)
def rds_storage_encrypted_cmk(r: Resource, out: Findings) -> None:
    """RDS instances and Aurora clusters encrypt storage with a customer-managed KMS key.

    ``storageEncrypted`` unset means unencrypted (AWS default) except on replicas, which inherit it.
    ``kmsKeyId`` unset means the AWS-managed ``aws/rds`` key, which is not accepted. A key ARN unknown during
    preview (a key created in the same update) is pending; a known empty or AWS-managed key is a violation.
    """
    if not is_replica(r):
        require(r, out, "storageEncrypted", equals(True))
    require(r, out, "kmsKeyId", customer_managed_key)


@resource_rule(
    types=(t.RDS_INSTANCE,),
    name="rds-multi-az",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and recovery methods; redundant ICT capacity"),
    tags=("awsguard:rds-instance-multi-az-enabled", "cdk-nag:AwsSolutions-RDS3", "checkov:CKV_AWS_157"),
    remediation="Keep DatabaseSettings.multi_az=True (dev may relax it; the dev config makes this advisory).",
)
def rds_multi_az(r: Resource, out: Findings) -> None:
    """RDS instances run Multi-AZ with a synchronous standby.

    ``multiAz`` unset means single-AZ (AWS default) and is a violation. Read replicas are skipped (their
    source is Multi-AZ; Aurora spreads cluster instances across AZs instead). Unknown values are pending.
    """
    if is_replica(r):
        return
    require(r, out, "multiAz", equals(True))


@resource_rule(
    types=DB_AND_MEMBERS,
    name="rds-not-public",
    severity=Severity.CRITICAL,
    framework=pci(
        "1.4.4", "System components that store cardholder data are not directly accessible from untrusted networks"
    ),
    tags=(
        "PCI DSS 4.0.1 1.4.1",
        "awsguard:rds-instance-public-access",
        "checkov:CKV_AWS_17",
        "cdk-nag:PCI.DSS.321-RDSInstancePublicAccess",
    ),
    exemptible=False,
    remediation="Never set publiclyAccessible; reach databases through the VPC only.",
)
def rds_not_public(r: Resource, out: Findings) -> None:
    """Databases are never publicly accessible.

    ``publiclyAccessible`` unset means false (AWS default) and passes. Unknown values are pending.
    """
    require(r, out, "publiclyAccessible", not_equal(True))


@resource_rule(
    types=DATABASES,
    name="rds-backup-retention",
    severity=Severity.HIGH,
    framework=pci("10.5.1", "Retain audit log history for at least 12 months"),
    tags=("DORA Art. 12", "awsguard:rds-instance-backup-enabled", "cdk-nag:AwsSolutions-RDS13", "checkov:CKV_AWS_133"),
    config={
        "minDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "default": 35,
            "description": "Shortest automated backup retention; default 35 (the RDS maximum).",
        }
    },
    remediation=(
        "Keep DatabaseSettings.backup_retention_days at 35; longer retention comes from the cell's AWS Backup plan."
    ),
)
def rds_backup_retention(r: Resource, out: Findings) -> None:
    """Automated backups are kept for the configured days (default 35, the RDS maximum).

    ``backupRetentionPeriod`` unset means 1 day (AWS default for instances and clusters) and is a violation.
    Read replicas are skipped. Unknown values are pending.
    """
    if is_replica(r):
        return
    require(r, out, "backupRetentionPeriod", at_least(int(r.settings.value("minDays")), "days"))


@resource_rule(
    types=DATABASES,
    name="rds-deletion-protection",
    severity=Severity.HIGH,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("cdk-nag:AwsSolutions-RDS10", "checkov:CKV_AWS_293", "checkov:CKV_AWS_139"),
    remediation="Keep FinancialDatabase's deletionProtection=True.",
)
def rds_deletion_protection(r: Resource, out: Findings) -> None:
    """Databases have deletion protection on.

    ``deletionProtection`` unset means off (AWS default) and is a violation. Unknown values are pending.
    """
    require(r, out, "deletionProtection", equals(True))


@resource_rule(
    types=DATABASES,
    name="rds-final-snapshot",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and restoration methods"),
    tags=("PCI DSS 4.0.1 12.10.1",),
    remediation=(
        "Keep skipFinalSnapshot unset/false and a deterministic finalSnapshotIdentifier (FinancialDatabase sets both)."
    ),
)
def rds_final_snapshot(r: Resource, out: Findings) -> None:
    """Deleting a database leaves a named final snapshot.

    ``skipFinalSnapshot`` unset means false (provider default); ``finalSnapshotIdentifier`` must be set. Read
    replicas are skipped. Unknown values are pending.
    """
    if is_replica(r):
        return
    require(r, out, "skipFinalSnapshot", not_equal(True))
    require(r, out, "finalSnapshotIdentifier", is_set)


@resource_rule(
    types=DATABASES,
    name="rds-iam-authentication",
    severity=Severity.MEDIUM,
    framework=pci("8.2.1", "All users are assigned a unique ID"),
    tags=("PCI DSS 4.0.1 8.3.1", "cdk-nag:AwsSolutions-RDS6", "checkov:CKV_AWS_161", "checkov:CKV_AWS_162"),
    remediation="Keep iamDatabaseAuthenticationEnabled=True so people and services authenticate as themselves.",
)
def rds_iam_auth(r: Resource, out: Findings) -> None:
    """IAM database authentication is enabled.

    ``iamDatabaseAuthenticationEnabled`` unset means off (AWS default). Read replicas are skipped. Unknown values
    are pending.
    """
    if is_replica(r):
        return
    require(r, out, "iamDatabaseAuthenticationEnabled", equals(True))


@resource_rule(
    types=DATABASES,
    name="rds-log-exports",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("cdk-nag:PCI.DSS.321-RDSLoggingEnabled", "checkov:CKV_AWS_129", "checkov:CKV_AWS_324"),
    config={
        "instanceLogs": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["postgresql", "upgrade"],
            "description": "Exports required on instances; default postgresql, upgrade.",
        },
        "clusterLogs": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["postgresql"],
            "description": "Exports required on Aurora clusters; default postgresql.",
        },
    },
    remediation="Export the PostgreSQL logs to CloudWatch Logs (enabledCloudwatchLogsExports).",
)
def rds_log_exports(r: Resource, out: Findings) -> None:
    """PostgreSQL logs are exported to CloudWatch Logs.

    ``enabledCloudwatchLogsExports`` unset means none (AWS default). Instances need the configured logs (default
    postgresql and upgrade), clusters theirs (default postgresql). Unknown values are pending.
    """
    needed = sorted(set(r.settings.value("clusterLogs" if r.type == t.RDS_CLUSTER else "instanceLogs")))
    require(r, out, "enabledCloudwatchLogsExports", includes(*needed))


@resource_rule(
    types=(t.RDS_INSTANCE, t.RDS_CLUSTER_INSTANCE),
    name="rds-performance-insights-cmk",
    severity=Severity.LOW,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("checkov:CKV_AWS_353", "checkov:CKV_AWS_354"),
    remediation="Enable Performance Insights with the concern's key (performanceInsightsKmsKeyId).",
)
def rds_performance_insights(r: Resource, out: Findings) -> None:
    """Performance Insights is on and encrypted with a customer-managed key.

    ``performanceInsightsEnabled`` unset means off; ``performanceInsightsKmsKeyId`` unset means the AWS-managed
    key. A key ARN unknown during preview is pending.
    """
    require(r, out, "performanceInsightsEnabled", equals(True))
    require(r, out, "performanceInsightsKmsKeyId", customer_managed_key)


@resource_rule(
    types=(t.RDS_INSTANCE, t.RDS_CLUSTER_INSTANCE),
    name="rds-enhanced-monitoring",
    severity=Severity.LOW,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("checkov:CKV_AWS_118",),
    config={
        "maxIntervalSeconds": {
            "type": "integer",
            "enum": [1, 5, 10, 15, 30, 60],
            "default": 60,
            "description": "Longest monitoring interval; default 60 s.",
        }
    },
    remediation="Set monitoringInterval (<= the maximum) with a monitoringRoleArn.",
)
def rds_enhanced_monitoring(r: Resource, out: Findings) -> None:
    """Enhanced monitoring is on with a role.

    ``monitoringInterval`` unset means 0 (off, AWS default). Unknown values are pending.
    """
    require(r, out, "monitoringInterval", between(1, int(r.settings.value("maxIntervalSeconds")), "seconds"))
    require(r, out, "monitoringRoleArn", is_set)


@resource_rule(
    types=DB_AND_MEMBERS,
    name="rds-auto-minor-version-upgrade",
    severity=Severity.LOW,
    framework=pci("6.3.3", "Security patches are installed within one month of release"),
    tags=("cdk-nag:PCI.DSS.321-RDSAutomaticMinorVersionUpgradeEnabled", "checkov:CKV_AWS_226"),
    remediation="Leave autoMinorVersionUpgrade unset (true).",
)
def rds_auto_minor_upgrade(r: Resource, out: Findings) -> None:
    """Minor engine versions are applied automatically in the maintenance window.

    ``autoMinorVersionUpgrade`` unset means true (AWS default) and passes. Unknown values are pending.
    """
    require(r, out, "autoMinorVersionUpgrade", not_equal(False))


def _protected(r: Resource) -> Any:
    return r.protect


@resource_rule(
    types=(*DATABASES, t.BACKUP_VAULT),
    name="stateful-resource-protected",
    severity=Severity.HIGH,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("PCI DSS 4.0.1 10.3.4",),
    remediation="Register databases and backup vaults with ResourceOptions(protect=True) (FintechComponents do).",
)
def stateful_protected(r: Resource, out: Findings) -> None:
    """Databases and backup vaults carry Pulumi's ``protect`` option, so no update can delete them.

    Resource options are known at preview, so nothing is pending.
    """
    if not _protected(r):
        out.fail("the resource must be registered with protect=True")
