"""What a JurisdictionCell with a DR region adds for recovering into it: the warm-standby cache and the
failover/failback runbooks (:mod:`fintech_infra.runbook`).

Kept apart from :mod:`fintech_infra.cell`, which calls in with its parts; nothing here knows the cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from fintech_infra._naming import child
from fintech_infra.cell_compute import CellCompute, EksCompute
from fintech_infra.cell_region import CellRegion
from fintech_infra.config import CellConfig, Environment
from fintech_infra.database import FinancialDatabase
from fintech_infra.dr_config import drills_enabled
from fintech_infra.dr_steps import cell_shape
from fintech_infra.drills import CellDrills, DrillTargets, stop_condition_alarms
from fintech_infra.edge import Edge
from fintech_infra.errors import key_path
from fintech_infra.maintenance import resolve_windows
from fintech_infra.redis import RedisCluster
from fintech_infra.rotation import RotationFunction
from fintech_infra.runbook import DrRunbooks, RegionTargets

__all__ = ["cell_drills", "dr_cache", "dr_runbooks"]


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
        alarm_topic_arn=region.alarm_topic.arn,
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
    retention_days: int,
) -> DrRunbooks | None:
    """The cell's failover and failback runbooks (cells with a DR region); each pair is (primary, DR)."""
    shape = cell_shape(cell, config)
    if shape is None:
        return None
    primary, dr = regions
    return DrRunbooks(
        child(cell, "runbooks"),
        shape,
        account_id=account_id,
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
