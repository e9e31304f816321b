"""The diagram's edges, derived from what the resources reference (:attr:`ResourceSummary.refs`).

A request's path through a site: the internet reaches the WAF that protects a load balancer (a web ACL
association references both), the load balancer's listeners (a listener references its load balancer), their
rules (a rule references its listener), the services a rule or listener forwards to (both reference a target
group the service registers into), and from each service the databases and caches its security groups may
reach (a security group rule, or a store's group, references the client's group or the client itself). DNS
failover records of a routing stack point at the load balancer that serves their hostname in the region their
set identifier names (the cell stack's certificate for that hostname, on one of that load balancer's listeners).

Every edge is found from the recorded references, never from names, and follows the stack's tree order, so the
edges do not change between runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fintech_infra_gate.result import ResourceSummary, StackResult

__all__ = [
    "CERTIFICATE",
    "RECORD",
    "Edge",
    "References",
    "failover_targets",
    "request_edges",
    "subnet_of",
    "support_edges",
]

T = TypeVar("T")

Edge = tuple[str, str, str, bool]
"""(source URN, target URN, label, dashed)."""

LOAD_BALANCER = ("aws:lb/loadBalancer:", "aws:alb/loadBalancer:")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE = ("aws:lb/listenerRule:", "aws:alb/listenerRule:")
TARGET_GROUP = ("aws:lb/targetGroup:", "aws:alb/targetGroup:")
WAF_ACL = ("aws:wafv2/webAcl:WebAcl",)
WAF_ASSOCIATION = ("aws:wafv2/webAclAssociation:",)
SERVICE = ("aws:ecs/service:", "aws:eks/cluster:", "aws:eks/nodeGroup:", "aws:lambda/function:")
STORE = ("aws:rds/instance:", "aws:rds/cluster:Cluster", "aws:elasticache/replicationGroup:")
SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup",)
SECURITY_GROUP_RULE = (
    "aws:ec2/securityGroupRule:",
    "aws:vpc/securityGroupIngressRule:",
    "aws:vpc/securityGroupEgressRule:",
)
CERTIFICATE = ("aws:acm/certificate:",)
RECORD = ("aws:route53/record:",)
SUBNET = ("aws:ec2/subnet:",)
SUBNET_GROUP = ("aws:rds/subnetGroup:", "aws:elasticache/subnetGroup:")
CERTIFICATE_USE = ("aws:acm/certificateValidation:", "aws:lb/listenerCertificate:", "aws:alb/listenerCertificate:")
TARGET_GROUP_BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"


@dataclass(frozen=True)
class References:
    """A stack's resources and who references whom, both ways, restricted to the stack's own resources."""

    resources: Mapping[str, ResourceSummary]
    refs: Mapping[str, tuple[str, ...]]
    referrers: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, stack: StackResult) -> References:
        resources = {resource.urn: resource for resource in stack.resources}
        refs: dict[str, tuple[str, ...]] = {}
        referrers: dict[str, list[str]] = defaultdict(list)
        for resource in stack.resources:
            own = tuple(urn for urn in resource.refs if urn in resources and urn != resource.urn)
            refs[resource.urn] = own
            for urn in own:
                referrers[urn].append(resource.urn)
        return cls(resources, refs, {urn: tuple(found) for urn, found in referrers.items()})

    def of_type(self, prefixes: tuple[str, ...]) -> list[ResourceSummary]:
        return [resource for resource in self.resources.values() if resource.type.startswith(prefixes)]

    def out(self, urn: str, prefixes: tuple[str, ...]) -> list[str]:
        return [ref for ref in self.refs.get(urn, ()) if self.resources[ref].type.startswith(prefixes)]

    def into(self, urn: str, prefixes: tuple[str, ...]) -> list[str]:
        return [ref for ref in self.referrers.get(urn, ()) if self.resources[ref].type.startswith(prefixes)]


def _registrars(index: References, group: str) -> list[str]:
    """What fills a target group: services naming it, or the cluster of a TargetGroupBinding naming it."""
    found = index.into(group, SERVICE)
    for binding in index.into(group, (TARGET_GROUP_BINDING,)):
        found += [ref for ref in index.refs.get(binding, ()) if index.resources[ref].type.startswith(SERVICE)]
    return found


def _handles(index: References, urn: str) -> set[str]:
    """The resource and the security groups it wears (a rule may reference either)."""
    return {urn, *index.out(urn, SECURITY_GROUP)}


def _admits(index: References, store: str, client: str) -> bool:
    clients = _handles(index, client)
    for group in _handles(index, store) - {store}:
        if clients & set(index.refs.get(group, ())):
            return True  # an inline rule of the store's group names the client's group
        for rule in index.into(group, SECURITY_GROUP_RULE):
            if clients & set(index.refs.get(rule, ())):
                return True
    return False


def request_edges(index: References) -> list[Edge]:
    """Internet, WAF, load balancer, listener, rule, service, data store: the request path of one stack."""
    edges: list[Edge] = []
    protected: set[str] = set()
    for association in index.of_type(WAF_ASSOCIATION):
        for acl in index.out(association.urn, WAF_ACL):
            for balancer in index.out(association.urn, LOAD_BALANCER):
                edges.append((acl, balancer, "", False))
                protected.add(balancer)
    for alb in index.of_type(LOAD_BALANCER):
        if alb.urn not in protected and alb.details.get("internal") is not True:
            edges.append(("internet", alb.urn, "", False))
    for acl in sorted({edge[0] for edge in edges if edge[0] != "internet"}):
        edges.insert(0, ("internet", acl, "", False))
    for listener in index.of_type(LISTENER):
        for balancer in index.out(listener.urn, LOAD_BALANCER):
            edges.append((balancer, listener.urn, str(listener.details.get("protocol", "")), False))
    for rule in index.of_type(LISTENER_RULE):
        edges += [(parent, rule.urn, "", False) for parent in index.out(rule.urn, LISTENER)]
    for group in index.of_type(TARGET_GROUP):
        for router in index.into(group.urn, LISTENER + LISTENER_RULE):
            edges += [(router, service, "forward", False) for service in _registrars(index, group.urn)]
    stores = index.of_type(STORE)
    for service in index.of_type(SERVICE):
        edges += [(service.urn, store.urn, "", False) for store in stores if _admits(index, store.urn, service.urn)]
    return _unique(edges)


def support_edges(index: References) -> list[tuple[str, str, str]]:
    """What keeps a site running, beside the request path: the cluster a service runs on, the key each resource
    is encrypted with, the zones a record is in or delegates to, and the load balancer whose certificate a
    validation record validates."""
    edges: list[tuple[str, str, str]] = []
    for service in index.of_type(("aws:ecs/service:",)):
        edges += [(cluster, service.urn, "runs") for cluster in index.out(service.urn, ("aws:ecs/cluster:",))]
    for urn in index.resources:
        edges += [(urn, key, "key") for key in index.out(urn, ("aws:kms/key:",))]
    for record in index.of_type(RECORD):
        edges += [(record.urn, zone, "zone") for zone in index.out(record.urn, ("aws:route53/zone:",))]
        for certificate in index.out(record.urn, CERTIFICATE):
            for listener in _listeners_of(index, certificate):
                edges += [(record.urn, balancer, "validates") for balancer in index.out(listener, LOAD_BALANCER)]
    return _unique(edges)


def failover_targets(
    record: ResourceSummary, stacks: Sequence[StackResult], indexes: Mapping[str, References]
) -> list[tuple[str, str]]:
    """(load balancer URN, PRIMARY or SECONDARY) a routing stack's failover record points at."""
    identifier = str(record.details.get("setIdentifier", ""))
    hostname = str(record.details.get("name", ""))
    role = next((word for word in ("primary", "secondary") if f"-{word}-" in identifier), None)
    if role is None or not hostname:
        return []
    region = identifier.rsplit(f"-{role}-", 1)[1]
    found = []
    for stack in stacks:
        index = indexes[stack.stack]
        for certificate in index.of_type(CERTIFICATE):
            names = [certificate.details.get("domainName"), *certificate.details.get("subjectAlternativeNames", ())]
            if hostname not in names or certificate.region != region:
                continue
            for listener in _listeners_of(index, certificate.urn):
                found += [(balancer, role.upper()) for balancer in index.out(listener, LOAD_BALANCER)]
    return _unique(found)


def _listeners_of(index: References, certificate: str) -> list[str]:
    """Listeners serving a certificate: naming it, its validation, or through a listener certificate."""
    listeners = index.into(certificate, LISTENER)
    for use in index.into(certificate, CERTIFICATE_USE):
        listeners += index.into(use, LISTENER) + index.out(use, LISTENER)
    return _unique(listeners)


def subnet_of(index: References, urn: str) -> list[str]:
    """The subnets a resource is placed in: named by it, or by the subnet group it names."""
    found = index.out(urn, SUBNET)
    for group in index.out(urn, SUBNET_GROUP):
        found += index.out(group, SUBNET)
    return _unique(found)


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))
