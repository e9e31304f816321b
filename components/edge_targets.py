"""Routes from the Edge to a service: a target group, a listener rule, and the two security group rules.

:meth:`fintech_infra.edge.Edge.add_service_target` calls :func:`service_target` once per service and
hands the :class:`ServiceTarget` on to the service (``FargateService(..., **target.fargate_args())``).

Blue/green (ECS-native) follows AWS's "Application Load Balancer resources for blue/green deployments"
(:data:`fintech_infra.aws_facts.ECS_BLUE_GREEN_LISTENER_SOURCE`): two IP target groups, and one production
listener rule whose single forward action lists both, the primary at weight 100 and the alternate at 0. ECS
moves traffic by rewriting those weights, so the program ignores changes to the rule's actions. Decisions:

- No test listener rule (AWS: optional). It would only serve a lifecycle hook that tests the green revision
  before the shift, and none is configured; on this internet-facing ALB it would also expose the unreleased
  revision to anyone who finds the route.
- The HTTPS listener keeps its fixed-response 404 default. The limitation some translations of that page
  still carry ("a mixture of forward and non-forward actions ... the deployment fails") is gone from the
  English page they defer to, and read strictly it concerns the rules ECS manages: the production rule here
  has exactly one action, a forward. A sandbox deployment confirms it before a first production use (the
  fact's ``verify`` command, in docs/deployment.md's pre-flight checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = ["ALTERNATE_WEIGHT", "PRIMARY_WEIGHT", "ServiceTarget", "service_target"]

PRIMARY_WEIGHT = 100
"""The primary (blue) target group's weight on a blue/green production rule when it is created."""
ALTERNATE_WEIGHT = 0
"""The alternate (green) group's: it takes traffic only when ECS shifts the weights during a deployment."""


@dataclass(frozen=True)
class ServiceTarget:
    """What :meth:`Edge.add_service_target` created: pass it on to the service (``fargate_args()``)."""

    target_group: aws.lb.TargetGroup
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    listener_rule_arn: pulumi.Output[str]
    alternate_target_group_arn: pulumi.Output[str] | None = None
    alternate_arn_suffix: pulumi.Output[str] | None = None

    def fargate_args(self) -> dict[str, Any]:
        """Keyword arguments of :class:`fintech_infra.fargate.FargateService` for this target."""
        return {
            "target_group_arn": self.arn,
            "target_group_arn_suffix": self.arn_suffix,
            "load_balancer_arn_suffix": self.load_balancer_arn_suffix,
            "alternate_target_group_arn": self.alternate_target_group_arn,
            "alternate_target_group_arn_suffix": self.alternate_arn_suffix,
            "production_listener_rule_arn": self.listener_rule_arn,
        }


def service_target(
    base: str,
    name: str,
    *,
    port: int,
    health_check_path: str,
    app_security_group_id: pulumi.Input[str],
    path_patterns: Sequence[str],
    host_headers: Sequence[str],
    priority: int,
    blue_green: bool,
    vpc_id: pulumi.Input[str],
    https_listener_arn: pulumi.Input[str],
    alb_security_group_id: pulumi.Input[str],
    load_balancer_arn_suffix: pulumi.Output[str],
    parent: pulumi.Resource,
    deregistration_delay_seconds: int = 30,
    stickiness_seconds: int | None = None,
) -> ServiceTarget:
    """Forward matching HTTPS requests to a new IP target group on ``port``; open exactly that path.

    Children are named ``<base>-<role>``; the ALB's group gets egress to ``app_security_group_id`` on
    ``port``, and that group the matching ingress from the ALB. The health check is a plain HTTP GET on
    ``health_check_path`` (never upgraded, so it works for a WebSocket gateway whose path answers it).
    """
    this = pulumi.ResourceOptions(parent=parent)

    def target_group(role: str) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            child(base, role),
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            # Draining: a leaving task keeps its open connections this long (blue/green shifts, scale-in).
            deregistration_delay=deregistration_delay_seconds,
            stickiness=aws.lb.TargetGroupStickinessArgs(
                type="lb_cookie", enabled=True, cookie_duration=stickiness_seconds
            )
            if stickiness_seconds is not None
            else None,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=health_check_path,
                protocol="HTTP",
                matcher="200-399",
                interval=15,
                healthy_threshold=3,
                unhealthy_threshold=3,
            ),
            tags={},
            opts=this,
        )

    primary = target_group("tg")
    alternate = target_group("tg-alt") if blue_green else None
    conditions = [
        aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(path_patterns))
        )
    ]
    if host_headers:
        conditions.append(
            aws.lb.ListenerRuleConditionArgs(
                host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=list(host_headers))
            )
        )
    if alternate is None:
        action = aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=primary.arn)
    else:
        action = aws.lb.ListenerRuleActionArgs(
            type="forward",
            forward=aws.lb.ListenerRuleActionForwardArgs(
                target_groups=[
                    aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=primary.arn, weight=PRIMARY_WEIGHT),
                    aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=alternate.arn, weight=ALTERNATE_WEIGHT),
                ]
            ),
        )
    rule = aws.lb.ListenerRule(
        child(base, "rule"),
        listener_arn=https_listener_arn,
        priority=priority,
        conditions=conditions,
        actions=[action],
        tags={},
        # ECS blue/green moves traffic by rewriting the weights of this rule's forward action.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["actions"] if blue_green else None),
    )
    aws.vpc.SecurityGroupEgressRule(
        child(base, "alb-out"),
        security_group_id=alb_security_group_id,
        description=f"ALB to {name} on {port}",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=app_security_group_id,
        tags={},
        opts=this,
    )
    aws.vpc.SecurityGroupIngressRule(
        child(base, "app-in"),
        security_group_id=app_security_group_id,
        description=f"{name} from the ALB on {port}",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=alb_security_group_id,
        tags={},
        opts=this,
    )
    return ServiceTarget(
        target_group=primary,
        arn=primary.arn,
        arn_suffix=primary.arn_suffix,
        load_balancer_arn_suffix=load_balancer_arn_suffix,
        listener_rule_arn=rule.arn,
        alternate_target_group_arn=alternate.arn if alternate is not None else None,
        alternate_arn_suffix=alternate.arn_suffix if alternate is not None else None,
    )
