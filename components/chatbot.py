"""SlackAlerts: the AWS Chatbot Slack channels of a cell's alert tiers, off unless a tier names one.

Per tier with ``alarms.subscriptions.<tier>.slack``: one ``aws.chatbot.SlackChannelConfiguration`` taking that
tier's topic in every region of the cell (one configuration may combine topics of several regions), created through
the AWS Chatbot API region the cell's jurisdiction permits (:func:`~fintech_infra.chatbot_config.chatbot_api_region`;
the validation pass refuses a cell that has none). The channel's role lets Chatbot read what it draws an alarm's
notification with: the documented "Notification permissions" template (CloudWatch ``Describe*``, ``Get*``,
``List*``) narrowed to named reads, the alarm reads on the account's alarms and the metric reads on ``*``
(:data:`NOTIFICATION_ACTIONS`; DescribeAlarms scoped to alarms does not return composite alarms, which AWS only
returns to a grant on ``*``). The channel guardrail is ``CloudWatchReadOnlyAccess``, so nobody in the channel can do
more than read CloudWatch through it whatever role they bring. Without a guardrail AWS applies ``AdministratorAccess``
(:data:`~fintech_infra.chatbot_config.SLACK_IDS_SOURCE`), so one is always set.

Chatbot subscribes its own HTTPS endpoint to each topic when the configuration is created; no
``TopicSubscription`` of the stack stands for it. The workspace must have been authorized in the Chatbot console
first (:data:`~fintech_infra.chatbot_config.WORKSPACE_AUTHORIZATION`): the stack cannot do that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import aws_managed_policy, service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.alert_tiers import TIER_TAG, TIERS, AlertRoute, Tier
from fintech_infra.chatbot_config import chatbot_api_region
from fintech_infra.config import AlarmSettings, CellConfig
from fintech_infra.errors import ConfigError, key_path

__all__ = [
    "ALARM_READ_ACTIONS",
    "CHATBOT",
    "GUARDRAIL_POLICY",
    "METRIC_READ_ACTIONS",
    "NOTIFICATION_ACTIONS",
    "SlackAlerts",
    "cell_slack_alerts",
    "has_slack",
]

CHATBOT = "chatbot.amazonaws.com"
ALARM_READ_ACTIONS = ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory")
"""On the account's alarms (``arn:<partition>:cloudwatch:*:<account>:alarm:*``)."""
METRIC_READ_ACTIONS = (
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetMetricWidgetImage",
    "cloudwatch:ListMetrics",
)
"""On ``*``: metrics are no IAM resource (the Service Authorization Reference lists no resource type for them)."""
NOTIFICATION_ACTIONS = (*ALARM_READ_ACTIONS, *METRIC_READ_ACTIONS)
"""The documented notification template (:data:`~fintech_infra.chatbot_config.CHANNEL_ROLE_SOURCE`: CloudWatch
``Describe*``, ``Get*``, ``List*``) narrowed to the reads an alarm notification is drawn with, each named: the
policy pack refuses pattern actions on ``*`` (``iam-no-wildcard-resources``)."""
GUARDRAIL_POLICY = "CloudWatchReadOnlyAccess"


def has_slack(settings: AlarmSettings) -> bool:
    """Whether any tier of ``settings`` names a Slack channel."""
    return any(own.slack is not None for own in settings.subscriptions.values())


def cell_slack_alerts(
    name: str,
    config: CellConfig,
    *,
    permitted_regions: Sequence[str],
    routes: Sequence[AlertRoute],
    opts: pulumi.ResourceOptions,
) -> SlackAlerts | None:
    """The cell's :class:`SlackAlerts` (``<cell>-slack``), or None when no tier names a Slack channel.

    ``routes``: the alert route of each cell region; ``permitted_regions``: the cell's jurisdiction's regions."""
    if not has_slack(config.alarms):
        return None
    regions = [config.primary_region, *([config.dr_region] if config.dr_region else [])]
    api_region = chatbot_api_region(regions, sorted(permitted_regions))
    if api_region is None:  # the validation pass refuses it first (config_checks.slack_channels)
        raise ConfigError(
            f"{key_path('cells', name, 'alarms', 'subscriptions')}: no AWS Chatbot API region is permitted for this "
            "cell; allowed: no Slack channel"
        )
    topics = {tier: [route.arn(tier) for route in routes] for tier in TIERS}
    return SlackAlerts(f"{name}-slack", config.alarms, topics=topics, api_region=api_region, opts=opts)


class SlackAlerts(FintechComponent):
    """AWS Chatbot Slack channels of a cell's alert tiers, each taking that tier's topics of every cell region."""

    OUTPUTS: ClassVar[dict[str, str]] = {"channels": "Tier to the ARN of its Chatbot Slack channel configuration."}

    def __init__(
        self,
        name: str,
        settings: AlarmSettings,
        *,
        topics: Mapping[Tier, Sequence[pulumi.Input[str]]],
        api_region: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``topics``: per tier, that tier's topic ARN in each region of the cell; ``api_region``: one of
        :data:`~fintech_infra.chatbot_config.CHATBOT_API_REGIONS` the cell's jurisdiction permits."""
        super().__init__("fintech:alarms:SlackAlerts", name, opts)
        here = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id
        role = aws.iam.Role(
            child(name, "role"),
            assume_role_policy=service_trust_policy(CHATBOT),
            description="AWS Chatbot channel role: reads CloudWatch to render alarm notifications",
            tags={},
            opts=here,
        )
        aws.iam.RolePolicy(
            child(name, "notifications"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadAlarms",
                            "Effect": "Allow",
                            "Action": list(ALARM_READ_ACTIONS),
                            "Resource": pulumi.Output.concat("arn:", partition, ":cloudwatch:*:", account, ":alarm:*"),
                        },
                        {
                            "Sid": "ReadMetrics",
                            "Effect": "Allow",
                            "Action": list(METRIC_READ_ACTIONS),
                            "Resource": "*",
                        },
                    ],
                }
            ),
            opts=here,
        )
        self.channels: dict[str, pulumi.Output[str]] = {}
        for tier in TIERS:
            own = settings.subscriptions.get(tier)
            if own is None or own.slack is None:
                continue
            channel = aws.chatbot.SlackChannelConfiguration(
                child(name, tier),
                configuration_name=physical(pulumi.get_stack(), name, tier, limit=128),
                iam_role_arn=role.arn,
                slack_team_id=own.slack.team_id,
                slack_channel_id=own.slack.channel_id,
                sns_topic_arns=list(topics[tier]),
                guardrail_policy_arns=[aws_managed_policy(partition, GUARDRAIL_POLICY)],
                logging_level=own.slack.logging_level,
                region=api_region,
                tags={TIER_TAG: tier},
                opts=here,
            )
            self.channels[tier] = channel.chat_configuration_arn
        self.register_outputs({"channels": self.channels})
