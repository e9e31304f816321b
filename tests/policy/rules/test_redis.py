"""redis.py: cache encryption, auth, Multi-AZ failover, snapshots."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
G = t.REDIS

CASES = {
    "redis-encryption-at-rest-cmk": [
        rc(G, {"atRestEncryptionEnabled": True, "kmsKeyId": KEY}, "pass", "CMK at rest"),
        rc(G, {"atRestEncryptionEnabled": True}, "fail", "AWS-owned key"),
        rc(G, {"kmsKeyId": KEY}, "fail", "at-rest flag unset"),
        rc(G, {"atRestEncryptionEnabled": True, "kmsKeyId": U}, "pending", "key unknown", unknown=True),
    ],
    "redis-encryption-in-transit": [
        rc(G, {"transitEncryptionEnabled": True}, "pass", "TLS, mode defaults to required"),
        rc(G, {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred"}, "fail", "preferred mode"),
        rc(G, {}, "fail", "no TLS"),
        rc(G, {"transitEncryptionEnabled": U}, "pending", "unknown", unknown=True),
    ],
    "redis-auth": [
        rc(G, {"authTokenWo": U}, "pass", "write-only token (unknown value, known presence)", unknown=True),
        rc(G, {"userGroupIds": ["ug-1"]}, "pass", "RBAC user group"),
        rc(G, {}, "fail", "no authentication"),
        rc(G, {"userGroupIds": U}, "pending", "user groups unknown", unknown=True),
    ],
    "redis-multi-az-failover": [
        rc(G, {"multiAzEnabled": True, "automaticFailoverEnabled": True}, "pass", "both on"),
        rc(G, {"multiAzEnabled": True}, "fail", "no automatic failover"),
        rc(G, {"multiAzEnabled": U, "automaticFailoverEnabled": True}, "pending", "unknown", unknown=True),
    ],
    "redis-snapshots": [
        rc(G, {"snapshotRetentionLimit": 7}, "pass", "7 days"),
        rc(G, {}, "fail", "unset (no snapshots)"),
        rc(G, {"snapshotRetentionLimit": U}, "pending", "unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
