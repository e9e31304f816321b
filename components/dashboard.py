"""One CloudWatch dashboard per cell, generated from what the cell contains.

The body is built from the same objects that make the cell's resources and alarms (the edge's load balancer and web
ACL, each ECS service, each database's alarm targets, the cache's nodes), so a widget exists only for something the
cell runs: a cell without a payments database has no payments widget, an EKS cell no ECS service widget (its
services' signals are in Amazon Managed Service for Prometheus, :mod:`fintech_infra.eks_alerts`). Every metric
comes from :data:`fintech_infra.metric_catalog.METRICS`; the business row shows the documented application metrics
of the concerns the cell has (docs/operations.md, "The business metrics contract").

Widgets may name another region (the DR copies' replication lag is published in the DR region), which a dashboard
supports within one account. The body is an Output (ids and ARN suffixes are known only after creation), serialized
with :func:`pulumi.Output.json_dumps`; it holds no secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.metric_catalog import APP_NAMESPACE, spec

__all__ = ["BUSINESS_METRICS", "CellDashboard", "DashboardSources", "Widget"]

BUSINESS_METRICS: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    # concern: (metric, statistic, title) of the application metrics that concern's services publish.
    "payments": (
        ("Deposits", "Sum", "Deposits per hour"),
        ("WebhookProcessingTime", "p99", "Payment webhook processing time p99 (s)"),
    ),
    "trading": (
        ("TradeVolume", "Sum", "Trade volume per hour"),
        ("CommissionPayouts", "Sum", "Commission payouts per hour"),
    ),
}
_WIDTH, _HEIGHT, _PER_ROW = 8, 6, 3


@dataclass(frozen=True)
class Widget:
    """One graph: metric lines ``[namespace, name, dim, value, ...]``, all checked against the catalogue."""

    title: str
    lines: list[list[pulumi.Input[Any]]]
    region: str
    stat: str = "Average"
    period: int = 60

    def __post_init__(self) -> None:
        for line in self.lines:
            namespace, name, *dimensions = line
            known = spec(str(namespace), str(name))
            if known is None or tuple(dimensions[0::2]) != known.dimensions:
                raise ValueError(
                    f"dashboard widget {self.title!r}: {namespace}/{name} {dimensions[0::2]} is not in "
                    "the metric catalogue"
                )


@dataclass(frozen=True)
class DashboardSources:
    """What one cell runs, as the dashboard needs it."""

    cell: str
    region: str
    dr_region: str | None
    load_balancer_arn_suffix: pulumi.Input[str]
    web_acl_metric_name: str
    services: Sequence[tuple[pulumi.Input[str], pulumi.Input[str]]]
    """(cluster name, service name) of each ECS service; none for an EKS cell."""
    databases: Mapping[str, Mapping[str, Sequence[pulumi.Input[str]]]]
    """Concern to its alarm targets (``writer``, ``replicas``, ``dr_replicas``, ``dr_clusters``)."""
    cache_nodes: Sequence[pulumi.Input[str]]
    concerns: Sequence[str] = field(default=())


def widgets(sources: DashboardSources) -> list[Widget]:
    """The cell's widgets, row by row: edge, services, databases per concern, lag, cache, business."""
    here = sources.region
    alb = ["LoadBalancer", sources.load_balancer_arn_suffix]
    found = [
        Widget("Edge: requests", [["AWS/ApplicationELB", "RequestCount", *alb]], here, "Sum"),
        Widget(
            "Edge: 5xx responses",
            [
                ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *alb],
                ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb],
            ],
            here,
            "Sum",
        ),
        Widget("Edge: target response time p99 (s)", [["AWS/ApplicationELB", "TargetResponseTime", *alb]], here, "p99"),
        Widget(
            "Edge: WAF blocked requests",
            [["AWS/WAFV2", "BlockedRequests", "Region", here, "Rule", "ALL", "WebACL", sources.web_acl_metric_name]],
            here,
            "Sum",
            300,
        ),
    ]
    for cluster, service in sources.services:
        dims = ["ClusterName", cluster, "ServiceName", service]
        found.append(
            Widget(
                f"Service {service} CPU / memory (%)" if isinstance(service, str) else "Service CPU / memory (%)",
                [["AWS/ECS", "CPUUtilization", *dims], ["AWS/ECS", "MemoryUtilization", *dims]],
                here,
            )
        )
    for concern, targets in sources.databases.items():
        writers = [["DBInstanceIdentifier", identifier] for identifier in targets.get("writer", ())]
        found.append(
            Widget(
                f"Database {concern}: connections",
                [["AWS/RDS", "DatabaseConnections", *dims] for dims in writers],
                here,
                "Maximum",
            )
        )
        found.append(
            Widget(f"Database {concern}: CPU (%)", [["AWS/RDS", "CPUUtilization", *dims] for dims in writers], here)
        )
        lag = [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", r] for r in targets.get("replicas", ())]
        if lag:
            found.append(Widget(f"Database {concern}: replica lag (s)", lag, here, "Maximum"))
        if sources.dr_region is not None:
            dr_lag = [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", r] for r in targets.get("dr_replicas", ())]
            dr_lag += [
                ["AWS/RDS", "AuroraGlobalDBReplicationLag", "DBClusterIdentifier", c]
                for c in targets.get("dr_clusters", ())
            ]
            if dr_lag:
                found.append(Widget(f"Database {concern}: DR replication lag", dr_lag, sources.dr_region, "Maximum"))
    if sources.cache_nodes:
        nodes = [["CacheClusterId", node] for node in sources.cache_nodes]
        found.append(
            Widget(
                "Cache: memory and engine CPU (%)",
                [
                    *(["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", *dims] for dims in nodes),
                    *(["AWS/ElastiCache", "EngineCPUUtilization", *dims] for dims in nodes),
                ],
                here,
                "Maximum",
            )
        )
    for concern in sources.concerns:
        for metric, stat, title in BUSINESS_METRICS.get(concern, ()):
            period = 60 if stat.startswith("p") else 3600
            found.append(Widget(title, [[APP_NAMESPACE, metric, "Cell", sources.cell]], here, stat, period))
    return found


def body(found: Sequence[Widget]) -> dict[str, Any]:
    """The dashboard body (CloudWatch's ``DashboardBody`` structure) of ``found``, three widgets a row."""
    return {
        "widgets": [
            {
                "type": "metric",
                "x": (index % _PER_ROW) * _WIDTH,
                "y": (index // _PER_ROW) * _HEIGHT,
                "width": _WIDTH,
                "height": _HEIGHT,
                "properties": {
                    "title": widget.title,
                    "region": widget.region,
                    "metrics": widget.lines,
                    "stat": widget.stat,
                    "period": widget.period,
                    "view": "timeSeries",
                },
            }
            for index, widget in enumerate(found)
        ]
    }


class CellDashboard:
    """The cell's dashboard, in its primary region (not a component: a child of the cell on its provider)."""

    def __init__(self, name: str, sources: DashboardSources, *, opts: pulumi.ResourceOptions) -> None:
        self.widgets = widgets(sources)
        self.dashboard = aws.cloudwatch.Dashboard(
            child(name, "dashboard"),
            # Dashboard names are unique per account (all regions): stack and cell keep them apart.
            dashboard_name=physical(pulumi.get_stack(), sources.cell, "operations", limit=255),
            dashboard_body=pulumi.Output.json_dumps(body(self.widgets)),
            opts=opts,
        )
        self.name = self.dashboard.dashboard_name
