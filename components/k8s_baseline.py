"""KubernetesBaseline: the namespaces, isolation and budgets every EKS cluster of a cell starts with.

Per workload namespace (one per data concern or workload group):

- Labels: the cell, the jurisdiction, and the data concerns its workloads reach; Pod Security Admission
  ``enforce``/``audit``/``warn`` = ``restricted`` (non-root, no privilege escalation, seccomp, no host
  namespaces, all capabilities dropped).
- A default-deny NetworkPolicy (``podSelector: {}``, ``policyTypes: [Ingress, Egress]``), then only the
  allows a service needs: traffic inside the namespace, DNS to CoreDNS in ``kube-system``, the Pod Identity
  agent, HTTPS to the VPC (interface endpoints: STS, Secrets Manager, KMS, ECR), its data stores (the
  isolated subnets on the database and cache ports, only for namespaces that reach a concern) and ingress
  from the VPC on the application ports (the ALB in the public subnets). The EKS VPC CNI enforces these
  because :class:`~fintech_infra.eks.EksCluster` turns ``enableNetworkPolicy`` on.
- A ResourceQuota (compute budget, no ``LoadBalancer`` or ``NodePort`` services: the edge ALB is the only
  public entry) and a LimitRange (defaults, so a pod without requests is still admitted and counted).

Nothing is ever created in ``default`` or the ``kube-*`` namespaces; naming one is a :class:`ConfigError`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import DataConcern
from fintech_infra.errors import ConfigError, allowed, key_path

__all__ = ["CACHE_LABEL", "LABEL_PREFIX", "PSA_LEVEL", "RESERVED_NAMESPACES", "KubernetesBaseline", "NamespaceBudget"]

LABEL_PREFIX = "fintech-infra.io"
CACHE_LABEL = "cache"
"""What a namespace's data-concerns label lists when its workloads reach the cache (the pack reads it)."""
PSA_LEVEL = "restricted"
RESERVED_NAMESPACES: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")
POD_IDENTITY_AGENT = "169.254.170.23/32"
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_CONCERNS = tuple(concern.value for concern in DataConcern)


class NamespaceBudget(BaseModel):
    """ResourceQuota and LimitRange values applied to every workload namespace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_cpu: str = Field("8", description="Sum of CPU requests. Defaults to 8.")
    requests_memory: str = Field("16Gi", description="Sum of memory requests. Defaults to 16Gi.")
    limits_cpu: str = Field("16", description="Sum of CPU limits. Defaults to 16.")
    limits_memory: str = Field("32Gi", description="Sum of memory limits. Defaults to 32Gi.")
    pods: int = Field(100, ge=1, description="Pods per namespace. Defaults to 100.")
    default_request_cpu: str = Field("100m", description="Container CPU request when unset. Defaults to 100m.")
    default_request_memory: str = Field("128Mi", description="Container memory request when unset. Defaults to 128Mi.")
    default_limit_cpu: str = Field("500m", description="Container CPU limit when unset. Defaults to 500m.")
    default_limit_memory: str = Field("512Mi", description="Container memory limit when unset. Defaults to 512Mi.")


def _validate(
    name: str,
    namespaces: Mapping[str, Sequence[str]],
    cidrs: Mapping[str, Sequence[str]],
) -> None:
    problems: list[str] = []
    if not namespaces:
        problems.append(f"{key_path(name, 'namespaces')}: {{}} is empty; allowed: at least one workload namespace")
    for namespace, concerns in namespaces.items():
        where = key_path(name, "namespaces", namespace)
        if namespace in RESERVED_NAMESPACES or namespace.startswith("kube-"):
            problems.append(
                f"{where}: {namespace!r} is reserved; workloads never run in {', '.join(RESERVED_NAMESPACES)} "
                "or kube-*; allowed: a workload namespace name"
            )
        elif not _DNS_LABEL.match(namespace):
            problems.append(f"{where}: {namespace!r} is not a DNS label; allowed: lowercase letters, digits, '-'")
        for concern in concerns:
            if str(concern) not in _CONCERNS:
                problems.append(f"{where}: {str(concern)!r} is not a data concern; {allowed(_CONCERNS)}")
    for key, values in cidrs.items():
        for index, cidr in enumerate(values):
            try:
                network = ipaddress.ip_network(cidr)
            except ValueError:
                problems.append(f"{key_path(name, key, index)}: {cidr!r} is not a CIDR; allowed: e.g. '10.0.32.0/20'")
                continue
            if network.prefixlen == 0:
                problems.append(f"{key_path(name, key, index)}: {cidr!r} admits everything; allowed: the VPC's ranges")
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


def _port(number: int, protocol: str = "TCP") -> k8s.networking.v1.NetworkPolicyPortArgs:
    return k8s.networking.v1.NetworkPolicyPortArgs(port=number, protocol=protocol)


def _cidr_peers(cidrs: Sequence[str]) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    return [k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=c)) for c in cidrs]


class KubernetesBaseline(FintechComponent):
    """Workload namespaces with Pod Security `restricted`, default-deny networking, quotas and limits."""

    OUTPUTS: ClassVar[dict[str, str]] = {"namespaces": "The workload namespaces created, in order."}

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        jurisdiction: str,
        namespaces: Mapping[str, Sequence[str]],
        provider: k8s.Provider,
        vpc_cidr: str,
        data_cidrs: Sequence[str],
        database_port: int = 5432,
        cache_port: int = 6379,
        ingress_ports: Sequence[int] = (8080,),
        budget: NamespaceBudget | None = None,
        cache_namespaces: Collection[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``namespaces`` maps a workload namespace to the data concerns (``DataConcern`` values) it reaches;
        ``cache_namespaces`` also reach the cache, which their data-concerns label then declares (``cache``).

        ``data_cidrs`` are the isolated data subnets' CIDRs; namespaces reaching no concern get no data egress.
        ``vpc_cidr`` bounds ingress (from the ALB) on ``ingress_ports`` and HTTPS egress (VPC endpoints).
        """
        _validate(name, namespaces, {"vpc_cidr": [vpc_cidr], "data_cidrs": data_cidrs})
        super().__init__("fintech:k8s:KubernetesBaseline", name, opts)
        budget = budget or NamespaceBudget()
        self.names: list[str] = []
        for namespace, concerns in namespaces.items():
            reached = sorted({str(concern) for concern in concerns})
            if namespace in cache_namespaces:
                reached.append(CACHE_LABEL)
            self._namespace(
                name,
                namespace,
                cell=cell,
                jurisdiction=jurisdiction,
                concerns=reached,
                provider=provider,
                vpc_cidr=vpc_cidr,
                data_cidrs=data_cidrs if reached else (),
                data_ports=(database_port, cache_port),
                ingress_ports=ingress_ports,
                budget=budget,
            )
            self.names.append(namespace)
        self.namespaces: pulumi.Output[list[str]] = pulumi.Output.from_input(list(self.names))
        self.register_outputs({"namespaces": self.namespaces})

    def _namespace(
        self,
        name: str,
        namespace: str,
        *,
        cell: str,
        jurisdiction: str,
        concerns: Sequence[str],
        provider: k8s.Provider,
        vpc_cidr: str,
        data_cidrs: Sequence[str],
        data_ports: Sequence[int],
        ingress_ports: Sequence[int],
        budget: NamespaceBudget,
    ) -> None:
        labels = {
            f"{LABEL_PREFIX}/cell": cell,
            f"{LABEL_PREFIX}/jurisdiction": jurisdiction,
            f"{LABEL_PREFIX}/data-concerns": ".".join(concerns) or "none",
            **{f"concern.{LABEL_PREFIX}/{concern}": "true" for concern in concerns},
        }
        for mode in ("enforce", "audit", "warn"):
            labels[f"pod-security.kubernetes.io/{mode}"] = PSA_LEVEL
            labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
        ns = k8s.core.v1.Namespace(
            child(name, namespace),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=labels),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        # Everything else lands in the namespace only once it exists.
        opts = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns])

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=namespace, labels={f"{LABEL_PREFIX}/cell": cell}
            )

        def policy(role: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> None:
            k8s.networking.v1.NetworkPolicy(
                child(name, f"{namespace}-{role}"), metadata=meta(role), spec=spec, opts=opts
            )

        everyone = k8s.meta.v1.LabelSelectorArgs()
        policy(
            "default-deny",
            k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress", "Egress"]),
        )
        same_namespace = [k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=everyone)]
        policy(
            "allow-same-namespace",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everyone,
                policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=same_namespace)],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=same_namespace)],
            ),
        )
        coredns = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": "kube-system"}
            ),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
        )
        egress = [
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[coredns], ports=[_port(53, "UDP"), _port(53, "TCP")]),
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=_cidr_peers([POD_IDENTITY_AGENT]), ports=[_port(80)]),
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=_cidr_peers([vpc_cidr]), ports=[_port(443)]),
        ]
        if data_cidrs:
            egress.append(
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=_cidr_peers(data_cidrs), ports=[_port(port) for port in data_ports]
                )
            )
        policy(
            "allow-platform-egress",
            k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Egress"], egress=egress),
        )
        policy(
            "allow-ingress-from-vpc",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everyone,
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=_cidr_peers([vpc_cidr]), ports=[_port(port) for port in ingress_ports]
                    )
                ],
            ),
        )
        k8s.core.v1.ResourceQuota(
            child(name, f"{namespace}-quota"),
            metadata=meta("budget"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(
                hard={
                    "requests.cpu": budget.requests_cpu,
                    "requests.memory": budget.requests_memory,
                    "limits.cpu": budget.limits_cpu,
                    "limits.memory": budget.limits_memory,
                    "pods": str(budget.pods),
                    # The edge ALB is the cell's only public entry point.
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            ),
            opts=opts,
        )
        k8s.core.v1.LimitRange(
            child(name, f"{namespace}-limits"),
            metadata=meta("container-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": budget.default_request_cpu, "memory": budget.default_request_memory},
                        default={"cpu": budget.default_limit_cpu, "memory": budget.default_limit_memory},
                    )
                ]
            ),
            opts=opts,
        )
