"""The RDS-instance mode of :class:`~fintech_infra.database.FinancialDatabase`.

A Multi-AZ RDS for PostgreSQL instance with ``read_replicas`` in-region read replicas; the master password
is managed by RDS in Secrets Manager (``manage_master_user_password`` with the concern's key). With a DR
region, the automated backups are replicated there under the DR key, and when the recovery plan calls
for a cross-region replica, a replica runs in the DR region's isolated subnets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.rds_baseline import (
    MASTER_USERNAME,
    POSTGRES_PORT,
    EngineWiring,
    data_network,
    data_safety,
    export_log_groups,
    instance_baseline,
    parameter_group,
    replica_safety,
    stateful,
)
from fintech_infra.recovery import Mechanism
from fintech_infra.wiring import DrPlacement, KeyRef

__all__ = ["LOG_EXPORTS", "RdsInstance"]

LOG_EXPORTS = ["postgresql", "upgrade"]


class RdsInstance:
    """Builds the RDS-instance children of a FinancialDatabase (not a component: its parent is the database)."""

    def __init__(self, wiring: EngineWiring) -> None:
        self._wiring = wiring
        self._opts = pulumi.ResourceOptions(parent=wiring.parent)
        self.parameter_group = parameter_group(
            wiring.name, wiring.settings, family=wiring.family, role="params", opts=self._opts
        )
        self.instance = self._instance()
        self.replicas = self._read_replicas()
        self.dr_replica: aws.rds.Instance | None = None

        self.writer_endpoint: pulumi.Output[str] = self.instance.address
        self.reader_endpoint: pulumi.Output[str] = self.replicas[0].address if self.replicas else self.instance.address
        self.master_secret_arn: pulumi.Output[str] = self.instance.master_user_secrets.apply(
            lambda s: (s[0].secret_arn or "") if s else ""
        )
        self.resource_arn: pulumi.Output[str] = self.instance.arn
        self.dr_endpoint: pulumi.Output[str] | None = None
        self.dr_resource_arn: pulumi.Output[str] | None = None
        # RDS manages this secret and only RDS may change it: Secrets Manager refuses to replicate a secret
        # another service manages (ReplicateSecretToRegions, InvalidRequestException). The DR region gets
        # credentials when the instance is restored or promoted there (docs/deployment.md, DR runbook).
        self.dr_secret_arn: pulumi.Output[str] | None = None
        self.dr_network: tuple[aws.ec2.SecurityGroup, aws.rds.SubnetGroup] | None = None
        if wiring.dr is not None:
            self._dr(wiring.dr)

    @property
    def alarm_targets(self) -> Mapping[str, Sequence[pulumi.Input[str]]]:
        """Identifiers the database alarms watch."""
        return {
            "writer": [self.instance.identifier],
            "replicas": [replica.identifier for replica in self.replicas],
            "dr_replicas": [self.dr_replica.identifier] if self.dr_replica is not None else [],
        }

    def _log_groups(
        self, role: str, identifier: str, key: KeyRef, provider: pulumi.ProviderResource | None = None
    ) -> list[pulumi.Resource]:
        """The instance's exported-log groups, then the regions' enhanced-monitoring groups: what it waits for."""
        wiring = self._wiring
        groups = export_log_groups(
            wiring.name,
            role,
            kind="instance",
            identifier=identifier,
            log_types=LOG_EXPORTS,
            key=key,
            retention_days=wiring.log_retention_days,
            parent=wiring.parent,
            provider=provider,
        )
        return [*groups, *wiring.monitoring_log_groups]

    def _instance(self) -> aws.rds.Instance:
        wiring, settings, name = self._wiring, self._wiring.settings, self._wiring.name
        return aws.rds.Instance(
            child(name, "db"),
            identifier=wiring.identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=wiring.key.arn,
            multi_az=settings.multi_az,
            db_subnet_group_name=wiring.subnet_group.name,
            vpc_security_group_ids=[wiring.security_group.id],
            parameter_group_name=self.parameter_group.name,
            port=POSTGRES_PORT,
            db_name=settings.concern.value,
            username=MASTER_USERNAME,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=wiring.key.arn,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            backup_window=wiring.windows.backup,
            maintenance_window=wiring.windows.maintenance,
            **data_safety(name, settings),
            **instance_baseline(settings, key_arn=wiring.key.arn, monitoring_role_arn=wiring.monitoring_role_arn),
            opts=stateful(
                self._opts,
                ignore_changes=["snapshotIdentifier"],
                depends_on=self._log_groups("db", wiring.identifier, wiring.key),
            ),
        )

    def _read_replicas(self) -> list[aws.rds.Instance]:
        wiring, settings, name = self._wiring, self._wiring.settings, self._wiring.name
        replicas = []
        for number in range(1, settings.read_replicas + 1):
            identifier = physical(name, f"replica-{number}")
            groups = self._log_groups(f"replica-{number}", identifier, wiring.key)
            replicas.append(self._read_replica(number, identifier, groups))
        return replicas

    def _read_replica(self, number: int, identifier: str, groups: Sequence[pulumi.Resource]) -> aws.rds.Instance:
        wiring, settings, name = self._wiring, self._wiring.settings, self._wiring.name
        return aws.rds.Instance(
            child(name, f"replica-{number}"),
            identifier=identifier,
            replicate_source_db=self.instance.identifier,
            instance_class=settings.instance_class,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=wiring.key.arn,
            vpc_security_group_ids=[wiring.security_group.id],
            parameter_group_name=self.parameter_group.name,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            # A replica keeps no backups of its own; it is patched in the same window as its source.
            maintenance_window=wiring.windows.maintenance,
            **replica_safety(),
            **instance_baseline(settings, key_arn=wiring.key.arn, monitoring_role_arn=wiring.monitoring_role_arn),
            opts=stateful(self._opts, ignore_changes=["replicateSourceDb"], depends_on=groups),
        )

    def _dr(self, dr: DrPlacement) -> None:
        wiring, settings, name = self._wiring, self._wiring.settings, self._wiring.name
        dr_opts = pulumi.ResourceOptions(parent=wiring.parent, provider=dr.provider)
        aws.rds.InstanceAutomatedBackupsReplication(
            child(name, "dr-backups"),
            source_db_instance_arn=self.instance.arn,
            kms_key_id=dr.key.arn,
            retention_period=settings.backup_retention_days,
            opts=stateful(dr_opts),
        )
        if dr.network is None:
            return
        # Made with or without a replica: the DR runbook's restore lands in these (fintech_infra.runbook).
        dr_sg, dr_subnets = data_network(name, settings, dr.network, parent=wiring.parent, dr_provider=dr.provider)
        self.dr_network = (dr_sg, dr_subnets)
        if Mechanism.CROSS_REGION_REPLICA not in wiring.plan.dr_mechanisms:
            return
        dr_params = parameter_group(
            name, settings, family=wiring.family, role="dr-params", opts=dr_opts, label=f"{settings.concern.value} DR"
        )
        assert wiring.dr_windows is not None  # FinancialDatabase sets them whenever there is a DR placement
        dr_windows = wiring.dr_windows
        dr_identifier = physical(name, "dr")
        dr_groups = self._log_groups("dr-replica", dr_identifier, dr.key, dr.provider)
        self.dr_replica = aws.rds.Instance(
            child(name, "dr-replica"),
            identifier=dr_identifier,
            # Cross-region replicas need the source ARN and a key in their own region.
            replicate_source_db=self.instance.arn,
            instance_class=settings.instance_class,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=dr.key.arn,
            # Explicit (a replica inherits it): the data-path guardrail reads the port the store listens on.
            port=POSTGRES_PORT,
            multi_az=settings.multi_az,
            db_subnet_group_name=dr_subnets.name,
            vpc_security_group_ids=[dr_sg.id],
            parameter_group_name=dr_params.name,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            backup_retention_period=settings.backup_retention_days,
            backup_window=dr_windows.backup,
            maintenance_window=dr_windows.maintenance,
            **replica_safety(),
            **instance_baseline(settings, key_arn=dr.key.arn, monitoring_role_arn=wiring.monitoring_role_arn),
            opts=stateful(dr_opts, ignore_changes=["replicateSourceDb"], depends_on=dr_groups),
        )
        self.dr_endpoint = self.dr_replica.address
        self.dr_resource_arn = self.dr_replica.arn
