"""Deployability, network and traffic: what AWS or the provider refuses (or silently undoes) that the mock accepts.

- security groups per ECS service (AWS's cap of 5 per ``awsvpcConfiguration``) and per network interface
  (the account's quota, 5 unless raised);
- inline and standalone rules on one security group (the provider overwrites one with the other);
- ECS blue/green: the production listener rule forwards to both target groups, and request-count scaling
  follows the live one.

Every limit comes from the facts the library generates (``data/aws_facts.json``); each rule links the AWS page
it enforces (``url``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import dora, pci, resource_rule, stack_rule

FACTS = facts.load("aws_facts")
ECS_GROUPS = FACTS["ecs_security_groups_per_service"]
ENI_GROUPS = FACTS["vpc_security_groups_per_eni"]
CHANGE_MANAGEMENT = dora("Art. 9(4)(e)", "ICT change management")
NETWORK_CHANGES = pci("1.2.2", "Changes to network connections and to configurations of NSCs are managed")
SHIFTING_STRATEGIES = frozenset({"BLUE_GREEN", "LINEAR", "CANARY"})
"""ECS deployment strategies that move traffic between two target groups by their weights."""


def _count_groups(out: Findings, value: Any, what: str, limit: int, message: str) -> None:
    groups = as_list(value)
    if groups is UNKNOWN:
        out.wait(what)
    elif len(groups) > limit:
        out.fail(message.format(count=len(groups), limit=limit))


# -- security groups per service and per network interface --------------------------------------------------


@resource_rule(
    types=(t.ECS_SERVICE, t.ECS_TASK_SET),
    name="ecs-service-security-group-limit",
    severity=Severity.HIGH,
    framework=NETWORK_CHANGES,
    remediation=(
        "Give the service one security group of its own and grant access on the other side (each data store's "
        "group admits the service's group), as JurisdictionCell does; never more than five per service."
    ),
    url=ECS_GROUPS["source"]["url"],
)
def ecs_service_security_group_limit(r: Resource, out: Findings) -> None:
    """ECS services and task sets list at most five security groups in their awsvpc configuration.

    AWS caps ``awsvpcConfiguration.securityGroups`` at 5 whatever the account's network-interface quota; more
    and CreateService fails. Unset means the VPC's default group (one). The count is judged even while the
    group ids are unknown; an unknown list is pending.
    """
    _count_groups(
        out,
        r.get("networkConfiguration", "securityGroups"),
        "networkConfiguration.securityGroups",
        int(ECS_GROUPS["value"]),
        "networkConfiguration.securityGroups lists {count} security groups; ECS accepts at most {limit} per "
        "service or task set",
    )


ENI_GROUP_PATHS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    t.NETWORK_INTERFACE: (("securityGroups",),),
    t.EC2_INSTANCE: (("vpcSecurityGroupIds",),),
    t.LAUNCH_TEMPLATE: (("vpcSecurityGroupIds",),),
    t.LAMBDA_FUNCTION: (("vpcConfig", "securityGroupIds"),),
    t.VPC_ENDPOINT: (("securityGroupIds",),),
    t.RDS_INSTANCE: (("vpcSecurityGroupIds",),),
    t.RDS_CLUSTER: (("vpcSecurityGroupIds",),),
    t.REDIS: (("securityGroupIds",),),
}
"""Where each type that places network interfaces lists the groups every one of them wears."""


@resource_rule(
    types=tuple(ENI_GROUP_PATHS),
    name="eni-security-group-quota",
    severity=Severity.HIGH,
    framework=NETWORK_CHANGES,
    config={
        "maxSecurityGroupsPerEni": {
            "type": "integer",
            "minimum": 1,
            "maximum": int(ENI_GROUPS["max"]),
            "default": int(ENI_GROUPS["value"]),
            "description": "The account's 'Security groups per network interface' quota (AWS default 5, "
            "adjustable to 16): raise it here only after Service Quotas shows the raised value.",
        }
    },
    remediation=(
        "Combine security groups (grant access on the receiving side) or raise the VPC quota 'Security groups "
        "per network interface' and set maxSecurityGroupsPerEni to the new value."
    ),
    url=ENI_GROUPS["source"]["url"],
)
def eni_security_group_quota(r: Resource, out: Findings) -> None:
    """Network interfaces wear no more security groups than the account's quota allows.

    Covers the types that place interfaces with a group list (instances, launch templates and their network
    interfaces, Lambda functions in a VPC, interface endpoints, RDS, ElastiCache). The quota is 5 by default
    and can be raised to 16 (``maxSecurityGroupsPerEni``). Unknown lists are pending.
    """
    limit = int(r.settings.value("maxSecurityGroupsPerEni"))
    message = "{count} security groups on one network interface; the account's quota allows {limit}"
    for path in ENI_GROUP_PATHS[r.type]:
        _count_groups(out, r.get(*path), ".".join(path), limit, message)
    if r.type == t.LAUNCH_TEMPLATE:
        interfaces = as_list(r.get("networkInterfaces"))
        if interfaces is UNKNOWN:
            out.wait("networkInterfaces")
            return
        for interface in interfaces:
            _count_groups(out, dig(interface, "securityGroups"), "networkInterfaces.securityGroups", limit, message)


# -- inline and standalone rules on one group ----------------------------------------------------------------

_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
Permission = tuple[str, str, Any, Any, str, str]
"""(direction, protocol, from port, to port, source kind, source): one rule as AWS stores it."""


def _protocol(value: Any) -> str:
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def _permissions(direction: str, protocol: Any, low: Any, high: Any, sources: Iterable[tuple[str, Any]]) -> Any:
    """The atomic permissions of one rule, or UNKNOWN when any part is unknown."""
    parts = [protocol, low, high, *(value for _, value in sources)]
    if any(contains_unknown(part) for part in parts):
        return UNKNOWN
    proto = _protocol(protocol)
    ports = (None, None) if proto == "-1" else (low, high)
    return {(direction, proto, *ports, kind, str(value)) for kind, value in sources}


def _sources(entry: Mapping[str, Any], *keys: tuple[str, str]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for key, kind in keys:
        value = entry.get(key)
        if value is UNKNOWN:
            found.append((kind, UNKNOWN))
            continue
        found += [(kind, item) for item in as_list(value) if item not in (None, "")]
    return found


def _inline(group: Node, direction: str) -> Any:
    """The atomic permissions the group's inline block lists; None without a block; UNKNOWN when unknown."""
    entries = as_list(group.get(direction))
    if entries is UNKNOWN:
        return UNKNOWN
    found: set[Permission] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            return UNKNOWN
        sources = _sources(
            entry,
            ("cidrBlocks", "cidr"),
            ("ipv6CidrBlocks", "cidr6"),
            ("prefixListIds", "prefix-list"),
            ("securityGroups", "group"),
        )
        if entry.get("self") is True:
            sources.append(("self", "self"))
        permissions = _permissions(
            direction, entry.get("protocol"), entry.get("fromPort"), entry.get("toPort"), sources
        )
        if permissions is UNKNOWN:
            return UNKNOWN
        found |= permissions
    return found


def _standalone(rule: Node) -> tuple[str, Any]:
    """The direction and atomic permissions of a standalone rule resource."""
    if rule.type == t.SG_RULE:
        direction = str(rule.get("type"))
        sources = _sources(
            rule.props,
            ("cidrBlocks", "cidr"),
            ("ipv6CidrBlocks", "cidr6"),
            ("prefixListIds", "prefix-list"),
            ("sourceSecurityGroupId", "group"),
        )
        if rule.get("self") is True:
            sources.append(("self", "self"))
        protocol = rule.get("protocol")
    else:
        direction = "ingress" if rule.type == t.SG_INGRESS_RULE else "egress"
        sources = _sources(
            rule.props,
            ("cidrIpv4", "cidr"),
            ("cidrIpv6", "cidr6"),
            ("prefixListId", "prefix-list"),
            ("referencedSecurityGroupId", "group"),
        )
        protocol = rule.get("ipProtocol")
    return direction, _permissions(direction, protocol, rule.get("fromPort"), rule.get("toPort"), sources)


@resource_rule(
    types=(t.SECURITY_GROUP,),
    name="security-group-no-inline-rules",
    severity=Severity.MEDIUM,
    framework=NETWORK_CHANGES,
    tags=("PCI DSS 4.0.1 1.2.7",),
    remediation=(
        "Declare the group without ingress/egress and every rule as aws.vpc.SecurityGroupIngressRule / "
        "SecurityGroupEgressRule; the provider removes AWS's default allow-all egress from a new group anyway."
    ),
    url=FACTS["security_group_rules"]["url"],
)
def security_group_no_inline_rules(r: Resource, out: Findings) -> None:
    """Security groups declare no inline ingress or egress blocks; every rule is its own resource.

    The provider manages a group with an ``ingress``/``egress`` block (even an empty one) as the complete rule
    set and removes any rule another resource adds, so inline blocks cannot be combined with rule resources.
    Unset blocks are not managed and pass; a block present but unknown still declares inline rules.
    """
    for direction in ("ingress", "egress"):
        if r.get(direction) is not None:
            out.fail(f"the security group declares an inline {direction} block; declare each rule as its own resource")


@stack_rule(
    name="security-group-rules-not-mixed",
    severity=Severity.HIGH,
    framework=NETWORK_CHANGES,
    tags=("PCI DSS 4.0.1 1.2.7", "awsguard:security-group-no-rule-management-conflicts"),
    remediation=(
        "Move the group's inline ingress/egress entries into aws.vpc.SecurityGroupIngressRule / "
        "SecurityGroupEgressRule resources (or the other way round): never both on one group."
    ),
    url=FACTS["security_group_rules"]["url"],
)
def security_group_rules_not_mixed(stack: Stack, out: Findings) -> None:
    """No security group carries inline rules and standalone rule resources at once.

    Judged on the stack's state: for each group that a rule resource (``SecurityGroupIngressRule``,
    ``SecurityGroupEgressRule`` or ``ec2.SecurityGroupRule``) targets, an entry of its ``ingress``/``egress`` that
    no rule resource on the group explains is an inline rule the provider would fight over. After a deployment the
    provider reads rule-resource rules back into the group, which this matching tells apart; a rule added outside
    the stack reads the same way and is reported too. Unknown entries are pending.
    """
    # AnalyzeStack sees outputs, not inputs (pulumi/pulumi step_generator.go): after a deployment a group's
    # ingress/egress holds the rule resources' rules too, hence the matching instead of "the block is set".
    managed: dict[str, set[Permission]] = {}
    for rule in stack.of_type(t.SG_INGRESS_RULE, t.SG_EGRESS_RULE, t.SG_RULE):
        groups = stack.refs(rule, "securityGroupId", t.SECURITY_GROUP)
        if not groups:
            continue  # a group outside this stack, or one not known yet: nothing here to mix with
        direction, permissions = _standalone(rule)
        for group in groups:
            known = managed.setdefault(group.urn, set())
            if permissions is not UNKNOWN:
                known |= permissions
    for urn, known in managed.items():
        group = stack.by_urn[urn]
        for direction in ("ingress", "egress"):
            inline = _inline(group, direction)
            if inline is UNKNOWN:
                out.wait(f"{direction} of a security group that has rule resources", urn)
            elif inline and inline - known:
                out.fail(
                    f"the security group has inline {direction} rules and standalone rule resources; the provider "
                    "overwrites one with the other: declare every rule as its own resource",
                    urn,
                )


# -- ECS blue/green ------------------------------------------------------------------------------------------


def _shifting(service: Node) -> Any:
    strategy = service.get("deploymentConfiguration", "strategy")
    if is_unknown(strategy):
        return UNKNOWN
    return strategy in SHIFTING_STRATEGIES


def _by_arn(arn: Any, candidates: list[Node]) -> Node | None:
    """The candidate whose known ``arn`` is ``arn`` (a resource outside the stack: None)."""
    if arn is None or is_unknown(arn):
        return None
    return next((node for node in candidates if node.get("arn") == arn), None)


def _forward_arns(action: Mapping[str, Any]) -> Any:
    arns = [
        group.get("arn") if isinstance(group, Mapping) else UNKNOWN
        for group in as_list(dig(action, "forward", "targetGroups"))
    ]
    single = action.get("targetGroupArn")
    if single is not None:
        arns.append(single)
    return UNKNOWN if any(is_unknown(arn) for arn in arns) else set(arns)


def _judge_rule(out: Findings, rule: Node, needed: set[str], role: str, service: Node) -> None:
    actions = as_list(rule.get("actions"))
    if actions is UNKNOWN or any(is_unknown(dig(action, "type")) for action in actions):
        out.wait(f"the {role} listener rule's actions", service.urn)
        return
    kinds = [dig(action, "type") for action in actions]
    if any(kind != "forward" for kind in kinds):
        out.fail(
            f"the blue/green {role} listener rule mixes forward with other actions (redirect, fixed-response, "
            "authenticate); keep it a single forward action",
            rule.urn,
        )
        return
    if len(actions) != 1:
        out.fail(f"the blue/green {role} listener rule needs exactly one forward action", rule.urn)
        return
    arns = _forward_arns(actions[0])
    if arns is UNKNOWN:
        out.wait(f"the {role} listener rule's target groups", service.urn)
    elif not needed <= arns:
        out.fail(
            f"the blue/green {role} listener rule forwards to one target group only; its forward action must list "
            "both the primary and the alternate target group (weights 100 and 0) for ECS to shift traffic",
            rule.urn,
        )


@stack_rule(
    name="ecs-blue-green-listener-layout",
    severity=Severity.HIGH,
    framework=CHANGE_MANAGEMENT,
    remediation=(
        "Use Edge.add_service_target(..., blue_green=True): one production rule whose single forward action lists "
        "the primary (weight 100) and the alternate (weight 0) target group, with its actions ignored by the program."
    ),
    url=FACTS["ecs_blue_green_listener"]["url"],
)
def ecs_blue_green_listener_layout(stack: Stack, out: Findings) -> None:
    """ECS blue/green services name an alternate target group that their production listener rule forwards to.

    For each ECS service whose strategy shifts traffic (BLUE_GREEN, LINEAR, CANARY) behind a load balancer:
    ``advancedConfiguration`` names the alternate target group and the production rule; that rule (and a test
    rule, when one is named) has a single forward action listing both target groups. A rule outside the stack is
    not judged; unknown ARNs or actions are pending.
    """
    rules = stack.of_type(*t.LISTENER_RULES)
    for service in stack.of_type(t.ECS_SERVICE):
        shifting = _shifting(service)
        if shifting is UNKNOWN:
            out.wait("deploymentConfiguration.strategy", service.urn)
            continue
        if not shifting:
            continue
        balancers = as_list(service.get("loadBalancers"))
        if balancers is UNKNOWN:
            out.wait("loadBalancers", service.urn)
            continue
        for balancer in balancers:
            if dig(balancer, "targetGroupArn") is None:
                continue  # Service Connect or VPC Lattice: not an ALB layout
            advanced = dig(balancer, "advancedConfiguration")
            if advanced is None:
                out.fail(
                    "a blue/green service behind a load balancer needs advancedConfiguration: the alternate target "
                    "group, the production listener rule and the role ECS shifts traffic with",
                    service.urn,
                )
                continue
            primary, alternate = dig(balancer, "targetGroupArn"), dig(advanced, "alternateTargetGroupArn")
            if alternate is None:
                out.fail("a blue/green service needs advancedConfiguration.alternateTargetGroupArn", service.urn)
                continue
            for key, role in (("productionListenerRule", "production"), ("testListenerRule", "test")):
                arn = dig(advanced, key)
                if arn is None:
                    if role == "production":
                        out.fail("a blue/green service needs advancedConfiguration.productionListenerRule", service.urn)
                    continue
                if any(is_unknown(value) for value in (arn, primary, alternate)):
                    out.wait(f"advancedConfiguration.{key} and the target groups", service.urn)
                    continue
                rule = _by_arn(arn, rules)
                if rule is not None:
                    _judge_rule(out, rule, {str(primary), str(alternate)}, role, service)


def _scaling_policies(stack: Stack, service: Node) -> list[Node]:
    targets = [
        target
        for target in stack.of_type(t.SCALING_TARGET)
        if service in stack.refs(target, "resourceId", t.ECS_SERVICE)
    ]
    return [
        policy
        for policy in stack.of_type(t.SCALING_POLICY)
        if any(target in stack.refs(policy, "resourceId", t.SCALING_TARGET) for target in targets)
    ]


def _request_metric_groups(policy: Node) -> Any:
    """The TargetGroup dimensions of a customized request metric; None when the policy tracks no request metric."""
    metrics = as_list(
        policy.get("targetTrackingScalingPolicyConfiguration", "customizedMetricSpecification", "metrics")
    )
    if metrics is UNKNOWN:
        return UNKNOWN
    groups: set[str] = set()
    requested = False
    for query in metrics:
        name = dig(query, "metricStat", "metric", "metricName")
        if is_unknown(name):
            return UNKNOWN
        if name not in ("RequestCountPerTarget", "RequestCount"):
            continue
        requested = True
        for dimension in as_list(dig(query, "metricStat", "metric", "dimensions")):
            if dig(dimension, "name") == "TargetGroup":
                value = dig(dimension, "value")
                if is_unknown(value):
                    return UNKNOWN
                groups.add(str(value))
    return groups if requested else None


@stack_rule(
    name="ecs-blue-green-request-scaling",
    severity=Severity.MEDIUM,
    framework=CHANGE_MANAGEMENT,
    remediation=(
        "Let FargateService build the request policy: for blue/green it tracks FILL(primary, 0) + FILL(alternate, "
        "0) of both target groups' RequestCountPerTarget (a customized metric), or scale on CPU only."
    ),
    url=FACTS["ecs_blue_green_scaling"]["url"],
)
def ecs_blue_green_request_scaling(stack: Stack, out: Findings) -> None:
    """Blue/green ECS services scale on requests of both target groups, never the predefined ALBRequestCountPerTarget.

    AWS does not support ``ALBRequestCountPerTarget`` target tracking with blue/green: its resource label names
    one target group, and after a traffic shift production runs through the other. A customized request metric
    must read both groups (its ``TargetGroup`` dimensions cover the primary's and the alternate's ARN suffixes).
    Policies are found through their scalable target's ``resourceId``; unknown metrics are pending.
    """
    groups = stack.of_type(*t.TARGET_GROUPS)
    for service in stack.of_type(t.ECS_SERVICE):
        if _shifting(service) is not True:
            continue
        balancers = as_list(service.get("loadBalancers"))
        balancer = None
        if balancers is not UNKNOWN:
            balancer = next((b for b in balancers if dig(b, "advancedConfiguration") is not None), None)
        for policy in _scaling_policies(stack, service):
            predefined = policy.get(
                "targetTrackingScalingPolicyConfiguration", "predefinedMetricSpecification", "predefinedMetricType"
            )
            if is_unknown(predefined):
                out.wait("the scaling policy's predefined metric", policy.urn)
                continue
            if predefined == "ALBRequestCountPerTarget":
                out.fail(
                    "ALBRequestCountPerTarget follows one target group and AWS does not support it with blue/green; "
                    "track both target groups' RequestCountPerTarget with a customized metric",
                    policy.urn,
                )
                continue
            tracked = _request_metric_groups(policy)
            if tracked is None or balancer is None:
                continue  # no request metric, or no alternate group to read (the layout rule reports that)
            arns = (dig(balancer, "targetGroupArn"), dig(balancer, "advancedConfiguration", "alternateTargetGroupArn"))
            suffixes = [
                node.get("arnSuffix") if (node := _by_arn(arn, groups)) is not None else UNKNOWN for arn in arns
            ]
            if tracked is UNKNOWN or any(is_unknown(suffix) for suffix in suffixes):
                out.wait("the request metric's target groups", policy.urn)
            elif not set(map(str, suffixes)) <= tracked:
                out.fail(
                    "the request metric reads only one of the blue/green target groups; read both (primary and "
                    "alternate) so scaling follows whichever is live",
                    policy.urn,
                )
