"""delivery.py: an ECS deployment that fails rolls back by itself (circuit breaker; alarms behind a load balancer)."""

import json

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
LB = {
    "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:x:1:targetgroup/api/1", "containerPort": 8080}]
}
ALARMS = {"alarms": {"alarmNames": ["api-rollback-5xx-primary"], "enable": True, "rollback": True}}

CASES = {
    "ecs-deployment-rolls-back": [
        rc(t.ECS_SERVICE, {**BREAKER, **LB, **ALARMS}, "pass", "behind an ALB with rollback alarms"),
        rc(t.ECS_SERVICE, BREAKER, "pass", "a worker without a load balancer needs only the circuit breaker"),
        rc(t.ECS_SERVICE, {**LB, **ALARMS}, "fail", "no circuit breaker"),
        rc(
            t.ECS_SERVICE,
            {"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
            "fail",
            "the circuit breaker stops but does not roll back",
        ),
        rc(t.ECS_SERVICE, {**BREAKER, **LB}, "fail", "behind an ALB without deployment alarms"),
        rc(
            t.ECS_SERVICE,
            {**BREAKER, **LB, "alarms": {"alarmNames": ["a"], "enable": True, "rollback": False}},
            "fail",
            "alarms that only mark the deployment failed",
        ),
        rc(
            t.ECS_SERVICE,
            {**BREAKER, **LB, "alarms": {"alarmNames": [], "enable": True, "rollback": True}},
            "fail",
            "no alarm named",
        ),
        rc(t.ECS_SERVICE, {**BREAKER, "loadBalancers": U}, "pending", "load balancers unknown", unknown=True),
        rc(
            t.ECS_SERVICE,
            {**BREAKER, **LB, "alarms": {"alarmNames": U, "enable": True, "rollback": True}},
            "pending",
            "alarm names computed by AWS",
            unknown=True,
        ),
    ],
}


def _task(environment: object, *images: str) -> dict:
    containers = [{"name": f"c{n}", "image": image} for n, image in enumerate(images)]
    return {"containerDefinitions": json.dumps(containers), "tags": {"Environment": environment}}


DIGEST = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api@sha256:" + "a" * 64
TAGGED = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api:1.4.2"
SIDECAR = "public.ecr.aws/aws-observability/aws-otel-collector:latest"
TD = t.ECS_TASK_DEFINITION
PINNING = {
    "ecs-image-pinned-by-digest": [
        rc(TD, _task("prod", DIGEST), "pass", "prod, by digest"),
        rc(TD, _task("staging", DIGEST, DIGEST), "pass", "staging, every container by digest"),
        rc(TD, _task("dev", TAGGED), "pass", "dev may run a tag"),
        rc(TD, _task("prod", TAGGED), "fail", "prod runs a tag"),
        rc(
            TD,
            _task("staging", DIGEST, "public.ecr.aws/aws-observability/aws-otel-collector:latest"),
            "fail",
            "a tagged sidecar",
        ),
        rc(TD, _task(U, TAGGED), "pending", "environment unknown", unknown=True),
        rc(
            TD,
            {"containerDefinitions": U, "tags": {"Environment": "prod"}},
            "pending",
            "definitions unknown",
            unknown=True,
        ),
    ],
}


CASES = {**CASES, **PINNING}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_rule(policy: str, case: Case) -> None:
    run_case(policy, case)
