"""paths_alerts.py: alarm -> SNS topic of its region -> a key CloudWatch may use -> a subscribed endpoint.

Cases start from the real cell (:mod:`tests.policy.paths_fixture`), whose alarms notify each region's alert topics
(critical and warning), and break one link each.
"""

from __future__ import annotations

import json

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import Edit, cell, cell_preview, edit, named, without

POLICY = "alert-paths-reach-someone"
KEY = "eu-keys-platform-key"


def without_cloudwatch(key: R) -> None:
    policy = json.loads(key.props["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "AllowCloudWatchAlarms"]
    key.props["policy"] = json.dumps(policy)


def to_primary_topic(resources: list[R]) -> list[R]:
    """A DR-region alarm sending to the primary region's topic."""
    topic = named(resources, "eu-alarms-critical-topic", t.SNS_TOPIC)
    alarm = next(
        r
        for r in resources
        if r.type == t.METRIC_ALARM and r.region == "eu-west-1" and r.props["tags"]["AlertTier"] == "critical"
    )
    alarm.props["alarmActions"] = [topic.props["arn"]]
    alarm.deps["alarmActions"] = [topic.urn]
    return resources


def slack_channel(*, by_dependency: bool) -> Edit:
    """An AWS Chatbot Slack channel (created through eu-west-1) naming both regions' critical topics; the engine
    links them by property dependency, a topic outside the stack's knowledge only by its ARN."""

    def apply(resources: list[R]) -> list[R]:
        topics = [r for r in resources if r.type == t.SNS_TOPIC and r.props["tags"].get("AlertTier") == "critical"]
        channel = R(
            t.CHATBOT_SLACK_CHANNEL,
            "eu-slack-critical",
            {"snsTopicArns": [topic.props["arn"] for topic in topics], "slackTeamId": "T07EA123LEP"},
            region="eu-west-1",
            deps={"snsTopicArns": [topic.urn for topic in topics]} if by_dependency else {},
        )
        return [*resources, channel]

    return apply


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False) -> Case:
    resources = cell_preview() if preview else cell()
    return Case(title, expect, change(resources) if change else resources, unknown=preview)  # type: ignore[arg-type]


NO_SUBSCRIBER = without("eu-alarms-critical-email-1", "eu-alarms-critical-https-1")

CASES = {
    POLICY: [
        case("the real cell: every alarm reaches an email subscriber through its region's encrypted topic", "pass"),
        case("the primary topic without a subscription", "fail", NO_SUBSCRIBER),
        case(
            "the primary topic without a subscription but named by a Chatbot Slack channel",
            "pass",
            lambda r: slack_channel(by_dependency=True)(NO_SUBSCRIBER(r)),
        ),
        case(
            "a Chatbot Slack channel naming the topic by its ARN only (no dependency)",
            "pass",
            lambda r: slack_channel(by_dependency=False)(NO_SUBSCRIBER(r)),
        ),
        case("the topic's key does not admit CloudWatch", "fail", edit(KEY, without_cloudwatch)),
        case(
            "the topic under the AWS-managed SNS key",
            "fail",
            edit("eu-alarms-critical-topic", lambda r: r.props.update(kmsMasterKeyId="alias/aws/sns")),
        ),
        case("an alarm with no action", "fail", edit("eu-crm-cpu", lambda r: r.props.update(alarmActions=[]))),
        case("a DR alarm notifying the primary region's topic", "fail", to_primary_topic),
        case("at a first preview: the topic policies name the topic's unknown ARN", "pending", preview=True),
        case("at a first preview, a topic without subscription is known already", "fail", NO_SUBSCRIBER, preview=True),
    ]
}


TIERS = "alarm-tiers-route-and-page-fast"
UNTIERED = edit("eu-crm-cpu", lambda r: r.props["tags"].pop("AlertTier"))
NO_PAGER = without("eu-alarms-critical-https-1")


def to_warning_topic(resources: list[R]) -> list[R]:
    """A critical alarm sending to the warning topic: it would never page."""
    topic = named(resources, "eu-alarms-warning-topic", t.SNS_TOPIC)
    alarm = named(resources, "eu-crm-connections", t.METRIC_ALARM)
    alarm.props["alarmActions"] = [topic.props["arn"]]
    alarm.deps["alarmActions"] = [topic.urn]
    return resources


CASES[TIERS] = [
    case("the real cell: every alarm names its tier and notifies that tier's topic; prod pages over HTTPS", "pass"),
    case("an alarm without an AlertTier tag", "fail", UNTIERED),
    case("a critical alarm notifying the warning topic", "fail", to_warning_topic),
    case(
        "a critical alarm over five-minute periods",
        "fail",
        edit("eu-crm-connections", lambda r: r.props.update(period=300)),
    ),
    case(
        "a critical alarm paging on one datapoint",
        "fail",
        edit("eu-crm-connections", lambda r: r.props.update(datapointsToAlarm=1)),
    ),
    case("a production critical topic with e-mail only", "fail", NO_PAGER),
    case("at a first preview: tiers, periods and subscriptions are known", "pass", preview=True),
    case("at a first preview, an untiered alarm fails already", "fail", UNTIERED, preview=True),
]


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(POLICY))


def test_each_break_names_the_link() -> None:
    def count(tier: str) -> int:
        return sum(
            1
            for r in cell()
            if r.type == t.METRIC_ALARM and r.region == "eu-central-1" and r.props["tags"]["AlertTier"] == tier
        )

    critical, warning = count("critical"), count("warning")
    assert messages(NO_SUBSCRIBER) == [
        f"topic eu-alarms-critical-topic has no subscription: {critical} alarms reach nobody"
    ]
    assert messages(edit(KEY, without_cloudwatch)) == [
        f"{KEY}, the key of topic eu-alarms-{tier}-topic, does not let cloudwatch.amazonaws.com use it (kms:Decrypt, "
        f"kms:GenerateDataKey*): the notifications of {alarms} alarms are dropped"
        for tier, alarms in (("critical", critical), ("warning", warning))
    ]
    assert messages(edit("eu-crm-cpu", lambda r: r.props.update(alarmActions=[]))) == [
        "alarm eu-crm-cpu notifies no SNS topic: it pages nobody"
    ]
    (cross,) = messages(to_primary_topic)
    assert cross.endswith(
        "(eu-west-1) notifies eu-alarms-critical-topic in eu-central-1: an alarm's SNS actions must be in its own "
        "region"
    )


def test_a_proved_path_counts_the_alarms_of_each_topic() -> None:
    (reason,) = run_case(POLICY, case("proved", "pass")).reasons(POLICY)
    proofs = [json.loads(part.removeprefix("proved: ")) for part in reason.split("; proved: ")]
    by_topic = {proof["subject"]: proof["links"] for proof in proofs}
    assert len(by_topic) == 4  # two tiers in two regions
    critical = by_topic["topic eu-alarms-critical-topic"]
    assert critical[1:3] == ["topic eu-alarms-critical-topic", "key eu-keys-platform-key (CloudWatch may use it)"]
    assert critical[-1] == "2 subscriptions (email, https)"
    assert by_topic["topic eu-alarms-warning-topic"][-1] == "1 subscription (email)"


def test_a_path_through_a_slack_channel_names_it() -> None:
    change = slack_channel(by_dependency=True)
    (reason,) = run_case(POLICY, case("proved", "pass", lambda r: change(NO_SUBSCRIBER(r)))).reasons(POLICY)
    proofs = [json.loads(part.removeprefix("proved: ")) for part in reason.split("; proved: ")]
    by_topic = {proof["subject"]: proof["links"] for proof in proofs}
    assert by_topic["topic eu-alarms-critical-topic"][-1] == "1 Chatbot Slack channel"
    assert by_topic["topic eu-dr-alarms-critical-topic"][-2:] == [
        "2 subscriptions (email, https)",
        "1 Chatbot Slack channel",
    ]


def tier_messages(change: Edit) -> list[str]:
    result = run_case(TIERS, case("messages", "fail", change))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(TIERS))


def test_each_tier_break_says_what_is_wrong() -> None:
    assert tier_messages(UNTIERED) == [
        "alarm eu-crm-cpu names no alert tier (tag AlertTier): nobody knows whether it pages"
    ]
    assert tier_messages(to_warning_topic) == [
        "critical alarm eu-crm-connections notifies topic eu-alarms-warning-topic of tier 'warning': it must notify "
        "its own tier's topic"
    ]
    assert tier_messages(NO_PAGER) == [
        "production critical topic eu-alarms-critical-topic has no HTTPS subscription: its alarms e-mail, nobody is "
        "paged"
    ]
