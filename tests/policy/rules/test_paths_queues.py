"""paths_queues.py: ecs service -> task role -> role policy -> its queue (of a concern it declares) -> the key.

Cases start from the paths fixture's cell with one trading queue the api service uses, and break one link each.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache

import pytest

from fintech_guardrails import types as t
from fintech_infra.testing import Recording, synthesize
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import CELL, _program, config, edit, resources

POLICY = "queue-paths-least-privilege"
GRANT = "eu-api-queue-policy"
QUEUE = "eu-orders-queue-sqs"


@cache
def _recording(preview: bool) -> Recording:
    cell = copy.deepcopy(CELL)
    cell["queues"] = [{"name": "orders", "concern": "trading"}]
    cell["compute"]["services"][0]["queues"] = ["orders"]
    return synthesize(_program, stack="paths", config=config(cell), preview=preview)


def case(title: str, expect: str, change: object = None, *, preview: bool = False) -> Case:
    found = resources(_recording(preview))
    return Case(title, expect, change(found) if change else found, unknown=preview)  # type: ignore[arg-type,operator]


def _every_queue(policy: R) -> None:
    document = json.loads(policy.props["policy"])
    document["Statement"][0]["Resource"] = "*"
    policy.props["policy"] = json.dumps(document)


def _concern(concern: str) -> Callable[[R], None]:
    return lambda queue: queue.props["tags"].update(DataConcern=concern)


CASES = {
    POLICY: [
        case("the api service reaches its trading queue, which has a dead-letter queue", "pass"),
        case("a grant on every queue", "fail", edit(GRANT, _every_queue, t.IAM_ROLE_POLICY)),
        case("the queue holds payments data, which api does not declare", "fail", edit(QUEUE, _concern("payments"))),
        case("the queue without a redrive policy", "fail", edit(QUEUE, lambda q: q.props.update(redrivePolicy=""))),
        case("at a first preview: the grant is unknown until the queue exists", "pending", preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect
