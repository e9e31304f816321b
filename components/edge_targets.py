"""Routes from the Edge to a service: a target group, a listener rule, and the two security group rules.

:meth:`fintech_infra.edge.Edge.add_service_target` calls :func:`service_target` once per service and
hands the :class:`ServiceTarget` on to the service (``FargateService(..., **target.fargate_args())``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = ["ServiceTarget", "service_target"]


@dataclass(frozen=True)
class ServiceTarget:
    """What :meth:`Edge.add_service_target` created: pass it on to the service (``fargate_args()``)."""

    target_group: aws.lb.TargetGroup
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    listener_rule_arn: pulumi.Output[str]
    alternate_target_group_arn: pulumi.Output[str] | None = None

    def fargate_args(self) -> dict[str, Any]:
        """Keyword arguments of :class:`fintech_infra.fargate.FargateService` for this target."""
        return {
            "target_group_arn": self.arn,
            "target_group_arn_suffix": self.arn_suffix,
            "load_balancer_arn_suffix": self.load_balancer_arn_suffix,
            "alternate_target_group_arn": self.alternate_target_group_arn,
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
) -> ServiceTarget:
    """Forward matching HTTPS requests to a new IP target group on ``port``; open exactly that path.

    Children are named ``<base>-<role>``; the ALB's group gets egress to ``app_security_group_id`` on
    ``port``, and that group the matching ingress from the ALB.
    """
    this = pulumi.ResourceOptions(parent=parent)

    def target_group(role: str) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            child(base, role),
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            deregistration_delay=30,
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
    rule = aws.lb.ListenerRule(
        child(base, "rule"),
        listener_arn=https_listener_arn,
        priority=priority,
        conditions=conditions,
        actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=primary.arn)],
        tags={},
        # ECS blue/green moves traffic by rewriting this rule's action.
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
    )
