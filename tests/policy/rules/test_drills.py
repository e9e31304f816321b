"""drills.py: DR runbooks and drills: SSM documents kept private."""

from __future__ import annotations

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

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
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_drills_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
