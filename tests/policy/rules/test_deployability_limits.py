"""deployability_limits.py: Fargate CPU/memory pairs and physical name lengths after auto-naming."""

from __future__ import annotations

from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case


def task(cpu: Any, memory: Any, **extra: Any) -> dict[str, Any]:
    return {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": cpu, "memory": memory, **extra}


def named(type_: str, name: str, props: dict[str, Any] | None = None) -> R:
    return R(type_, name, props or {})


CASES = {
    "fargate-task-size": [
        rc(t.ECS_TASK_DEFINITION, task("1024", "2048"), "pass", "1 vCPU with 2 GiB"),
        rc(t.ECS_TASK_DEFINITION, task("256", "512"), "pass", "the smallest pair"),
        rc(t.ECS_TASK_DEFINITION, task("1 vCPU", "8 GB"), "pass", "sizes written as vCPU and GB"),
        rc(t.ECS_TASK_DEFINITION, task("16384", "122880"), "pass", "the largest pair"),
        rc(t.ECS_TASK_DEFINITION, task("256", "4096"), "fail", "256 CPU with 4096 MiB"),
        rc(t.ECS_TASK_DEFINITION, task("8192", "18432"), "fail", "8 vCPU memory off its 4 GiB steps"),
        rc(t.ECS_TASK_DEFINITION, task("384", "1024"), "fail", "a CPU size Fargate does not have"),
        rc(t.ECS_TASK_DEFINITION, task(None, None), "fail", "no task-level size"),
        rc(
            t.ECS_TASK_DEFINITION,
            task("512", "1024", runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}),
            "fail",
            "a Windows task under 1 vCPU",
        ),
        rc(t.ECS_TASK_DEFINITION, {"requiresCompatibilities": ["EC2"], "cpu": "384"}, "pass", "an EC2 task"),
        rc(t.ECS_TASK_DEFINITION, task(U, "2048"), "pending", "cpu unknown at preview", unknown=True),
    ],
    "physical-name-length": [
        Case(
            "a target group named within 32 after the suffix",
            "pass",
            [named(t.LB_TARGET_GROUP, "eu-dr-edge-api-tg-alt")],
        ),
        Case(
            "a 30-character target group logical name",
            "fail",
            [named(t.LB_TARGET_GROUP, "eu-dr-edge-payments-api-tg-alt")],
        ),
        Case("the same through the alb module", "fail", [named(t.ALB_TARGET_GROUP, "eu-dr-edge-payments-api-tg-alt")]),
        Case(
            "the provider's auto-generated name, as the engine sends it",
            "pass",
            [named(t.LB_TARGET_GROUP, "eu-edge-api-tg", {"name": "eu-edge-api-tg-3f1c2ab"})],
        ),
        Case(
            "an explicit RDS identifier over 63",
            "fail",
            [named(t.RDS_INSTANCE, "db", {"identifier": "x" * 64})],
        ),
        Case(
            "a bucket name from a prefix", "pass", [named("aws:s3/bucket:Bucket", "b" * 70, {"bucketPrefix": "logs-"})]
        ),
        Case(
            "a load balancer name unknown at preview",
            "pending",
            [named(t.LOAD_BALANCERS[0], "alb", {"name": U})],
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_messages_say_what_is_allowed() -> None:
    result = run_case("fargate-task-size", rc(t.ECS_TASK_DEFINITION, task("256", "4096"), "fail", ""))
    (message,) = result.messages("fargate-task-size")
    assert message.endswith("memory is not a size Fargate runs with this cpu; allowed with it: 512, 1024, 2048 MiB")
    result = run_case("fargate-task-size", rc(t.ECS_TASK_DEFINITION, task("1024", "9216"), "fail", ""))
    assert result.messages("fargate-task-size")[0].endswith("allowed with it: 2048-8192 MiB in steps of 1024")
    result = run_case(
        "physical-name-length", Case("", "fail", [named(t.LB_TARGET_GROUP, "eu-dr-edge-payments-api-tg-alt")])
    )
    (message,) = result.messages("physical-name-length")
    assert message.endswith(
        "the auto-generated name (logical name 'eu-dr-edge-payments-api-tg-alt' and Pulumi's 8-character suffix) "
        "would be 38 characters; AWS accepts at most 32: shorten the logical name or set name"
    )
