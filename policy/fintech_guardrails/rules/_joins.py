"""Joins several network rules share: which subnets are internet-routed and which are meant to be public."""

from __future__ import annotations

from fintech_guardrails import types as t
from fintech_guardrails.model import Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown

__all__ = ["WORLD", "internet_facing", "internet_route_tables", "public_subnets", "subnets_of_table"]

WORLD = frozenset({"0.0.0.0/0", "::/0"})
_DEFAULT_ROUTES = WORLD


def _targets_igw(stack: Stack, node: Node, prop: str, value: object) -> object:
    """True/False whether a route target is an internet gateway; UNKNOWN when that can't be told yet."""
    if stack.refs(node, prop, t.INTERNET_GATEWAY):
        return True
    if is_unknown(value):
        return UNKNOWN
    return isinstance(value, str) and value.startswith("igw-")


def internet_route_tables(stack: Stack) -> tuple[set[str], set[str]]:
    """URNs of route tables with a default route to an internet gateway, and of those still unknown."""
    routed: set[str] = set()
    unknown: set[str] = set()
    for table in stack.of_type(t.ROUTE_TABLE):
        routes = as_list(table.get("routes"))
        if routes is UNKNOWN:
            unknown.add(table.urn)
            continue
        for route in routes:
            destination = dig(route, "cidrBlock") or dig(route, "ipv6CidrBlock")
            if destination not in _DEFAULT_ROUTES and not is_unknown(destination):
                continue
            verdict = _targets_igw(stack, table, "routes", dig(route, "gatewayId"))
            if verdict is True and not is_unknown(destination):
                routed.add(table.urn)
            elif verdict is UNKNOWN or is_unknown(destination):
                unknown.add(table.urn)
    for route in stack.of_type(t.ROUTE):
        destination = route.get("destinationCidrBlock") or route.get("destinationIpv6CidrBlock")
        if destination not in _DEFAULT_ROUTES and not is_unknown(destination):
            continue
        verdict = _targets_igw(stack, route, "gatewayId", route.get("gatewayId"))
        for table in stack.refs(route, "routeTableId", t.ROUTE_TABLE):
            if verdict is True and not is_unknown(destination):
                routed.add(table.urn)
            elif verdict is UNKNOWN or is_unknown(destination):
                unknown.add(table.urn)
    return routed, unknown - routed


def subnets_of_table(stack: Stack, table_urn: str) -> list[Node]:
    subnets: list[Node] = []
    for association in stack.of_type(t.ROUTE_TABLE_ASSOCIATION):
        if any(table.urn == table_urn for table in stack.refs(association, "routeTableId", t.ROUTE_TABLE)):
            subnets.extend(stack.refs(association, "subnetId", t.SUBNET))
    return subnets


def internet_facing(node: Node) -> object:
    """Whether a load balancer is internet-facing: ``internal`` unset means internet-facing (AWS default)."""
    internal = node.get("internal")
    if is_unknown(internal):
        return UNKNOWN
    return internal is not True


def public_subnets(stack: Stack) -> set[str]:
    """Subnets meant to be public: those an internet-facing load balancer or a public NAT gateway uses."""
    public: set[str] = set()
    for lb in stack.of_type(*t.LOAD_BALANCERS):
        if internet_facing(lb) is True:
            public.update(node.urn for node in stack.refs(lb, "subnets", t.SUBNET))
            public.update(node.urn for node in stack.refs(lb, "subnetMappings", t.SUBNET))
    for nat in stack.of_type(t.NAT_GATEWAY):
        if nat.get("connectivityType") in (None, "public"):
            public.update(node.urn for node in stack.refs(nat, "subnetId", t.SUBNET))
    return public
