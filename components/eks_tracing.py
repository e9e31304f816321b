"""ClusterTracing: the X-Ray trace collector on an EKS cluster, off by default (``compute.tracing``).

``compute.tracing: {collector_image: <image>}``, the same key and shape as an ECS service's ``tracing``, runs the AWS
Distro for OpenTelemetry (ADOT) collector as a DaemonSet in its own namespace (``tracing``), one pod per node. It
takes what the ECS sidecar takes, OTLP (4317 gRPC, 4318 HTTP) and the X-Ray daemon protocol (UDP 2000), and exports
to AWS X-Ray (:data:`COLLECTOR_CONFIG`). Applications send to the node-local pod through the Service ``collector`` of
that namespace (``internalTrafficPolicy: Local``): ``OTEL_EXPORTER_OTLP_ENDPOINT`` = ``http://collector.tracing:4317``,
``AWS_XRAY_DAEMON_ADDRESS`` = ``collector.tracing:2000`` (:func:`tracing_environment`).

Why this and not the alternatives (docs/operations.md, "Tracing"):

- the X-Ray daemon is in maintenance since 2026-02-25 and out of support on 2027-02-25 (:data:`XRAY_DAEMON_EOS`);
- the ``adot`` EKS add-on installs an operator whose admission webhooks need cert-manager on the cluster first
  (:data:`ADOT_ADDON_SOURCE`), which this library does not run;
- the ``amazon-cloudwatch-observability`` add-on turns on Container Insights, Application Signals and container log
  shipping by default and its agent needs ``CloudWatchAgentServerPolicy``: far more than trace writes.

The collector's role is IRSA-bound, like every other add-on role of the cluster (:func:`~fintech_infra.eks_addons.
irsa_role`), to ``tracing/collector`` only, and holds only the X-Ray write actions of ``AWSXrayWriteOnlyAccess``
(:data:`~fintech_infra.tracing.XRAY_WRITE_ACTIONS`, on ``*``: they have no resource type). The namespace gets the
cluster's baseline (Pod Security ``restricted``, default-deny) plus what the collector needs: ingress from the VPC on
the three ports (pods have VPC addresses), and HTTPS out to X-Ray's public endpoint (the VPC has no X-Ray endpoint).
Each workload namespace may send to it on those ports and nowhere else new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_kubernetes as k8s

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.aws_facts import Source
from fintech_infra.compute_config import TracingSettings
from fintech_infra.eks_addons import irsa_role
from fintech_infra.k8s_baseline import KubernetesBaseline
from fintech_infra.tracing import xray_statement

__all__ = [
    "ADOT_ADDON_SOURCE",
    "COLLECTOR_CONFIG",
    "COLLECTOR_PORTS",
    "NAMESPACE",
    "SERVICE_ACCOUNT",
    "XRAY_DAEMON_EOS",
    "ClusterTracing",
    "collector_config",
    "tracing_environment",
]

NAMESPACE = "tracing"
SERVICE_ACCOUNT = "collector"
COLLECTOR_PORTS: tuple[tuple[str, int, str], ...] = (
    ("otlp-grpc", 4317, "TCP"),
    ("otlp-http", 4318, "TCP"),
    ("xray", 2000, "UDP"),
)
RUN_AS_USER = 10001
"""The collector image sets no user (it is ``FROM scratch``); any non-root id reads its world-readable files."""

XRAY_DAEMON_EOS = Source(
    "https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon-eos.html",
    quote="Maintenance mode: February 25th, 2026 - February 25th, 2027 ... End of support: February 25th, 2027 ... "
    "Before February 25th, 2027 we recommend that you migrate to OpenTelemetry solutions for instrumenting your "
    "application and sending traces to AWS X-Ray.",
)
ADOT_ADDON_SOURCE = Source(
    "https://docs.aws.amazon.com/eks/latest/userguide/add-ons-adot.html",
    quote="The Amazon EKS add-on name is adot ... ADOT requires that cert-manager is deployed on the cluster as a "
    "prerequisite, otherwise this add-on won't work.",
)
COLLECTOR_SOURCE = Source(
    "https://aws-otel.github.io/docs/getting-started/x-ray",
    quote="receivers: awsxray: endpoint: 0.0.0.0:2000, transport: udp; otlp: protocols: grpc, http ... exporters: "
    "awsxray: region ... service: pipelines: traces: receivers, processors: [batch], exporters: [awsxray]. (The "
    "collector image, aws-observability/aws-otel-collector cmd/awscollector/Dockerfile, EXPOSEs 4317 and 2000.)",
)


def collector_config(region: str) -> dict[str, Any]:
    """The collector's configuration: OTLP and X-Ray daemon protocol in, batched, to X-Ray in ``region``."""
    return {
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}},
            "awsxray": {"endpoint": "0.0.0.0:2000", "transport": "udp"},
        },
        "processors": {"batch": {}},
        "exporters": {"awsxray": {"region": region}},
        "service": {
            "pipelines": {
                "traces": {"receivers": ["otlp", "awsxray"], "processors": ["batch"], "exporters": ["awsxray"]}
            }
        },
    }


COLLECTOR_CONFIG = "/conf/collector.json"


def tracing_environment() -> dict[str, str]:
    """What an application pod is told: the node-local collector, through its Service."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{SERVICE_ACCOUNT}.{NAMESPACE}:4317",
        "AWS_XRAY_DAEMON_ADDRESS": f"{SERVICE_ACCOUNT}.{NAMESPACE}:2000",
    }


def _ports(protocols: Sequence[str] = ("TCP", "UDP")) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [
        k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol)
        for _, port, protocol in COLLECTOR_PORTS
        if protocol in protocols
    ]


class ClusterTracing(FintechComponent):
    """The ADOT collector DaemonSet sending a cluster's traces to AWS X-Ray, with its IRSA role and network rules."""

    OUTPUTS: ClassVar[dict[str, str]] = {"role_arn": "The collector's IRSA role (X-Ray write actions only)."}

    def __init__(
        self,
        name: str,
        settings: TracingSettings,
        *,
        cell: str,
        jurisdiction: str,
        region: str,
        issuer: pulumi.Output[str],
        oidc_provider_arn: pulumi.Input[str],
        provider: k8s.Provider,
        vpc_cidr: str,
        data_cidrs: Sequence[str],
        workload_namespaces: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``settings.collector_image`` is the image as this region pulls it (a standby's: the DR region's replica)."""
        super().__init__("fintech:eks:ClusterTracing", name, opts)
        here = pulumi.ResourceOptions(parent=self)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=provider)
        self.role = irsa_role(
            name,
            "collector",
            issuer=issuer,
            oidc_provider_arn=oidc_provider_arn,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy_document=json.dumps({"Version": "2012-10-17", "Statement": [xray_statement()]}),
            parent=self,
        )
        baseline = KubernetesBaseline(
            child(name, "baseline"),
            cell=cell,
            jurisdiction=jurisdiction,
            namespaces={NAMESPACE: ()},
            provider=provider,
            vpc_cidr=vpc_cidr,
            data_cidrs=data_cidrs,
            ingress_ports=[port for _, port, protocol in COLLECTOR_PORTS if protocol == "TCP"],
            opts=here,
        )
        after = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[baseline])
        labels = {"app.kubernetes.io/name": "collector", "app.kubernetes.io/part-of": "tracing"}
        everyone = k8s.meta.v1.LabelSelectorArgs(match_labels={})
        k8s.networking.v1.NetworkPolicy(
            child(name, "collector-traffic"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-collector-traffic", namespace=NAMESPACE),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                policy_types=["Ingress", "Egress"],
                # The X-Ray daemon protocol is UDP, which the baseline's (TCP) ingress does not cover.
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(cidr=vpc_cidr)
                            )
                        ],
                        ports=_ports(("UDP",)),
                    )
                ],
                # X-Ray has no endpoint in the VPC: its public endpoint, over HTTPS through the NAT gateways.
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0")
                            )
                        ],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=443, protocol="TCP")],
                    )
                ],
            ),
            opts=after,
        )
        for namespace in workload_namespaces:
            k8s.networking.v1.NetworkPolicy(
                child(name, f"{namespace}-egress"),
                metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-tracing-egress", namespace=namespace),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=everyone,
                    policy_types=["Egress"],
                    egress=[
                        k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                            to=[
                                k8s.networking.v1.NetworkPolicyPeerArgs(
                                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                        match_labels={"kubernetes.io/metadata.name": NAMESPACE}
                                    ),
                                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                                )
                            ],
                            ports=_ports(),
                        )
                    ],
                ),
                opts=on_cluster,
            )
        account = k8s.core.v1.ServiceAccount(
            child(name, "service-account"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SERVICE_ACCOUNT,
                namespace=NAMESPACE,
                annotations={"eks.amazonaws.com/role-arn": self.role.arn},
            ),
            opts=after,
        )
        config = k8s.core.v1.ConfigMap(
            child(name, "config"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="collector-config", namespace=NAMESPACE),
            data={"collector.json": json.dumps(collector_config(region), sort_keys=True)},
            opts=after,
        )
        k8s.apps.v1.DaemonSet(
            child(name, "collector"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="collector", namespace=NAMESPACE, labels=labels),
            spec=k8s.apps.v1.DaemonSetSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=_pod_spec(settings.collector_image, config_map=config.metadata.name),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[baseline, account]),
        )
        k8s.core.v1.Service(
            child(name, "service"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=NAMESPACE, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels,
                # Each pod sends to the collector on its own node: no trace crosses nodes.
                internal_traffic_policy="Local",
                ports=[
                    k8s.core.v1.ServicePortArgs(name=port_name, port=port, target_port=port, protocol=protocol)
                    for port_name, port, protocol in COLLECTOR_PORTS
                ],
            ),
            opts=after,
        )
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.register_outputs({"role_arn": self.role_arn})


def _pod_spec(image: str, *, config_map: pulumi.Input[str]) -> k8s.core.v1.PodSpecArgs:
    """The collector pod: restricted Pod Security, read-only root, requests and limits."""
    return k8s.core.v1.PodSpecArgs(
        service_account_name=SERVICE_ACCOUNT,
        automount_service_account_token=True,  # IRSA reads the projected token
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=RUN_AS_USER,
            run_as_group=RUN_AS_USER,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        containers=[
            k8s.core.v1.ContainerArgs(
                name="collector",
                image=image,
                args=[f"--config={COLLECTOR_CONFIG}"],
                ports=[
                    k8s.core.v1.ContainerPortArgs(name=port_name, container_port=port, protocol=protocol)
                    for port_name, port, protocol in COLLECTOR_PORTS
                ],
                resources=k8s.core.v1.ResourceRequirementsArgs(
                    requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "512Mi"}
                ),
                security_context=k8s.core.v1.SecurityContextArgs(
                    allow_privilege_escalation=False,
                    read_only_root_filesystem=True,
                    run_as_non_root=True,
                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                volume_mounts=[k8s.core.v1.VolumeMountArgs(name="config", mount_path="/conf", read_only=True)],
            )
        ],
        volumes=[
            k8s.core.v1.VolumeArgs(name="config", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config_map))
        ],
    )
