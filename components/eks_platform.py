"""EksPlatform: what turns a cluster into one that serves traffic and is run by GitOps.

Built by :class:`~fintech_infra.cell_compute.EksCompute` once the edge exists (it needs the target groups):

- the AWS Load Balancer Controller, allowed to register targets into exactly those target groups
  (:mod:`fintech_infra.eks_lb_controller`);
- the platform namespaces ``argocd`` and ``external-secrets`` with the same baseline as the workload
  namespaces (Pod Security ``restricted``, default-deny), External Secrets and Argo CD
  (:mod:`fintech_infra.eks_gitops`);
- per service: its workload objects, rendered for Argo CD, and its Application (:mod:`fintech_infra.eks_workloads`);
- the alert rules in Amazon Managed Service for Prometheus (:mod:`fintech_infra.eks_alerts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import pulumi

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.config import EksSettings
from fintech_infra.eks import EksCluster
from fintech_infra.eks_alerts import ClusterAlerts
from fintech_infra.eks_config import EksServiceSettings
from fintech_infra.eks_gitops import ARGO_CD_NAMESPACE, EXTERNAL_SECRETS_NAMESPACE, GitOps
from fintech_infra.eks_lb_controller import load_balancer_controller
from fintech_infra.eks_workloads import ServiceIdentity, service_workload
from fintech_infra.k8s_baseline import KubernetesBaseline
from fintech_infra.wiring import KeyRef

__all__ = ["EksPlatform", "PlatformNetwork", "ServiceRoute", "service_identity"]

ESO_WEBHOOK_PORT = 10250
"""External Secrets' admission webhook port (chart default), which the API server calls from the VPC."""


@dataclass(frozen=True)
class PlatformNetwork:
    """Where the platform runs: the cell region's network and alarm topic."""

    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    data_cidrs: Sequence[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    alert_route: AlertRoute


@dataclass(frozen=True)
class ServiceRoute:
    """One service, the namespace it runs in, its target group and what it may read."""

    settings: EksServiceSettings
    namespace: str
    target_group_arn: pulumi.Input[str]
    identity: ServiceIdentity


class EksPlatform(FintechComponent):
    """Load balancer controller, GitOps, workloads and alert rules on one cell's EKS cluster."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "applications": "Service name to the Argo CD Application syncing it.",
        "amp_workspace_arn": "The Amazon Managed Service for Prometheus workspace holding the alert rules.",
    }

    def __init__(
        self,
        name: str,
        settings: EksSettings,
        *,
        cell: str,
        jurisdiction: str,
        cluster: EksCluster,
        cluster_key: str,
        network: PlatformNetwork,
        services: Sequence[ServiceRoute],
        standby: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``cluster_key`` names the cluster's folder in the GitOps repository (the compute tier's prefix)."""
        super().__init__("fintech:eks:EksPlatform", name, opts)
        here = pulumi.ResourceOptions(parent=self)
        provider = cluster.kubernetes_provider
        self.controller = load_balancer_controller(
            name,
            cluster_name=cluster.cluster_name,
            region=network.region,
            vpc_id=network.vpc_id,
            issuer=cluster.oidc_issuer_url,
            oidc_provider_arn=cluster.oidc_provider_arn,
            target_group_arns=[route.target_group_arn for route in services],
            provider=provider,
            parent=self,
        )
        self.applications: dict[str, pulumi.Output[str]] = {}
        gitops = settings.gitops
        if gitops is not None:
            platform = KubernetesBaseline(
                child(name, "platform-baseline"),
                cell=cell,
                jurisdiction=jurisdiction,
                namespaces={ARGO_CD_NAMESPACE: (), EXTERNAL_SECRETS_NAMESPACE: ()},
                provider=provider,
                vpc_cidr=network.vpc_cidr,
                data_cidrs=network.data_cidrs,
                ingress_ports=(ESO_WEBHOOK_PORT,),
                opts=here,
            )
            self.gitops = GitOps(
                name,
                gitops,
                cluster=cluster_key,
                namespaces=sorted({route.namespace for route in services}),
                region=network.region,
                issuer=cluster.oidc_issuer_url,
                oidc_provider_arn=cluster.oidc_provider_arn,
                provider=provider,
                parent=self,
                opts=here,
                depends_on=[platform],
            )
            for route in services:
                render = self.gitops.render_provider(route.settings.name, cluster.kubeconfig, here)
                service_workload(
                    name,
                    route.settings,
                    namespace=route.namespace,
                    target_group_arn=route.target_group_arn,
                    vpc_id=network.vpc_id,
                    region=network.region,
                    identity=route.identity,
                    issuer=cluster.oidc_issuer_url,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    render=render,
                    parent=self,
                    standby=standby,
                )
                app = self.gitops.application(route.settings.name, route.namespace)
                # The Application is named after the service; the output resolves once it is registered.
                self.applications[route.settings.name] = pulumi.Output.all(app.urn, route.settings.name).apply(
                    lambda values: str(values[1])
                )
        self.alerts = ClusterAlerts(
            name,
            settings.alerts,
            cluster_name=cluster.cluster_name,
            cluster_arn=cluster.cluster.arn,
            subnet_ids=network.private_subnet_ids,
            cluster_security_group_id=cluster.cluster_security_group_id,
            alert_route=network.alert_route,
            region=network.region,
            provider=provider,
            opts=here,
        )
        self.amp_workspace_arn: pulumi.Output[str] = self.alerts.workspace.arn
        self.register_outputs({"applications": self.applications, "amp_workspace_arn": self.amp_workspace_arn})


def service_identity(
    service: EksServiceSettings,
    *,
    secret_arns: Mapping[str, pulumi.Input[str]],
    cache_secret_arn: pulumi.Input[str] | None,
    keys: Mapping[str, KeyRef],
) -> ServiceIdentity:
    """What ``service`` may read in one region: its concern's database secret there, and the cache's when it
    declares the cache and the region has one (the DR region rebuilds its cache on failover)."""
    secrets: dict[str, pulumi.Input[str]] = {}
    refs: list[KeyRef] = []
    concern = service.concern.value
    if concern in secret_arns:
        secrets["database.json"] = secret_arns[concern]
        refs.append(keys[concern])
    if service.cache and cache_secret_arn is not None:
        secrets["cache.json"] = cache_secret_arn
        refs.append(keys["cache"])
    return ServiceIdentity(secrets=secrets, keys=refs)
