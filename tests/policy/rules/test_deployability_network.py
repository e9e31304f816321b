"""deployability_network.py: security groups per service and interface, inline vs standalone rules, blue/green."""

from __future__ import annotations

from typing import Any

import pytest

from fintech_guardrails import types as t
from fintech_guardrails.catalog import guardrails, policies
from fintech_guardrails.docs import render_policy_table
from tests.policy.harness import Case, R, U, case_params, rc, run_case

REGION = "eu-central-1"
ACCOUNT = "123456789012"


def groups(count: int) -> list[str]:
    return [f"sg-{n}" for n in range(count)]


def service(groups_: Any) -> dict[str, Any]:
    return {"networkConfiguration": {"subnets": ["subnet-a"], "securityGroups": groups_, "assignPublicIp": False}}


# -- inline and standalone rules ------------------------------------------------------------------------------

GROUP = R(t.SECURITY_GROUP, "svc-sg", {"id": "sg-svc", "arn": "arn:aws:ec2:x:1:security-group/sg-svc"})
ALB_GROUP_ID = "sg-alb"


def ingress_rule(name: str = "svc-app-in", source: Any = ALB_GROUP_ID, port: Any = 8080) -> R:
    return R(
        t.SG_INGRESS_RULE,
        name,
        {
            "securityGroupId": "sg-svc",
            "referencedSecurityGroupId": source,
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
            "description": "app from the ALB",
        },
        deps={"securityGroupId": [GROUP.urn]},
    )


def group_with(**props: Any) -> R:
    return R(t.SECURITY_GROUP, GROUP.name, {**GROUP.props, **props})


INLINE_EGRESS = [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "out"}]
# What the provider reads back into a group after a deployment: the rule resource's own rule.
READ_BACK = [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": [ALB_GROUP_ID], "self": False}]


# -- blue/green -----------------------------------------------------------------------------------------------

TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api-tg/1"
ALT = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api-tg-alt/2"
RULE_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/app/alb/3/4/5"
PRIMARY_TG = R(t.LB_TARGET_GROUP, "api-tg", {"arn": TG, "arnSuffix": "targetgroup/api-tg/1"})
ALTERNATE_TG = R(t.LB_TARGET_GROUP, "api-tg-alt", {"arn": ALT, "arnSuffix": "targetgroup/api-tg-alt/2"})
BOTH = {"type": "forward", "forward": {"targetGroups": [{"arn": TG, "weight": 100}, {"arn": ALT, "weight": 0}]}}
ONLY_PRIMARY = {"type": "forward", "targetGroupArn": TG}


def listener_rule(*actions: Any, arn: Any = RULE_ARN) -> R:
    return R(t.LB_LISTENER_RULE, "api-rule", {"arn": arn, "actions": list(actions)})


def bg_service(strategy: Any = "BLUE_GREEN", rule_arn: Any = RULE_ARN, alternate: Any = ALT, **advanced: Any) -> R:
    return R(
        t.ECS_SERVICE,
        "api-service",
        {
            "name": "api",
            "deploymentConfiguration": {"strategy": strategy},
            "loadBalancers": [
                {
                    "targetGroupArn": TG,
                    "containerName": "api",
                    "containerPort": 8080,
                    "advancedConfiguration": {
                        "alternateTargetGroupArn": alternate,
                        "productionListenerRule": rule_arn,
                        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-infra",
                        **advanced,
                    },
                }
            ],
        },
    )


SERVICE = bg_service()
SCALING_TARGET = R(
    t.SCALING_TARGET,
    "api-scaling",
    {"resourceId": "service/eu-ecs/api", "serviceNamespace": "ecs"},
    deps={"resourceId": [SERVICE.urn]},
)


def scaling_policy(metric: dict[str, Any]) -> R:
    return R(
        t.SCALING_POLICY,
        "api-scale-requests",
        {
            "policyType": "TargetTrackingScaling",
            "resourceId": "service/eu-ecs/api",
            "targetTrackingScalingPolicyConfiguration": {"targetValue": 1000, **metric},
        },
        deps={"resourceId": [SCALING_TARGET.urn]},
    )


def requests_of(*target_groups: Any) -> dict[str, Any]:
    queries = [
        {
            "id": f"m{n}",
            "returnData": False,
            "metricStat": {
                "stat": "Sum",
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metricName": "RequestCountPerTarget",
                    "dimensions": [
                        {"name": "LoadBalancer", "value": "app/alb/1"},
                        {"name": "TargetGroup", "value": group},
                    ],
                },
            },
        }
        for n, group in enumerate(target_groups)
    ]
    total = {"id": "requests", "expression": "FILL(m0, 0) + FILL(m1, 0)", "returnData": True}
    return {"customizedMetricSpecification": {"metrics": [*queries, total]}}


PREDEFINED = {
    "predefinedMetricSpecification": {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": "app/alb/1/targetgroup/api-tg/1",
    }
}
CPU = {"predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}}
SCALING = [PRIMARY_TG, ALTERNATE_TG, SERVICE, SCALING_TARGET]
SUFFIXES = (PRIMARY_TG.props["arnSuffix"], ALTERNATE_TG.props["arnSuffix"])


CASES = {
    "ecs-service-security-group-limit": [
        rc(t.ECS_SERVICE, service(groups(1)), "pass", "one group of its own"),
        rc(t.ECS_SERVICE, service(groups(5)), "pass", "five groups, the limit"),
        rc(t.ECS_SERVICE, service(groups(6)), "fail", "six groups (own, four concerns, cache)"),
        rc(t.ECS_TASK_SET, service(groups(6)), "fail", "a task set with six groups"),
        rc(t.ECS_SERVICE, {}, "pass", "no awsvpc configuration"),
        rc(t.ECS_SERVICE, service([U, U]), "pass", "two groups whose ids are unknown", unknown=True),
        rc(t.ECS_SERVICE, service([U] * 6), "fail", "six groups whose ids are unknown", unknown=True),
        rc(t.ECS_SERVICE, service(U), "pending", "the group list unknown", unknown=True),
    ],
    "eni-security-group-quota": [
        rc(t.RDS_INSTANCE, {"vpcSecurityGroupIds": groups(1)}, "pass", "a database with its own group"),
        rc(t.LAMBDA_FUNCTION, {"vpcConfig": {"securityGroupIds": groups(6)}}, "fail", "a function with six groups"),
        rc(t.LAUNCH_TEMPLATE, {"networkInterfaces": [{"securityGroups": groups(6)}]}, "fail", "a template interface"),
        Case(
            "six groups after the account raised its quota to 6",
            "pass",
            [R(t.EC2_INSTANCE, "subject", {"vpcSecurityGroupIds": groups(6)})],
            config={"maxSecurityGroupsPerEni": 6},
        ),
        rc(t.VPC_ENDPOINT, {"securityGroupIds": U}, "pending", "endpoint groups unknown", unknown=True),
    ],
    "security-group-no-inline-rules": [
        rc(t.SECURITY_GROUP, {"description": "svc"}, "pass", "no inline blocks"),
        rc(t.SECURITY_GROUP, {"description": "svc", "egress": INLINE_EGRESS}, "fail", "an inline egress block"),
        rc(t.SECURITY_GROUP, {"description": "svc", "ingress": []}, "fail", "an empty inline ingress block"),
        rc(
            t.SECURITY_GROUP,
            {"description": "svc", "ingress": U},
            "fail",
            "an inline block of unknown rules",
            unknown=True,
        ),
    ],
    "security-group-rules-not-mixed": [
        Case("standalone rules only", "pass", [GROUP, ingress_rule()]),
        Case("inline egress and a standalone ingress rule", "fail", [group_with(egress=INLINE_EGRESS), ingress_rule()]),
        Case(
            "an inline ingress entry the rule resources do not explain",
            "fail",
            [group_with(ingress=[*READ_BACK, {**READ_BACK[0], "fromPort": 22, "toPort": 22}]), ingress_rule()],
        ),
        Case(
            "deployed state: the rule resource's rule read back",
            "pass",
            [group_with(ingress=READ_BACK), ingress_rule()],
        ),
        Case(
            "deployed state before a refresh: empty blocks", "pass", [group_with(ingress=[], egress=[]), ingress_rule()]
        ),
        Case("inline rules without any rule resource", "pass", [group_with(egress=INLINE_EGRESS)]),
        Case(
            "inline entries unknown at preview",
            "pending",
            [
                group_with(egress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": [U]}]),
                ingress_rule(),
            ],
            unknown=True,
        ),
    ],
    "ecs-blue-green-listener-layout": [
        Case(
            "both target groups on the production rule",
            "pass",
            [PRIMARY_TG, ALTERNATE_TG, listener_rule(BOTH), SERVICE],
        ),
        Case(
            "the rule forwards to the primary only",
            "fail",
            [PRIMARY_TG, ALTERNATE_TG, listener_rule(ONLY_PRIMARY), SERVICE],
        ),
        Case(
            "a fixed-response action next to the forward",
            "fail",
            [listener_rule(BOTH, {"type": "fixed-response", "fixedResponse": {"statusCode": "404"}}), SERVICE],
        ),
        Case("no alternate target group", "fail", [listener_rule(ONLY_PRIMARY), bg_service(alternate=None)]),
        Case("a rolling service", "pass", [listener_rule(ONLY_PRIMARY), bg_service(strategy="ROLLING")]),
        Case("a rule managed outside the stack", "pass", [SERVICE]),
        Case(
            "the rule's ARN unknown at preview",
            "pending",
            [listener_rule(BOTH, arn=U), bg_service(rule_arn=U)],
            unknown=True,
        ),
    ],
    "ecs-blue-green-request-scaling": [
        Case("requests of both target groups", "pass", [*SCALING, scaling_policy(requests_of(*SUFFIXES))]),
        Case("CPU only", "pass", [*SCALING, scaling_policy(CPU)]),
        Case("the predefined ALBRequestCountPerTarget", "fail", [*SCALING, scaling_policy(PREDEFINED)]),
        Case("requests of the primary group only", "fail", [*SCALING, scaling_policy(requests_of(SUFFIXES[0]))]),
        Case(
            "a rolling service on ALBRequestCountPerTarget",
            "pass",
            [
                PRIMARY_TG,
                R(t.ECS_SERVICE, SERVICE.name, {**SERVICE.props, "deploymentConfiguration": {"strategy": "ROLLING"}}),
                SCALING_TARGET,
                scaling_policy(PREDEFINED),
            ],
        ),
        Case(
            "target group dimensions unknown at preview",
            "pending",
            [*SCALING, scaling_policy(requests_of(U, U))],
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_violations_name_the_resource_and_never_echo_values() -> None:
    result = run_case(
        "security-group-rules-not-mixed", Case("", "fail", [group_with(egress=INLINE_EGRESS), ingress_rule()])
    )
    (diagnostic,) = [d for d in result.diagnostics if d.policyName == "security-group-rules-not-mixed"]
    assert diagnostic.urn == GROUP.urn and "0.0.0.0/0" not in diagnostic.message
    result = run_case(
        "ecs-blue-green-listener-layout",
        Case("", "fail", [PRIMARY_TG, ALTERNATE_TG, listener_rule(ONLY_PRIMARY), SERVICE]),
    )
    (diagnostic,) = [d for d in result.diagnostics if d.policyName == "ecs-blue-green-listener-layout"]
    assert diagnostic.urn == listener_rule().urn and "forwards to one target group only" in diagnostic.message


def test_every_deployability_rule_links_its_source_in_the_policy_table() -> None:
    table = render_policy_table()
    family = [g for g in guardrails() if g.check.__module__.startswith("fintech_guardrails.rules.deployability_")]
    assert len(family) >= 8
    sdk = {policy.name: policy for policy in policies()}
    for guardrail in family:
        assert guardrail.url is not None and guardrail.url.startswith("https://"), guardrail.name
        assert f"([source]({guardrail.url}))" in table
        assert sdk[guardrail.name].url == guardrail.url
