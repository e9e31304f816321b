"""prod-eu's payments webhooks queue: encrypted with the payments key, a dead-letter queue with a redrive policy, the
two alarms, and a grant to api alone; the queue-path guardrail proves api -> its queue and flags each defect put
back (a grant to a service that does not declare payments, a grant on every queue, a queue without a DLQ)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

STACK = "prod-eu"
QUEUE = "aws:sqs/queue:Queue"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY = "queue-paths-least-privilege"


def test_queue_dlq_key_and_alarms(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    queue = recording.named("eu-payments-webhooks-queue-sqs", QUEUE)
    dlq = recording.named("eu-payments-webhooks-queue-dlq", QUEUE)
    key = recording.named("eu-keys-payments-key", "aws:kms/key:Key")
    assert queue.inputs["kmsMasterKeyId"] == dlq.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
    assert queue.inputs["tags"]["DataConcern"] == dlq.inputs["tags"]["DataConcern"] == "payments"
    oldest = recording.named("eu-payments-webhooks-queue-oldest-message", ALARM).inputs
    assert (oldest["metricName"], oldest["threshold"], oldest["evaluationPeriods"], oldest["period"]) == (
        "ApproximateAgeOfOldestMessage",
        300,
        5,
        60,
    )
    # The QueueName dimension is the queue's physical name, which the mock engine never assigns (AWS does).
    assert oldest["namespace"] == "AWS/SQS" and oldest["statistic"] == "Maximum"
    depth = recording.named("eu-payments-webhooks-queue-dlq-not-empty", ALARM).inputs
    assert (depth["metricName"], depth["threshold"], depth["evaluationPeriods"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
        1,
    )


def test_only_the_declaring_service_is_granted(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    granted = [p.name for p in recording.of_type(ROLE_POLICY) if "sqs:" in str(p.inputs["policy"])]
    assert sorted(granted) == ["eu-api-queue-policy"]  # the standby in eu-west-1 has no queue
    document = json.loads(recording.named("eu-api-queue-policy", ROLE_POLICY).inputs["policy"])
    queue = recording.named("eu-payments-webhooks-queue-sqs", QUEUE)
    assert document["Statement"][0]["Resource"] == [queue.outputs["arn"]]
    assert document["Statement"][1]["Resource"] == [recording.named("eu-keys-payments-key").outputs["arn"]]


def _grant_to_web(recording: Recording) -> Recording:
    """api's queue policy attached to web's task role (web declares no concern)."""
    web_role = recording.named("eu-web-task-role", "aws:iam/role:Role")
    return replace(recording, "eu-api-queue-policy", lambda policy: {"role": web_role.outputs["id"]})


def _every_queue(recording: Recording) -> Recording:
    def wider(policy: object) -> dict[str, str]:
        document = json.loads(recording.named("eu-api-queue-policy", ROLE_POLICY).inputs["policy"])
        document["Statement"][0]["Resource"] = "*"
        return {"policy": json.dumps(document)}

    return replace(recording, "eu-api-queue-policy", wider)


DEFECTS: dict[str, tuple[Callable[[Recording], Recording], str, str]] = {
    "a grant to a service without the concern": (_grant_to_web, "eu-api-queue-policy", "which the service does not"),
    "a grant on every queue": (_every_queue, "eu-api-queue-policy", "grants SQS actions on every queue"),
    # Without the redrive policy its DLQ is no queue's dead-letter queue either: both are flagged, the queue first.
    "a queue without a dead-letter queue": (
        lambda rec: replace(rec, "eu-payments-webhooks-queue-sqs", lambda queue: {"redrivePolicy": ""}),
        "eu-payments-webhooks-queue-sqs",
        "has no dead-letter queue",
    ),
}
ALSO_FLAGGED = {"a queue without a dead-letter queue": ["eu-payments-webhooks-queue-dlq"]}


def _judge(judge_policy: Callable[..., Verdict], recording: Recording) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))


def test_the_shipped_stack_proves_api_to_its_queue(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    verdict = _judge(judge_policy, recordings[STACK])
    assert [f for f in verdict.findings if f.policy == POLICY] == []
    reasons = [entry.reason for entry in verdict.not_applicable if entry.policy == POLICY]
    assert any("eu-payments-webhooks-queue-sqs (payments)" in reason for reason in reasons), reasons


@pytest.mark.parametrize("name", DEFECTS)
def test_the_pack_flags_the_defect_put_back(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], name: str
) -> None:
    reintroduce, resource, words = DEFECTS[name]
    verdict = _judge(judge_policy, reintroduce(recordings[STACK]))
    flagged = {f.urn.rsplit("::", 1)[-1]: f.message for f in verdict.mandatory if f.policy == POLICY}
    assert sorted(flagged) == sorted([resource, *ALSO_FLAGGED.get(name, [])])
    assert words in flagged[resource]
