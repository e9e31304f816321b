"""Queues for asynchronous work: one SQS queue per entry of a cell's ``queues``, each in its concern's key, with a
dead-letter queue and a redrive policy, alarms, and grants to the services that declare it, and to no one else.

- :class:`QueueSettings`: what a stack file says (name, concern, visibility, retention, receives before the DLQ).
- :class:`ConcernQueue`: the queue and its DLQ, both encrypted with the concern's customer-managed key (SSE-KMS;
  the data key is reused for :data:`DATA_KEY_REUSE_SECONDS`), a queue policy that refuses anything but TLS, the
  redrive policy (``maxReceiveCount``) on the queue and a redrive-allow policy on the DLQ naming only its queue,
  and two alarms on the cell's topic (:func:`fintech_infra.alarms.queue_alarms`): the oldest message older than
  the threshold for five minutes running (work piling up), and any message in the DLQ.
- :func:`grant_queue_access`: one role policy per service on its task role: send, receive, delete and change
  visibility on its queues only, and the concern key's ``GenerateDataKey``/``Decrypt`` only through SQS in the
  region.

Queues live in the primary region only. On a regional failover the messages in flight there are not carried
over: producers must be able to resend (an idempotent webhook handler, the provider's retries).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import role_policy_with_keys
from fintech_infra._naming import child
from fintech_infra.alarms import queue_alarms
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.queue_config import QueueSettings
from fintech_infra.wiring import KeyRef

__all__ = [
    "DATA_KEY_REUSE_SECONDS",
    "DLQ_RETENTION_SECONDS",
    "SQS_LIMITS_SOURCE",
    "ConcernQueue",
    "QueueSettings",
    "grant_queue_access",
    "queue_url_variable",
]

SQS_LIMITS_SOURCE = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html"
"""Checked 2026-12-07: ``VisibilityTimeout`` 0-43200 s; ``MessageRetentionPeriod`` 60-1209600 s (14 days);
``KmsDataKeyReusePeriodSeconds`` 60-86400 s; ``maxReceiveCount`` in ``RedrivePolicy``."""
DLQ_RETENTION_SECONDS = 1_209_600
"""14 days, the SQS maximum: a message in the DLQ waits for a person, and the alarm pages one at the first."""
DATA_KEY_REUSE_SECONDS = 300
"""SQS's default: fewer KMS calls than per message, and a key compromise window of five minutes."""


class ConcernQueue(FintechComponent):
    """An SQS queue, its dead-letter queue, TLS-only policies and the two alarms."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "queue_arn": "ARN of the queue.",
        "queue_url": "URL of the queue (what a producer or consumer calls).",
        "dlq_arn": "ARN of the dead-letter queue.",
    }

    def __init__(
        self,
        name: str,
        settings: QueueSettings,
        *,
        key: KeyRef,
        alert_route: AlertRoute,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # The DataConcern tag on both queues: the data-separation rules and the queue-path guardrail read it.
        super().__init__("fintech:queues:ConcernQueue", name, opts, scope={"DataConcern": settings.concern.value})
        here = pulumi.ResourceOptions(parent=self)
        encryption: dict[str, Any] = {
            "kms_master_key_id": key.arn,
            "kms_data_key_reuse_period_seconds": DATA_KEY_REUSE_SECONDS,
        }
        self.dlq = aws.sqs.Queue(
            child(name, "dlq"), message_retention_seconds=DLQ_RETENTION_SECONDS, tags={}, opts=here, **encryption
        )
        self.queue = aws.sqs.Queue(
            child(name, "sqs"),
            visibility_timeout_seconds=settings.visibility_timeout_seconds,
            message_retention_seconds=settings.retention_days * 86400,
            redrive_policy=self.dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": settings.max_receive_count})
            ),
            tags={},
            opts=here,
            **encryption,
        )
        aws.sqs.RedriveAllowPolicy(
            child(name, "dlq-redrive-allow"),
            queue_url=self.dlq.url,
            redrive_allow_policy=self.queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=here,
        )
        for role, queue in (("sqs", self.queue), ("dlq", self.dlq)):
            aws.sqs.QueuePolicy(
                child(name, f"{role}-tls-only"),
                queue_url=queue.url,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sqs:*",
                                "Resource": queue.arn,
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                ),
                opts=here,
            )
        self.alarms = queue_alarms(
            self,
            name,
            queue_name=self.queue.name,
            dlq_name=self.dlq.name,
            oldest_message_seconds=settings.oldest_message_alarm_seconds,
            route=alert_route,
        )
        self.queue_arn: pulumi.Output[str] = self.queue.arn
        self.queue_url: pulumi.Output[str] = self.queue.url
        self.dlq_arn: pulumi.Output[str] = self.dlq.arn
        self.register_outputs({key: getattr(self, key) for key in self.OUTPUTS})


def queue_url_variable(queue: str) -> str:
    """The environment variable a service that lists ``queue`` reads its URL from: ``QUEUE_URL_<NAME>``."""
    return "QUEUE_URL_" + queue.upper().replace("-", "_")


def grant_queue_access(
    name: str,
    *,
    role: aws.iam.Role,
    queue_arns: Sequence[pulumi.Input[str]],
    keys: Sequence[KeyRef],
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """A task role's access to exactly ``queue_arns`` (encrypted with ``keys``): send, receive, delete, change
    visibility and read attributes; the keys only through SQS in the role's region."""
    return role_policy_with_keys(
        child(name, "queue-policy"),
        role=role,
        sid="UseOwnQueues",
        actions=[
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        ],
        resources=queue_arns,
        key_sid="QueueKeysViaSqs",
        key_arns=[key.arn for key in keys],
        service="sqs",
        parent=parent,
    )
