"""delivery.py: an ECS deployment that fails rolls back by itself (circuit breaker; alarms behind a load balancer)."""

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


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_rule(policy: str, case: Case) -> None:
    run_case(policy, case)
