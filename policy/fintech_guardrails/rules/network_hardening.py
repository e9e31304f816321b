"""Network boundaries beyond ingress: no all-ports egress to the internet, no remote administration through ACLs.

The AWS values (administration ports, the ephemeral range return traffic uses) come from
``data/hardening_facts.json``, generated from the library's :mod:`fintech_infra.hardening_facts` with their sources.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule

_FACTS = facts.load("hardening_facts")
ADMIN_PORTS: tuple[int, ...] = tuple(_FACTS["admin_ports"])
EPHEMERAL_LOW, EPHEMERAL_HIGH = _FACTS["ephemeral_ports"]["range"]
ALL_PROTOCOLS = ("-1", "all")
PORTED_PROTOCOLS = ("tcp", "6", "udp", "17")
WORLD_V4, WORLD_V6 = "0.0.0.0/0", "::/0"


def _cidrs(*values: Any) -> list[Any] | Any:
    """The CIDRs of one or more CIDR properties as one list; UNKNOWN when one of them is unknown."""
    lists = [as_list(value) for value in values]
    return UNKNOWN if any(found is UNKNOWN for found in lists) else [cidr for found in lists for cidr in found]


def _egress_entries(r: Resource) -> list[dict[str, Any]] | Any:
    """Egress entries of a group (inline), a VPC egress rule or an EC2 egress rule, as cidrs, protocol and ports."""
    if r.type == t.SECURITY_GROUP:
        items = as_list(r.get("egress"))
        if items is UNKNOWN:
            return UNKNOWN
        return [
            {
                "cidrs": _cidrs(dig(item, "cidrBlocks"), dig(item, "ipv6CidrBlocks")),
                "protocol": dig(item, "protocol"),
                "from": dig(item, "fromPort"),
                "to": dig(item, "toPort"),
            }
            for item in items
        ]
    if r.type == t.SG_RULE:
        if r.get("type") != "egress":
            return []
        cidrs = _cidrs(r.get("cidrBlocks"), r.get("ipv6CidrBlocks"))
        return [{"cidrs": cidrs, "protocol": r.get("protocol"), "from": r.get("fromPort"), "to": r.get("toPort")}]
    cidrs = _cidrs(r.get("cidrIpv4"), r.get("cidrIpv6"))
    return [{"cidrs": cidrs, "protocol": r.get("ipProtocol"), "from": r.get("fromPort"), "to": r.get("toPort")}]


def _all_ports(protocol: Any, low: Any, high: Any) -> bool:
    """All protocols, or TCP/UDP over the whole port range (0 or unset to 65535)."""
    protocol = str(protocol).lower()
    if protocol in ALL_PROTOCOLS:
        return True
    low, high = _number(low), _number(high)
    return protocol in PORTED_PROTOCOLS and low in (None, 0, -1) and high in (None, 65535, -1)


@resource_rule(
    types=(t.SECURITY_GROUP, t.SG_EGRESS_RULE, t.SG_RULE),
    name="security-group-no-world-egress-all-ports",
    severity=Severity.HIGH,
    framework=pci("1.3.2", "Outbound traffic from the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.4.4", "checkov:CKV_AWS_382"),
    remediation=(
        "Declare each egress as its own rule on the port it needs (the library's groups send HTTPS 443 to the "
        "internet through NAT, PostgreSQL and Redis only to the data subnets); never all protocols to 0.0.0.0/0."
    ),
)
def security_group_no_world_egress_all_ports(r: Resource, out: Findings) -> None:
    """No security group sends all protocols or all ports to 0.0.0.0/0 or ::/0.

    Egress to the internet on a named port stays allowed: tasks reach the AWS APIs that have no interface endpoint
    in the VPC (and declared third-party HTTPS APIs) through NAT on TCP 443. Covers inline ``egress`` blocks and
    standalone egress rules. Unknown destinations, protocols or ports are pending.
    """
    entries = _egress_entries(r)
    if entries is UNKNOWN:
        out.wait("egress")
        return
    for entry in entries:
        cidrs = entry["cidrs"]
        if cidrs is UNKNOWN or contains_unknown(cidrs):
            out.wait("egress destination CIDRs")
            continue
        if not {WORLD_V4, WORLD_V6} & set(cidrs):
            continue
        ports = (entry["protocol"], entry["from"], entry["to"])
        if any(is_unknown(value) for value in ports):
            out.wait("egress protocol and ports")
        elif _all_ports(*ports):
            out.fail("egress to 0.0.0.0/0 or ::/0 must name a protocol and the ports it needs, not all of them")


def _acl_entries(stack: Stack, acl: Node) -> list[dict[str, Any]] | Any:
    """The ACL's inbound entries (inline and ``NetworkAclRule``), as rule number, action, protocol, CIDR and ports."""
    inline = as_list(acl.get("ingress"))
    if inline is UNKNOWN:
        return UNKNOWN
    entries = [
        {
            "number": dig(item, "ruleNo"),
            "action": dig(item, "action"),
            "protocol": dig(item, "protocol"),
            "cidr": dig(item, "cidrBlock") or dig(item, "ipv6CidrBlock"),
            "from": dig(item, "fromPort"),
            "to": dig(item, "toPort"),
        }
        for item in inline
    ]
    for rule in stack.referrers(acl, t.NETWORK_ACL_RULE, prop="networkAclId"):
        if rule.get("egress") is True:
            continue
        entries.append(
            {
                "number": rule.get("ruleNumber"),
                "action": rule.get("ruleAction"),
                "protocol": rule.get("protocol"),
                "cidr": rule.get("cidrBlock") or rule.get("ipv6CidrBlock"),
                "from": rule.get("fromPort"),
                "to": rule.get("toPort"),
            }
        )
    return UNKNOWN if any(contains_unknown(entry) for entry in entries) else entries


def _number(value: Any) -> int | None:
    """A rule number or port as an int (the engine sends numbers as floats, some providers as strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _first_match(entries: list[dict[str, Any]], world: str, port: int) -> dict[str, Any] | None:
    """The entry AWS applies to TCP ``port`` from ``world``: the lowest-numbered one that matches (first match)."""
    for entry in sorted(entries, key=lambda e: _number(e["number"]) or 0):
        if entry["cidr"] != world:
            continue
        protocol = str(entry["protocol"]).lower()
        low, high = _number(entry["from"]), _number(entry["to"])
        if protocol in ALL_PROTOCOLS or (
            protocol in ("tcp", "6") and low is not None and high is not None and low <= port <= high
        ):
            return entry
    return None


def _covers_ephemeral(entry: dict[str, Any]) -> bool:
    if str(entry["protocol"]).lower() in ALL_PROTOCOLS:
        return True
    low, high = _number(entry["from"]), _number(entry["to"])
    return low is not None and high is not None and low <= EPHEMERAL_LOW and high >= EPHEMERAL_HIGH


@stack_rule(
    name="network-acl-no-world-admin-ports",
    severity=Severity.HIGH,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.4.2", "checkov:CKV_AWS_232", "checkov:CKV_AWS_231"),
    remediation=(
        "Create VPCs with SecureVpc, which adopts the default network ACL with a deny of TCP 22 from 0.0.0.0/0 "
        "ahead of its allow rules; never add an ACL entry admitting SSH or RDP from the internet."
    ),
    url=_FACTS["ephemeral_ports"]["source"]["url"],
)
def network_acl_no_world_admin_ports(stack: Stack, out: Findings) -> None:
    """No network ACL admits SSH (22) or RDP (3389) from the internet, and every VPC's default ACL is adopted.

    Entries are evaluated as AWS does: in rule-number order, first match wins, so a deny ahead of an allow-all
    closes the port. 3389 lies inside the ephemeral range (1024-65535) on which NAT gateways, Lambda functions and
    load balancers receive return traffic, so an entry that admits that whole range (or all traffic) from the
    internet is accepted for 3389; 22 lies outside it and must be denied. A VPC whose default ACL is not adopted
    (``aws.ec2.DefaultNetworkAcl``) keeps AWS's allow-all rules. Unknown entries are pending.
    """
    for vpc in stack.of_type(t.VPC):
        if not stack.referrers(vpc, t.DEFAULT_NETWORK_ACL, prop="defaultNetworkAclId"):
            out.fail(
                "the VPC's default network ACL is not adopted; AWS's default admits SSH from the internet", vpc.urn
            )
    for acl in stack.of_type(t.NETWORK_ACL, t.DEFAULT_NETWORK_ACL):
        entries = _acl_entries(stack, acl)
        if entries is UNKNOWN:
            out.wait("network ACL entries", acl.urn)
            continue
        for world in (WORLD_V4, WORLD_V6):
            for port in ADMIN_PORTS:
                entry = _first_match(entries, world, port)
                if entry is None or str(entry["action"]).lower() != "allow":
                    continue
                if port >= EPHEMERAL_LOW and _covers_ephemeral(entry):
                    continue
                out.fail(f"the network ACL admits TCP {port} from {world}; deny it ahead of any allow", acl.urn)
