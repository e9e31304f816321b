"""paths_alerts.py: alarm -> SNS topic of its region -> a key CloudWatch may use -> a subscribed endpoint.

Cases start from the real cell (:mod:`tests.policy.paths_fixture`), whose alarms notify each region's AlarmTopic,
and break one link each.
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
    topic = named(resources, "eu-alarms-topic", t.SNS_TOPIC)
    alarm = next(r for r in resources if r.type == t.METRIC_ALARM and r.region == "eu-west-1")
    alarm.props["alarmActions"] = [topic.props["arn"]]
    alarm.deps["alarmActions"] = [topic.urn]
    return resources


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False) -> Case:
    resources = cell_preview() if preview else cell()
    return Case(title, expect, change(resources) if change else resources, unknown=preview)  # type: ignore[arg-type]


NO_SUBSCRIBER = without("eu-alarms-email-1")

CASES = {
    POLICY: [
        case("the real cell: every alarm reaches an email subscriber through its region's encrypted topic", "pass"),
        case("the primary topic without a subscription", "fail", NO_SUBSCRIBER),
        case("the topic's key does not admit CloudWatch", "fail", edit(KEY, without_cloudwatch)),
        case(
            "the topic under the AWS-managed SNS key",
            "fail",
            edit("eu-alarms-topic", lambda r: r.props.update(kmsMasterKeyId="alias/aws/sns")),
        ),
        case("an alarm with no action", "fail", edit("eu-crm-cpu", lambda r: r.props.update(alarmActions=[]))),
        case("a DR alarm notifying the primary region's topic", "fail", to_primary_topic),
        case("at a first preview: the topic policies name the topic's unknown ARN", "pending", preview=True),
        case("at a first preview, a topic without subscription is known already", "fail", NO_SUBSCRIBER, preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(POLICY))


def test_each_break_names_the_link() -> None:
    alarms = sum(1 for r in cell() if r.type == t.METRIC_ALARM and r.region == "eu-central-1")
    assert messages(NO_SUBSCRIBER) == [f"topic eu-alarms-topic has no subscription: {alarms} alarms reach nobody"]
    assert messages(edit(KEY, without_cloudwatch)) == [
        f"{KEY}, the key of topic eu-alarms-topic, does not let cloudwatch.amazonaws.com use it (kms:Decrypt, "
        f"kms:GenerateDataKey*): the notifications of {alarms} alarms are dropped"
    ]
    assert messages(edit("eu-crm-cpu", lambda r: r.props.update(alarmActions=[]))) == [
        "alarm eu-crm-cpu notifies no SNS topic: it pages nobody"
    ]
    (cross,) = messages(to_primary_topic)
    assert cross.endswith(
        "(eu-west-1) notifies eu-alarms-topic in eu-central-1: an alarm's SNS actions must be in its own region"
    )


def test_a_proved_path_counts_the_alarms_of_each_topic() -> None:
    (reason,) = run_case(POLICY, case("proved", "pass")).reasons(POLICY)
    assert (
        '"links":["' in reason
        and '"topic eu-alarms-topic","key eu-keys-platform-key (CloudWatch may use it)",' in reason
    )
    assert '"1 subscription (email)"' in reason
