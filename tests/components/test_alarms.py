"""Alert tiers and topics: two encrypted topics per region, secret HTTPS subscriptions, every alarm tiered."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc

from fintech_infra.alarms import certificate_expiry_alarm
from fintech_infra.alert_tiers import (
    CRITICAL_EVALUATION,
    WARNING_EVALUATION,
    AlertRoute,
    Evaluation,
    tiered_alarm,
)
from fintech_infra.alert_topics import AlertTopics
from fintech_infra.config import AlarmSettings, TierSubscriptions
from fintech_infra.errors import ConfigError
from fintech_infra.testing import synthesize
from fintech_infra.wiring import KeyRef

PAGER_URL = "https://events.pagerduty.com/integration/0123456789abcdef/enqueue"


class Holder(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("test:index:Holder", "holder")


def program() -> None:
    key = aws.kms.Key("alarm-key", description="alarms")
    settings = AlarmSettings(
        email_endpoints=("ops@example.com",),
        subscriptions={
            "critical": TierSubscriptions(https_endpoints=(PAGER_URL,)),
            "warning": TierSubscriptions(email_endpoints=("team@example.com",)),
        },
    )
    topics = AlertTopics("eu-alarms", settings, key=KeyRef(arn=key.arn, alias="alias/eu/platform"))
    holder = Holder()
    certificate_expiry_alarm(
        holder,
        "cert-default",
        certificate_arn="arn:aws:acm:eu-central-1:123456789012:certificate/abc",
        thresholds=AlarmSettings(),
        route=topics.route,
    )
    certificate_expiry_alarm(
        holder,
        "cert-custom",
        certificate_arn="arn:aws:acm:eu-central-1:123456789012:certificate/abc",
        thresholds=AlarmSettings(certificate_expiry_days=45),
        route=topics.route,
    )
    pulumi.export("critical", topics.route.critical)
    pulumi.export("warning", topics.route.warning)


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


@pytest.mark.parametrize("tier", ["critical", "warning"])
def test_each_tier_has_its_own_topic_encrypted_with_the_cmk_and_tagged(rec, tier: str) -> None:
    topic = rec.named(f"eu-alarms-{tier}-topic")
    assert topic.inputs["kmsMasterKeyId"] == rec.named("alarm-key").outputs["arn"]
    assert topic.tags["AlertTier"] == tier
    assert rec.exports[tier] == topic.outputs["arn"]


def test_topic_policy_denies_plain_http_and_admits_cloudwatch_and_eventbridge_of_this_account(rec) -> None:
    policy = json.loads(rec.named("eu-alarms-critical-policy").inputs["policy"])
    deny, alarms, rules = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert rules["Principal"] == {"Service": "events.amazonaws.com"} and rules["Action"] == "sns:Publish"
    assert rules["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:events:eu-central-1:123456789012:rule/*"},
    }


def test_email_endpoints_reach_both_tiers_and_a_tiers_own_only_that_tier(rec) -> None:
    def emails(tier: str) -> list[str]:
        topic = rec.named(f"eu-alarms-{tier}-topic").outputs["arn"]
        return sorted(
            s.inputs["endpoint"]
            for s in rec.of_type("aws:sns/topicSubscription:TopicSubscription")
            if s.inputs["topic"] == topic and s.inputs["protocol"] == "email"
        )

    assert emails("critical") == ["ops@example.com"]
    assert emails("warning") == ["ops@example.com", "team@example.com"]


def test_https_endpoint_is_a_secret_input_and_output(rec) -> None:
    subscription = rec.named("eu-alarms-critical-https-1")
    assert subscription.inputs["protocol"] == "https" and subscription.inputs["endpointAutoConfirms"] is True
    raw = subscription.raw_inputs["endpoint"]
    assert raw[rpc._special_sig_key] == rpc._special_secret_sig  # encrypted in the state, never printed
    assert raw["value"] == PAGER_URL
    assert "endpoint" in subscription.additional_secret_outputs
    assert PAGER_URL not in subscription.name


def test_certificate_expiry_alarm_warns_30_days_ahead_daily_and_reads_config(rec) -> None:
    default = rec.named("cert-default")
    assert default.inputs["namespace"] == "AWS/CertificateManager" and default.inputs["metricName"] == "DaysToExpiry"
    assert default.inputs["threshold"] == 30 and default.inputs["comparisonOperator"] == "LessThanThreshold"
    assert default.inputs["treatMissingData"] == "breaching"
    assert default.inputs["period"] == 86400
    assert default.inputs["alarmActions"] == [rec.named("eu-alarms-warning-topic").outputs["arn"]]
    assert default.tags["AlertTier"] == "warning"
    assert rec.named("cert-custom").inputs["threshold"] == 45


def test_tier_evaluations_page_after_two_breaching_minutes_and_warn_after_fifteen() -> None:
    assert Evaluation(period=60, evaluation_periods=3, datapoints_to_alarm=2) == CRITICAL_EVALUATION
    assert CRITICAL_EVALUATION.seconds_to_page == 120  # one breaching minute alone never pages
    assert WARNING_EVALUATION.seconds_to_page == 900


def test_a_critical_alarm_over_more_than_a_minute_is_refused() -> None:
    errors: list[str] = []

    def build() -> None:
        try:
            tiered_alarm(
                "slow-page",
                tier="critical",
                route=AlertRoute(critical="arn:c", warning="arn:w"),
                description="too slow",
                threshold=1,
                opts=pulumi.ResourceOptions(),
                evaluation=Evaluation(period=300, evaluation_periods=3, datapoints_to_alarm=3),
                namespace="AWS/RDS",
                metric_name="CPUUtilization",
                statistic="Average",
            )
        except ConfigError as error:
            errors.append(str(error))

    recording = synthesize(build)
    assert errors == [
        "alarm 'slow-page': period 300 s for a critical alarm; allowed: at most 60 s (a page must come within "
        "minutes), or the warning tier"
    ]
    assert not list(recording.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))


def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"alarm tier: 'page' is not a tier; allowed: critical, warning"):
        AlertRoute(critical="arn:c", warning="arn:w").arn("page")  # type: ignore[arg-type]


def test_alarm_settings_defaults() -> None:
    settings = AlarmSettings()
    assert (settings.db_connections_pct, settings.cpu_pct, settings.free_storage_pct) == (80, 80, 10)
    assert (settings.redis_memory_pct, settings.redis_evictions, settings.certificate_expiry_days) == (80, 0, 30)
    assert settings.replica_lag_seconds is None  # the concern's RPO
    assert settings.webhook_processing_seconds == 5.0 and settings.subscriptions == {}
