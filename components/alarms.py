"""Alarms an operations team pages on, each in an alert tier (:mod:`fintech_infra.alert_tiers`).

The topics they notify are :class:`~fintech_infra.alert_topics.AlertTopics` (one per tier and region; CloudWatch
alarms notify topics in their own region). :class:`AlarmTopic` is re-exported from there.

- Factories, thresholds from :class:`~fintech_infra.config.AlarmSettings`, tiers as the reference list says
  (docs/operations.md):
  :func:`database_alarms` (connections above a share of the instance class's ``max_connections``, estimated
  from below by :func:`~fintech_infra.aws_limits.max_connections` since RDS publishes no formula, CPU,
  free storage, replica lag above the concern's RPO), :func:`cache_alarms` (memory, evictions, engine CPU)
  :func:`certificate_expiry_alarm` (ACM ``DaysToExpiry``), :func:`service_alarms` (one service's share of 5xx
  responses and its p99 response time, from its own target groups rather than the whole ALB) and
  :func:`queue_alarms` (an SQS queue's oldest message, its dead-letter queue's depth).

Tiers: connections, free storage, replication lag, a service's 5xx share and a queue falling behind page
(``critical``: an outage or a broken RPO within minutes); CPU, cache memory, evictions, certificate expiry (30
days ahead), a service's p99 latency and a message in a dead-letter queue are ``warning``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_limits
from fintech_infra._naming import child
from fintech_infra.alert_tiers import CRITICAL_EVALUATION, AlertRoute, Evaluation, Tier, tiered_alarm
from fintech_infra.alert_topics import AlarmTopic
from fintech_infra.config import AlarmSettings, DatabaseSettings, RedisSettings
from fintech_infra.errors import ConfigError

__all__ = [
    "SERVICE_ALARM_PERIOD_SECONDS",
    "AlarmTopic",
    "cache_alarms",
    "certificate_expiry_alarm",
    "database_alarms",
    "queue_alarms",
    "service_alarms",
]
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
    namespace: str | None,
    metric: str | None,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str | None,
    comparison: str,
    threshold: float,
    opts: pulumi.ResourceOptions,
    evaluation: Evaluation | None = None,
    treat_missing_data: str = "missing",
    queries: Sequence[aws.cloudwatch.MetricAlarmMetricQueryArgs] = (),
) -> aws.cloudwatch.MetricAlarm:
    """One alarm: on ``metric``, or, with ``queries``, on the metric math expression among them that returns data
    (``namespace``, ``metric`` and ``statistic`` None, ``dimensions`` empty: each query has its own period)."""
    metric_args: dict[str, Any] = (
        {"metric_queries": list(queries)}
        if queries
        else {"namespace": namespace, "metric_name": metric, "dimensions": dict(dimensions), "statistic": statistic}
    )
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
        **metric_args,
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


SERVICE_ALARM_PERIOD_SECONDS = CRITICAL_EVALUATION.period
# The queries are one-minute metrics (shared with the critical 5xx alarm); a p99 held high for fifteen of them is
# the warning tier's fifteen minutes (three five-minute periods).
_LATENCY = Evaluation(period=SERVICE_ALARM_PERIOD_SECONDS, evaluation_periods=15, datapoints_to_alarm=15)


def service_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    service: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffixes: Sequence[pulumi.Input[str]],
    thresholds: AlarmSettings,
    route: AlertRoute,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Page (``critical``) when more than ``alb_5xx_pct`` % of ``service``'s responses are 5xx; warn when its p99
    response time exceeds ``target_latency_seconds`` (each tier's evaluation, :mod:`fintech_infra.alert_tiers`).

    Both read the service's own target groups (``AWS/ApplicationELB`` with the ``LoadBalancer`` and ``TargetGroup``
    dimensions): one, or the two a traffic-shifting deployment moves between, summed for the error share (whichever
    is live carries the requests) and the larger p99 of the two for latency (percentiles do not add up).
    """
    here = pulumi.ResourceOptions(parent=parent)

    def query(
        query_id: str, metric: str, stat: str, group: pulumi.Input[str], *, returned: bool = False
    ) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=returned,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace="AWS/ApplicationELB",
                metric_name=metric,
                dimensions={"LoadBalancer": load_balancer_arn_suffix, "TargetGroup": group},
                period=SERVICE_ALARM_PERIOD_SECONDS,
                stat=stat,
            ),
        )

    groups = list(enumerate(target_group_arn_suffixes))
    errors = [query(f"errors{i}", "HTTPCode_Target_5XX_Count", "Sum", group) for i, group in groups]
    requests = [query(f"requests{i}", "RequestCount", "Sum", group) for i, group in groups]
    one = len(groups) == 1
    latency = [query(f"p99g{i}", "TargetResponseTime", "p99", group, returned=one) for i, group in groups]
    if not one:
        latency.append(
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="p99",
                expression=f"MAX([{', '.join(f'p99g{i}' for i, _ in groups)}])",
                label=f"{service} p99 response time (s), the slower target group",
                return_data=True,
            )
        )

    def total(prefix: str) -> str:
        return " + ".join(f"FILL({prefix}{i}, 0)" for i, _ in groups)

    return [
        _alarm(
            child(name, "5xx-rate"),
            description=f"{service}: more than {thresholds.alb_5xx_pct:g} % of its responses are 5xx",
            threshold=thresholds.alb_5xx_pct,
            treat_missing_data="notBreaching",  # no requests is no evidence of errors
            queries=[
                *errors,
                *requests,
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression=f"100 * ({total('errors')}) / ({total('requests')})",
                    label=f"{service} 5xx % of responses",
                    return_data=True,
                ),
            ],
            namespace=None,
            metric=None,
            dimensions={},
            statistic=None,
            comparison="GreaterThanThreshold",
            tier="critical",
            route=route,
            opts=here,
        ),
        _alarm(
            child(name, "latency-p99"),
            description=f"{service}: p99 target response time above {thresholds.target_latency_seconds:g} s",
            threshold=thresholds.target_latency_seconds,
            treat_missing_data="notBreaching",
            queries=latency,
            namespace=None,
            metric=None,
            dimensions={},
            statistic=None,
            comparison="GreaterThanThreshold",
            # Slow is not down: a latency regression is read in working hours; errors page.
            tier="warning",
            route=route,
            opts=here,
            evaluation=_LATENCY,
        ),
    ]


QUEUE_GROWING_MINUTES = 5
"""The oldest message must stay over its threshold this many one-minute periods: a queue falling behind, not a
burst the consumers are already draining."""


def queue_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    queue_name: pulumi.Input[str],
    dlq_name: pulumi.Input[str],
    oldest_message_seconds: int,
    route: AlertRoute,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Page when the queue's oldest message is older than ``oldest_message_seconds`` for five minutes running
    (``ApproximateAgeOfOldestMessage``, Maximum), and when its dead-letter queue holds any message
    (``ApproximateNumberOfMessagesVisible`` > 0). SQS publishes both every minute (``AWS/SQS``, ``QueueName``)."""
    here = pulumi.ResourceOptions(parent=parent)
    return [
        _alarm(
            child(name, "oldest-message"),
            description=f"Oldest message older than {oldest_message_seconds} s for {QUEUE_GROWING_MINUTES} minutes: "
            "consumers are falling behind",
            namespace="AWS/SQS",
            metric="ApproximateAgeOfOldestMessage",
            dimensions={"QueueName": queue_name},
            statistic="Maximum",
            comparison="GreaterThanThreshold",
            threshold=oldest_message_seconds,
            tier="critical",  # payments webhooks waiting five minutes: money is not moving
            route=route,
            opts=here,
            evaluation=Evaluation(
                period=60, evaluation_periods=QUEUE_GROWING_MINUTES, datapoints_to_alarm=QUEUE_GROWING_MINUTES
            ),
            treat_missing_data="notBreaching",  # an empty queue reports no age
        ),
        _alarm(
            child(name, "dlq-not-empty"),
            description="A message reached the dead-letter queue: it failed every receive; a person must look",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq_name},
            statistic="Maximum",
            comparison="GreaterThanThreshold",
            threshold=0,
            # One failed message is for a person to look at in working hours; a backlog pages through the queue's
            # own oldest-message alarm.
            tier="warning",
            route=route,
            opts=here,
            evaluation=Evaluation(period=60, evaluation_periods=1, datapoints_to_alarm=1),
            treat_missing_data="notBreaching",
        ),
    ]
