"""Alarms an operations team pages on, and the encrypted SNS topic they notify.

- :class:`AlarmTopic`: one SNS topic per cell (per region: CloudWatch alarms notify topics in their own
  region), encrypted with a customer-managed key, with a policy that refuses publishing over plain HTTP
  and lets CloudWatch alarms of this account publish. The key's policy must let ``cloudwatch.amazonaws.com``
  use it (``kms:Decrypt``, ``kms:GenerateDataKey*``); the cell's key ring does.
- Factories, thresholds from :class:`~fintech_infra.config.AlarmSettings`:
  :func:`database_alarms` (connections above a share of the instance class's ``max_connections``, estimated
  from below by :func:`~fintech_infra.aws_limits.max_connections` since RDS publishes no formula, CPU,
  free storage, replica lag above the concern's RPO), :func:`cache_alarms` (memory, evictions, engine CPU)
  :func:`certificate_expiry_alarm` (ACM ``DaysToExpiry``) and :func:`service_alarms` (one service's share of 5xx
  responses and its p99 response time, from its own target groups rather than the whole ALB) and
  :func:`queue_alarms` (an SQS queue's oldest message, its dead-letter queue's depth).

Alarms are created even without a topic (they show in the console and feed dashboards); they notify only
when a topic ARN is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_limits
from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import AlarmSettings, DatabaseSettings, RedisSettings
from fintech_infra.wiring import KeyRef

__all__ = [
    "SERVICE_ALARM_PERIOD_SECONDS",
    "AlarmTopic",
    "cache_alarms",
    "certificate_expiry_alarm",
    "database_alarms",
    "queue_alarms",
    "service_alarms",
]

_GIB = 1024**3


class AlarmTopic(FintechComponent):
    """An SNS topic for alarm actions: KMS-encrypted, TLS-only publishing, email subscribers optional."""

    OUTPUTS: ClassVar[dict[str, str]] = {"arn": "The topic ARN to pass as alarm_topic_arn."}

    def __init__(
        self,
        name: str,
        *,
        key: KeyRef,
        email_endpoints: Sequence[str] = (),
        publishers: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``publishers`` are further service principals (from this account) allowed to publish, e.g. the
        Prometheus alert manager (``aps.amazonaws.com``, which also reads the topic's attributes); the topic's
        key must admit them too."""
        super().__init__("fintech:alarms:AlarmTopic", name, opts)
        self.topic = aws.sns.Topic(
            child(name, "topic"), kms_master_key_id=key.arn, opts=pulumi.ResourceOptions(parent=self)
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.sns.TopicPolicy(
            child(name, "policy"),
            arn=self.topic.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": self.topic.arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "AllowCloudWatchAlarms",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": self.topic.arn,
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        },
                        *(
                            {
                                "Sid": f"AllowServicePublisher{index + 1}",
                                "Effect": "Allow",
                                "Principal": {"Service": service},
                                "Action": ["sns:Publish", "sns:GetTopicAttributes"],
                                "Resource": self.topic.arn,
                                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                            }
                            for index, service in enumerate(publishers)
                        ),
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, address in enumerate(email_endpoints):
            aws.sns.TopicSubscription(
                child(name, f"email-{index + 1}"),
                topic=self.topic.arn,
                protocol="email",
                endpoint=address,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})


def _alarm(
    name: str,
    *,
    description: str,
    namespace: str | None,
    metric: str | None,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str | None,
    comparison: str,
    threshold: float,
    topic_arn: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    period: int = 300,
    evaluation_periods: int = 3,
    treat_missing_data: str = "missing",
    queries: Sequence[aws.cloudwatch.MetricAlarmMetricQueryArgs] = (),
) -> aws.cloudwatch.MetricAlarm:
    """One alarm: on ``metric`` (``statistic`` a plain statistic or a percentile such as ``p99``), or, with
    ``queries``, on the metric math expression among them that returns data (``namespace``, ``metric`` and
    ``statistic`` None, ``dimensions`` empty, ``period`` unused: each query has its own)."""
    actions = [topic_arn] if topic_arn is not None else []
    percentile = statistic is not None and statistic.startswith("p")
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions) or None,
        statistic=None if percentile else statistic,
        extended_statistic=statistic if percentile else None,
        metric_queries=list(queries) or None,
        comparison_operator=comparison,
        threshold=threshold,
        period=None if queries else period,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=evaluation_periods,
        treat_missing_data=treat_missing_data,
        alarm_actions=actions,
        ok_actions=actions,
        opts=opts,
    )


def database_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    settings: DatabaseSettings,
    thresholds: AlarmSettings,
    lag_threshold_seconds: int,
    targets: Mapping[str, Sequence[pulumi.Input[str]]],
    topic_arn: pulumi.Input[str] | None,
    dr_topic_arn: pulumi.Input[str] | None = None,
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
                topic_arn=topic_arn,
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
                topic_arn=topic_arn,
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
                    topic_arn=topic_arn,
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
                topic_arn,
                here,
            )
        )
    for identifier in targets.get("dr_replicas", ()):
        alarms.append(
            _lag(
                child(name, "dr-replica-lag"), lag, "ReplicaLag", identifier, lag_threshold_seconds, dr_topic_arn, there
            )
        )
    for identifier in targets.get("dr_clusters", ()):
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
                topic_arn=dr_topic_arn,
                opts=there,
                period=60,
            )
        )
    return alarms


def _lag(
    name: str,
    description: str,
    metric: str,
    identifier: pulumi.Input[str],
    seconds: int,
    topic_arn: pulumi.Input[str] | None,
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
        topic_arn=topic_arn,
        opts=opts,
        period=60,
    )


def cache_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    settings: RedisSettings,
    replication_group_id: pulumi.Input[str],
    thresholds: AlarmSettings,
    topic_arn: pulumi.Input[str] | None,
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
                    topic_arn=topic_arn,
                    opts=here,
                    evaluation_periods=1 if role == "evictions" else 3,
                )
            )
    return alarms


def certificate_expiry_alarm(
    parent: pulumi.Resource,
    name: str,
    *,
    certificate_arn: pulumi.Input[str],
    thresholds: AlarmSettings,
    topic_arn: pulumi.Input[str] | None,
) -> aws.cloudwatch.MetricAlarm:
    """Page when fewer than ``certificate_expiry_days`` remain before the certificate expires.

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
        topic_arn=topic_arn,
        opts=pulumi.ResourceOptions(parent=parent),
        period=86400,
        evaluation_periods=1,
        # An expired certificate stops reporting; silence must page too.
        treat_missing_data="breaching",
    )


SERVICE_ALARM_PERIOD_SECONDS = 60


def service_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    service: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffixes: Sequence[pulumi.Input[str]],
    thresholds: AlarmSettings,
    topic_arn: pulumi.Input[str] | None,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Page when more than ``alb_5xx_pct`` % of ``service``'s responses are 5xx, or its p99 response time exceeds
    ``target_latency_seconds``, three minutes running.

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
            topic_arn=topic_arn,
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
            topic_arn=topic_arn,
            opts=here,
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
    topic_arn: pulumi.Input[str] | None,
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
            topic_arn=topic_arn,
            opts=here,
            period=60,
            evaluation_periods=QUEUE_GROWING_MINUTES,
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
            topic_arn=topic_arn,
            opts=here,
            period=60,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
        ),
    ]
