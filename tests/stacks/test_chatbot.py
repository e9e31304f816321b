"""AWS Chatbot Slack channels per alert tier: off in every shipped stack, and a stack-config variant that turns one on.

The variant gives prod-uk's warning tier a Slack channel (and no other warning subscriber): the configuration takes
the warning topic of both regions, is created through eu-west-1 (the Chatbot API region fca permits), runs under a
role only Chatbot may assume with the notification template, is capped by the CloudWatch read-only guardrail, and the
pack proves the warning alarms reach someone through it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.chatbot import ALARM_READ_ACTIONS, GUARDRAIL_POLICY, METRIC_READ_ACTIONS, NOTIFICATION_ACTIONS
from fintech_infra.chatbot_config import CHATBOT_API_REGIONS, chatbot_api_region
from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_stacks import CELL_STACKS, ORG, ROOT, run_stack, stack_config

CHANNEL = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SLACK = {"team_id": "T07EA123LEP", "channel_id": "C07EZ1ABC23", "logging_level": "INFO"}


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_no_shipped_stack_has_a_slack_channel(recordings: dict[str, Recording], stack: str) -> None:
    recording = recordings[stack]
    assert recording.resources
    assert recording.of_type(CHANNEL) == []
    assert not [r for r in recording.resources if r.type == "fintech:alarms:SlackAlerts"]


def _slack_warning_only(config: dict[str, Any]) -> dict[str, Any]:
    """prod-uk with its e-mail subscribers gone and the warning tier notifying only a Slack channel."""
    config = copy.deepcopy(config)
    alarms = config["fintech-infra:cells"]["uk"]["alarms"]
    alarms["email_endpoints"] = []
    alarms["subscriptions"]["warning"] = {"slack": SLACK}
    return config


@pytest.fixture(scope="module")
def slack_uk(recordings: dict[str, Recording]) -> Recording:
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    return run_stack("prod-uk", _slack_warning_only(stack_config("prod-uk")), stack_outputs=zones)


def test_a_tier_with_slack_gets_one_channel_on_its_topics_in_every_region(slack_uk: Recording) -> None:
    (channel,) = slack_uk.of_type(CHANNEL)
    warning = sorted(t.outputs["arn"] for t in slack_uk.of_type(TOPIC) if t.tags.get("AlertTier") == "warning")
    assert len(warning) == 2  # eu-west-2 and eu-west-1
    assert sorted(channel.inputs["snsTopicArns"]) == warning
    assert channel.inputs["slackTeamId"] == "T07EA123LEP"
    assert channel.inputs["slackChannelId"] == "C07EZ1ABC23"
    assert channel.inputs["loggingLevel"] == "INFO"
    assert channel.inputs["region"] == "eu-west-1"
    assert channel.inputs["configurationName"] == "prod-uk-uk-slack-warning"
    assert channel.inputs["guardrailPolicyArns"] == [f"arn:aws:iam::aws:policy/{GUARDRAIL_POLICY}"]
    assert channel.tags["AlertTier"] == "warning"


def test_the_channel_role_is_chatbots_and_only_reads_cloudwatch(slack_uk: Recording) -> None:
    (channel,) = slack_uk.of_type(CHANNEL)
    (role,) = [r for r in slack_uk.of_type("aws:iam/role:Role") if r.outputs["arn"] == channel.inputs["iamRoleArn"]]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "chatbot.amazonaws.com"}]
    (policy,) = [p for p in slack_uk.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.outputs["id"]]
    alarms, metrics = json.loads(policy.inputs["policy"])["Statement"]
    assert alarms["Action"] == list(ALARM_READ_ACTIONS)
    assert alarms["Resource"].startswith("arn:aws:cloudwatch:*:") and alarms["Resource"].endswith(":alarm:*")
    assert (metrics["Action"], metrics["Resource"]) == (list(METRIC_READ_ACTIONS), "*")
    assert all(
        action.startswith(("cloudwatch:Describe", "cloudwatch:Get", "cloudwatch:List"))
        for action in NOTIFICATION_ACTIONS
    )
    attachments = slack_uk.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert [a for a in attachments if a.inputs["role"] == role.outputs["name"]] == []


def _verdict(judge_policy: Callable[..., Verdict], recording: Recording) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config("prod-uk"))


def test_the_pack_proves_warning_alarms_reach_the_slack_channel(
    slack_uk: Recording, judge_policy: Callable[..., Verdict]
) -> None:
    warning = [t for t in slack_uk.of_type(TOPIC) if t.tags.get("AlertTier") == "warning"]
    subscribed = {s.inputs["topic"] for s in slack_uk.of_type(SUBSCRIPTION)}
    assert warning and all(t.outputs["arn"] not in subscribed for t in warning)  # Slack is their only subscriber
    verdict = _verdict(judge_policy, slack_uk)
    assert verdict.mandatory == []  # the whole gate passes, alert-paths-reach-someone included


def test_without_the_channel_the_same_topics_reach_nobody(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    config = _slack_warning_only(stack_config("prod-uk"))
    config["fintech-infra:cells"]["uk"]["alarms"]["subscriptions"]["warning"] = {}
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    verdict = _verdict(judge_policy, run_stack("prod-uk", config, stack_outputs=zones))
    broken = [f for f in verdict.mandatory if f.policy == "alert-paths-reach-someone"]
    assert broken and all("has no subscription" in f.message for f in broken)


@pytest.mark.parametrize(
    ("cell_regions", "permitted", "expected"),
    [
        (["eu-west-2", "eu-west-1"], ["eu-central-1", "eu-west-1", "eu-west-2"], "eu-west-1"),
        (["eu-central-1"], ["eu-central-1", "eu-west-1"], "eu-west-1"),
        (["ap-southeast-2", "ap-southeast-4"], ["ap-southeast-2", "ap-southeast-4"], None),
        (["us-east-2"], ["us-east-2", "us-west-2"], "us-east-2"),
    ],
)
def test_the_api_region_is_one_the_jurisdiction_permits(
    cell_regions: list[str], permitted: list[str], expected: str | None
) -> None:
    region = chatbot_api_region(cell_regions, permitted)
    assert region == expected
    assert region is None or (region in CHATBOT_API_REGIONS and region in permitted)
