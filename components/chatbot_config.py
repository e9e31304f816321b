"""AWS Chatbot (now "Amazon Q Developer in chat applications") for Slack: the settings of a tier's channel and the
AWS facts they are checked against.

``alarms.subscriptions.<tier>.slack: {team_id, channel_id}`` adds a Slack channel to that alert tier, off by
default. The facts below decide what is accepted, before anything is registered:

- the ids' formats (:data:`SLACK_IDS_SOURCE`, the API's ``CreateSlackChannelConfiguration`` request);
- where the configuration can be created: the service's API answers in four regions only
  (:data:`CHATBOT_API_REGIONS`); the configuration is created through the first of them the cell's jurisdiction
  permits (primary region, then DR region, then the jurisdiction's other regions), and a cell whose jurisdiction
  permits none of them cannot have a Slack channel (AU cells, today);
- which regions' SNS topics it can take (:data:`CHATBOT_TOPIC_REGIONS`): every region of the cell must be one;
- that the Slack workspace is authorized once, by a person, in the console (:data:`WORKSPACE_AUTHORIZATION`):
  the API can list and delete workspace authorizations, not create one, so a stack cannot do it.

An encrypted topic needs nothing more for Chatbot: SNS decrypts a message before it delivers it to a subscriber
(:data:`SNS_DECRYPTS_ON_DELIVERY`), so only the publishers (CloudWatch, EventBridge) need the key, and the cell's
platform key admits them already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal

from pydantic import Field, field_validator

from fintech_infra._config_base import FrozenSettings
from fintech_infra.aws_facts import Source

__all__ = [
    "CHANNEL_ROLE_SOURCE",
    "CHATBOT_API_REGIONS",
    "CHATBOT_API_SOURCE",
    "CHATBOT_TOPIC_REGIONS",
    "CHATBOT_TOPIC_REGIONS_SOURCE",
    "LOGGING_LEVELS",
    "SLACK_IDS_SOURCE",
    "SNS_DECRYPTS_ON_DELIVERY",
    "WORKSPACE_AUTHORIZATION",
    "SlackChannel",
    "chatbot_api_region",
    "slack_region_problems",
]

CHATBOT_API_REGIONS: tuple[str, ...] = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1")
CHATBOT_API_SOURCE = Source(
    "https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html",
    quote="APIs are currently available in the following Regions: US East (Ohio) - us-east-2, US West (Oregon) - "
    "us-west-2, Asia Pacific (Singapore) - ap-southeast-1, Europe (Ireland) - eu-west-1 ... Your configuration "
    "data however, is stored in each of the relevant available Regions.",
)
CHATBOT_TOPIC_REGIONS: tuple[str, ...] = (
    "us-east-2",
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-3",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "sa-east-1",
)
"""The regions enabled by default that the service supports. It also supports some opt-in regions; they are not
recorded here, so a cell in one is refused rather than guessed at."""
CHATBOT_TOPIC_REGIONS_SOURCE = Source(
    "https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-regions.html",
    quote="Supported Regions include: US East (Ohio), US East (N. Virginia), US West (N. California), US West "
    "(Oregon), Asia Pacific (Mumbai), Asia Pacific (Osaka), Asia Pacific (Seoul), Asia Pacific (Singapore), Asia "
    "Pacific (Sydney), Asia Pacific (Tokyo), Canada (Central), Europe (Frankfurt), Europe (Ireland), Europe "
    "(London), Europe (Paris), Europe (Stockholm), South America (São Paulo). You can combine Amazon SNS topics "
    "from multiple Regions in a single ... configuration.",
)
SLACK_TEAM_ID = re.compile(r"^[0-9A-Z]{1,255}$")
SLACK_CHANNEL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
LOGGING_LEVELS: tuple[str, ...] = ("ERROR", "INFO", "NONE")
SLACK_IDS_SOURCE = Source(
    "https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html",
    quote="SlackTeamId: Length Constraints: Minimum length of 1. Maximum length of 255. Pattern: [0-9A-Z]{1,255}. "
    "SlackChannelId: ... Pattern: [A-Za-z0-9]+ ... The channel ID is the 9-character string at the end of the URL. "
    "ConfigurationName: ... Maximum length of 128. Pattern: [A-Za-z0-9-_]+. LoggingLevel: ERROR, INFO, or NONE. "
    "GuardrailPolicyArns: ... The AWS managed AdministratorAccess policy is applied by default if this is not set.",
)
WORKSPACE_AUTHORIZATION = Source(
    "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_chatbot.CfnSlackChannelConfiguration.html",
    quote="This resource requires some setup to be done in the ... in chat applications console. To provide the "
    "required Slack workspace ID, you must perform the initial authorization flow with Slack in the ... console, "
    "then copy and paste the workspace ID from the console. (The API, botocore chatbot 2017-10-11, has "
    "DescribeSlackWorkspaces and DeleteSlackWorkspaceAuthorization but no operation that creates one.)",
    verify="aws chatbot describe-slack-workspaces --region eu-west-1",
    offline=False,
)
SNS_DECRYPTS_ON_DELIVERY = Source(
    "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    quote="SSE encrypts messages as soon as Amazon SNS receives them. The messages are stored in encrypted form, and "
    "only decrypted when they are sent.",
)
CHANNEL_ROLE_SOURCE = Source(
    "https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html",
    quote="Notification permissions (customer managed policy template): cloudwatch:Describe*, cloudwatch:Get*, "
    "cloudwatch:List* on Resource *. Supported AWS managed policies include ReadOnlyAccess and "
    "CloudWatchReadOnlyAccess. (security_iam_service-with-iam-resource-based-policies: for an Amazon CloudWatch "
    "alarm notification, Amazon Q Developer requires the metric graph.)",
)


class SlackChannel(FrozenSettings):
    """One alert tier's Slack channel, through AWS Chatbot (the workspace authorized once in its console)."""

    team_id: str = Field(
        description="The Slack workspace (team) id the Chatbot console shows once the workspace is authorized, e.g. "
        "`T07EA123LEP`. Required."
    )
    channel_id: str = Field(
        description="The channel id (the end of the channel's Copy link URL), e.g. `C07EZ1ABC23`. Required."
    )
    logging_level: Literal["ERROR", "INFO", "NONE"] = Field(
        "ERROR", description="What Chatbot logs to CloudWatch Logs: `ERROR`, `INFO` or `NONE`. Defaults to `ERROR`."
    )

    @field_validator("team_id")
    @classmethod
    def _team(cls, value: str) -> str:
        if not SLACK_TEAM_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack workspace id; allowed: 1-255 upper-case letters and digits, e.g. "
                "'T07EA123LEP' (authorize the workspace in the AWS Chatbot console first)"
            )
        return value

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id; allowed: 1-255 letters and digits, e.g. 'C07EZ1ABC23'"
            )
        return value


def chatbot_api_region(cell_regions: Sequence[str], permitted_regions: Sequence[str]) -> str | None:
    """The region the Chatbot configuration is created through: the first API region among the cell's own regions,
    then among the others its jurisdiction permits; None when it permits none."""
    for region in (*cell_regions, *permitted_regions):
        if region in CHATBOT_API_REGIONS and region in permitted_regions:
            return region
    return None


def slack_region_problems(
    at: str, tiers: Sequence[str], cell_regions: Sequence[str], permitted_regions: Sequence[str]
) -> Iterator[str]:
    """Why the Slack channels of ``tiers`` (key paths under ``at``) cannot be created for this cell, if they can't."""
    if not tiers:
        return
    keys = ", ".join(f"{at}.{tier}.slack" for tier in tiers)
    if chatbot_api_region(cell_regions, permitted_regions) is None:
        yield (
            f"{keys}: AWS Chatbot's API answers only in {', '.join(CHATBOT_API_REGIONS)}, and the cell's jurisdiction "
            f"permits none of them ({', '.join(permitted_regions)}); allowed: no Slack channel for this cell (use "
            "an HTTPS or e-mail subscription)"
        )
    outside = [region for region in cell_regions if region not in CHATBOT_TOPIC_REGIONS]
    if outside:
        yield (
            f"{keys}: the cell's topics in {', '.join(outside)} cannot notify AWS Chatbot; allowed: cells whose "
            f"regions are all among {', '.join(CHATBOT_TOPIC_REGIONS)}"
        )
