"""In-cluster alerting for an EKS cell: Amazon Managed Service for Prometheus, routed to the cell's alarm topic.

Why AMP rather than a Prometheus in the cluster:

- it is managed and regional (``aps`` is offered in ap-southeast-2 and ap-southeast-4 alike: botocore 1.43.11
  ``data/endpoints.json``, partition ``aws``, service ``aps``), so metrics stay in the cell's region and nothing
  stateful runs in the cluster that a node drain or a failover could lose;
- the rules and the Alertmanager configuration are AWS resources (``aws.amp.RuleGroupNamespace``,
  ``aws.amp.AlertManagerDefinition``), reviewed and judged with the rest of the stack;
- its Alertmanager publishes to SNS with SigV4, so the alerts reach the same topic as the CloudWatch alarms
  (the topic's policy admits ``aps.amazonaws.com`` from this account, and the platform key it is encrypted
  with admits the same service: :mod:`fintech_infra.cell_region`);
- an AWS managed collector (``aws.amp.Scraper``) scrapes the cluster from ENIs in the private subnets, so no
  agent with write credentials runs in the cluster. Its in-cluster read access is the ``aps-collector-role``
  ClusterRole bound to the ``aps-collector-user`` user (AMP user guide, "Configuring your Amazon EKS cluster").

The rules (golden signals of the trading platform, thresholds from :class:`~fintech_infra.eks_config.EksAlertSettings`):
order latency p95, transaction failure share, 5xx share, container restarts, container CPU and memory against their
limits (``warning``: routed to the warning topic), and an HPA held at its maximum.
Application metrics are a contract with the services (names in :data:`APPLICATION_METRICS`); restarts and
HPA state come from the kube-state-metrics add-on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from fintech_infra._naming import child
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.eks_config import EksAlertSettings
from fintech_infra.eks_workloads import manifest

__all__ = [
    "AMP_REGIONS_SOURCE",
    "APPLICATION_METRICS",
    "COLLECTOR_USER",
    "ClusterAlerts",
    "alert_rules",
    "alertmanager_definition",
    "scrape_configuration",
]

AMP_REGIONS_SOURCE = "botocore 1.43.11 data/endpoints.json (partition aws, service aps), checked 2026-12-07"
APPLICATION_METRICS: dict[str, str] = {
    "order_latency": "order_latency_seconds_bucket (histogram of order handling time, per service)",
    "transactions": 'transactions_total{outcome="failed"|...} (counter of payment/trade transactions)',
    "requests": "http_requests_total{code} (counter of HTTP responses by status code)",
}
"""The metrics each service exposes on ``/metrics`` (pods annotated ``prometheus.io/scrape: "true"``)."""
COLLECTOR_USER = "aps-collector-user"
_FOR = "5m"


def _rule(alert: str, expr: str, summary: str, severity: str = "page") -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": _FOR,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def alert_rules(settings: EksAlertSettings, *, cluster: str) -> str:
    """The rule group namespace's YAML (JSON is YAML): one group, the five golden-signal alerts."""
    failure = settings.transaction_failure_pct / 100
    errors = settings.error_rate_pct / 100
    rules = [
        _rule(
            "OrderLatencyP95High",
            "histogram_quantile(0.95, sum by (le, service) (rate(order_latency_seconds_bucket[5m]))) > "
            f"{settings.order_latency_p95_seconds}",
            f"Order latency p95 above {settings.order_latency_p95_seconds}s on {cluster}",
        ),
        _rule(
            "TransactionFailureRateHigh",
            'sum by (service) (rate(transactions_total{outcome="failed"}[5m])) / '
            f"sum by (service) (rate(transactions_total[5m])) > {failure:g}",
            f"More than {settings.transaction_failure_pct}% of transactions failing on {cluster}",
        ),
        _rule(
            "ErrorRateHigh",
            'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / '
            f"sum by (service) (rate(http_requests_total[5m])) > {errors:g}",
            f"More than {settings.error_rate_pct}% of requests failing with 5xx on {cluster}",
        ),
        _rule(
            "PodRestarting",
            f"increase(kube_pod_container_status_restarts_total[15m]) > {settings.restarts_per_15m}",
            f"A container restarted more than {settings.restarts_per_15m} times in 15 minutes on {cluster}",
        ),
        _rule(
            "ContainerCpuHigh",
            'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{container!=""}[5m])) / '
            'sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="cpu"}) > '
            f"{settings.container_cpu_pct / 100:g}",
            f"A container uses more than {settings.container_cpu_pct}% of its CPU limit on {cluster}",
            severity="warning",
        ),
        _rule(
            "ContainerMemoryHigh",
            'sum by (namespace, pod, container) (container_memory_working_set_bytes{container!=""}) / '
            'sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="memory"}) > '
            f"{settings.container_memory_pct / 100:g}",
            f"A container uses more than {settings.container_memory_pct}% of its memory limit on {cluster}",
            severity="warning",
        ),
        _rule(
            "HpaAtMaximum",
            "kube_horizontalpodautoscaler_status_current_replicas >= kube_horizontalpodautoscaler_spec_max_replicas",
            f"An autoscaler has been at its maximum for {_FOR} on {cluster}",
            severity="warning",
        ),
    ]
    return json.dumps({"groups": [{"name": "golden-signals", "rules": rules}]}, indent=2)


def alertmanager_definition(topic_arn: str, region: str, *, warning_topic_arn: str | None = None) -> str:
    """Alertmanager configuration (YAML as JSON) sending alerts to SNS with SigV4: ``severity="page"`` (and every
    alert without ``warning_topic_arn``) to ``topic_arn``, the critical tier; ``severity="warning"`` to
    ``warning_topic_arn``, the warning tier (:mod:`fintech_infra.alert_tiers`)."""

    def receiver(name: str, arn: str) -> dict[str, Any]:
        sns = {"topic_arn": arn, "sigv4": {"region": region}, "subject": "{{ .CommonLabels.alertname }}"}
        return {"name": name, "sns_configs": [sns]}

    route: dict[str, Any] = {"receiver": "alarm-topic", "group_by": ["alertname", "service"], "repeat_interval": "4h"}
    receivers = [receiver("alarm-topic", topic_arn)]
    if warning_topic_arn is not None:
        route["routes"] = [{"receiver": "warning-topic", "matchers": ['severity="warning"']}]
        receivers.append(receiver("warning-topic", warning_topic_arn))
    return json.dumps({"alertmanager_config": json.dumps({"route": route, "receivers": receivers})})


def scrape_configuration() -> str:
    """The managed collector's Prometheus configuration: annotated pods, kube-state-metrics and the kubelets'
    cAdvisor (container CPU and memory, through the API server's node proxy, which ``aps-collector-role`` may use:
    the job of the provider's and AMP's default scraper configuration)."""
    keep_annotated = {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "action": "keep",
        "regex": "true",
    }
    return json.dumps(
        {
            "global": {"scrape_interval": "30s"},
            "scrape_configs": [
                {
                    "job_name": "pods",
                    "kubernetes_sd_configs": [{"role": "pod"}],
                    "relabel_configs": [
                        keep_annotated,
                        {
                            "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                            "target_label": "service",
                        },
                        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                    ],
                },
                {
                    "job_name": "kube-state-metrics",
                    "kubernetes_sd_configs": [{"role": "endpoints", "namespaces": {"names": ["kube-state-metrics"]}}],
                },
                {
                    "job_name": "cadvisor",
                    "scheme": "https",
                    "authorization": {"credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
                    "kubernetes_sd_configs": [{"role": "node"}],
                    "relabel_configs": [
                        {"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"},
                        {"replacement": "kubernetes.default.svc:443", "target_label": "__address__"},
                        {
                            "source_labels": ["__meta_kubernetes_node_name"],
                            "regex": "(.+)",
                            "target_label": "__metrics_path__",
                            "replacement": "/api/v1/nodes/$1/proxy/metrics/cadvisor",
                        },
                    ],
                },
            ],
        }
    )


class ClusterAlerts:
    """The workspace, its rules, its Alertmanager, the managed collector and the collector's RBAC.

    Not a component: children of the compute tier's parent (``opts`` carries the region's provider).
    """

    def __init__(
        self,
        prefix: str,
        settings: EksAlertSettings,
        *,
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        cluster_security_group_id: pulumi.Input[str],
        alert_route: AlertRoute,
        region: pulumi.Input[str],
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions,
    ) -> None:
        self.workspace = aws.amp.Workspace(child(prefix, "amp"), alias=cluster_name, tags={}, opts=opts)
        self.rules = aws.amp.RuleGroupNamespace(
            child(prefix, "amp-rules"),
            name="golden-signals",
            workspace_id=self.workspace.id,
            data=pulumi.Output.from_input(cluster_name).apply(lambda name: alert_rules(settings, cluster=name)),
            tags={},
            opts=opts,
        )
        self.alertmanager = aws.amp.AlertManagerDefinition(
            child(prefix, "amp-alertmanager"),
            workspace_id=self.workspace.id,
            definition=pulumi.Output.all(alert_route.critical, alert_route.warning, region).apply(
                lambda values: alertmanager_definition(values[0], values[2], warning_topic_arn=values[1])
            ),
            opts=opts,
        )
        live = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))
        role = k8s.rbac.v1.ClusterRole(
            child(prefix, "aps-collector-role"),
            metadata=manifest({"name": "aps-collector-role"}),
            rules=manifest([
                {
                    "apiGroups": [""],
                    "resources": [
                        "nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints", "pods", "ingresses",
                        "configmaps",
                    ],
                    "verbs": ["describe", "get", "list", "watch"],
                },
                {
                    "apiGroups": ["extensions", "networking.k8s.io"],
                    "resources": ["ingresses/status", "ingresses"],
                    "verbs": ["describe", "get", "list", "watch"],
                },
                {
                    "apiGroups": ["metrics.eks.amazonaws.com"],
                    "resources": ["kcm/metrics", "ksh/metrics"],
                    "verbs": ["get"],
                },
                {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
            ]),
            opts=live,
        )  # fmt: skip
        binding = k8s.rbac.v1.ClusterRoleBinding(
            child(prefix, "aps-collector-binding"),
            metadata=manifest({"name": "aps-collector-user-role-binding"}),
            role_ref=manifest(
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "aps-collector-role"}
            ),
            subjects=manifest([{"kind": "User", "name": COLLECTOR_USER, "apiGroup": "rbac.authorization.k8s.io"}]),
            opts=pulumi.ResourceOptions.merge(live, pulumi.ResourceOptions(depends_on=[role])),
        )
        self.scraper = aws.amp.Scraper(
            child(prefix, "amp-scraper"),
            alias=cluster_name,
            source=aws.amp.ScraperSourceArgs(
                eks=aws.amp.ScraperSourceEksArgs(
                    cluster_arn=cluster_arn,
                    subnet_ids=list(subnet_ids),
                    security_group_ids=[cluster_security_group_id],
                )
            ),
            destination=aws.amp.ScraperDestinationArgs(
                amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=self.workspace.arn)
            ),
            scrape_configuration=scrape_configuration(),
            tags={},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[binding])),
        )
