"""What a JurisdictionCell adds for recovering: the warm-standby cache and the failover/failback runbooks
(:mod:`fintech_infra.runbook`) of a cell with a DR region, its drills, their schedules and its restore tests.

Kept apart from :mod:`fintech_infra.cell`, which calls in with its parts; nothing here knows the cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from fintech_infra._naming import child
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.backup import CellBackup
from fintech_infra.cell_compute import CellCompute, EksCompute
from fintech_infra.cell_region import CellRegion
from fintech_infra.config import CellConfig, Environment
from fintech_infra.database import FinancialDatabase
from fintech_infra.dr_config import drills_enabled, rehearsals
from fintech_infra.dr_schedules import DrSchedules, ScheduleRegion
from fintech_infra.dr_steps import cell_shape
from fintech_infra.drills import CellDrills, DrillTargets, stop_condition_alarms
from fintech_infra.edge import Edge
from fintech_infra.errors import key_path
from fintech_infra.maintenance import resolve_windows
from fintech_infra.redis import RedisCluster
from fintech_infra.restore_tests import RestoreTests, restore_test_report_topic
from fintech_infra.rotation import RotationFunction
from fintech_infra.runbook import DrRunbooks, RegionTargets

__all__ = ["cell_drills", "dr_cache", "dr_runbooks", "dr_schedules", "restore_tests"]


def dr_cache(
    cell: str, config: CellConfig, *, region: CellRegion, compute: CellCompute, retention_days: int
) -> RedisCluster | None:
    """The cache's warm standby in the DR region (``redis.dr_nodes`` nodes; none at 0).

    Empty until a failover: a cache holds nothing that is not in a database, so the application fills it
    (the runbook checks it is available). Its credentials are its own, in the DR region, rotated by a
    rotation function there (a replicated secret could not follow the standby's own users).
    """
    if config.dr_region is None or config.redis.dr_nodes == 0:
        return None
    return RedisCluster(
        child(cell, "dr-cache"),
        config.redis.model_copy(update={"nodes": config.redis.dr_nodes}),
        cell=cell,
        network=region.vpc.data_network(compute.clients("cache")),
        key=region.keys.ref("cache"),
        logs_key=region.keys.ref("logs"),
        log_retention_days=retention_days,
        alert_route=region.alerts.route,
        alarms=config.alarms,
        rotation=RotationFunction(
            child(cell, "dr-cache-rotation"),
            template="elasticache-user",
            subnet_ids=region.vpc.private_subnet_ids,
            vpc_id=region.vpc.vpc_id,
            vpc_cidr=region.vpc.cidr,
            key=region.keys.ref("cache"),
            logs_key=region.keys.ref("logs"),
            log_retention_days=retention_days,
            data_concerns=(),
            opts=region.opts,
        ),
        windows=resolve_windows(config.dr_maintenance, config.dr_region),
        config_path=key_path("cells", cell, "redis"),
        opts=region.opts,
    )


def _targets(
    region: CellRegion,
    compute: CellCompute,
    cache: RedisCluster | None,
    databases: Mapping[str, FinancialDatabase],
    *,
    dr: bool,
) -> RegionTargets:
    cluster, nodegroup = compute.scale_target()
    subnets: dict[str, pulumi.Input[str]] = {}
    groups: dict[str, pulumi.Input[str]] = {}
    for concern, database in databases.items():
        network = database.dr_network if dr else (database.security_group, database.subnet_group)
        if network is not None:
            groups[concern], subnets[concern] = network[0].id, network[1].name
    return RegionTargets(
        region=region.region,
        provider=region.provider,
        # The runbooks' records are audit records: the audit concern's key where the cell has one.
        log_key=region.keys.ref("audit") if "audit" in region.keys.purposes else region.keys.ref("logs"),
        cluster_name=cluster,
        nodegroup_name=nodegroup,
        cache_group_id=cache.group.replication_group_id if cache is not None else None,
        subnet_groups=subnets,
        security_groups=groups,
        keys={concern: region.keys.key(concern).arn for concern in databases},
    )


def dr_runbooks(
    cell: str,
    config: CellConfig,
    *,
    regions: tuple[CellRegion, CellRegion],
    computes: tuple[CellCompute, CellCompute],
    caches: tuple[RedisCluster | None, RedisCluster | None],
    databases: Mapping[str, FinancialDatabase],
    account_id: pulumi.Input[str],
    dns_account_id: pulumi.Input[str],
    retention_days: int,
) -> DrRunbooks | None:
    """The cell's failover and failback runbooks (cells with a DR region); each pair is (primary, DR).

    ``dns_account_id`` holds the routing stack's health checks and the role the runbooks assume to invert them."""
    shape = cell_shape(cell, config)
    if shape is None:
        return None
    primary, dr = regions
    return DrRunbooks(
        child(cell, "runbooks"),
        shape,
        account_id=account_id,
        dns_account_id=dns_account_id,
        primary=_targets(primary, computes[0], caches[0], databases, dr=False),
        dr=_targets(dr, computes[1], caches[1], databases, dr=True),
        log_retention_days=retention_days,
        opts=primary.opts,
    )


def cell_drills(
    cell: str,
    config: CellConfig,
    *,
    environment: Environment,
    region: CellRegion,
    compute: CellCompute,
    edge: Edge,
    databases: Mapping[str, FinancialDatabase],
    account_id: pulumi.Input[str],
    retention_days: int,
) -> CellDrills | None:
    """The cell's in-region FIS drills (``drills.fault_injection``: on outside prod, off in prod by default)."""
    if not drills_enabled(config.drills, environment):
        return None
    cluster_name, _ = compute.scale_target()
    eks = isinstance(compute, EksCompute)
    services = [] if config.compute.kind != "ecs" else [service.name for service in config.compute.services]
    targets = DrillTargets(
        region=region.region,
        clusters={c: db.resource_arn for c, db in databases.items() if db.settings.engine == "aurora"},
        instances={c: db.resource_arn for c, db in databases.items() if db.settings.engine == "rds-instance"},
        compute=config.compute.kind,
        ecs_cluster_arn=None
        if eks
        else pulumi.Output.concat("arn:aws:ecs:", region.region, ":", account_id, ":cluster/", cluster_name),
        ecs_cluster_name=None if eks else cluster_name,
        services=services,
        nodegroup_arn=compute.cluster.node_group.arn if isinstance(compute, EksCompute) else None,
        eks_cluster_name=cluster_name if eks else None,
        vpc_id=region.vpc.vpc_id,
        private_subnet_ids=region.vpc.private_subnet_ids,
        isolated_subnet_ids=region.vpc.isolated_subnet_ids,
    )
    return CellDrills(
        child(cell, "drills"),
        cell=cell,
        targets=targets,
        account_id=account_id,
        stop_alarm_arns=stop_condition_alarms([edge.error_rate_alarm]),
        logs_key=region.keys.ref("logs"),
        log_retention_days=retention_days,
        opts=region.opts,
    )


def dr_schedules(
    cell: str,
    config: CellConfig,
    *,
    environment: Environment,
    jurisdiction: str,
    regions: tuple[CellRegion, CellRegion | None],
    drills: CellDrills | None,
    runbooks: DrRunbooks | None,
    account_id: pulumi.Input[str],
) -> DrSchedules | None:
    """Scheduler runs the drills and the failover rehearsal (``drills.scheduled``: staging by default)."""
    has_dr = regions[1] is not None
    if "schedules" not in rehearsals(config.drills, environment, has_dr=has_dr, has_databases=bool(config.concerns)):
        return None
    primary, dr = regions
    return DrSchedules(
        child(cell, "schedules"),
        cell=cell,
        settings=config.drills,
        timezone=config.drills.zone(jurisdiction),
        account_id=account_id,
        primary=ScheduleRegion(primary.region, primary.provider, primary.keys.ref("platform")),
        dr=ScheduleRegion(dr.region, dr.provider, dr.keys.ref("platform")) if dr is not None else None,
        templates={drill: template.id for drill, template in drills.templates.items()} if drills else {},
        failover_document=runbooks.failover_document.name if runbooks else None,
        failback_document=runbooks.failback_document.name if runbooks else None,
        automation_role_arn=runbooks.role_arn if runbooks else None,
        opts=primary.opts,
    )


def restore_tests(
    cell: str,
    config: CellConfig,
    *,
    jurisdiction: str,
    region: CellRegion,
    backup: CellBackup,
    databases: Mapping[str, FinancialDatabase],
    alerts: AlertRoute,
) -> RestoreTests | None:
    """Monthly restore tests of each concern's latest recovery point (``drills.restore_tests``: on by default)."""
    if not config.drills.restore_tests or not databases:  # as rehearsals() says ("restore_tests")
        return None
    return RestoreTests(
        child(cell, "restore-tests"),
        cell=cell,
        vault_arn=backup.vault_arn,
        role_arn=backup.service_role_arn,
        databases={concern: (db.settings.engine, db.resource_arn) for concern, db in databases.items()},
        vpc_id=region.vpc.vpc_id,
        isolated_subnet_ids=region.vpc.isolated_subnet_ids,
        schedule=config.drills.restore_test_schedule,
        timezone=config.drills.zone(jurisdiction),
        validation_window_hours=config.drills.restore_validation_hours,
        report_topic_arn=restore_test_report_topic(alerts),
        opts=region.opts,
    )
