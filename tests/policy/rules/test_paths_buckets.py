"""paths_buckets.py: ecs service -> task role -> role policy -> its bucket (of a concern it declares) -> the key.

Cases start from the paths fixture's cell with one trading bucket the api service uses, and break one link each.
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

POLICY = "bucket-paths-least-privilege"
GRANT = "eu-api-bucket-policy"
BUCKET = "eu-fills-bucket-data-bucket"


@cache
def _recording(preview: bool) -> Recording:
    cell = copy.deepcopy(CELL)
    cell["buckets"] = [{"name": "fills", "concern": "trading"}]
    cell["compute"]["services"][0]["buckets"] = ["fills"]
    return synthesize(_program, stack="paths", config=config(cell), preview=preview)


def case(title: str, expect: str, change: object = None, *, preview: bool = False) -> Case:
    found = resources(_recording(preview))
    return Case(title, expect, change(found) if change else found, unknown=preview)  # type: ignore[arg-type,operator]


def _resource(value: str) -> Callable[[R], None]:
    def change(policy: R) -> None:
        document = json.loads(policy.props["policy"])
        document["Statement"][0]["Resource"] = value
        policy.props["policy"] = json.dumps(document)

    return change


def _concern(concern: str) -> Callable[[R], None]:
    return lambda bucket: bucket.props["tags"].update(DataConcern=concern)


CASES = {
    POLICY: [
        case("the api service reaches its trading bucket, encrypted with the trading key", "pass"),
        case("a grant on every bucket", "fail", edit(GRANT, _resource("*"), t.IAM_ROLE_POLICY)),
        case(
            "a grant on every bucket's objects", "fail", edit(GRANT, _resource("arn:aws:s3:::*/*"), t.IAM_ROLE_POLICY)
        ),
        case("the bucket holds payments data, which api does not declare", "fail", edit(BUCKET, _concern("payments"))),
        case("at a first preview: the grant is unknown until the bucket exists", "pending", preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect
