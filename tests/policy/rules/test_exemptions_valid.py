"""exemptions_valid.py: the register of exemptions is itself judged (always mandatory)."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, run_case

VALID = {
    "policy": "rds-multi-az",
    "resource": "*-db",
    "reason": "dev cost ceiling, single AZ",
    "ticket": "RISK-12",
    "approver": "ciso@example.com",
    "expires": "2025-12-31",
}
DB = R(t.RDS_INSTANCE, "payments-db", {"multiAz": False})

CASES = {
    "exemptions-valid": [
        Case("a complete, current exemption", "pass", [DB], config={"exemptions": [VALID]}),
        Case("expired", "fail", [DB], config={"exemptions": [{**VALID, "expires": "2025-01-01"}]}),
        Case("no approver", "fail", [DB], config={"exemptions": [{k: v for k, v in VALID.items() if k != "approver"}]}),
        Case(
            "attempted on a non-exemptible policy",
            "fail",
            [DB],
            config={"exemptions": [{**VALID, "policy": "rds-storage-encrypted-cmk"}]},
        ),
        Case(
            "unknown resource properties don't matter to the register",
            "pass",
            [R(t.RDS_INSTANCE, "payments-db", {"multiAz": U})],
            config={"exemptions": [VALID]},
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
