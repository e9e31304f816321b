"""Each IAM guardrail fails when its defect is put back into a shipped stack, and the shipped stacks have none.

Every case takes a session recording from the real program (prod-eu, prod-au or the global zones stack), rewrites
one recorded IAM document or attachment the way a regression would (a wildcard, an admin attachment, a trust
without its condition), and judges it with the real pack process: the matching policy reports a mandatory
violation on exactly that resource. The unmutated recordings have no finding and nothing pending from these policies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fintech_infra.testing import RecordedResource, Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

POLICIES = (
    "iam-no-wildcard-actions",
    "iam-no-wildcard-resources",
    "iam-no-admin-access",
    "iam-passrole-constrained",
    "iam-trust-service-confused-deputy",
    "iam-trust-web-identity-claims",
    "iam-trust-principals-conditioned",
    "iam-policy-statements-complete",
)
STACKS = ("prod-eu", "prod-au", "global")


def edit_statements(prop: str, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Callable[..., Any]:
    """A change that rewrites the statements of the JSON document in ``prop``."""

    def change(resource: RecordedResource) -> dict[str, Any]:
        document = json.loads(resource.inputs[prop])
        return {prop: json.dumps({**document, "Statement": edit(document["Statement"])})}

    return change


def without_conditions(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in statement.items() if key != "Condition"} for statement in statements]


def without_claim(claim: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    def edit(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        (statement,) = statements
        kept = {key: value for key, value in statement["Condition"]["StringEquals"].items() if not key.endswith(claim)}
        return [{**statement, "Condition": {"StringEquals": kept}}]

    return edit


def plus(extra: dict[str, Any]) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda statements: [*statements, extra]


def on_everything(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rotation policy as it was before it named the account's secrets."""
    return [{**statement, "Resource": "*"} for statement in statements]


@dataclass(frozen=True)
class Defect:
    stack: str
    resource: str
    change: Callable[[RecordedResource], dict[str, Any]]
    policy: str


DEFECTS = {
    "s3:* in the API task's policy": Defect(
        "prod-eu",
        "eu-api-task-policy",
        edit_statements("policy", plus({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::exports/*"})),
        "iam-no-wildcard-actions",
    ),
    "the rotation function's secrets policy on Resource *": Defect(
        "prod-eu",
        "eu-cache-rotation-secrets-policy",
        edit_statements("policy", on_everything),
        "iam-no-wildcard-resources",
    ),
    "AdministratorAccess on a database's monitoring role": Defect(
        "prod-eu",
        "eu-crm-monitoring-policy",
        lambda _: {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        "iam-no-admin-access",
    ),
    "an unconstrained iam:PassRole in the execution policy": Defect(
        "prod-eu",
        "eu-api-execution-policy",
        edit_statements("policy", plus({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})),
        "iam-passrole-constrained",
    ),
    "the enhanced-monitoring trust without aws:SourceAccount": Defect(
        "prod-eu",
        "eu-crm-monitoring",
        edit_statements("assumeRolePolicy", without_conditions),
        "iam-trust-service-confused-deputy",
    ),
    "the ECS task trust without aws:SourceAccount": Defect(
        "prod-eu",
        "eu-api-task-role",
        edit_statements("assumeRolePolicy", without_conditions),
        "iam-trust-service-confused-deputy",
    ),
    "the VPC CNI's IRSA trust without its :sub claim": Defect(
        "prod-au",
        "au-eks-cni-role",
        edit_statements("assumeRolePolicy", without_claim(":sub")),
        "iam-trust-web-identity-claims",
    ),
    "an app's IRSA trust without its :aud claim": Defect(
        "prod-au",
        "au-eks-platform-orders-app-role",
        edit_statements("assumeRolePolicy", without_claim(":aud")),
        "iam-trust-web-identity-claims",
    ),
    "an app's read policy on Resource [] (a DR service with nothing to read)": Defect(
        "prod-au",
        "au-eks-platform-orders-app-permissions",
        edit_statements("policy", lambda statements: [{**statements[0], "Resource": []}]),
        "iam-policy-statements-complete",
    ),
    "a validation writer's role trusting the whole deploy account": Defect(
        "global",
        "global-acm-prod-eu-role",
        edit_statements("assumeRolePolicy", without_conditions),
        "iam-trust-principals-conditioned",
    ),
}


def _judge(judge_policy: Callable[..., Verdict], recording: Recording, stack: str) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(stack))


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_meet_every_iam_guardrail(shipped_verdict: Callable[[str], Verdict], stack: str) -> None:
    verdict = shipped_verdict(stack)  # _judge(judge_policy, recordings[stack], stack), once per worker
    assert {policy.name for policy in verdict.policies} >= set(POLICIES), "the IAM policies were loaded"
    assert [finding for finding in verdict.findings if finding.policy in POLICIES] == []
    assert [entry for entry in verdict.not_applicable if entry.policy in POLICIES and "pending" in entry.reason] == []


@pytest.mark.parametrize("defect", DEFECTS.values(), ids=list(DEFECTS))
def test_the_pack_flags_the_iam_defect_put_back(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], defect: Defect
) -> None:
    mutated = replace(recordings[defect.stack], defect.resource, defect.change)
    verdict = _judge(judge_policy, mutated, defect.stack)
    flagged = {finding.urn.rsplit("::", 1)[-1] for finding in verdict.mandatory if finding.policy == defect.policy}
    assert flagged == {defect.resource}
