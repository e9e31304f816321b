"""Data paths, least privilege by concern: each workload reaches exactly the data stores of the concerns it declares.

Stores: RDS instances and clusters (their ``DataConcern`` tag) and ElastiCache replication groups (the ``cache``,
unless tagged with a concern), on their port, behind their security groups, in the subnets of their subnet group.

Workloads, and what they declare:

- ECS services, Lambda functions in a VPC and serverless-application stacks (a rotation function): the security
  groups they wear (``DataConcerns`` tag on the workload or its group: concerns joined with ``.``, ``cache``,
  or ``none``);
- Kubernetes namespaces: their pods wear the groups of the namespace's SecurityGroupPolicy, else the nodes'
  (the EKS cluster's own group); they declare the ``fintech-infra.io/data-concerns`` label, and their
  NetworkPolicies must let the egress out.

A workload *reaches* a store when the store's groups admit it (its groups, or a CIDR overlapping its subnets) on
the store's port, its own groups let that port out to the store (its groups, or its subnets), the network ACLs
of both subnets let it through, and, for pods, a NetworkPolicy allows the egress. (Security group and ACL
semantics: :mod:`fintech_guardrails.topology`.) Workloads and stores of different regions never reach each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, dig, is_unknown, known, known_list
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.topology import Permission, contains, overlaps, topology

__all__ = ["CACHE", "CONCERNS_TAG", "NAMESPACE_LABEL", "data_paths_least_privilege"]

CONCERNS_TAG = "DataConcerns"
NAMESPACE_LABEL = "fintech-infra.io/data-concerns"
CACHE = "cache"
DEFAULT_PORTS = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "aurora-mysql": 3306,
    "mariadb": 3306,
    "redis": 6379,
    "valkey": 6379,
}
"""Each engine's default port (RDS and ElastiCache user guides), for a store whose ``port`` is unset."""


@dataclass
class Store:
    node: Node
    concern: str
    groups: Any
    port: Any
    cidrs: list[str]
    subnets: list[Node]

    @property
    def label(self) -> str:
        return self.node.name


@dataclass
class Workload:
    node: Node
    label: str
    groups: Any
    cidrs: list[str]
    subnets: list[Node]
    declared: frozenset[str] | None
    """None: the workload declares nothing (no tag, no label)."""
    namespace: str | None = None

    @property
    def declares(self) -> str:
        return ", ".join(sorted(self.declared)) if self.declared else "no data concern"


def _declared(value: Any) -> frozenset[str] | None:
    if not isinstance(value, str) or is_unknown(value):
        return None
    return frozenset(part for part in value.split(".") if part and part != "none")


class DataWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out, self.topo = stack, out, topology(stack)
        self.has_acls = bool(self.stack.of_type(t.NETWORK_ACL, t.DEFAULT_NETWORK_ACL))

    # -- stores and workloads -----------------------------------------------------------------------------

    def stores(self) -> list[Store]:
        found = []
        for node in self.stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER, t.REDIS):
            concern = self.stack.concern(node) or (CACHE if node.type == t.REDIS else None)
            if concern is None:
                continue  # concern-separation reports a database without its DataConcern tag
            prop = "securityGroupIds" if node.type == t.REDIS else "vpcSecurityGroupIds"
            group_prop = "subnetGroupName" if node.type == t.REDIS else "dbSubnetGroupName"
            # A read replica that sets no port, engine or subnet group has its source's (CreateDBInstanceReadReplica).
            origin = self._replica_source(node)
            port = self._inherited(node, origin, "port")
            if port is None:
                port = DEFAULT_PORTS.get(str(known(self._inherited(node, origin, "engine"), "")))
            port = int(port) if isinstance(port, (int, float)) else port
            group_type = t.ELASTICACHE_SUBNET_GROUP if node.type == t.REDIS else t.RDS_SUBNET_GROUP
            group_holder = node if node.get(group_prop) is not None or origin is None else origin
            subnet_group = self.topo.resolve(group_holder, group_prop, group_holder.get(group_prop), group_type)
            subnets = self.topo.subnet_group_subnets(subnet_group)
            groups = self.topo.groups(node, prop, node.get(prop))
            found.append(Store(node, concern, groups, port, self.topo.cidrs(subnets), subnets))
        return found

    def _replica_source(self, node: Node) -> Node | None:
        """The RDS instance in this stack that ``node`` replicates, when it is a read replica of one."""
        if node.type != t.RDS_INSTANCE or node.get("replicateSourceDb") is None:
            return None
        sources = self.stack.refs(node, "replicateSourceDb", t.RDS_INSTANCE)
        return sources[0] if len(sources) == 1 else None

    @staticmethod
    def _inherited(node: Node, origin: Node | None, prop: str) -> Any:
        value = node.get(prop)
        return origin.get(prop) if value is None and origin is not None else value

    def workloads(self) -> list[Workload]:
        found: list[Workload] = []
        for service in self.stack.of_type(t.ECS_SERVICE):
            network = service.get("networkConfiguration")
            groups = self.topo.groups(service, "networkConfiguration", dig(network, "securityGroups"))
            subnets = self.stack.refs(service, "networkConfiguration", t.SUBNET)
            found.append(self._workload(service, f"ecs service {service.name}", groups, subnets))
        for function in self.stack.of_type(t.LAMBDA_FUNCTION):
            config = function.get("vpcConfig")
            if config is None or (isinstance(config, list) and not config):
                continue
            groups = self.topo.groups(function, "vpcConfig", dig(config, "securityGroupIds"))
            subnets = self.stack.refs(function, "vpcConfig", t.SUBNET)
            found.append(self._workload(function, f"lambda {function.name}", groups, subnets))
        for application in self.stack.of_type(t.SAR_STACK):
            groups = [self.topo.group_key(g) for g in self.stack.refs(application, "parameters", t.SECURITY_GROUP)]
            if groups:
                subnets = self.stack.refs(application, "parameters", t.SUBNET)
                found.append(self._workload(application, f"application {application.name}", groups, subnets))
        for namespace in self.stack.of_type(t.K8S_NAMESPACE):
            found.extend(self._namespace(namespace))
        return found

    def _workload(self, node: Node, label: str, groups: Any, subnets: list[Node]) -> Workload:
        declared = _declared(node.tag(CONCERNS_TAG))
        if declared is None and groups is not UNKNOWN:
            tags = [_declared(self.stack.by_urn[g].tag(CONCERNS_TAG)) for g in groups if g in self.stack.by_urn]
            if any(tag is not None for tag in tags):
                declared = frozenset().union(*(tag for tag in tags if tag is not None))
        return Workload(node, label, groups, self.topo.cidrs(subnets), subnets, declared)

    def _namespace(self, namespace: Node) -> list[Workload]:
        name = namespace.get("metadata", "name")
        if not isinstance(name, str) or is_unknown(name):
            return []
        declared = _declared(known(namespace.get("metadata", "labels"), {}).get(NAMESPACE_LABEL))
        policies = self.topo.in_namespace(name, t.K8S_SECURITY_GROUP_POLICY, cluster=namespace.provider_urn)
        clusters = self._clusters(namespace)
        if policies:
            groups: Any = []
            for policy in policies:
                found = self.topo.groups(policy, "spec", dig(policy.get("spec"), "securityGroups", "groupIds"))
                groups = UNKNOWN if found is UNKNOWN or groups is UNKNOWN else [*groups, *found]
        else:
            groups = [self.topo.group_key(cluster) for cluster in clusters]
        subnets = [
            subnet
            for cluster in clusters
            for group in self.topo.referrers(cluster, (t.EKS_NODE_GROUP,), "clusterName")
            for subnet in self.stack.refs(group, "subnetIds", t.SUBNET)
        ]
        return [Workload(namespace, f"namespace {name}", groups, self.topo.cidrs(subnets), subnets, declared, name)]

    def _clusters(self, namespace: Node) -> list[Node]:
        """The EKS cluster a namespace runs in: its provider's (through the kubeconfig), else the cell's only one."""
        provider = self.stack.by_urn.get(namespace.provider_urn or "")
        if provider is not None:
            found = [
                n
                for urns in provider.property_dependencies.values()
                for u in urns
                if (n := self.stack.by_urn.get(u)) is not None and n.type == t.EKS_CLUSTER
            ]
            if found:
                return found[:1]
        clusters = self.stack.of_type(t.EKS_CLUSTER)
        same = [c for c in clusters if self.topo.root(c) == self.topo.root(namespace)]
        if len(same) == 1:
            return same
        return clusters if len(clusters) == 1 else []

    # -- reach ----------------------------------------------------------------------------------------------

    def reach(self, workload: Workload, store: Store) -> tuple[Any, str, list[Permission]]:
        """(True/False/UNKNOWN, the first missing link, the store's rules that admit the workload)."""
        if workload.groups is UNKNOWN or store.groups is UNKNOWN or not isinstance(store.port, int):
            return UNKNOWN, "", []
        port = store.port
        inbound, admitting = self.topo.admits(store.groups, "ingress", port, workload.groups, workload.cidrs)
        if inbound is not True:
            groups = ", ".join(self.topo.group_label(g) for g in store.groups) or "its security groups"
            return inbound, f"no rule of {groups} admits it on {port}", []
        outbound, _ = self.topo.admits(workload.groups, "egress", port, store.groups, store.cidrs)
        if outbound is not True:
            groups = ", ".join(self.topo.group_label(g) for g in workload.groups) or "its security groups"
            return outbound, f"no rule of {groups} lets it out to the store on {port}", admitting
        if self.has_acls:
            for subnet in workload.subnets:
                allowed, acl = self.topo.acl_allows(subnet, "egress", port, store.cidrs)
                if allowed is not True and acl is not None:
                    return allowed, f"network ACL {acl.name} of {subnet.name} denies {port} out", admitting
            for subnet in store.subnets:
                allowed, acl = self.topo.acl_allows(subnet, "ingress", port, workload.cidrs)
                if allowed is not True and acl is not None:
                    return allowed, f"network ACL {acl.name} of {subnet.name} denies {port} in", admitting
        if workload.namespace is not None:
            allowed, where = self.network_policy(workload.namespace, port, store.cidrs, workload.node.provider_urn)
            if allowed is not True:
                return allowed, where, admitting
        return True, "", admitting

    def network_policy(self, namespace: str, port: int, cidrs: list[str], cluster: str | None) -> tuple[Any, str]:
        """Whether the namespace's NetworkPolicies (in ``cluster``) let its pods connect to ``cidrs`` on ``port``."""
        isolating = False
        for policy in self.topo.in_namespace(namespace, t.K8S_NETWORK_POLICY, cluster=cluster):
            spec = policy.get("spec")
            if is_unknown(spec):
                return UNKNOWN, ""
            types = known_list(dig(spec, "policyTypes")) or (["Egress"] if dig(spec, "egress") is not None else [])
            if "Egress" not in types:
                continue
            isolating = True
            for rule in known_list(dig(spec, "egress")):
                ports = known_list(dig(rule, "ports"))
                if ports and not any(_port_number(dig(p, "port")) in (port, None) for p in ports):
                    continue
                peers = known_list(dig(rule, "to"))
                if not peers or any(
                    isinstance(cidr := dig(peer, "ipBlock", "cidr"), str) and overlaps(cidr, cidrs) for peer in peers
                ):
                    return True, ""
        if not isolating:
            return True, ""
        return False, f"no NetworkPolicy of namespace {namespace} allows egress on {port} to the store's subnets"

    # -- judging --------------------------------------------------------------------------------------------

    def run(self) -> None:
        stores, workloads = self.stores(), self.workloads()
        problems: dict[str, list[tuple[str, str | None]]] = {w.node.urn: [] for w in workloads}
        reached: dict[str, list[Store]] = {w.node.urn: [] for w in workloads}
        waiting: set[str] = set()
        networks = {store.node.urn: self._networks(store.subnets) for store in stores}
        networks.update({workload.node.urn: self._networks(workload.subnets) for workload in workloads})
        for store in stores:
            self.over_wide(store, workloads)
            for workload in workloads:
                if store.node.region != workload.node.region and workload.namespace is None:
                    continue
                if (
                    networks[store.node.urn]
                    and networks[workload.node.urn]
                    and not (networks[store.node.urn] & networks[workload.node.urn])
                ):
                    continue  # another VPC (another cell): no security group rule can join them
                if workload.namespace is not None and not self._same_region(workload, store):
                    continue
                verdict, missing, admitting = self.reach(workload, store)
                declared = workload.declared or frozenset()
                granted = self.granted(workload, store)
                if store.concern not in declared and granted:
                    # A grant to another concern's client is a violation even when its own egress keeps it out.
                    rule = granted[0].rule
                    problems[workload.node.urn].append(
                        (
                            f"{self.topo.group_label(self._owner(granted[0]))} admits {workload.label} on "
                            f"{granted[0].ports} through {rule.name}: {store.label} holds {store.concern} data and "
                            f"{workload.label} declares {workload.declares}",
                            rule.urn,
                        )
                    )
                if verdict is UNKNOWN:
                    waiting.add(workload.node.urn)
                    self.out.wait(f"the security groups between {workload.label} and {store.label}", store.node.urn)
                elif verdict is True:
                    reached[workload.node.urn].append(store)
                    if store.concern not in declared and not granted:
                        rule = admitting[0].rule if admitting else store.node
                        problems[workload.node.urn].append(
                            (
                                f"{workload.label} reaches {store.label} ({store.concern}) on {store.port} through "
                                f"{rule.name}, but declares {workload.declares}",
                                rule.urn,
                            )
                        )
                    for permission in admitting:
                        if permission.low is None or permission.low != permission.high:
                            problems[workload.node.urn].append(
                                (
                                    f"{self.topo.group_label(self._owner(permission))} admits {workload.label} on "
                                    f"{permission.ports} through {permission.rule.name}; {store.label} needs only "
                                    f"{store.port}",
                                    permission.rule.urn,
                                )
                            )
                elif store.concern in declared:
                    problems[workload.node.urn].append(
                        (
                            f"{workload.label} declares {store.concern} but cannot reach {store.label} on "
                            f"{store.port}: "
                            f"{missing}",
                            workload.node.urn,
                        )
                    )
        for workload in workloads:
            if workload.node.urn in waiting and not problems[workload.node.urn]:
                continue
            self.report(workload, reached[workload.node.urn], problems[workload.node.urn])

    def granted(self, workload: Workload, store: Store) -> list[Permission]:
        """The store's rules that admit one of the workload's groups on its port (whether or not it gets out)."""
        if workload.groups is UNKNOWN or store.groups is UNKNOWN or not isinstance(store.port, int):
            return []
        admitted, rules = self.topo.admits(store.groups, "ingress", store.port, workload.groups, [])
        return rules if admitted is True else []

    def _networks(self, subnets: list[Node]) -> frozenset[str]:
        """The VPCs of these subnets (empty when none is known)."""
        return frozenset(vpc.urn for subnet in subnets for vpc in self.stack.refs(subnet, "vpcId", t.VPC))

    def _same_region(self, workload: Workload, store: Store) -> bool:
        return bool(workload.subnets) and all(s.region == store.node.region for s in workload.subnets)

    def _owner(self, permission: Permission) -> str:
        owners = [key for key, rules in self.topo.permissions.items() if permission in rules]
        return owners[0] if owners else permission.rule.urn

    def over_wide(self, store: Store, workloads: list[Workload]) -> None:
        """A store admitting a CIDR wider than the subnets of its own concern's clients."""
        if store.groups is UNKNOWN or not isinstance(store.port, int):
            return
        own = [
            cidr
            for w in workloads
            if w.declared and store.concern in w.declared and w.node.region == store.node.region
            for cidr in w.cidrs
        ]
        for key in store.groups:
            for permission in self.topo.rules_of(key, "ingress"):
                if permission.peer_kind != "cidr" or not permission.covers(store.port):
                    continue
                if not any(contains(cidr, permission.peer) for cidr in own):
                    shown = ", ".join(sorted(set(own))) or "none"
                    self.out.fail(
                        f"{self.topo.group_label(key)} admits {permission.peer} on {permission.ports} through "
                        f"{permission.rule.name}, wider than the subnets of {store.concern}'s clients ({shown})",
                        permission.rule.urn,
                    )

    def report(self, workload: Workload, reached: list[Store], problems: list[tuple[str, str | None]]) -> None:
        groups = "?" if workload.groups is UNKNOWN else ", ".join(self.topo.group_label(g) for g in workload.groups)
        links = [workload.label, f"security groups {groups or '(none)'}"]
        links += [f"{s.concern}: {s.label}:{s.port}" for s in sorted(reached, key=lambda s: (s.concern, s.label))]
        if not reached:
            links.append("no data store")
        region = known(workload.node.region) or (workload.subnets[0].region if workload.subnets else None)
        note = PathNote("data", workload.label, region, tuple(links), self.topo.entities(workload.node))
        if not problems:
            self.out.prove(note)
            return
        for message, urn in dict.fromkeys(problems):
            self.out.broke(note, message, urn)


def _port_number(value: Any) -> Any:
    if value is None:
        return None
    return int(value) if isinstance(value, (int, float)) else value


@stack_rule(
    name="data-paths-least-privilege",
    severity=Severity.HIGH,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted to only that which is necessary"),
    url=str(facts.load("path_facts")["security_group_rules"]["url"]),
    tags=("functional-path", "PCI DSS 4.0.1 7.2.1", "GDPR Art. 25", "GDPR Art. 32", "DORA Art. 9(4)(c)"),
    remediation=(
        "Declare each client's concerns (FargateService through JurisdictionCell tags its group DataConcerns; "
        "namespaces carry the data-concerns label) and let each store's group admit exactly the groups of the "
        "clients that declare its concern, on its port; give pods of a concern namespace a security group of "
        "their own (SecurityGroupPolicy) instead of the nodes'."
    ),
)
def data_paths_least_privilege(stack: Stack, out: Findings) -> None:
    """Every service, function and namespace reaches exactly the data stores of the concerns it declares.

    Through security groups, network ACLs and (for pods) NetworkPolicies, a workload must reach each store of a
    concern it declares (`DataConcerns` tag on its group, the namespace's `fintech-infra.io/data-concerns` label;
    `cache` for the cache) on the store's port, and nothing else: a store admitting a client of another concern,
    admitting on more ports than its own, or admitting a CIDR wider than the subnets of its concern's clients is a
    violation that names the rule. Rules unknown during preview are pending.
    """
    DataWalk(stack, out).run()
