"""compute_hardening.py: ECS Exec logging, distinct task roles, Fargate platform, health checks, Log4j WAF group."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import UB, Case, R, U, case_params, rc, run_case

LOGGED = {
    "executeCommandConfiguration": {
        "kmsKeyId": "arn:aws:kms:eu-central-1:123456789012:key/exec",
        "logging": "OVERRIDE",
        "logConfiguration": {"cloudWatchLogGroupName": "/ecs/dev/exec", "cloudWatchEncryptionEnabled": True},
    }
}


def cluster(configuration: object = None) -> R:
    return R(t.ECS_CLUSTER, "cluster", {"configuration": configuration} if configuration is not None else {})


def service(exec_enabled: object, on: R) -> R:
    return R(
        t.ECS_SERVICE,
        "service",
        {"cluster": U, "enableExecuteCommand": exec_enabled},
        deps={"cluster": [on.urn]},
    )


EXECUTION = R(t.IAM_ROLE, "execution", {})
TASK = R(t.IAM_ROLE, "task", {})


def definition(execution: R | None, task: R | None, **props: object) -> R:
    deps = {}
    values: dict = dict(props)
    if execution is not None:
        values.setdefault("executionRoleArn", U)
        deps["executionRoleArn"] = [execution.urn]
    if task is not None:
        values.setdefault("taskRoleArn", U)
        deps["taskRoleArn"] = [task.urn]
    return R(t.ECS_TASK_DEFINITION, "task-def", values, deps=deps)


HEALTH = {"enabled": True, "path": "/healthz", "matcher": "200-399", "healthyThreshold": 3, "unhealthyThreshold": 3}


def managed(name: str, override: dict | None = None, **statement: object) -> dict:
    return {
        "name": name,
        "priority": 10,
        "overrideAction": override or {"none": {}},
        "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": name, **statement}},
    }


BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"

CASES = {
    "ecs-exec-logging": [
        Case("exec logged to an encrypted group with a CMK", "pass", [c := cluster(LOGGED), service(True, c)]),
        Case("no exec configuration, exec off on every service", "pass", [c := cluster(), service(False, c)]),
        Case("exec on, cluster without exec logging", "fail", [c := cluster(), service(True, c)]),
        Case(
            "exec on, logging NONE",
            "fail",
            [c := cluster({"executeCommandConfiguration": {"logging": "NONE"}}), service(True, c)],
        ),
        Case(
            "exec on, CloudWatch encryption off",
            "fail",
            [
                c := cluster(
                    {
                        "executeCommandConfiguration": {
                            **LOGGED["executeCommandConfiguration"],
                            "logConfiguration": {"cloudWatchLogGroupName": "/ecs/x"},
                        }
                    }
                ),
                service(True, c),
            ],
        ),
        Case("exec flag unknown", "pending", [c := cluster(), service(UB, c)], unknown=True),
    ],
    "ecs-task-roles-distinct": [
        Case("two roles", "pass", [EXECUTION, TASK, definition(EXECUTION, TASK)]),
        Case("one role for both", "fail", [EXECUTION, definition(EXECUTION, EXECUTION)]),
        Case(
            "the same known ARN twice",
            "fail",
            [definition(None, None, executionRoleArn="arn:aws:iam::1:role/r", taskRoleArn="arn:aws:iam::1:role/r")],
        ),
        Case("no task role", "pass", [EXECUTION, definition(EXECUTION, None)]),
        Case(
            "ARNs unknown without references",
            "pending",
            [definition(None, None, executionRoleArn=U, taskRoleArn=U)],
            unknown=True,
        ),
    ],
    "ecs-fargate-platform-version": [
        rc(t.ECS_SERVICE, {"launchType": "FARGATE", "platformVersion": "LATEST"}, "pass", "LATEST"),
        rc(t.ECS_SERVICE, {"launchType": "FARGATE"}, "pass", "unset is LATEST"),
        rc(t.ECS_SERVICE, {"launchType": "FARGATE", "platformVersion": "1.4.0"}, "pass", "pinned 1.4.0"),
        rc(t.ECS_SERVICE, {"launchType": "FARGATE", "platformVersion": "1.3.0"}, "fail", "retired 1.3.0"),
        rc(
            t.ECS_SERVICE,
            {"capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT"}], "platformVersion": "1.2.0"},
            "fail",
            "Fargate Spot on 1.2.0",
        ),
        rc(t.ECS_SERVICE, {"launchType": "EC2", "platformVersion": "1.3.0"}, "pass", "EC2 launch type is not judged"),
        rc(t.ECS_SERVICE, {"launchType": "FARGATE", "platformVersion": U}, "pending", "unknown", unknown=True),
    ],
    "lb-target-group-health-check": [
        rc(t.LB_TARGET_GROUP, {"protocol": "HTTP", "healthCheck": HEALTH}, "pass", "the library's health check"),
        rc(t.LB_TARGET_GROUP, {"protocol": "HTTP"}, "fail", "AWS defaults (path /, 5 to heal)"),
        rc(
            t.LB_TARGET_GROUP,
            {"protocol": "HTTP", "healthCheck": {**HEALTH, "enabled": False}},
            "fail",
            "health check disabled",
        ),
        rc(
            t.ALB_TARGET_GROUP,
            {"protocol": "HTTPS", "healthCheck": {**HEALTH, "matcher": None}},
            "fail",
            "no matcher",
        ),
        rc(t.LB_TARGET_GROUP, {"protocol": "TCP"}, "pass", "an NLB TCP group with the default check"),
        rc(
            t.LB_TARGET_GROUP,
            {"protocol": "HTTP", "healthCheck": {**HEALTH, "path": U}},
            "pending",
            "path unknown",
            unknown=True,
        ),
    ],
    "waf-known-bad-inputs": [
        rc(t.WEB_ACL, {"rules": [managed("AWSManagedRulesCommonRuleSet"), managed(BAD_INPUTS)]}, "pass", "blocking"),
        rc(t.WEB_ACL, {"rules": [managed("AWSManagedRulesCommonRuleSet")]}, "fail", "no known-bad-inputs group"),
        rc(t.WEB_ACL, {"rules": [managed(BAD_INPUTS, {"count": {}})]}, "fail", "the group only counts"),
        rc(
            t.WEB_ACL,
            {
                "rules": [
                    managed(
                        BAD_INPUTS,
                        ruleActionOverrides=[{"name": "Log4JRCE_BODY", "actionToUse": {"count": {}}}],
                    )
                ]
            },
            "fail",
            "a Log4JRCE rule overridden to count",
        ),
        rc(t.WEB_ACL, {"rules": U}, "pending", "rules unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
