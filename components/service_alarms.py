"""The reference alert list's alarms on the service tier, the edge and the application's own metric.

- :func:`ecs_service_alarms`: an ECS service's CPU and memory (``AWS/ECS``, ``ClusterName`` + ``ServiceName``)
  above ``alarms.service_cpu_pct`` / ``service_memory_pct`` of what its tasks reserve: ``warning`` (auto scaling
  acts first; a service held high means its maximum is too low).
- :func:`waf_blocked_spike_alarm`: the web ACL's blocked requests (``AWS/WAFV2`` ``BlockedRequests``, ``Region`` +
  ``Rule=ALL`` + ``WebACL``, the web ACL's metric name) above CloudWatch's anomaly detection band
  (``ANOMALY_DETECTION_BAND(m, alarms.waf_blocked_band_width)``): a spike against the learned daily and weekly
  pattern, not a fixed count that suits no traffic level. ``warning``: the WAF is already blocking.
- :func:`webhook_latency_alarm`: payment webhook processing time p99 above ``alarms.webhook_processing_seconds``
  (``FintechInfra/Business`` ``WebhookProcessingTime``, dimension ``Cell``; the application publishes it, contract
  in docs/operations.md): ``critical``, a payment provider retries and then gives up.

Metric names, namespaces and dimensions: :data:`fintech_infra.metric_catalog.METRICS` (sources checked 2026-12-07).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.alert_tiers import EVALUATIONS, AlertRoute, tiered_alarm
from fintech_infra.config import AlarmSettings
from fintech_infra.metric_catalog import APP_NAMESPACE

__all__ = ["ecs_service_alarms", "waf_blocked_spike_alarm", "webhook_latency_alarm"]


def ecs_service_alarms(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    service_name: pulumi.Input[str],
    thresholds: AlarmSettings,
    route: AlertRoute,
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.MetricAlarm]:
    """CPU and memory utilization of one ECS service (average over its tasks)."""
    dimensions = {"ClusterName": cluster_name, "ServiceName": service_name}
    return [
        tiered_alarm(
            child(name, role),
            tier="warning",
            route=route,
            description=f"ECS service {metric} above {threshold}% of its tasks' reservation",
            threshold=threshold,
            namespace="AWS/ECS",
            metric_name=metric,
            dimensions=dimensions,
            statistic="Average",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for role, metric, threshold in (
            ("cpu", "CPUUtilization", thresholds.service_cpu_pct),
            ("memory", "MemoryUtilization", thresholds.service_memory_pct),
        )
    ]


def waf_blocked_spike_alarm(
    name: str,
    *,
    web_acl_metric_name: str,
    region: pulumi.Input[str],
    thresholds: AlarmSettings,
    route: AlertRoute,
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Blocked requests of the whole web ACL (``Rule=ALL``) above the anomaly detection band."""
    period = EVALUATIONS["warning"].period
    return tiered_alarm(
        child(name, "waf-blocked-spike"),
        tier="warning",
        route=route,
        description=(
            f"WAF blocked requests above the expected band ({thresholds.waf_blocked_band_width:g} standard "
            "deviations): an attack or a rule blocking real clients"
        ),
        threshold=None,
        comparison="GreaterThanUpperThreshold",
        threshold_metric_id="band",
        # No blocked request at all reports no datapoint: that is quiet, not a spike.
        treat_missing_data="notBreaching",
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="blocked",
                return_data=True,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/WAFV2",
                    metric_name="BlockedRequests",
                    dimensions={"Region": region, "Rule": "ALL", "WebACL": web_acl_metric_name},
                    period=period,
                    stat="Sum",
                ),
            ),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="band",
                expression=f"ANOMALY_DETECTION_BAND(blocked, {thresholds.waf_blocked_band_width:g})",
                label="expected blocked requests",
                return_data=True,
            ),
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def webhook_latency_alarm(
    name: str,
    *,
    cell: str,
    thresholds: AlarmSettings,
    route: AlertRoute,
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Payment webhook processing time (p99 of the application's ``WebhookProcessingTime``, seconds)."""
    return tiered_alarm(
        child(name, "webhook-processing-time"),
        tier="critical",
        route=route,
        description=(
            f"Payment webhook processing time p99 above {thresholds.webhook_processing_seconds:g} s (application "
            "metric, docs/operations.md)"
        ),
        threshold=thresholds.webhook_processing_seconds,
        namespace=APP_NAMESPACE,
        metric_name="WebhookProcessingTime",
        dimensions={"Cell": cell},
        extended_statistic="p99",
        # No webhook in a minute is no evidence of slowness.
        treat_missing_data="notBreaching",
        opts=pulumi.ResourceOptions(parent=parent),
    )
