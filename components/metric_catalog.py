"""Every CloudWatch metric the alarms and dashboards name: namespace, metric name and dimension names, as data.

Each AWS metric is what a resource of the stack publishes (:attr:`MetricSpec.producer`, a Pulumi type token), read
from the service's own metrics page (:attr:`MetricSpec.source`, checked 2026-12-07). Each application metric is a
contract the services keep: they publish it to :data:`APP_NAMESPACE` with the dimensions listed (docs/operations.md
"The business metrics contract"). The dashboard test checks every metric a dashboard names against this catalogue
and the stack's resources, so a widget can only show something that exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fintech_infra.aws_facts import Source

__all__ = ["APP_NAMESPACE", "METRICS", "MetricSpec", "spec"]

APP_NAMESPACE = "FintechInfra/Business"
"""The custom namespace the services publish business metrics to (``PutMetricData``; names must not start with
``AWS/``, which AWS reserves)."""

_ALB = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
    quote="AWS/ApplicationELB ... RequestCount, HTTPCode_ELB_5XX_Count, HTTPCode_Target_5XX_Count, "
    "TargetResponseTime ... Dimensions: LoadBalancer, TargetGroup",
)
_WAF = Source(
    "https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html",
    quote="AWS/WAFV2 ... BlockedRequests, AllowedRequests (Sum) ... for an Application Load Balancer: Region, Rule, "
    "WebACL. Rule: the metric name of the rule, or ALL for all rules; WebACL: the metric name of the WebACL; "
    "Region: the Region of the Application Load Balancer.",
)
_ECS = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html",
    quote="AWS/ECS CPUUtilization, MemoryUtilization ... Dimensions: ClusterName, ServiceName (the service's "
    "utilization as a percentage of the CPU/memory reserved by its tasks).",
)
_RDS = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html",
    quote="AWS/RDS DatabaseConnections, CPUUtilization, FreeStorageSpace, ReplicaLag (seconds) ... dimension "
    "DBInstanceIdentifier.",
)
_AURORA_GLOBAL = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html",
    quote="AuroraGlobalDBReplicationLag: For an Aurora global database, the amount of lag when replicating updates "
    "from the primary AWS Region, in milliseconds. (Dimension DBClusterIdentifier, in the secondary Region.)",
)
_ELASTICACHE = Source(
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html",
    quote="AWS/ElastiCache DatabaseMemoryUsagePercentage, Evictions, EngineCPUUtilization ... dimension "
    "CacheClusterId.",
)
_ACM = Source(
    "https://docs.aws.amazon.com/acm/latest/userguide/cloudwatch-metrics.html",
    quote="AWS/CertificateManager DaysToExpiry, dimension CertificateArn, published in the certificate's Region.",
)
_LB = ("aws:lb/loadBalancer:LoadBalancer",)
_WEB_ACL = ("aws:wafv2/webAcl:WebAcl",)
_ECS_SERVICE = ("aws:ecs/service:Service", "aws:ecs/cluster:Cluster")
_DB_INSTANCE = ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
_DB_CLUSTER = ("aws:rds/cluster:Cluster",)
_CACHE = ("aws:elasticache/replicationGroup:ReplicationGroup",)
_CERTIFICATE = ("aws:acm/certificate:Certificate",)
_CONTRACT = Source("docs/operations.md#the-business-metrics-contract", quote="The services' own metrics.")


@dataclass(frozen=True)
class MetricSpec:
    """One metric: where it is published, its dimension names and who publishes it."""

    namespace: str
    name: str
    dimensions: tuple[str, ...]
    source: Source
    producers: tuple[str, ...]
    """The Pulumi type tokens of the resources whose identifiers are its dimension values (and whose existence makes
    AWS publish it); empty for application metrics."""
    unit: str = ""


METRICS: Mapping[tuple[str, str], MetricSpec] = {
    (metric.namespace, metric.name): metric
    for metric in (
        MetricSpec("AWS/ApplicationELB", "RequestCount", ("LoadBalancer",), _ALB, _LB),
        MetricSpec("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ("LoadBalancer",), _ALB, _LB),
        MetricSpec(
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            ("LoadBalancer",),
            _ALB,
            _LB,
        ),
        MetricSpec("AWS/ApplicationELB", "TargetResponseTime", ("LoadBalancer",), _ALB, _LB),
        MetricSpec("AWS/WAFV2", "BlockedRequests", ("Region", "Rule", "WebACL"), _WAF, _WEB_ACL),
        MetricSpec("AWS/WAFV2", "AllowedRequests", ("Region", "Rule", "WebACL"), _WAF, _WEB_ACL),
        MetricSpec("AWS/ECS", "CPUUtilization", ("ClusterName", "ServiceName"), _ECS, _ECS_SERVICE),
        MetricSpec("AWS/ECS", "MemoryUtilization", ("ClusterName", "ServiceName"), _ECS, _ECS_SERVICE),
        MetricSpec("AWS/RDS", "DatabaseConnections", ("DBInstanceIdentifier",), _RDS, _DB_INSTANCE),
        MetricSpec("AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier",), _RDS, _DB_INSTANCE),
        MetricSpec("AWS/RDS", "FreeStorageSpace", ("DBInstanceIdentifier",), _RDS, _DB_INSTANCE),
        MetricSpec("AWS/RDS", "ReplicaLag", ("DBInstanceIdentifier",), _RDS, _DB_INSTANCE),
        MetricSpec(
            "AWS/RDS",
            "AuroraGlobalDBReplicationLag",
            ("DBClusterIdentifier",),
            _AURORA_GLOBAL,
            _DB_CLUSTER,
            "Milliseconds",
        ),
        MetricSpec(
            "AWS/ElastiCache",
            "DatabaseMemoryUsagePercentage",
            ("CacheClusterId",),
            _ELASTICACHE,
            _CACHE,
        ),
        MetricSpec(
            "AWS/ElastiCache",
            "Evictions",
            ("CacheClusterId",),
            _ELASTICACHE,
            _CACHE,
        ),
        MetricSpec(
            "AWS/ElastiCache",
            "EngineCPUUtilization",
            ("CacheClusterId",),
            _ELASTICACHE,
            _CACHE,
        ),
        MetricSpec("AWS/CertificateManager", "DaysToExpiry", ("CertificateArn",), _ACM, _CERTIFICATE),
        MetricSpec(APP_NAMESPACE, "WebhookProcessingTime", ("Cell",), _CONTRACT, (), "Seconds"),
        MetricSpec(APP_NAMESPACE, "Deposits", ("Cell",), _CONTRACT, (), "Count"),
        MetricSpec(APP_NAMESPACE, "TradeVolume", ("Cell",), _CONTRACT, (), "None"),
        MetricSpec(APP_NAMESPACE, "CommissionPayouts", ("Cell",), _CONTRACT, (), "Count"),
    )
}
"""The catalogue by ``(namespace, metric name)``."""


def spec(namespace: str, name: str) -> MetricSpec | None:
    """The catalogue's entry for ``namespace``/``name``, or None."""
    return METRICS.get((namespace, name))
