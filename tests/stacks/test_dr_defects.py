"""The DR guardrails fail when their defect is put back into a shipped stack, and the shipped stacks have none.

Each case takes the session recording of the real program (prod-eu for the production requirement, staging for
the drills), removes or rewrites what a regression would, and judges it with the real pack process: the matching
policy reports a mandatory violation on exactly the resource named.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

POLICIES = (
    "dr-rehearsal-scheduled",
    "dr-runbook-and-restore-test",
    "fis-stop-on-alarm",
    "fis-role-in-cell",
    "ssm-document-private",
    "scheduler-schedule-cmk",
)


def _judge(judge_policy: Callable[..., Verdict], recording: Recording, stack: str) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(stack))


def _without(recording: Recording, name: str) -> Recording:
    gone = recording.named(name)
    return dataclasses.replace(recording, resources=tuple(r for r in recording.resources if r.urn != gone.urn))


def _flagged(verdict: Verdict, policy: str) -> set[str]:
    return {finding.urn.rsplit("::", 1)[-1] for finding in verdict.mandatory if finding.policy == policy}


@pytest.mark.parametrize("stack", ["prod-eu", "staging"])
def test_the_shipped_stacks_meet_every_dr_guardrail(shipped_verdict: Callable[[str], Verdict], stack: str) -> None:
    verdict = shipped_verdict(stack)  # _judge(judge_policy, recordings[stack], stack), once per worker
    assert {policy.name for policy in verdict.policies} >= set(POLICIES)
    assert [finding for finding in verdict.findings if finding.policy in POLICIES] == []


def test_a_staging_runbook_without_its_rehearsal_schedule_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    mutated = _without(recordings["staging"], "stg-schedules-failback-rehearsal")
    verdict = _judge(judge_policy, mutated, "staging")
    assert _flagged(verdict, "dr-rehearsal-scheduled") == {"stg-runbooks-failback"}


def test_a_production_database_without_its_restore_test_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    mutated = _without(recordings["prod-eu"], "eu-restore-tests-crm")
    verdict = _judge(judge_policy, mutated, "prod-eu")
    assert _flagged(verdict, "dr-runbook-and-restore-test") == {"eu-crm-db"}


def test_a_production_cell_without_its_failback_runbook_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    mutated = _without(recordings["prod-eu"], "eu-runbooks-failback")
    verdict = _judge(judge_policy, mutated, "prod-eu")
    flagged = _flagged(verdict, "dr-runbook-and-restore-test")
    # Every database of the cell with DR lost one of its two runbooks.
    assert flagged and all(name.startswith("eu-") for name in flagged)
    assert "eu-crm-db" in flagged


def test_a_drill_that_stops_on_nothing_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    mutated = replace(
        recordings["staging"], "stg-drills-network-disruption", lambda _: {"stopConditions": [{"source": "none"}]}
    )
    verdict = _judge(judge_policy, mutated, "staging")
    assert _flagged(verdict, "fis-stop-on-alarm") == {"stg-drills-network-disruption"}


def _plus_statement(extra: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def change(resource: Any) -> dict[str, Any]:
        document = json.loads(resource.inputs["policy"])
        return {"policy": json.dumps({**document, "Statement": [*document["Statement"], extra]})}

    return change


def test_a_drill_role_reaching_outside_its_cell_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    # prod-eu's trading cluster: a real resource of the same account, in another stack and cell.
    elsewhere = {
        "Effect": "Allow",
        "Action": ["rds:FailoverDBCluster"],
        "Resource": "arn:aws:rds:eu-central-1:123456789012:cluster:eu-trading",
    }
    mutated = replace(recordings["staging"], "stg-drills-policy", _plus_statement(elsewhere))
    verdict = _judge(judge_policy, mutated, "staging")
    assert _flagged(verdict, "fis-role-in-cell") == {"stg-drills-policy"}


def test_a_drill_targeting_outside_its_cell_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    def retarget(template: Any) -> dict[str, Any]:
        targets = [
            {**target, "resourceArns": ["arn:aws:rds:eu-central-1:123456789012:db:uk-crm"]}
            if target.get("resourceArns")
            else target
            for target in template.inputs["targets"]
        ]
        return {"targets": targets}

    mutated = replace(recordings["staging"], "stg-drills-database-failover", retarget)
    verdict = _judge(judge_policy, mutated, "staging")
    assert _flagged(verdict, "fis-role-in-cell") == {"stg-drills-database-failover"}
