"""The wiring the path guardrails walk, built once per ``AnalyzeStack``, shared by the path families.

Built by :func:`topology` through :meth:`fintech_guardrails.model.Stack.shared`.

A path guardrail asks "who refers to this resource" (the rules of a listener, the services that fill a target
group, the rules of a security group) far more often than a per-resource rule does, so those reverse joins are
built here once per (types, property) and reused by every path family of the same ``AnalyzeStack``. A reference
is the engine's property dependency where there is one (known even while the value is not, at a first preview),
else a match of the value against known identifiers (:meth:`Stack.refs <fintech_guardrails.model.Stack.refs>`).

Security groups and network ACLs are judged as AWS evaluates them:

- a security group admits traffic when any of its rules matches protocol, port and peer (another group, itself,
  a CIDR or a prefix list); a group this stack creates has exactly the rules the stack declares (the provider
  removes AWS's default allow-all egress), a group it does not create (an EKS cluster's own group, an id from
  config) has AWS's default allow-all egress and the ingress rules the stack adds to it;
- a network ACL is stateless and evaluated in rule-number order, first match wins; a subnet with no ACL of the
  stack associated uses the VPC's default ACL, which allows everything unless the stack manages it
  (``aws:ec2/defaultNetworkAcl``). Return traffic is not judged (ephemeral ports belong to the client).
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from fintech_guardrails import types as t
from fintech_guardrails.model import Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, known_list

__all__ = [
    "ALL_TRAFFIC",
    "Manifest",
    "Permission",
    "Topology",
    "overlaps",
    "topology",
]

ALL_TRAFFIC = ("-1", "all")
_TCP = ("tcp", "6")
ROUTING_PREFIX = "/fintech-infra/"
"""Routing manifests are SSM parameters ``/fintech-infra/<cell>/routing/<entity>`` (the library's convention)."""


def topology(stack: Stack) -> Topology:
    """The stack's topology, built once per ``AnalyzeStack``."""
    found: Topology = stack.shared("topology", Topology)
    return found


@cache
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def overlaps(cidr: str, others: Iterable[str]) -> bool:
    """True when ``cidr`` shares an address with any of ``others``."""
    network = _network(cidr)
    if network is None:
        return False
    for other in others:
        candidate = _network(other)
        if candidate is not None and candidate.version == network.version and network.overlaps(candidate):
            return True
    return False


def contains(outer: str, inner: str) -> bool:
    a, b = _network(outer), _network(inner)
    return a is not None and b is not None and a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


def _port(value: Any) -> Any:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class Permission:
    """One security group rule as AWS stores it: direction, protocol, port range and one peer."""

    direction: str
    protocol: str
    low: int | None
    """None: every port (protocol ``-1``)."""
    high: int | None
    peer_kind: str
    """``group`` (another group, by key), ``self``, ``cidr`` or ``prefix``."""
    peer: str
    rule: Node

    def covers(self, port: int) -> bool:
        if self.protocol in ALL_TRAFFIC:
            return True
        if self.protocol not in _TCP:
            return False
        return self.low is None or self.high is None or self.low <= port <= self.high

    @property
    def ports(self) -> str:
        if self.protocol in ALL_TRAFFIC or self.low is None:
            return "all ports"
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Manifest:
    """A routing manifest: which entity a cell serves in which region (``/fintech-infra/<cell>/routing/<entity>``)."""

    node: Node
    cell: str
    entity: str
    region: Any
    document: Any
    """The parsed JSON value; UNKNOWN while it is unknown at a first preview."""

    @property
    def hostname(self) -> Any:
        if is_unknown(self.document):
            return UNKNOWN
        return dig(self.document, "entity", "hostname")

    @property
    def hostnames(self) -> list[str]:
        """The entity's API hostname and its role hostnames (``entity.hostnames``), where known."""
        if is_unknown(self.document):
            return []
        roles = dig(self.document, "entity", "hostnames")
        found = [self.hostname, *(roles.values() if isinstance(roles, dict) else ())]
        return [host for host in found if isinstance(host, str)]

    @property
    def role(self) -> Any:
        return UNKNOWN if is_unknown(self.document) else dig(self.document, "role")


class Topology:
    """Reverse joins, security groups, subnets, manifests and Kubernetes objects of one stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._reverse: dict[tuple[tuple[str, ...], str], dict[str, list[Node]]] = {}

    # -- references -------------------------------------------------------------------------------------------

    def referrers(self, target: Node, types: tuple[str, ...], prop: str) -> list[Node]:
        """Resources of ``types`` whose ``prop`` refers to ``target`` (one reverse index per types and prop)."""
        key = (types, prop)
        index = self._reverse.get(key)
        if index is None:
            index = defaultdict(list)
            for node in self.stack.of_type(*types):
                for found in self.stack.refs(node, prop):
                    index[found.urn].append(node)
            self._reverse[key] = index
        return index.get(target.urn, [])

    def find(self, value: Any, *types: str) -> list[Node]:
        """Resources of ``types`` one of whose identifiers (id, arn, name, bucket, keyId) is ``value``."""
        if not isinstance(value, str) or is_unknown(value):
            return []
        return [node for node in self.stack.identified(value) if not types or node.type in types]

    def resolve(self, node: Node, prop: str, value: Any, *types: str) -> Any:
        """The one resource of ``types`` that ``value`` (read from ``node.prop``) names: by value when it is known,
        else by property dependency when exactly one of ``types`` is among them; None outside the stack; UNKNOWN
        when it can't be told yet."""
        if isinstance(value, str) and not is_unknown(value):
            found = self.find(value, *types)
            return found[0] if found else None
        candidates = self.stack.refs(node, prop, *types)
        if len(candidates) == 1:
            return candidates[0]
        return UNKNOWN if is_unknown(value) or candidates else None

    # -- regions, roots and entities ------------------------------------------------------------------------------

    @cached_property
    def roots(self) -> dict[str, str]:
        """URN -> the URN of its top-level ancestor (a cell, the routing component): what "the same cell" means."""
        roots: dict[str, str] = {}
        for node in self.stack.nodes:
            chain = [node]
            current = node.parent
            while current is not None and current.urn not in roots:
                chain.append(current)
                current = current.parent
            top = roots[current.urn] if current is not None else chain[-1].urn
            for item in chain:
                roots[item.urn] = top
        return roots

    def root(self, node: Node) -> str:
        return self.roots.get(node.urn, node.urn)

    @cached_property
    def manifests(self) -> list[Manifest]:
        found: list[Manifest] = []
        for node in self.stack.of_type(t.SSM_PARAMETER):
            name = node.get("name")
            parts = name.split("/") if isinstance(name, str) and name.startswith(ROUTING_PREFIX) else []
            if len(parts) != 5 or parts[3] != "routing":
                continue
            value = node.get("insecureValue")
            if value is None:
                value = node.get("value")
            document: Any = UNKNOWN
            if isinstance(value, str) and not is_unknown(value):
                try:
                    document = json.loads(value)
                except ValueError:
                    document = None
            elif isinstance(value, Mapping):
                document = UNKNOWN if contains_unknown(value) else value
            found.append(Manifest(node, parts[2], parts[4], node.region, document))
        return found

    @cached_property
    def _entities_by_root(self) -> dict[str, set[str]]:
        entities: dict[str, set[str]] = defaultdict(set)
        for manifest in self.manifests:
            entities[self.root(manifest.node)].add(manifest.entity)
        return entities

    def entities(self, node: Node) -> tuple[str, ...]:
        """The regulatory entities the cell holding ``node`` serves (its routing manifests), sorted."""
        return tuple(sorted(self._entities_by_root.get(self.root(node), ())))

    @cached_property
    def _host_entities(self) -> dict[tuple[str, str], set[str]]:
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for manifest in self.manifests:
            for host in manifest.hostnames:
                found[(self.root(manifest.node), host.lower())].add(manifest.entity)
        return found

    def host_entities(self, node: Node, host: str) -> tuple[str, ...]:
        return tuple(sorted(self._host_entities.get((self.root(node), host.lower()), ())))

    # -- subnets ------------------------------------------------------------------------------------------------

    def cidrs(self, subnets: Iterable[Node]) -> list[str]:
        found = []
        for subnet in subnets:
            cidr = subnet.get("cidrBlock")
            if isinstance(cidr, str) and not is_unknown(cidr):
                found.append(cidr)
        return found

    def subnet_group_subnets(self, group: Any) -> list[Node]:
        if group is None or is_unknown(group):
            return []
        return self.stack.refs(group, "subnetIds", t.SUBNET)

    # -- security groups ----------------------------------------------------------------------------------------

    def group_key(self, node: Node) -> str:
        """The key a peer is known by: an SG's URN, or ``eks:<urn>`` for an EKS cluster's own group."""
        return node.urn if node.type == t.SECURITY_GROUP else f"eks:{node.urn}"

    def group_label(self, key: str) -> str:
        if key.startswith("eks:"):
            node = self.stack.by_urn.get(key[4:])
            return f"{node.name if node else key} cluster security group"
        if key.startswith("id:"):
            return key[3:]
        node = self.stack.by_urn.get(key)
        return node.name if node is not None else key

    def owned(self, key: str) -> bool:
        """Whether the stack creates the group (and so declares all of its rules)."""
        return key in self.stack.by_urn and self.stack.by_urn[key].type == t.SECURITY_GROUP

    def groups(self, node: Node, prop: str, value: Any) -> Any:
        """The group keys a list of security group ids names (``vpcSecurityGroupIds``, ...); UNKNOWN if unresolvable."""
        keys: list[str] = []
        resolved = self.stack.refs(node, prop, t.SECURITY_GROUP, t.EKS_CLUSTER)
        values = as_list(value)
        if resolved:
            return [self.group_key(found) for found in resolved]
        if values is UNKNOWN:
            return UNKNOWN
        for item in values:
            if is_unknown(item):
                return UNKNOWN
            if isinstance(item, str):
                keys.append(self._key_of_value(item))
        return keys

    def _key_of_value(self, value: str) -> str:
        group = self.find(value, t.SECURITY_GROUP)
        if group:
            return group[0].urn
        cluster = self._cluster_groups.get(value)
        return f"eks:{cluster.urn}" if cluster is not None else f"id:{value}"

    @cached_property
    def _cluster_groups(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for cluster in self.stack.of_type(t.EKS_CLUSTER):
            value = cluster.get("vpcConfig", "clusterSecurityGroupId")
            if isinstance(value, str) and not is_unknown(value):
                found[value] = cluster
        return found

    def _peer(self, rule: Node, prop: str) -> Any:
        value = rule.get(prop)
        if value is None:
            return None
        resolved = self.stack.refs(rule, prop, t.SECURITY_GROUP, t.EKS_CLUSTER)
        if resolved:
            return self.group_key(resolved[0])
        if is_unknown(value):
            return UNKNOWN
        return self._key_of_value(str(value)) if isinstance(value, str) else None

    @cached_property
    def permissions(self) -> dict[str, list[Permission | None]]:
        """Group key -> its rules (None stands for a rule with a value unknown at preview)."""
        found: dict[str, list[Permission | None]] = defaultdict(list)
        for rule in self.stack.of_type(t.SG_INGRESS_RULE, t.SG_EGRESS_RULE, t.SG_RULE):
            owner = self._peer(rule, "securityGroupId")
            if owner is None:
                continue
            if owner is UNKNOWN:
                continue  # no property dependency and an unknown id: a group the stack can't name
            found[owner].extend(self._standalone(rule))
        for group in self.stack.of_type(t.SECURITY_GROUP):
            for direction in ("ingress", "egress"):
                entries = as_list(group.get(direction))
                if entries is UNKNOWN:
                    found[group.urn].append(None)
                    continue
                for entry in entries:
                    found[group.urn].extend(self._inline(group, direction, entry))
        return found

    def _standalone(self, rule: Node) -> list[Permission | None]:
        if rule.type == t.SG_RULE:
            direction = rule.get("type")
            protocol = rule.get("protocol")
            peers = [("group", self._peer(rule, "sourceSecurityGroupId"))]
            cidr_props = ("cidrBlocks", "ipv6CidrBlocks")
            prefix_props = ("prefixListIds",)
            if rule.get("self") is True:
                peers.append(("self", "self"))
        else:
            direction = "ingress" if rule.type == t.SG_INGRESS_RULE else "egress"
            protocol = rule.get("ipProtocol")
            peers = [("group", self._peer(rule, "referencedSecurityGroupId"))]
            cidr_props = ("cidrIpv4", "cidrIpv6")
            prefix_props = ("prefixListId",)
        for prop in cidr_props:
            values = as_list(rule.get(prop))
            peers.extend(("cidr", item) for item in (values if values is not UNKNOWN else [UNKNOWN]))
        for prop in prefix_props:
            values = as_list(rule.get(prop))
            peers.extend(("prefix", item) for item in (values if values is not UNKNOWN else [UNKNOWN]))
        return self._expand(rule, direction, protocol, rule.get("fromPort"), rule.get("toPort"), peers)

    def _inline(self, group: Node, direction: str, entry: Any) -> list[Permission | None]:
        if not isinstance(entry, Mapping):
            return [None]
        peers: list[tuple[str, Any]] = []
        for item in known_list(entry.get("securityGroups")):
            peers.append(
                ("group", self._key_of_value(item) if isinstance(item, str) and not is_unknown(item) else UNKNOWN)
            )
        for prop in ("cidrBlocks", "ipv6CidrBlocks"):
            values = as_list(entry.get(prop))
            peers.extend(("cidr", item) for item in (values if values is not UNKNOWN else [UNKNOWN]))
        if entry.get("self") is True:
            peers.append(("self", "self"))
        return self._expand(group, direction, entry.get("protocol"), entry.get("fromPort"), entry.get("toPort"), peers)

    @staticmethod
    def _expand(
        rule: Node, direction: Any, protocol: Any, low: Any, high: Any, peers: list[tuple[str, Any]]
    ) -> list[Permission | None]:
        if any(is_unknown(part) for part in (direction, protocol)):
            return [None]
        proto = str(protocol).lower()
        if proto in ALL_TRAFFIC:
            ports: tuple[Any, Any] = (None, None)
        else:
            ports = (_port(low), _port(high))
            if any(is_unknown(port) for port in ports):
                return [None]
        found: list[Permission | None] = []
        for kind, peer in peers:
            if peer is None:
                continue
            if is_unknown(peer):
                found.append(None)
                continue
            found.append(Permission(str(direction), proto, ports[0], ports[1], kind, str(peer), rule))
        return found

    def admits(
        self, groups: Iterable[str], direction: str, port: int, peers: Iterable[str], peer_cidrs: Iterable[str]
    ) -> tuple[Any, list[Permission]]:
        """Whether any of ``groups`` lets ``port`` through in ``direction`` from/to a peer group or CIDR.

        Returns (True, the permissions that do) or (False, []) or (UNKNOWN, []) when a rule that could decide is
        unknown at preview. A group the stack does not create allows all egress (AWS's default).
        """
        peer_set, cidrs = set(peers), list(peer_cidrs)
        matched: list[Permission] = []
        unknown = False
        for key in groups:
            if direction == "egress" and not self.owned(key):
                return True, []  # AWS's allow-all egress stays on a group the stack does not create
            for permission in self.permissions.get(key, []):
                if permission is None:
                    unknown = True
                    continue
                if permission.direction != direction or not permission.covers(port):
                    continue
                if (
                    (permission.peer_kind == "group" and permission.peer in peer_set)
                    or (permission.peer_kind == "self" and key in peer_set)
                    or (permission.peer_kind == "cidr" and overlaps(permission.peer, cidrs))
                ):
                    matched.append(permission)
        if matched:
            return True, matched
        return (UNKNOWN if unknown else False), []

    def rules_of(self, key: str, direction: str) -> Iterator[Permission]:
        for permission in self.permissions.get(key, []):
            if permission is not None and permission.direction == direction:
                yield permission

    # -- network ACLs -------------------------------------------------------------------------------------------

    @cached_property
    def _acl_of_subnet(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for acl in self.stack.of_type(t.NETWORK_ACL, t.DEFAULT_NETWORK_ACL):
            for subnet in self.stack.refs(acl, "subnetIds", t.SUBNET):
                found[subnet.urn] = acl
        for association in self.stack.of_type(t.NETWORK_ACL_ASSOCIATION):
            for acl in self.stack.refs(association, "networkAclId", t.NETWORK_ACL):
                for subnet in self.stack.refs(association, "subnetId", t.SUBNET):
                    found[subnet.urn] = acl
        return found

    def acl_allows(self, subnet: Node, direction: str, port: int, peer_cidrs: list[str]) -> tuple[Any, Node | None]:
        """Whether the subnet's network ACL lets ``port`` through in ``direction`` to/from ``peer_cidrs``."""
        acl = self._acl_of_subnet.get(subnet.urn)
        if acl is None:
            return True, None  # the VPC's default ACL, which the stack does not manage: allow all
        entries: list[Any] = []
        inline = as_list(acl.get(direction))
        if inline is UNKNOWN:
            return UNKNOWN, acl
        entries.extend(inline)
        for rule in self.referrers(acl, (t.NETWORK_ACL_RULE,), "networkAclId"):
            egress = rule.get("egress")
            if is_unknown(egress):
                return UNKNOWN, acl
            if bool(egress) == (direction == "egress"):
                entries.append(
                    {
                        "ruleNo": rule.get("ruleNumber"),
                        "action": rule.get("ruleAction"),
                        "protocol": rule.get("protocol"),
                        "cidrBlock": rule.get("cidrBlock"),
                        "fromPort": rule.get("fromPort"),
                        "toPort": rule.get("toPort"),
                    }
                )
        if any(contains_unknown(entry) for entry in entries):
            return UNKNOWN, acl
        for entry in sorted(entries, key=lambda e: _port(dig(e, "ruleNo")) or 0):
            protocol = str(dig(entry, "protocol")).lower()
            cidr = dig(entry, "cidrBlock") or dig(entry, "ipv6CidrBlock")
            if not isinstance(cidr, str) or not overlaps(cidr, peer_cidrs):
                continue
            low, high = _port(dig(entry, "fromPort")), _port(dig(entry, "toPort"))
            if protocol not in ALL_TRAFFIC and (protocol not in _TCP or not (low or 0) <= port <= (high or 65535)):
                continue
            return str(dig(entry, "action")).lower() == "allow", acl
        return False, acl  # the implicit final deny

    # -- Kubernetes ---------------------------------------------------------------------------------------------

    def namespace_of(self, node: Node) -> Any:
        return node.get("metadata", "namespace")

    def in_namespace(self, namespace: str, *types: str, cluster: str | None = None) -> list[Node]:
        """Objects of ``types`` in ``namespace``; with ``cluster`` (a Kubernetes provider's URN), of that cluster
        only: a primary and a DR cluster have namespaces of the same names."""
        return [
            node
            for node in self.stack.of_type(*types)
            if self.namespace_of(node) == namespace and (cluster is None or node.provider_urn == cluster)
        ]

    def k8s_named(self, type_: str, namespace: str, name: str, *, cluster: str | None = None) -> Node | None:
        for node in self.in_namespace(namespace, type_, cluster=cluster):
            if node.get("metadata", "name") == name:
                return node
        return None
