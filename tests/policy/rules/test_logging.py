"""logging.py: CloudTrail, log groups, SNS, alarms, detective controls per cell."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case, tags

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
TRAIL_OK = {"isMultiRegionTrail": True, "enableLogFileValidation": True}


def cell(*types: str, code: str = "cysec") -> list[R]:
    return [R(type_, f"{code}-{type_.rsplit(':', 1)[-1]}", {"tags": tags(Jurisdiction=code)}) for type_ in types]


ALL = (t.TRAIL, t.FLOW_LOG, t.METRIC_ALARM, t.SNS_TOPIC)

CASES = {
    "cloudtrail-multi-region-validated": [
        rc(t.TRAIL, TRAIL_OK, "pass", "multi-region and validated"),
        rc(t.TRAIL, {"isMultiRegionTrail": True}, "fail", "no log file validation"),
        rc(t.TRAIL, {**TRAIL_OK, "enableLogging": False}, "fail", "logging stopped"),
        rc(t.TRAIL, {**TRAIL_OK, "isMultiRegionTrail": U}, "pending", "unknown", unknown=True),
    ],
    "cloudtrail-kms-encrypted": [
        rc(t.TRAIL, {"kmsKeyId": KEY}, "pass", "CMK"),
        rc(t.TRAIL, {}, "fail", "SSE-S3"),
        rc(t.TRAIL, {"kmsKeyId": U}, "pending", "key unknown", unknown=True),
    ],
    "cloudtrail-cloudwatch-logs": [
        rc(t.TRAIL, {"cloudWatchLogsGroupArn": "arn:x:*", "cloudWatchLogsRoleArn": "arn:r"}, "pass", "delivered"),
        rc(t.TRAIL, {"cloudWatchLogsGroupArn": "arn:x:*"}, "fail", "no role"),
        rc(t.TRAIL, {"cloudWatchLogsGroupArn": U, "cloudWatchLogsRoleArn": U}, "pending", "ARNs unknown", unknown=True),
    ],
    "cloudtrail-sns-notifications": [
        rc(t.TRAIL, {"snsTopicName": "arn:aws:sns:eu-central-1:123456789012:trail"}, "pass", "notifies its topic"),
        rc(t.TRAIL, {}, "fail", "no topic"),
        rc(t.TRAIL, {"snsTopicName": U}, "pending", "topic created in the same update", unknown=True),
    ],
    "log-group-encrypted": [
        rc(t.LOG_GROUP, {"kmsKeyId": KEY}, "pass", "CMK"),
        rc(t.LOG_GROUP, {}, "fail", "service-owned encryption"),
        rc(t.LOG_GROUP, {"kmsKeyId": U}, "pending", "key unknown", unknown=True),
    ],
    "log-group-retention": [
        Case("1827 days for CySEC (1825)", "pass", [R(t.LOG_GROUP, "lg", {"retentionInDays": 1827, "tags": tags()})]),
        Case("365 days for CySEC", "fail", [R(t.LOG_GROUP, "lg", {"retentionInDays": 365, "tags": tags()})]),
        Case(
            "1827 days is too short for ASIC (2555)",
            "fail",
            [R(t.LOG_GROUP, "lg", {"retentionInDays": 1827, "tags": tags(Jurisdiction="asic")})],
        ),
        Case("never expire", "pass", [R(t.LOG_GROUP, "lg", {"tags": tags()})]),
        Case(
            "retention unknown", "pending", [R(t.LOG_GROUP, "lg", {"retentionInDays": U, "tags": tags()})], unknown=True
        ),
        Case(
            "a config override raises the minimum",
            "fail",
            [R(t.LOG_GROUP, "lg", {"retentionInDays": 1827, "tags": tags()})],
            config={"jurisdictions": {"cysec": {"min_audit_log_retention_days": 2555}}},
        ),
    ],
    "sns-topic-encrypted": [
        rc(t.SNS_TOPIC, {"kmsMasterKeyId": KEY}, "pass", "CMK"),
        rc(t.SNS_TOPIC, {"kmsMasterKeyId": "alias/aws/sns"}, "fail", "AWS-managed key"),
        rc(t.SNS_TOPIC, {"kmsMasterKeyId": U}, "pending", "key unknown", unknown=True),
    ],
    "cloudwatch-alarm-actions": [
        rc(t.METRIC_ALARM, {"alarmActions": ["arn:aws:sns:eu-central-1:1:t"]}, "pass", "notifies a topic"),
        rc(t.METRIC_ALARM, {}, "fail", "no actions"),
        rc(t.METRIC_ALARM, {"alarmActions": [U]}, "pending", "topic ARN unknown", unknown=True),
    ],
    "detective-controls-present": [
        Case("a complete cell", "pass", cell(*ALL)),
        Case("a cell without alarms", "fail", cell(t.TRAIL, t.FLOW_LOG, t.SNS_TOPIC)),
        Case(
            "the second cell of a dev stack lacks a trail",
            "fail",
            [*cell(*ALL), *cell(t.FLOW_LOG, t.METRIC_ALARM, t.SNS_TOPIC, code="asic")],
        ),
        Case(
            "a global routing stack tagged `global` has no cell",
            "pass",
            [R("aws:route53/zone:Zone", "z", {"tags": tags(Jurisdiction="global")})],
        ),
        Case(
            "the global stack (no jurisdiction) is not judged",
            "pass",
            [R("aws:route53/record:Record", "r", {"name": U})],
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
