"""Alarms an operations team pages on, each in an alert tier (:mod:`fintech_infra.alert_tiers`).

The topics they notify are :class:`~fintech_infra.alert_topics.AlertTopics` (one per tier and region; CloudWatch
alarms notify topics in their own region). :class:`AlarmTopic` is re-exported from there.

- Factories, thresholds from :class:`~fintech_infra.config.AlarmSettings`, tiers as the reference list says
  (docs/operations.md):
  :func:`database_alarms` (connections above a share of the instance class's ``max_connections``, estimated
  from below by :func:`~fintech_infra.aws_limits.max_connections` since RDS publishes no formula, CPU,
  free storage, replica lag above the concern's RPO), :func:`cache_alarms` (memory, evictions, engine CPU)
  and :func:`certificate_expiry_alarm` (ACM ``DaysToExpiry``).

Tiers: connections, free storage and replication lag page (``critical``: an outage or a broken RPO within
minutes); CPU, cache memory, evictions and certificate expiry (30 days ahead) are ``warning``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_limits
from fintech_infra._naming import child
from fintech_infra.alert_tiers import AlertRoute, Evaluation, Tier, tiered_alarm
from fintech_infra.alert_topics import AlarmTopic
from fintech_infra.config import AlarmSettings, DatabaseSettings, RedisSettings
from fintech_infra.errors import ConfigError

__all__ = ["AlarmTopic", "cache_alarms", "certificate_expiry_alarm", "database_alarms"]
# AlarmTopic lives in fintech_infra.alert_topics; it stays importable from here.

_GIB = 1024**3
_DAILY = Evaluation(period=86400, evaluation_periods=1, datapoints_to_alarm=1)
_EVICTIONS = Evaluation(period=300, evaluation_periods=1, datapoints_to_alarm=1)


def _alarm(
    name: str,
    *,
    tier: Tier,
    route: AlertRoute,
    description: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str,
    comparison: str,
    threshold: float,
    opts: pulumi.ResourceOptions,
    evaluation: Evaluation | None = None,
    treat_missing_data: str = "missing",
) -> aws.cloudwatch.MetricAlarm:
    return tiered_alarm(
        name,
        tier=tier,
        route=route,
        description=description,
        threshold=threshold,
        comparison=comparison,
        opts=opts,
        evaluation=evaluation,
        treat_missing_data=treat_missing_data,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
    )


def database_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    settings: DatabaseSettings,
    thresholds: AlarmSettings,
    lag_threshold_seconds: int,
    targets: Mapping[str, Sequence[pulumi.Input[str]]],
    route: AlertRoute,
    dr_route: AlertRoute | None = None,
    dr_provider: pulumi.ProviderResource | None = None,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Alarms for one database. ``targets``: ``writer`` (instance ids), ``replicas`` (in-region replica
    ids), ``cluster`` (Aurora cluster id), ``dr_replicas`` / ``dr_clusters`` (in the DR region)."""
    here = pulumi.ResourceOptions(parent=parent)
    there = pulumi.ResourceOptions(parent=parent, provider=dr_provider)
    limit = aws_limits.max_connections(settings.instance_class)
    alarms: list[aws.cloudwatch.MetricAlarm] = []
    for number, identifier in enumerate(targets.get("writer", ()), start=1):
        suffix = "" if settings.engine == "rds-instance" else f"-{number}"
        dims = {"DBInstanceIdentifier": identifier}
        alarms.append(
            _alarm(
                child(name, f"connections{suffix}"),
                description=(
                    f"Connections above {thresholds.db_connections_pct}% of max_connections (estimated at {limit})"
                ),
                namespace="AWS/RDS",
                metric="DatabaseConnections",
                dimensions=dims,
                statistic="Maximum",
                comparison="GreaterThanThreshold",
                threshold=limit * thresholds.db_connections_pct // 100,
                tier="critical",
                route=route,
                opts=here,
            )
        )
        alarms.append(
            _alarm(
                child(name, f"cpu{suffix}"),
                description=f"CPU above {thresholds.cpu_pct}%",
                namespace="AWS/RDS",
                metric="CPUUtilization",
                dimensions=dims,
                statistic="Average",
                comparison="GreaterThanThreshold",
                threshold=thresholds.cpu_pct,
                tier="warning",
                route=route,
                opts=here,
            )
        )
        if settings.engine == "rds-instance":
            # Aurora storage grows on its own; an instance's free space is measured against its initial size.
            floor = settings.allocated_storage_gb * _GIB * thresholds.free_storage_pct // 100
            alarms.append(
                _alarm(
                    child(name, "free-storage"),
                    description=f"Free storage below {thresholds.free_storage_pct}% of the allocated storage",
                    namespace="AWS/RDS",
                    metric="FreeStorageSpace",
                    dimensions=dims,
                    statistic="Minimum",
                    comparison="LessThanThreshold",
                    threshold=floor,
                    tier="critical",
                    route=route,
                    opts=here,
                )
            )
    lag = f"Replica lag above {lag_threshold_seconds} s (the concern's RPO)"
    for number, identifier in enumerate(targets.get("replicas", ()), start=1):
        alarms.append(
            _lag(
                child(name, f"replica-{number}-lag"),
                lag,
                "ReplicaLag",
                identifier,
                lag_threshold_seconds,
                route,
                here,
            )
        )
    dr_targets = [*targets.get("dr_replicas", ()), *targets.get("dr_clusters", ())]
    if dr_targets and dr_route is None:
        raise ConfigError(
            f"{name}: dr_route: None with alarms on a DR copy; allowed: the DR region's AlertTopics(...).route"
        )
    for identifier in targets.get("dr_replicas", ()):
        assert dr_route is not None
        alarms.append(
            _lag(child(name, "dr-replica-lag"), lag, "ReplicaLag", identifier, lag_threshold_seconds, dr_route, there)
        )
    for identifier in targets.get("dr_clusters", ()):
        assert dr_route is not None
        alarms.append(
            _alarm(
                child(name, "global-lag"),
                description=lag,
                namespace="AWS/RDS",
                metric="AuroraGlobalDBReplicationLag",
                dimensions={"DBClusterIdentifier": identifier},
                statistic="Maximum",
                comparison="GreaterThanThreshold",
                threshold=lag_threshold_seconds * 1000,  # reported in milliseconds
                tier="critical",
                route=dr_route,
                opts=there,
            )
        )
    return alarms


def _lag(
    name: str,
    description: str,
    metric: str,
    identifier: pulumi.Input[str],
    seconds: int,
    route: AlertRoute,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    return _alarm(
        name,
        description=description,
        namespace="AWS/RDS",
        metric=metric,
        dimensions={"DBInstanceIdentifier": identifier},
        statistic="Maximum",
        comparison="GreaterThanThreshold",
        threshold=seconds,
        tier="critical",
        route=route,
        opts=opts,
    )


def cache_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    settings: RedisSettings,
    replication_group_id: pulumi.Input[str],
    thresholds: AlarmSettings,
    route: AlertRoute,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Memory, evictions and engine CPU per node (``<group>-001``, ``-002``, ... as ElastiCache names them)."""
    here = pulumi.ResourceOptions(parent=parent)
    alarms: list[aws.cloudwatch.MetricAlarm] = []
    for number in range(1, settings.nodes + 1):
        node = pulumi.Output.concat(replication_group_id, f"-{number:03d}")
        dims = {"CacheClusterId": node}
        for role, metric, statistic, threshold, text in (
            ("memory", "DatabaseMemoryUsagePercentage", "Maximum", thresholds.redis_memory_pct, "Memory use above"),
            ("evictions", "Evictions", "Sum", thresholds.redis_evictions, "Evictions per 5 minutes above"),
            ("cpu", "EngineCPUUtilization", "Average", thresholds.cpu_pct, "Engine CPU above"),
        ):
            alarms.append(
                _alarm(
                    child(name, f"{role}-{number:03d}"),
                    description=f"{text} {threshold}",
                    namespace="AWS/ElastiCache",
                    metric=metric,
                    dimensions=dims,
                    statistic=statistic,
                    comparison="GreaterThanThreshold",
                    threshold=threshold,
                    tier="warning",
                    route=route,
                    opts=here,
                    # Any eviction over five minutes is worth a look; the others must hold for 15 minutes.
                    evaluation=_EVICTIONS if role == "evictions" else None,
                )
            )
    return alarms


def certificate_expiry_alarm(
    parent: pulumi.Resource,
    name: str,
    *,
    certificate_arn: pulumi.Input[str],
    thresholds: AlarmSettings,
    route: AlertRoute,
) -> aws.cloudwatch.MetricAlarm:
    """Warn when fewer than ``certificate_expiry_days`` remain before the certificate expires.

    ACM publishes ``DaysToExpiry`` (``AWS/CertificateManager``, dimension ``CertificateArn``) twice a day in the
    certificate's region, for issued and imported certificates alike, and stops at expiry: the alarm must live in
    that region (``parent``'s provider) and treats missing data as breaching. ACM renews the certificates it
    issued when their DNS validation records are still in place; an imported one only a person renews.
    """
    return _alarm(
        name,
        description=f"Certificate expires in fewer than {thresholds.certificate_expiry_days} days",
        namespace="AWS/CertificateManager",
        metric="DaysToExpiry",
        dimensions={"CertificateArn": certificate_arn},
        statistic="Minimum",
        comparison="LessThanThreshold",
        threshold=thresholds.certificate_expiry_days,
        tier="warning",  # a month ahead: working hours, not a page
        route=route,
        opts=pulumi.ResourceOptions(parent=parent),
        evaluation=_DAILY,
        # An expired certificate stops reporting; silence must page too.
        treat_missing_data="breaching",
    )
