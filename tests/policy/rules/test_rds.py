"""rds.py: per-instance database guardrails."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import U, Case, case_params, rc, run_case

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
I, C, CI = t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_CLUSTER_INSTANCE

CASES = {
    "rds-storage-encrypted-cmk": [
        rc(I, {"storageEncrypted": True, "kmsKeyId": KEY}, "pass", "encrypted with a CMK"),
        rc(I, {"storageEncrypted": True}, "fail", "aws/rds default key"),
        rc(C, {"storageEncrypted": False, "kmsKeyId": KEY}, "fail", "unencrypted Aurora cluster"),
        rc(I, {"storageEncrypted": True, "kmsKeyId": U}, "pending", "key created in the same update", unknown=True),
        rc(I, {"storageEncrypted": False, "kmsKeyId": U}, "fail", "known-bad flag with an unknown key still fails", unknown=True),
    ],
    "rds-multi-az": [
        rc(I, {"multiAz": True}, "pass", "Multi-AZ"),
        rc(I, {}, "fail", "unset (single-AZ)"),
        rc(I, {"replicateSourceDb": "arn:aws:rds:eu-central-1:1:db:x"}, "pass", "replicas are skipped"),
        rc(I, {"multiAz": U}, "pending", "unknown", unknown=True),
    ],
    "rds-not-public": [
        rc(I, {}, "pass", "unset (private)"),
        rc(CI, {"publiclyAccessible": True}, "fail", "public cluster instance"),
        rc(I, {"publiclyAccessible": U}, "pending", "unknown", unknown=True),
    ],
    "rds-backup-retention": [
        rc(I, {"backupRetentionPeriod": 35}, "pass", "35 days"),
        rc(I, {}, "fail", "unset (1 day)"),
        rc(C, {"backupRetentionPeriod": 7}, "fail", "7 days"),
        rc(I, {"backupRetentionPeriod": U}, "pending", "unknown", unknown=True),
    ],
    "rds-deletion-protection": [
        rc(I, {"deletionProtection": True}, "pass", "on"),
        rc(C, {}, "fail", "unset"),
        rc(I, {"deletionProtection": U}, "pending", "unknown", unknown=True),
    ],
    "rds-final-snapshot": [
        rc(I, {"finalSnapshotIdentifier": "cysec-payments-final"}, "pass", "named final snapshot"),
        rc(I, {"skipFinalSnapshot": True, "finalSnapshotIdentifier": "x"}, "fail", "skipped"),
        rc(I, {}, "fail", "no identifier"),
        rc(I, {"finalSnapshotIdentifier": U}, "pending", "identifier unknown", unknown=True),
    ],
    "rds-iam-authentication": [
        rc(I, {"iamDatabaseAuthenticationEnabled": True}, "pass", "on"),
        rc(I, {}, "fail", "unset"),
        rc(I, {"iamDatabaseAuthenticationEnabled": U}, "pending", "unknown", unknown=True),
    ],
    "rds-log-exports": [
        rc(I, {"enabledCloudwatchLogsExports": ["postgresql", "upgrade"]}, "pass", "both logs"),
        rc(I, {"enabledCloudwatchLogsExports": ["postgresql"]}, "fail", "upgrade log missing"),
        rc(C, {"enabledCloudwatchLogsExports": ["postgresql"]}, "pass", "Aurora postgresql log"),
        rc(I, {"enabledCloudwatchLogsExports": U}, "pending", "unknown", unknown=True),
    ],
    "rds-performance-insights-cmk": [
        rc(I, {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY}, "pass", "on with CMK"),
        rc(CI, {"performanceInsightsEnabled": True}, "fail", "AWS-managed key"),
        rc(I, {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": U}, "pending", "key unknown", unknown=True),
    ],
    "rds-enhanced-monitoring": [
        rc(I, {"monitoringInterval": 60, "monitoringRoleArn": "arn:aws:iam::1:role/m"}, "pass", "60 s with role"),
        rc(I, {}, "fail", "unset (off)"),
        rc(I, {"monitoringInterval": 60, "monitoringRoleArn": U}, "pending", "role unknown", unknown=True),
    ],
    "rds-auto-minor-version-upgrade": [
        rc(I, {}, "pass", "unset (true)"),
        rc(I, {"autoMinorVersionUpgrade": False}, "fail", "off"),
        rc(I, {"autoMinorVersionUpgrade": U}, "pending", "unknown", unknown=True),
    ],
    "stateful-resource-protected": [
        rc(I, {}, "pass", "protected", protect=True),
        rc(t.BACKUP_VAULT, {}, "fail", "unprotected vault"),
        rc(C, {"kmsKeyId": U}, "fail", "options are known even when inputs are not", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
