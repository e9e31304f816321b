"""Security groups for pods: one group per workload namespace, so each concern reaches only its own database.

NetworkPolicies match addresses, and every concern's database and the cache share the isolated subnets, so
a NetworkPolicy cannot tell the payments database from the audit one. Security groups can: each data store's
group admits only the groups of its clients (:mod:`fintech_infra.data_access`). With the VPC CNI's
``ENABLE_POD_ENI`` (:mod:`fintech_infra.eks_addons`) and the ``AmazonEKSVPCResourceController`` policy on the
cluster role (:mod:`fintech_infra.eks`), a ``SecurityGroupPolicy`` (``vpcresources.k8s.aws/v1beta1``) with
an empty ``podSelector`` gives every pod of a namespace its own branch ENI wearing that namespace's group, and
the pod's traffic leaves through that group, not the node's (EKS user guide, "Security groups for Pods").

Per namespace the group allows, each rule its own resource:

- egress 443 to the VPC (interface endpoints: STS, Secrets Manager, KMS, ECR; and the cluster's API);
- egress 53 (TCP and UDP) to the cluster security group, and the cluster group's matching ingress: CoreDNS
  runs on the nodes' interfaces, and the user guide requires both rules;
- egress on the PostgreSQL port to the data subnets when the namespace reaches a concern, and on the cache
  port when one of its services declares the cache (the data stores' groups decide which store admits it);
- egress 443 to anywhere only when one of its services declares an external endpoint (the service's
  NetworkPolicy then narrows it to that service and the endpoint's CIDRs);
- ingress from the cluster security group on its services' ports (kubelet probes) and from itself on them
  (services of one namespace calling each other); the edge adds the ALB's ingress rule per service.

NetworkPolicies still apply on top (the VPC CNI enforces them for pods with security groups too), so traffic
must pass both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from fintech_infra._naming import child
from fintech_infra.rds_baseline import POSTGRES_PORT
from fintech_infra.redis import REDIS_PORT

__all__ = [
    "SECURITY_GROUPS_FOR_PODS_SOURCE",
    "SECURITY_GROUP_POLICY_API",
    "SECURITY_GROUP_POLICY_KIND",
    "NamespaceTraffic",
    "PodSecurityGroups",
]

SECURITY_GROUP_POLICY_API = "vpcresources.k8s.aws/v1beta1"
SECURITY_GROUP_POLICY_KIND = "SecurityGroupPolicy"
SECURITY_GROUPS_FOR_PODS_SOURCE = (
    "EKS user guide: security-groups-for-pods.html (compatible with network policies), "
    "security-groups-pods-deployment.html (AmazonEKSVPCResourceController, ENABLE_POD_ENI, "
    "DISABLE_TCP_EARLY_DEMUX for probes) and sg-pods-example-deployment.html (CoreDNS port 53 to and from the "
    "cluster security group), checked 2026-12-07"
)


@dataclass(frozen=True)
class NamespaceTraffic:
    """What one namespace's pods need on the network."""

    concerns: tuple[str, ...]
    """The data concerns whose databases its pods reach."""
    ports: tuple[int, ...]
    """Its services' container ports."""
    cache: bool
    external_https: bool


class PodSecurityGroups:
    """The groups, their rules and the SecurityGroupPolicy per namespace (children of the compute tier's parent).

    ``groups`` maps a namespace to its group; ``policies`` to its SecurityGroupPolicy.
    """

    def __init__(
        self,
        prefix: str,
        *,
        namespaces: Mapping[str, NamespaceTraffic],
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        data_cidrs: Mapping[str, str],
        cluster_security_group_id: pulumi.Input[str],
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> None:
        """``data_cidrs`` maps each availability zone to its isolated subnet's CIDR."""
        self.groups: dict[str, aws.ec2.SecurityGroup] = {}
        self.policies: dict[str, k8s.apiextensions.CustomResource] = {}
        for namespace, traffic in namespaces.items():
            name = child(prefix, f"pods-{namespace}-sg")
            group = aws.ec2.SecurityGroup(
                name,
                vpc_id=vpc_id,
                description=f"Pods of namespace {namespace}: its concern's data stores only",
                tags={},
                opts=opts,
            )
            self.groups[namespace] = group
            self._rules(
                name,
                group,
                traffic,
                vpc_cidr=vpc_cidr,
                data_cidrs=data_cidrs,
                cluster_group=cluster_security_group_id,
                opts=opts,
            )
            self.policies[namespace] = k8s.apiextensions.CustomResource(
                child(prefix, f"{namespace}-pod-sg-policy"),
                api_version=SECURITY_GROUP_POLICY_API,
                kind=SECURITY_GROUP_POLICY_KIND,
                metadata=k8s.meta.v1.ObjectMetaArgs(name="namespace-pods", namespace=namespace),
                spec={"podSelector": {}, "securityGroups": {"groupIds": [group.id]}},
                opts=pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(provider=provider, depends_on=list(depends_on))
                ),
            )

    @staticmethod
    def _rules(
        name: str,
        group: aws.ec2.SecurityGroup,
        traffic: NamespaceTraffic,
        *,
        vpc_cidr: str,
        data_cidrs: Mapping[str, str],
        cluster_group: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        def egress(role: str, port: int, description: str, *, cidr: str | None = None, protocol: str = "tcp") -> None:
            aws.vpc.SecurityGroupEgressRule(
                child(name, role),
                security_group_id=group.id,
                ip_protocol=protocol,
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
                referenced_security_group_id=None if cidr else cluster_group,
                description=description,
                tags={},
                opts=opts,
            )

        def ingress(
            role: str,
            port: int,
            description: str,
            *,
            into: pulumi.Input[str],
            source: pulumi.Input[str],
            protocol: str = "tcp",
        ) -> None:
            aws.vpc.SecurityGroupIngressRule(
                child(name, role),
                security_group_id=into,
                ip_protocol=protocol,
                from_port=port,
                to_port=port,
                referenced_security_group_id=source,
                description=description,
                tags={},
                opts=opts,
            )

        egress("https-vpc-out", 443, "HTTPS to the VPC: interface endpoints and the cluster API", cidr=vpc_cidr)
        for protocol in ("tcp", "udp"):
            egress(f"dns-{protocol}-out", 53, f"DNS ({protocol}) to CoreDNS on the nodes", protocol=protocol)
            # On the cluster group's side: CoreDNS admits this namespace's pods.
            ingress(
                f"dns-to-cluster-{protocol}",
                53,
                f"CoreDNS from pods ({protocol})",
                into=cluster_group,
                source=group.id,
                protocol=protocol,
            )
        for zone, cidr in data_cidrs.items():
            if traffic.concerns:
                egress(f"postgres-out-{zone}", POSTGRES_PORT, f"PostgreSQL in the data subnet of {zone}", cidr=cidr)
            if traffic.cache:
                egress(f"cache-out-{zone}", REDIS_PORT, f"Cache in the data subnet of {zone}", cidr=cidr)
        if traffic.external_https:
            egress("https-external-out", 443, "HTTPS to declared external endpoints", cidr="0.0.0.0/0")
        for port in traffic.ports:
            ingress(f"probes-in-{port}", port, f"Kubelet probes on {port}", into=group.id, source=cluster_group)
            ingress(
                f"same-namespace-in-{port}", port, f"Same-namespace services on {port}", into=group.id, source=group.id
            )
