"""AlarmTopic (encrypted, TLS-only) and the alarm factories' thresholds, from config with defaults."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.alarms import AlarmTopic, certificate_expiry_alarm
from fintech_infra.config import AlarmSettings
from fintech_infra.testing import synthesize
from fintech_infra.wiring import KeyRef


class Holder(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("test:index:Holder", "holder")


def program() -> None:
    key = aws.kms.Key("alarm-key", description="alarms")
    topic = AlarmTopic(
        "eu-alarms", key=KeyRef(arn=key.arn, alias="alias/eu/alarms"), email_endpoints=["ops@example.com"]
    )
    holder = Holder()
    certificate_expiry_alarm(
        holder,
        "cert-default",
        certificate_arn="arn:aws:acm:eu-central-1:123456789012:certificate/abc",
        thresholds=AlarmSettings(),
        topic_arn=topic.arn,
    )
    certificate_expiry_alarm(
        holder,
        "cert-custom",
        certificate_arn="arn:aws:acm:eu-central-1:123456789012:certificate/abc",
        thresholds=AlarmSettings(certificate_expiry_days=45),
        topic_arn=None,
    )
    pulumi.export("topic", topic.arn)


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


def test_topic_is_encrypted_with_the_cmk(rec) -> None:
    assert rec.named("eu-alarms-topic").inputs["kmsMasterKeyId"] == rec.named("alarm-key").outputs["arn"]
    assert rec.exports["topic"] == rec.named("eu-alarms-topic").outputs["arn"]


def test_topic_policy_denies_plain_http_and_admits_cloudwatch_of_this_account(rec) -> None:
    policy = json.loads(rec.named("eu-alarms-policy").inputs["policy"])
    deny, allow = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_email_subscription(rec) -> None:
    sub = rec.named("eu-alarms-email-1")
    assert sub.inputs["protocol"] == "email" and sub.inputs["endpoint"] == "ops@example.com"


def test_certificate_expiry_alarm_defaults_to_30_days_and_reads_config(rec) -> None:
    default = rec.named("cert-default")
    assert default.inputs["namespace"] == "AWS/CertificateManager" and default.inputs["metricName"] == "DaysToExpiry"
    assert default.inputs["threshold"] == 30 and default.inputs["comparisonOperator"] == "LessThanThreshold"
    assert default.inputs["treatMissingData"] == "breaching"
    assert default.inputs["alarmActions"] == [rec.named("eu-alarms-topic").outputs["arn"]]
    custom = rec.named("cert-custom")
    assert custom.inputs["threshold"] == 45 and custom.inputs["alarmActions"] == []


def test_alarm_settings_defaults() -> None:
    settings = AlarmSettings()
    assert (settings.db_connections_pct, settings.cpu_pct, settings.free_storage_pct) == (80, 80, 10)
    assert (settings.redis_memory_pct, settings.redis_evictions, settings.certificate_expiry_days) == (80, 0, 30)
    assert settings.replica_lag_seconds is None  # the concern's RPO
