"""lambda_functions.py: reserved concurrency and active tracing on the rotation functions."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import UN, Case, U, case_params, rc, run_case

CASES = {
    "lambda-reserved-concurrency": [
        rc(t.LAMBDA_FUNCTION, {"reservedConcurrentExecutions": 2}, "pass", "two runs reserved"),
        rc(t.LAMBDA_FUNCTION, {"reservedConcurrentExecutions": -1}, "fail", "the provider's unreserved -1"),
        rc(t.LAMBDA_FUNCTION, {}, "fail", "unset: shares the account's pool"),
        rc(t.LAMBDA_FUNCTION, {"reservedConcurrentExecutions": 0}, "fail", "0 never runs"),
        rc(t.LAMBDA_FUNCTION, {"reservedConcurrentExecutions": UN}, "pending", "unknown", unknown=True),
    ],
    "lambda-xray-tracing": [
        rc(t.LAMBDA_FUNCTION, {"tracingConfig": {"mode": "Active"}}, "pass", "active tracing"),
        rc(t.LAMBDA_FUNCTION, {"tracingConfig": {"mode": "PassThrough"}}, "fail", "PassThrough"),
        rc(t.LAMBDA_FUNCTION, {}, "fail", "unset"),
        rc(t.LAMBDA_FUNCTION, {"tracingConfig": {"mode": U}}, "pending", "unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
