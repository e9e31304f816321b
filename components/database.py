"""FinancialDatabase: one encrypted, Multi-AZ PostgreSQL for exactly one data concern.

Engine modes (``DatabaseSettings.engine``, one builder each in :data:`ENGINE_MODES`): ``rds-instance``, a
Multi-AZ RDS for PostgreSQL instance with optional in-region read replicas (:mod:`fintech_infra.rds_instance`);
``aurora``, an Aurora PostgreSQL cluster with instances spread across AZs (:mod:`fintech_infra.aurora`).
Both build from :mod:`fintech_infra.rds_baseline` and neither knows the other or this module. The DR
mechanism is chosen by :func:`fintech_infra.recovery.plan_recovery` from the concern's objectives;
objectives no configured mechanism meets are a ConfigError, never a silent downgrade.

Credentials: the instance and a plain Aurora cluster use ``manage_master_user_password`` (RDS keeps the
password in Secrets Manager, encrypted with the concern's key). An Aurora Global Database cannot, so
:mod:`fintech_infra.aurora` generates the password itself; see its docstring.

Settings a user must never edit after the first ``pulumi up`` (each one replaces the database, or orphans
its backups):

- the component's name and the cell name: they derive the identifier (``physical(name)``), the final
  snapshot name and every child's logical name;
- ``engine`` (rds-instance <-> aurora is a migration, not an update) and the major version of
  ``engine_version`` outside a planned upgrade (the default is a major, ``"16"``, so automatic minor
  upgrades proceed without drift; :mod:`fintech_infra.versions` says what else is refused and why);
- the concern's KMS key (``kms_key_id`` forces a new database) and the subnet group's subnets/VPC;
- the DR region (the replica, secondary cluster or replicated backups live there).

``protect=True`` is set on every stateful resource, so even an accidental edit fails at ``pulumi up``
instead of deleting data; create-only inputs (``snapshot_identifier``, ``replicate_source_db``,
``global_cluster_identifier``) are in ``ignore_changes``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import pulumi

from fintech_infra import aws_limits, versions
from fintech_infra._component import FintechComponent
from fintech_infra._naming import physical
from fintech_infra._tags import stack_convention
from fintech_infra.alarms import database_alarms
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.aurora import AuroraCluster
from fintech_infra.aws_facts import RDS_ENHANCED_MONITORING_LOG_GROUP
from fintech_infra.config import AlarmSettings, DatabaseSettings, default_dr_read_replica, default_objectives
from fintech_infra.data_access import check_client_labels
from fintech_infra.errors import ConfigError, ResidencyError, allowed
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.maintenance import Windows, region_defaults
from fintech_infra.rds_baseline import (
    POSTGRES_PORT,
    DatabaseWindows,
    EngineMode,
    EngineWiring,
    data_network,
    monitoring_role,
)
from fintech_infra.rds_instance import RdsInstance
from fintech_infra.recovery import Mechanism, RecoveryPlan, lag_alarm_seconds, plan_recovery
from fintech_infra.wiring import ROTATION_CLIENT, DataNetwork, DrPlacement, KeyRef

if TYPE_CHECKING:
    from fintech_infra.rotation import RotationFunction

__all__ = ["ENGINE_MODES", "FinancialDatabase"]

ENGINE_MODES: dict[str, Callable[[EngineWiring], EngineMode]] = {"rds-instance": RdsInstance, "aurora": AuroraCluster}
"""The builder of each ``DatabaseSettings.engine``; the database picks one and reads the same outputs back."""


class FinancialDatabase(FintechComponent):
    """PostgreSQL (RDS instance or Aurora) for one data concern, with its own key and security group."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "writer_endpoint": "Hostname of the writer (instance address or cluster endpoint).",
        "reader_endpoint": "Hostname for reads: Aurora reader endpoint, else the first read replica, else the writer.",
        "port": "PostgreSQL port (5432).",
        "master_secret_arn": "Secrets Manager secret holding the master credentials (never the value).",
        "dr_secret_arn": (
            "The master credentials' secret in the DR region (the replica of an Aurora global cluster's secret); "
            "None for an RDS-managed password, which Secrets Manager cannot replicate."
        ),
        "security_group_id": "The database's security group (admits only the application tier).",
        "resource_arn": "The instance or cluster ARN, for the cell's AWS Backup selection.",
        "recovery_mechanism": "The mechanism judged against the objectives (e.g. aurora-global-database).",
        "expected_rpo_seconds": "Planning RPO of that mechanism.",
        "expected_rto_seconds": "Planning RTO of that mechanism.",
        "recovery_evidence": "The AWS-documented figure and source the expectation relies on.",
        "dr_mechanisms": "Mechanisms running in the DR region (empty without DR).",
        "dr_endpoint": "Endpoint in the DR region (replica or secondary cluster); None without one.",
        "dr_resource_arn": "ARN of the DR replica or secondary cluster, for the DR backup plan; None without one.",
    }

    def __init__(
        self,
        name: str,
        settings: DatabaseSettings,
        *,
        cell: str,
        jurisdiction: Jurisdiction,
        network: DataNetwork,
        key: KeyRef,
        alert_route: AlertRoute,
        dr: DrPlacement | None = None,
        dr_alert_route: AlertRoute | None = None,
        alarms: AlarmSettings = AlarmSettings(),  # noqa: B008 - frozen model, safe as a default
        availability_zones: Sequence[str] | None = None,
        rotation: RotationFunction | None = None,
        monitoring_log_groups: Sequence[pulumi.Resource] = (),
        windows: Windows | None = None,
        dr_windows: Windows | None = None,
        config_path: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``monitoring_log_groups``: the ``RDSOSMetrics`` groups of the database's regions, pre-created by the
        caller (one per account and region, :class:`~fintech_infra.cell_region.CellRegion`); every instance waits
        for them. The groups its logs are exported to are created here, with ``key`` and the jurisdiction's
        audit-log retention. ``windows`` and ``dr_windows`` (:mod:`fintech_infra.maintenance`) set the backup and
        maintenance windows of the primary and of the DR copies; without them, each region's night defaults."""
        # Standalone (no config path): messages name the arguments, ``settings.*`` and ``dr``.
        path = config_path or "settings"
        dr_path = f"cells.{cell}.dr_region" if config_path else "dr"
        settings, defaulted = self._default_objectives(settings, has_dr=dr is not None)
        try:
            plan = self._validate(settings, jurisdiction=jurisdiction, dr=dr, path=path, dr_path=dr_path, alarms=alarms)
        except ConfigError as error:
            if defaulted is None or isinstance(error, ResidencyError):
                raise
            raise ConfigError(f"{error} ({path}.objectives not given: {defaulted})") from None
        if rotation is not None and not self.generates_password(settings, dr):
            raise ConfigError(
                f"{path}.engine: {settings.engine!r} without an Aurora global database has an RDS-managed "
                "master password, which RDS rotates itself; allowed: rotation only for engine 'aurora' with a DR region"
            )
        if rotation is not None and rotation.template != "postgresql-single-user":
            raise ConfigError(
                f"{path}: rotation template {rotation.template!r} cannot rotate a PostgreSQL master user; "
                "allowed: 'postgresql-single-user'"
            )
        check_client_labels(path, network, dr.network if dr is not None else None)
        if rotation is not None and ROTATION_CLIENT in network.client_security_group_ids:
            raise ConfigError(
                f"{path}: a client labelled {ROTATION_CLIENT!r} clashes with the rotation function's admission; "
                f"allowed: any other client label (rename the service)"
            )
        if rotation is not None and rotation.security_group_id is not None:
            # The rotation function logs in to the writer: admit it like an application client.
            clients = {**network.client_security_group_ids, ROTATION_CLIENT: rotation.security_group_id}
            network = dataclasses.replace(network, client_security_group_ids=clients)
        if alert_route is None:
            raise ConfigError(
                f"FinancialDatabase {name!r}: alert_route: None would leave its alarms notifying no one "
                "(the policy pack's cloudwatch-alarm-actions); allowed: the region's AlertTopics(...).route"
            )
        if dr_alert_route is None and dr is not None and _runs_dr_instances(plan):
            raise ConfigError(
                f"FinancialDatabase {name!r}: dr_alert_route: None would leave the alarms on its DR copy "
                f"({plan.dr_mechanisms[-1].value}) notifying no one; allowed: the AlertTopics(...).route of {dr.region}"
            )
        if not monitoring_log_groups:
            raise ConfigError(
                f"FinancialDatabase {name!r}: monitoring_log_groups: () would leave "
                f"{RDS_ENHANCED_MONITORING_LOG_GROUP} to RDS, which creates it without a key and without expiry "
                "(the policy pack's rds-log-groups-precreated); allowed: the group of each region the database "
                "runs in, created first: "
                f"encrypted_log_group(..., log_group_name={RDS_ENHANCED_MONITORING_LOG_GROUP!r})"
            )
        super().__init__(
            "fintech:database:FinancialDatabase",
            name,
            opts,
            scope={"DataConcern": settings.concern.value},
            jurisdiction=jurisdiction.code,
        )
        assert settings.objectives is not None  # plan_recovery refuses None
        self.settings = settings
        self.plan = plan
        self.identifier = physical(name)
        family = aws_limits.parameter_group_family(
            settings.engine, settings.engine_version, path=f"{path}.engine_version"
        )

        self.security_group, self.subnet_group = data_network(name, settings, network, parent=self)
        self.monitoring_role = monitoring_role(name, parent=self)

        self.engine: EngineMode = ENGINE_MODES[settings.engine](
            EngineWiring(
                parent=self,
                name=name,
                identifier=self.identifier,
                settings=settings,
                plan=plan,
                family=family,
                key=key,
                dr=dr,
                subnet_group=self.subnet_group,
                security_group=self.security_group,
                monitoring_role_arn=self.monitoring_role.arn,
                availability_zones=availability_zones,
                rotation=rotation,
                log_retention_days=jurisdiction.min_audit_log_retention_days,
                monitoring_log_groups=monitoring_log_groups,
                windows=DatabaseWindows.of(windows, parent=self),
                dr_windows=None
                if dr is None
                else DatabaseWindows.of(dr_windows or region_defaults(dr.region), parent=self),
            )
        )

        self.alarms = database_alarms(
            self,
            name,
            settings=settings,
            thresholds=alarms,
            lag_threshold_seconds=lag_alarm_seconds(settings.objectives, alarms.replica_lag_seconds) or 1,
            targets=self.engine.alarm_targets,
            route=alert_route,
            dr_route=dr_alert_route,
            dr_provider=dr.provider if dr is not None else None,
        )

        self.writer_endpoint = pulumi.Output.from_input(self.engine.writer_endpoint)
        self.reader_endpoint = pulumi.Output.from_input(self.engine.reader_endpoint)
        self.master_secret_arn = self.engine.master_secret_arn
        self.dr_secret_arn = self.engine.dr_secret_arn
        self.resource_arn = self.engine.resource_arn
        self.dr_resource_arn = self.engine.dr_resource_arn
        self.port = POSTGRES_PORT
        self.security_group_id = self.security_group.id
        self.recovery_mechanism = plan.mechanism.value
        self.expected_rpo_seconds = plan.expected_rpo_seconds
        self.expected_rto_seconds = plan.expected_rto_seconds
        self.recovery_evidence = plan.evidence
        self.dr_mechanisms = [mechanism.value for mechanism in plan.dr_mechanisms]
        self.dr_endpoint = self.engine.dr_endpoint
        self.dr_network = self.engine.dr_network
        self.register_outputs({key_: getattr(self, key_) for key_ in self.OUTPUTS})

    @staticmethod
    def generates_password(settings: DatabaseSettings, dr: DrPlacement | None) -> bool:
        """True when the master password is generated here (Aurora global) and needs a rotation function."""
        return settings.engine == "aurora" and dr is not None

    # -- validation (before anything is registered) -------------------------------------------------------

    @staticmethod
    def _default_objectives(settings: DatabaseSettings, *, has_dr: bool) -> tuple[DatabaseSettings, str | None]:
        """Objectives left unset take the environment's defaults, from the stack's tag convention.

        A stack config has already resolved them (:func:`~fintech_infra.validation.load_stack_config`); this is
        for programs that build databases themselves. Returns the settings and, when a default was taken,
        what it was (for error messages); without a convention the settings are returned unchanged and
        :func:`~fintech_infra.recovery.plan_recovery` asks for objectives.
        """
        convention = stack_convention()
        if settings.dr_read_replica is None:
            replica = convention is not None and default_dr_read_replica(
                convention.environment, settings.engine, has_dr_region=has_dr
            )
            settings = settings.model_copy(update={"dr_read_replica": replica})
        if settings.objectives is not None or convention is None:
            return settings, None
        objectives = default_objectives(convention.environment, settings.concern, has_dr_region=has_dr)
        described = (
            f"the {convention.environment} default for {settings.concern.value} applies: RPO "
            f"{objectives.rpo_seconds} s, RTO {objectives.rto_seconds} s, scope {objectives.scope!r}"
        )
        return settings.model_copy(update={"objectives": objectives}), described

    @staticmethod
    def _validate(
        settings: DatabaseSettings,
        *,
        jurisdiction: Jurisdiction,
        dr: DrPlacement | None,
        path: str,
        dr_path: str,
        alarms: AlarmSettings,
    ) -> RecoveryPlan:
        if dr is not None and dr.region not in jurisdiction.dr_regions:
            raise ResidencyError(
                f"{dr_path}: {dr.region!r} is not permitted for {jurisdiction.code}; {allowed(jurisdiction.dr_regions)}"
            )
        aws_limits.check_instance_class(settings.engine, settings.instance_class, path=f"{path}.instance_class")
        global_problem = versions.aurora_global_version_problem(settings.engine_version)
        if settings.engine == "aurora" and dr is not None and global_problem:
            raise ConfigError(f"{path}.engine_version: {settings.engine_version!r} {global_problem}")
        aws_limits.check_backup_retention(settings.backup_retention_days, path=f"{path}.backup_retention_days")
        aws_limits.check_performance_insights_retention(
            settings.performance_insights_retention_days, path=f"{path}.performance_insights_retention_days"
        )
        plan = plan_recovery(
            settings.objectives,
            engine=settings.engine,
            multi_az=settings.multi_az,
            has_dr=dr is not None,
            dr_read_replica=bool(settings.dr_read_replica),
            path=path,
            dr_path=dr_path,
            replica_lag_alarm_seconds=lag_alarm_seconds(settings.objectives, alarms.replica_lag_seconds),
        )
        if _runs_dr_instances(plan) and dr is not None and dr.network is None:
            raise ConfigError(
                f"{dr_path}: {dr.region!r} has no DR network; {plan.dr_mechanisms[-1].value} runs instances there, "
                "so the cell must pass DrPlacement.network (the DR region's isolated subnets)"
            )
        return plan


def _runs_dr_instances(plan: RecoveryPlan) -> bool:
    """Whether the plan runs database instances in the DR region (which need a network there, and alarms)."""
    return Mechanism.CROSS_REGION_REPLICA in plan.dr_mechanisms or Mechanism.AURORA_GLOBAL in plan.dr_mechanisms
