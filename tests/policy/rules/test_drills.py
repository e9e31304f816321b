"""drills.py: DR runbooks, drills and schedules: SSM documents kept private, schedule inputs under a CMK."""

from __future__ import annotations

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RUNBOOK = {"documentType": "Automation", "documentFormat": "JSON", "content": "{}"}

CASES = {
    "ssm-document-private": [
        rc(t.SSM_DOCUMENT, RUNBOOK, "pass", "no permissions: private to the account"),
        rc(
            t.SSM_DOCUMENT,
            {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "111122223333,444455556666"}},
            "pass",
            "shared with named accounts",
        ),
        rc(t.SSM_DOCUMENT, {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "All"}}, "fail", "public"),
        rc(
            t.SSM_DOCUMENT,
            {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "111122223333, all"}},
            "fail",
            "All among named accounts",
        ),
        rc(t.SSM_DOCUMENT, {**RUNBOOK, "permissions": U}, "pending", "permissions of the same update", unknown=True),
    ],
    "scheduler-schedule-cmk": [
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": KEY}, "pass", "the region's platform key"),
        rc(t.SCHEDULER_SCHEDULE, {}, "fail", "no key: an AWS-owned key"),
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": "alias/aws/scheduler"}, "fail", "an AWS-managed alias"),
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": U}, "pending", "a key of the same update", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_drills_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
