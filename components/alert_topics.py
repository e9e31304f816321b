"""The SNS topics alarms notify: one per alert tier and cell region, encrypted, with their subscribers.

- :class:`AlarmTopic`: one topic, encrypted with a customer-managed key, with a policy that refuses publishing
  over plain HTTP and lets this account's CloudWatch alarms (``cloudwatch.amazonaws.com``) and EventBridge rules
  (``events.amazonaws.com``: the security services' findings reach it through rules) publish, each pinned by
  ``aws:SourceAccount`` and, for rules, ``aws:SourceArn``. The key's policy must let the same services use it
  (``kms:Decrypt``, ``kms:GenerateDataKey*``); the cell's platform key does
  (:data:`~fintech_infra.kms.PURPOSE_SERVICES`).
- :class:`AlertTopics`: a region's ``critical`` and ``warning`` topics, subscribed from the cell's
  ``alarms`` config (:class:`~fintech_infra.config.AlarmSettings`).

An HTTPS endpoint (a PagerDuty or Opsgenie CloudWatch integration URL) embeds the integration's key: it comes
from ``secure:`` config and is handed to the subscription as a secret Output, so the engine encrypts it in the
state (the subscription's ``endpoint`` input and output alike) and it never reaches an output, a log line or a
resource name. ``endpoint_auto_confirms`` tells the provider the endpoint confirms the subscription itself, as
both services' integrations do (SNS sends the endpoint a SubscriptionConfirmation it must visit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.alert_tiers import TIER_TAG, TIERS, AlertRoute, Tier
from fintech_infra.aws_facts import Source
from fintech_infra.config import AlarmSettings
from fintech_infra.wiring import KeyRef

__all__ = ["EVENTBRIDGE_TO_SNS_SOURCE", "HTTPS_SUBSCRIPTION_SOURCE", "AlarmTopic", "AlertTopics"]

HTTPS_SUBSCRIPTION_SOURCE = Source(
    "https://docs.aws.amazon.com/sns/latest/dg/sns-http-https-endpoint-as-subscriber.html",
    quote="Before you subscribe your HTTP or HTTPS endpoint to a topic, you must make sure that the HTTP or HTTPS "
    "endpoint has the capability to handle the HTTP POST requests that Amazon SNS uses to send the subscription "
    "confirmation and notification messages.",
)
EVENTBRIDGE_TO_SNS_SOURCE = Source(
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",
    quote="To allow EventBridge to publish to an Amazon SNS topic ... Principal: events.amazonaws.com, Action: "
    "sns:Publish ... Condition ArnEquals aws:SourceArn (the rule). If the topic is encrypted with a customer managed "
    "key, the key policy must allow events.amazonaws.com kms:Decrypt and kms:GenerateDataKey.",
)

CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTS = "events.amazonaws.com"


class AlarmTopic(FintechComponent):
    """An SNS topic for alarm actions: KMS-encrypted, TLS-only publishing, e-mail and HTTPS subscribers."""

    OUTPUTS: ClassVar[dict[str, str]] = {"arn": "The topic ARN alarms of its tier notify."}

    def __init__(
        self,
        name: str,
        *,
        key: KeyRef,
        tier: Tier | None = None,
        email_endpoints: Sequence[str] = (),
        https_endpoints: Sequence[pulumi.Input[str]] = (),
        publishers: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``publishers`` are further service principals (from this account) allowed to publish, e.g. the
        Prometheus alert manager (``aps.amazonaws.com``, which also reads the topic's attributes); the topic's
        key must admit them too. ``https_endpoints`` are wrapped as secrets whatever they come as."""
        super().__init__("fintech:alarms:AlarmTopic", name, opts)
        here = pulumi.ResourceOptions(parent=self)
        self.tier = tier
        self.topic = aws.sns.Topic(
            child(name, "topic"),
            kms_master_key_id=key.arn,
            tags={TIER_TAG: tier} if tier is not None else {},
            opts=here,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        aws.sns.TopicPolicy(
            child(name, "policy"),
            arn=self.topic.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": self.topic.arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        _allow("AllowCloudWatchAlarms", CLOUDWATCH, self.topic.arn, account),
                        _allow(
                            "AllowEventBridgeRules",
                            EVENTS,
                            self.topic.arn,
                            account,
                            source_arn=pulumi.Output.concat(
                                "arn:", partition, ":events:", region, ":", account, ":rule/*"
                            ),
                        ),
                        *(
                            {
                                **_allow(f"AllowServicePublisher{index + 1}", service, self.topic.arn, account),
                                "Action": ["sns:Publish", "sns:GetTopicAttributes"],
                            }
                            for index, service in enumerate(publishers)
                        ),
                    ],
                }
            ),
            opts=here,
        )
        for index, address in enumerate(email_endpoints):
            aws.sns.TopicSubscription(
                child(name, f"email-{index + 1}"),
                topic=self.topic.arn,
                protocol="email",
                endpoint=address,
                opts=here,
            )
        for index, url in enumerate(https_endpoints):
            aws.sns.TopicSubscription(
                child(name, f"https-{index + 1}"),
                topic=self.topic.arn,
                protocol="https",
                endpoint=pulumi.Output.secret(url),
                endpoint_auto_confirms=True,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["endpoint"]),
            )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})


def _allow(
    sid: str,
    service: str,
    topic_arn: pulumi.Output[str],
    account: pulumi.Output[str],
    *,
    source_arn: pulumi.Output[str] | None = None,
) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": condition,
    }


class AlertTopics(FintechComponent):
    """A cell region's two alert topics (``critical``, ``warning``), subscribed from the ``alarms`` config.

    ``alarms.email_endpoints`` subscribe to both tiers; ``alarms.subscriptions.<tier>`` adds that tier's own
    HTTPS endpoints (``secure:``) and e-mail addresses; a tier's Slack channel is the cell's
    :class:`~fintech_infra.chatbot.SlackAlerts`, which names this tier's topics of every region.
    """

    OUTPUTS: ClassVar[dict[str, str]] = {"critical": "The critical topic's ARN.", "warning": "The warning topic's ARN."}

    def __init__(
        self,
        name: str,
        settings: AlarmSettings,
        *,
        key: KeyRef,
        publishers: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("fintech:alarms:AlertTopics", name, opts)
        self.topics: dict[Tier, AlarmTopic] = {}
        for tier in TIERS:
            own = settings.subscriptions.get(tier)
            self.topics[tier] = AlarmTopic(
                child(name, tier),
                key=key,
                tier=tier,
                email_endpoints=(*settings.email_endpoints, *(own.email_endpoints if own else ())),
                https_endpoints=own.https_endpoints if own else (),
                publishers=publishers,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.route = AlertRoute(critical=self.topics["critical"].arn, warning=self.topics["warning"].arn)
        self.register_outputs({"critical": self.route.critical, "warning": self.route.warning})
