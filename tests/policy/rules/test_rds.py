"""rds.py: per-instance database guardrails."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
INST, C, CI = t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_CLUSTER_INSTANCE

CASES = {
    "rds-storage-encrypted-cmk": [
        rc(INST, {"storageEncrypted": True, "kmsKeyId": KEY}, "pass", "encrypted with a CMK"),
        rc(INST, {"storageEncrypted": True}, "fail", "aws/rds default key"),
        rc(C, {"storageEncrypted": False, "kmsKeyId": KEY}, "fail", "unencrypted Aurora cluster"),
        rc(INST, {"storageEncrypted": True, "kmsKeyId": U}, "pending", "key created in the same update", unknown=True),
        rc(
            INST,
            {"storageEncrypted": False, "kmsKeyId": U},
            "fail",
            "known-bad flag with an unknown key still fails",
            unknown=True,
        ),
    ],
    "rds-multi-az": [
        rc(INST, {"multiAz": True}, "pass", "Multi-AZ"),
        rc(INST, {}, "fail", "unset (single-AZ)"),
        rc(INST, {"replicateSourceDb": "arn:aws:rds:eu-central-1:1:db:x"}, "pass", "replicas are skipped"),
        rc(INST, {"multiAz": U}, "pending", "unknown", unknown=True),
    ],
    "rds-not-public": [
        rc(INST, {}, "pass", "unset (private)"),
        rc(CI, {"publiclyAccessible": True}, "fail", "public cluster instance"),
        rc(INST, {"publiclyAccessible": U}, "pending", "unknown", unknown=True),
    ],
    "rds-backup-retention": [
        rc(INST, {"backupRetentionPeriod": 35}, "pass", "35 days"),
        rc(INST, {}, "fail", "unset (1 day)"),
        rc(C, {"backupRetentionPeriod": 7}, "fail", "7 days"),
        rc(INST, {"backupRetentionPeriod": U}, "pending", "unknown", unknown=True),
    ],
    "rds-deletion-protection": [
        rc(INST, {"deletionProtection": True}, "pass", "on"),
        rc(C, {}, "fail", "unset"),
        rc(INST, {"deletionProtection": U}, "pending", "unknown", unknown=True),
    ],
    "rds-final-snapshot": [
        rc(INST, {"finalSnapshotIdentifier": "cysec-payments-final"}, "pass", "named final snapshot"),
        rc(INST, {"skipFinalSnapshot": True, "finalSnapshotIdentifier": "x"}, "fail", "skipped"),
        rc(INST, {}, "fail", "no identifier"),
        rc(INST, {"finalSnapshotIdentifier": U}, "pending", "identifier unknown", unknown=True),
    ],
    "rds-iam-authentication": [
        rc(INST, {"iamDatabaseAuthenticationEnabled": True}, "pass", "on"),
        rc(INST, {}, "fail", "unset"),
        rc(INST, {"iamDatabaseAuthenticationEnabled": U}, "pending", "unknown", unknown=True),
    ],
    "rds-log-exports": [
        rc(INST, {"enabledCloudwatchLogsExports": ["postgresql", "upgrade"]}, "pass", "both logs"),
        rc(INST, {"enabledCloudwatchLogsExports": ["postgresql"]}, "fail", "upgrade log missing"),
        rc(C, {"enabledCloudwatchLogsExports": ["postgresql"]}, "pass", "Aurora postgresql log"),
        rc(INST, {"enabledCloudwatchLogsExports": U}, "pending", "unknown", unknown=True),
    ],
    "rds-performance-insights-cmk": [
        rc(INST, {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY}, "pass", "on with CMK"),
        rc(CI, {"performanceInsightsEnabled": True}, "fail", "AWS-managed key"),
        rc(
            INST,
            {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": U},
            "pending",
            "key unknown",
            unknown=True,
        ),
    ],
    "rds-enhanced-monitoring": [
        rc(INST, {"monitoringInterval": 60, "monitoringRoleArn": "arn:aws:iam::1:role/m"}, "pass", "60 s with role"),
        rc(INST, {}, "fail", "unset (off)"),
        rc(INST, {"monitoringInterval": 60, "monitoringRoleArn": U}, "pending", "role unknown", unknown=True),
    ],
    "rds-auto-minor-version-upgrade": [
        rc(INST, {}, "pass", "unset (true)"),
        rc(INST, {"autoMinorVersionUpgrade": False}, "fail", "off"),
        rc(INST, {"autoMinorVersionUpgrade": U}, "pending", "unknown", unknown=True),
    ],
    "stateful-resource-protected": [
        rc(INST, {}, "pass", "protected", protect=True),
        rc(t.BACKUP_VAULT, {}, "fail", "unprotected vault"),
        rc(C, {"kmsKeyId": U}, "fail", "options are known even when inputs are not", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
