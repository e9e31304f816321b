"""The RDS baseline: what every PostgreSQL RDS instance and Aurora cluster here writes the same way.

The RDS-instance mode (:mod:`fintech_infra.database`) and the Aurora mode (:mod:`fintech_infra.aurora`)
both build from these, and neither imports the other, so each compliance value (port, admin user name,
CA, Performance Insights and enhanced monitoring, data-safety options, the logging parameters) is
spelled once.

The argument sets are plain dicts of provider keyword arguments because the same values go to three
resource types (``aws.rds.Instance``, ``aws.rds.Cluster``, ``aws.rds.ClusterInstance``) whose argument
names agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_facts
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.config import DatabaseSettings
from fintech_infra.data_access import data_security_group
from fintech_infra.logs import encrypted_log_group
from fintech_infra.maintenance import Windows, region_defaults
from fintech_infra.recovery import RecoveryPlan
from fintech_infra.wiring import DataNetwork, DrPlacement, KeyRef

if TYPE_CHECKING:
    from fintech_infra.rotation import RotationFunction

__all__ = [
    "CA_CERT_IDENTIFIER",
    "MASTER_USERNAME",
    "POSTGRES_PORT",
    "DatabaseWindows",
    "EngineMode",
    "EngineWiring",
    "backup_safety",
    "cluster_parameter_group",
    "data_network",
    "data_safety",
    "db_parameters",
    "export_log_groups",
    "instance_baseline",
    "monitoring_role",
    "parameter_group",
    "replica_safety",
    "stateful",
]

POSTGRES_PORT = 5432
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
MASTER_USERNAME = "fintech_admin"
MONITORING_POLICY = "policy/service-role/AmazonRDSEnhancedMonitoringRole"
PARAMETERS_PURPOSE = "TLS only, connection and statement logging"

# What no database copy here ever goes without: IAM authentication, tags carried onto snapshots, and
# deletion protection.
_ALWAYS: dict[str, Any] = {
    "iam_database_authentication_enabled": True,
    "copy_tags_to_snapshot": True,
    "deletion_protection": True,
}


@dataclass(frozen=True)
class DatabaseWindows:
    """A database's backup and maintenance windows (UTC), as AWS takes them."""

    backup: pulumi.Input[str]
    maintenance: pulumi.Input[str]

    @classmethod
    def of(cls, windows: Windows | None, *, parent: pulumi.Resource) -> DatabaseWindows:
        """``windows``' database pair; without, the defaults of the region ``parent``'s provider deploys to."""
        if windows is not None:
            return cls(windows.backup, windows.maintenance)
        found = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region.apply(region_defaults)
        return cls(found.apply(lambda w: w.backup), found.apply(lambda w: w.maintenance))


@dataclass(frozen=True)
class EngineWiring:
    """What a FinancialDatabase hands the engine mode it picked: its settings, plan and shared children."""

    parent: pulumi.Resource
    """The database component; every child of the mode is its child."""
    name: str
    identifier: str
    settings: DatabaseSettings
    plan: RecoveryPlan
    family: str
    """The parameter group family of the engine version (``postgres16``, ``aurora-postgresql16``)."""
    key: KeyRef
    dr: DrPlacement | None
    subnet_group: aws.rds.SubnetGroup
    security_group: aws.ec2.SecurityGroup
    monitoring_role_arn: pulumi.Input[str]
    availability_zones: Sequence[str] | None
    rotation: RotationFunction | None
    log_retention_days: int
    """The jurisdiction's audit-log retention: the exported-log groups keep events at least this long."""
    monitoring_log_groups: Sequence[pulumi.Resource]
    """The regions' ``RDSOSMetrics`` groups: every instance with enhanced monitoring waits for them."""
    windows: DatabaseWindows
    dr_windows: DatabaseWindows | None
    """The DR copies' windows (in the DR region's night); None without a DR region."""


class EngineMode(Protocol):
    """What a FinancialDatabase reads back from its engine mode (RDS instance or Aurora cluster)."""

    writer_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    resource_arn: pulumi.Output[str]
    dr_endpoint: pulumi.Output[str] | None
    dr_resource_arn: pulumi.Output[str] | None
    dr_secret_arn: pulumi.Output[str] | None
    """The master credentials' secret in the DR region (a replica); None where no secret can be there."""
    dr_network: tuple[aws.ec2.SecurityGroup, aws.rds.SubnetGroup] | None
    """The DR region's security group and subnet group (where the DR copy runs or a restore lands)."""

    @property
    def alarm_targets(self) -> Mapping[str, Sequence[pulumi.Input[str]]]:
        """Identifiers the database alarms watch, by role (``writer``, ``replicas``, ``dr_clusters``...)."""
        ...


def stateful(
    opts: pulumi.ResourceOptions,
    *,
    ignore_changes: Sequence[str] | None = None,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> pulumi.ResourceOptions:
    """``opts`` for a resource that holds client data: ``protect=True``, so an edit that would delete or
    replace it fails at ``pulumi up``; create-only inputs go in ``ignore_changes``."""
    extra = pulumi.ResourceOptions(
        protect=True,
        ignore_changes=list(ignore_changes) if ignore_changes is not None else None,
        depends_on=list(depends_on) if depends_on is not None else None,
    )
    return pulumi.ResourceOptions.merge(opts, extra)


def backup_safety(name: str, settings: DatabaseSettings, *, final_snapshot: str = "final") -> dict[str, Any]:
    """The backup and deletion-safety arguments of a database that holds its own backups.

    PITR at the configured retention, automated backups kept after deletion and a final snapshot with a
    deterministic name (``physical(name, final_snapshot)``), on top of the settings every copy carries.
    """
    return {
        **_ALWAYS,
        "backup_retention_period": settings.backup_retention_days,
        "delete_automated_backups": False,
        "skip_final_snapshot": False,
        "final_snapshot_identifier": physical(name, final_snapshot),
    }


def data_safety(name: str, settings: DatabaseSettings) -> dict[str, Any]:
    """The backup and deletion-safety arguments of a writer (RDS instance or Aurora cluster).

    In one place because they are what keeps client data recoverable: :func:`backup_safety`, and no
    surprise major-version upgrade.
    """
    return {**backup_safety(name, settings), "allow_major_version_upgrade": False}


def replica_safety() -> dict[str, Any]:
    """The deletion-safety arguments of a read replica."""
    # RDS takes no final snapshot of a read replica; the source's backups cover its data.
    return {**_ALWAYS, "skip_final_snapshot": True}


def instance_baseline(
    settings: DatabaseSettings, *, key_arn: pulumi.Input[str], monitoring_role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """What every database instance carries (RDS instance, replica, Aurora cluster instance).

    Performance Insights encrypted with the concern's key (in the instance's region), enhanced
    monitoring, automatic minor upgrades, the CA, and no public address.
    """
    return {
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": key_arn,
        "performance_insights_retention_period": settings.performance_insights_retention_days,
        "monitoring_interval": settings.monitoring_interval_seconds,
        "monitoring_role_arn": monitoring_role_arn,
        "auto_minor_version_upgrade": True,
        "ca_cert_identifier": CA_CERT_IDENTIFIER,
        "publicly_accessible": False,
    }


def export_log_groups(
    name: str,
    role: str,
    *,
    kind: Literal["instance", "cluster"],
    identifier: str,
    log_types: Sequence[str],
    key: KeyRef,
    retention_days: int,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
) -> list[aws.cloudwatch.LogGroup]:
    """The log groups an RDS instance (``kind="instance"``) or Aurora cluster exports ``log_types`` to.

    Named as RDS names them (``/aws/rds/<kind>/<identifier>/<type>``, :data:`aws_facts.RDS_LOG_GROUP_NAMES`),
    encrypted with ``key`` (the concern's) and kept ``retention_days`` (rounded up). RDS writes into a group that
    exists; one it creates itself has no key and never expires. The database must depend on these, or RDS may
    create the group first and this creation then fails.
    """
    return [
        encrypted_log_group(
            child(name, f"{role}-logs-{log_type}"),
            key=key,
            retention_days=retention_days,
            parent=parent,
            log_group_name=aws_facts.RDS_LOG_GROUP_NAMES[kind].format(identifier=identifier, log_type=log_type),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        for log_type in log_types
    ]


def monitoring_role(name: str, *, parent: pulumi.Resource) -> aws.iam.Role:
    """The role RDS enhanced monitoring assumes to publish OS metrics (one per database)."""
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    role = aws.iam.Role(
        child(name, "monitoring"),
        description="RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
        # AWS's guide for this role ("Protecting against the confused deputy problem") conditions the trust on
        # aws:SourceAccount: RDS then publishes with it only for this account's databases.
        assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com", source_account=account),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition
    aws.iam.RolePolicyAttachment(
        child(name, "monitoring-policy"),
        role=role.name,
        policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:", MONITORING_POLICY),
        opts=pulumi.ResourceOptions(parent=role),
    )
    return role


def data_network(
    name: str,
    settings: DatabaseSettings,
    network: DataNetwork,
    *,
    parent: pulumi.Resource,
    dr_provider: pulumi.ProviderResource | None = None,
) -> tuple[aws.ec2.SecurityGroup, aws.rds.SubnetGroup]:
    """A database's security group and subnet group; with ``dr_provider``, those of its DR copy."""
    dr = dr_provider is not None
    opts = pulumi.ResourceOptions(parent=parent, provider=dr_provider)
    security_group = data_security_group(
        child(name, "dr-sg" if dr else "sg"),
        network=network,
        port=POSTGRES_PORT,
        what=f"{settings.concern.value} PostgreSQL (DR)" if dr else f"{settings.concern.value} PostgreSQL",
        parent=parent,
        opts=opts if dr else None,
    )
    subnets = aws.rds.SubnetGroup(
        child(name, "dr-subnets" if dr else "subnets"),
        name=physical(name, "dr") if dr else physical(name),
        subnet_ids=list(network.subnet_ids),
        description=f"{settings.concern.value} database{' DR' if dr else ''}: isolated data subnets",
        opts=opts,
    )
    return security_group, subnets


def db_parameters(settings: DatabaseSettings) -> list[dict[str, str]]:
    """TLS-only connections, connection logging and statement logging (``all`` for the audit concern)."""
    statement = settings.log_statement or ("all" if settings.concern == "audit" else "ddl")
    return [
        # Static before PostgreSQL 15: applied at the next reboot, which a new instance gets on creation.
        {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
        {"name": "log_connections", "value": "1", "apply_method": "immediate"},
        {"name": "log_disconnections", "value": "1", "apply_method": "immediate"},
        {"name": "log_statement", "value": statement, "apply_method": "immediate"},
        {"name": "log_min_duration_statement", "value": str(settings.log_min_duration_ms), "apply_method": "immediate"},
    ]


def _parameter_group_args(name: str, family: str, role: str, label: str) -> tuple[str, dict[str, Any]]:
    # Named by family so a major upgrade creates the new group before the old one is deleted. The
    # description forces a new group when it changes, so existing labels stay as they are.
    return child(name, f"{role}-{family}"), {
        "name": physical(name, role, family),
        "family": family,
        "description": f"{label}: {PARAMETERS_PURPOSE}",
    }


def parameter_group(
    name: str,
    settings: DatabaseSettings,
    *,
    family: str,
    role: str,
    opts: pulumi.ResourceOptions,
    label: str | None = None,
) -> aws.rds.ParameterGroup:
    """An RDS instance parameter group carrying :func:`db_parameters`; ``label`` opens its description."""
    resource_name, args = _parameter_group_args(name, family, role, label or settings.concern.value)
    return aws.rds.ParameterGroup(
        resource_name,
        **args,
        parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in db_parameters(settings)],
        opts=opts,
    )


def cluster_parameter_group(
    name: str, settings: DatabaseSettings, *, family: str, role: str, opts: pulumi.ResourceOptions
) -> aws.rds.ClusterParameterGroup:
    """An Aurora cluster parameter group carrying :func:`db_parameters`."""
    resource_name, args = _parameter_group_args(name, family, role, settings.concern.value)
    return aws.rds.ClusterParameterGroup(
        resource_name,
        **args,
        parameters=[aws.rds.ClusterParameterGroupParameterArgs(**p) for p in db_parameters(settings)],
        opts=opts,
    )
