"""Network guardrails: flow logs, default security group, public IPs, world-open ingress, routes."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule
from fintech_guardrails.rules._joins import (
    WORLD,
    internet_facing,
    internet_route_tables,
    public_subnets,
    subnets_of_table,
)

WEB_PORTS = frozenset({80, 443})


@stack_rule(
    name="vpc-flow-logs-enabled",
    severity=Severity.HIGH,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("cdk-nag:AwsSolutions-VPC7", "checkov:CKV2_AWS_11", "cdk-nag:PCI.DSS.321-VPCFlowLogsEnabled"),
    remediation="Create the VPC with SecureVpc, which adds a flow log (trafficType ALL) to an encrypted log group.",
)
def vpc_flow_logs(stack: Stack, out: Findings) -> None:
    """Every VPC has a flow log capturing ALL traffic.

    A flow log counts when its ``vpcId`` refers to the VPC; ``trafficType`` unset is not accepted (the API
    requires it). An unknown ``trafficType`` is pending.
    """
    for vpc in stack.of_type(t.VPC):
        logs = stack.referrers(vpc, t.FLOW_LOG, prop="vpcId")
        if not logs:
            out.fail("the VPC has no flow log; add an aws.ec2.FlowLog with trafficType ALL", vpc.urn)
            continue
        kinds = [log.get("trafficType") for log in logs]
        if "ALL" in kinds:
            continue
        if any(is_unknown(kind) for kind in kinds):
            out.wait("flow log trafficType", vpc.urn)
        else:
            out.fail("the VPC's flow logs must capture trafficType ALL (accepted and rejected traffic)", vpc.urn)


@stack_rule(
    name="default-security-group-closed",
    severity=Severity.MEDIUM,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.3.2", "checkov:CKV2_AWS_12", "cdk-nag:PCI.DSS.321-VPCDefaultSecurityGroupClosed"),
    remediation="Adopt each VPC's default security group with aws.ec2.DefaultSecurityGroup and no ingress or egress.",
)
def default_security_group_closed(stack: Stack, out: Findings) -> None:
    """Every VPC's default security group is adopted and has no rules.

    AWS creates a default group that allows all traffic between its members and all egress; it is only
    closed when the stack adopts it with ``aws.ec2.DefaultSecurityGroup`` and empty ``ingress``/``egress``.
    """
    for vpc in stack.of_type(t.VPC):
        groups = stack.referrers(vpc, t.DEFAULT_SECURITY_GROUP, prop="vpcId")
        if not groups:
            out.fail("the VPC's default security group is not adopted and closed", vpc.urn)
    for group in stack.of_type(t.DEFAULT_SECURITY_GROUP):
        for direction in ("ingress", "egress"):
            rules = as_list(group.get(direction))
            if rules is UNKNOWN:
                out.wait(direction, group.urn)
            elif rules:
                out.fail(f"the default security group must have no {direction} rules", group.urn)


@stack_rule(
    name="subnet-no-auto-public-ip",
    severity=Severity.HIGH,
    framework=pci(
        "1.4.4", "System components that store cardholder data are not directly accessible from untrusted networks"
    ),
    tags=("PCI DSS 4.0.1 1.3.1", "checkov:CKV_AWS_130", "cdk-nag:PCI.DSS.321-VPCSubnetAutoAssignPublicIpDisabled"),
    remediation=(
        "Leave mapPublicIpOnLaunch unset (false) on every subnet that no internet-facing load balancer or NAT "
        "gateway uses."
    ),
)
def subnet_no_auto_public_ip(stack: Stack, out: Findings) -> None:
    """Subnets auto-assign public IPs only where an internet-facing load balancer or NAT gateway lives.

    ``mapPublicIpOnLaunch`` unset means false (AWS default). Public subnets are those an internet-facing
    load balancer or a public NAT gateway is placed in. An unknown value is pending.
    """
    public = public_subnets(stack)
    for subnet in stack.of_type(t.SUBNET):
        value = subnet.get("mapPublicIpOnLaunch")
        if is_unknown(value):
            out.wait("mapPublicIpOnLaunch", subnet.urn)
        elif value is True and subnet.urn not in public:
            out.fail("mapPublicIpOnLaunch must be false outside public (load balancer / NAT) subnets", subnet.urn)


@stack_rule(
    name="private-route-table-no-igw",
    severity=Severity.HIGH,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.4.2", "cdk-nag:PCI.DSS.321-VPCNoUnrestrictedRouteToIGW", "checkov:CKV2_AWS_44"),
    remediation=(
        "Route private and isolated subnets' default traffic through a NAT gateway (or nowhere), never an "
        "internet gateway."
    ),
)
def private_route_table_no_igw(stack: Stack, out: Findings) -> None:
    """Only public subnets are associated with a route table whose default route targets an internet gateway.

    Public subnets are those an internet-facing load balancer or public NAT gateway uses; every other subnet
    (application, data) is private. A route whose target or destination is unknown is pending.
    """
    routed, unknown = internet_route_tables(stack)
    public = public_subnets(stack)
    for table_urn in sorted(routed | unknown):
        for subnet in subnets_of_table(stack, table_urn):
            if subnet.urn in public:
                continue
            if table_urn in routed:
                out.fail(
                    "a private subnet is associated with a route table whose default route is an internet gateway",
                    subnet.urn,
                )
            else:
                out.wait("route table default route target", subnet.urn)


def _rule_entries(r: Resource) -> list[dict[str, Any]] | Any:
    """Ingress entries of a security group or rule resource as dicts with cidrs, protocol and ports."""
    if r.type in (t.SECURITY_GROUP, t.DEFAULT_SECURITY_GROUP):
        items = as_list(r.get("ingress"))
        if items is UNKNOWN:
            return UNKNOWN
        return [
            {
                "cidrs": (as_list(dig(item, "cidrBlocks")), as_list(dig(item, "ipv6CidrBlocks"))),
                "protocol": dig(item, "protocol"),
                "from": dig(item, "fromPort"),
                "to": dig(item, "toPort"),
            }
            for item in items
        ]
    if r.type == t.SG_RULE:
        if r.get("type") == "egress":
            return []
        return [
            {
                "cidrs": (as_list(r.get("cidrBlocks")), as_list(r.get("ipv6CidrBlocks"))),
                "protocol": r.get("protocol"),
                "from": r.get("fromPort"),
                "to": r.get("toPort"),
            }
        ]
    return [
        {
            "cidrs": (as_list(r.get("cidrIpv4")), as_list(r.get("cidrIpv6"))),
            "protocol": r.get("ipProtocol"),
            "from": r.get("fromPort"),
            "to": r.get("toPort"),
        }
    ]


def world_open(entry: dict[str, Any]) -> Any:
    """True/False whether an entry admits 0.0.0.0/0 or ::/0; UNKNOWN when its sources are unknown."""
    v4, v6 = entry["cidrs"]
    if v4 is UNKNOWN or v6 is UNKNOWN or contains_unknown(v4) or contains_unknown(v6):
        return UNKNOWN
    return any(cidr in WORLD for cidr in [*v4, *v6])


def web_only(entry: dict[str, Any]) -> Any:
    """True when the entry is TCP on exactly port 80 or 443; UNKNOWN when a port or protocol is unknown."""
    values = (entry["protocol"], entry["from"], entry["to"])
    if any(is_unknown(value) for value in values):
        return UNKNOWN
    protocol, low, high = values
    return str(protocol).lower() in ("tcp", "6") and low == high and low in WEB_PORTS


@resource_rule(
    types=(t.SECURITY_GROUP, t.SG_INGRESS_RULE, t.SG_RULE),
    name="security-group-no-world-ingress",
    severity=Severity.CRITICAL,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=(
        "PCI DSS 4.0.1 1.4.1",
        "cdk-nag:AwsSolutions-EC23",
        "checkov:CKV_AWS_24",
        "checkov:CKV_AWS_260",
        "checkov:CKV_AWS_277",
        "checkov:CKV_AWS_25",
        "cdk-nag:PCI.DSS.321-EC2RestrictedCommonPorts",
        "cdk-nag:PCI.DSS.321-EC2RestrictedSSH",
    ),
    remediation=(
        "Admit clients by security group reference or a named CIDR; only the ALB's group may take 0.0.0.0/0 "
        "and ::/0, on TCP 443 and 80."
    ),
)
def security_group_no_world_ingress(r: Resource, out: Findings) -> None:
    """No security group admits 0.0.0.0/0 or ::/0 except on TCP 80 and 443.

    Covers inline ``ingress`` blocks and standalone ingress rule resources. Which group may take world-open
    web traffic (only an internet-facing ALB's) is judged by ``security-group-world-ingress-alb-only``. Unknown
    sources or ports are pending.
    """
    entries = _rule_entries(r)
    if entries is UNKNOWN:
        out.wait("ingress")
        return
    for entry in entries:
        opened = world_open(entry)
        if opened is UNKNOWN:
            out.wait("ingress source CIDRs")
        elif opened:
            web = web_only(entry)
            if web is UNKNOWN:
                out.wait("ingress protocol and ports")
            elif not web:
                out.fail("ingress from 0.0.0.0/0 or ::/0 is only allowed on TCP 80 and 443 of the ALB's security group")


@resource_rule(
    types=(t.SECURITY_GROUP, t.SG_INGRESS_RULE, t.SG_EGRESS_RULE, t.SG_RULE),
    name="security-group-descriptions",
    severity=Severity.LOW,
    framework=pci(
        "1.2.5", "All services, protocols and ports allowed are identified, approved and have a defined business need"
    ),
    tags=("cdk-nag:AwsSolutions-EC27", "checkov:CKV_AWS_23"),
    remediation="Give every security group and every rule a description saying which traffic it admits and why.",
)
def security_group_descriptions(r: Resource, out: Findings) -> None:
    """Every security group and security group rule has a meaningful description.

    A group's ``description`` unset defaults to "Managed by Pulumi", which is not accepted. Unknown
    descriptions are pending.
    """

    def described(value: Any) -> bool:
        return isinstance(value, str) and bool(value.strip()) and value != "Managed by Pulumi"

    if r.type == t.SECURITY_GROUP:
        value = r.get("description")
        if is_unknown(value):
            out.wait("description")
        elif not described(value):
            out.fail("the security group needs a description of its purpose")
        for direction in ("ingress", "egress"):
            items = as_list(r.get(direction))
            if items is UNKNOWN:
                out.wait(direction)
                continue
            for item in items:
                note = dig(item, "description")
                if is_unknown(note):
                    out.wait(f"{direction} description")
                elif not described(note):
                    out.fail(f"every inline {direction} rule needs a description")
        return
    value = r.get("description")
    if is_unknown(value):
        out.wait("description")
    elif not described(value):
        out.fail("the security group rule needs a description of the traffic it admits")


@stack_rule(
    name="security-group-world-ingress-alb-only",
    severity=Severity.CRITICAL,
    framework=pci("1.4.1", "NSCs are implemented between trusted and untrusted networks"),
    tags=("PCI DSS 4.0.1 1.3.1", "checkov:CKV2_AWS_28"),
    remediation="Remove world-open rules from every group except the one attached to the internet-facing ALB.",
)
def world_ingress_alb_only(stack: Stack, out: Findings) -> None:
    """World-open ingress (on 80/443) belongs only to security groups of internet-facing load balancers.

    The ALB's group is found through the load balancer's ``securityGroups``. A rule whose group can't be
    resolved yet is pending.
    """
    alb_groups: set[str] = set()
    for lb in stack.of_type(*t.LOAD_BALANCERS):
        if internet_facing(lb) is True:
            alb_groups.update(node.urn for node in stack.refs(lb, "securityGroups", t.SECURITY_GROUP))
    for group in stack.of_type(t.SECURITY_GROUP):
        items = as_list(group.get("ingress"))
        if items is UNKNOWN:
            continue
        for item in items:
            entry = {"cidrs": (as_list(dig(item, "cidrBlocks")), as_list(dig(item, "ipv6CidrBlocks")))}
            if world_open(entry) is True and group.urn not in alb_groups:
                out.fail(
                    "only an internet-facing load balancer's security group may admit 0.0.0.0/0 or ::/0", group.urn
                )
    for rule in stack.of_type(t.SG_INGRESS_RULE, t.SG_RULE):
        if rule.type == t.SG_RULE and rule.get("type") != "ingress":
            continue
        if rule.type == t.SG_RULE:
            entry = {"cidrs": (as_list(rule.get("cidrBlocks")), as_list(rule.get("ipv6CidrBlocks")))}
        else:
            entry = {"cidrs": (as_list(rule.get("cidrIpv4")), as_list(rule.get("cidrIpv6")))}
        opened = world_open(entry)
        if opened is UNKNOWN:
            out.wait("ingress source CIDRs", rule.urn)
            continue
        if not opened:
            continue
        groups = stack.refs(rule, "securityGroupId", t.SECURITY_GROUP)
        if not groups and is_unknown(rule.get("securityGroupId")):
            out.wait("the rule's security group", rule.urn)
        elif not any(group.urn in alb_groups for group in groups):
            out.fail("only an internet-facing load balancer's security group may admit 0.0.0.0/0 or ::/0", rule.urn)
