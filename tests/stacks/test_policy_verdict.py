"""Every shipped stack passes the real policy pack with zero mandatory violations.

The pack runs as a plugin process over its gRPC analyzer protocol, exactly as `pulumi preview --policy-pack`
runs it, with the stack's environment config; the recordings are the stack tests' session recordings.
"""

from __future__ import annotations

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.judge import judge
from tests.stacks.test_stacks import ROOT, stack_config

STACKS = ("global", "dev", "staging", "prod-eu", "prod-au", "prod-uk", "routing", "routing-staging")


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_has_no_mandatory_violation(recordings: dict[str, Recording], stack: str) -> None:
    verdict = judge(recordings[stack], policy_pack=ROOT / "policy", stack_config=stack_config(stack))
    assert len(verdict.policies) >= 70, "the whole pack was loaded"
    assert verdict.analyzed >= len(recordings[stack]), "every resource was analyzed"
    problems = [
        f"{finding.policy}: {finding.urn.rsplit('::', 1)[-1]}: {finding.message}" for finding in verdict.mandatory
    ]
    assert problems == []


def test_a_stack_with_a_deliberate_violation_fails(recordings: dict[str, Recording]) -> None:
    """The verdict test above can fail: the same pack refuses the dev stack judged against prod policy."""
    verdict = judge(
        recordings["dev"],
        policy_pack=ROOT / "policy",
        policy_config=ROOT / "policy" / "config" / "pulumi" / "prod.json",
    )
    assert not verdict.passed
    # dev keeps 7 days of RDS backups and 1 day of cache snapshots; production policy asks for more.
    assert {"rds-backup-retention", "redis-snapshots"} <= {finding.policy for finding in verdict.mandatory}
