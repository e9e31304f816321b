"""AWS IAM facts the IAM guardrails judge by, each with where it was read and when (checked 2026-12-07).

Only the pack needs these (the library writes its policies, the pack judges them), so they live here rather
than in the generated ``data/`` files. Each fact names the AWS page that states it:

* :data:`WILDCARD_ONLY_ACTIONS`: actions whose row in the Service Authorization Reference lists no resource
  type, so a policy can only grant them on ``"Resource": "*"``. Any other action granted on ``"*"`` could
  have been scoped and is a violation.
* :data:`CONFUSED_DEPUTY_KEYS`: service principals whose documentation gives a role trust policy with the
  ``aws:SourceAccount`` / ``aws:SourceArn`` keys (the service sends them when it assumes the role). A service
  that is not listed is not known to send them, and a condition on them would stop it assuming the role, so
  the pack requires nothing there (``ec2``, ``eks``, ``lambda``, ``backup`` and ``ecs`` show trust policies
  without them in their guides).
* :data:`ADMIN_EQUIVALENT_POLICIES`: AWS managed policies that grant administrator-equivalent access.
* :data:`KEY_POLICY_ROOT_STATEMENT`: the default key policy statement (``kms:*`` for the account), which
  delegates the key to IAM policies and is not a wildcard grant to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ADMIN_EQUIVALENT_POLICIES",
    "CHECKED",
    "CONFUSED_DEPUTY_KEYS",
    "KEY_POLICY_ROOT_STATEMENT",
    "SOURCE_KEYS",
    "WILDCARD_ONLY_ACTIONS",
    "Source",
    "wildcard_only",
]

CHECKED: Final = "2026-12-07"
SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"


@dataclass(frozen=True)
class Source:
    url: str
    quote: str
    checked: str = CHECKED


_ECR = Source(
    SAR + "list_amazonelasticcontainerregistry.html",
    "GetAuthorizationToken: no resource type (grants a registry-wide login token).",
)
_SECRETS = Source(SAR + "list_awssecretsmanager.html", "GetRandomPassword: no resource type.")
_SSM_MESSAGES = Source(
    SAR + "list_amazonsessionmanagermessagegatewayservice.html",
    "CreateControlChannel, CreateDataChannel, OpenControlChannel, OpenDataChannel: no resource type.",
)
_XRAY = Source(
    SAR + "list_awsx-ray.html",
    "PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets, GetSamplingStatisticSummaries: no "
    "resource type (GetGroup, CreateGroup and the other group actions list group*).",
)
_CLOUDWATCH_METRICS = Source(
    SAR + "list_amazoncloudwatch.html",
    "GetMetricData, GetMetricStatistics, GetMetricWidgetImage, ListMetrics: no resource type (a metric is not an "
    "IAM resource of CloudWatch; its resource types are alarm, dashboard, insight-rule, metric-stream, slo, service).",
)
_LOGS = Source(
    SAR + "list_amazoncloudwatchlogs.html",
    "CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, "
    "DescribeLogGroups: no resource type.",
)
_EC2 = Source(
    SAR + "list_amazonec2.html",
    "The Describe* and Get* read actions below list no resource type. The AWS Load Balancer Controller's "
    "published policy (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json, v3.5.0) "
    "grants the same actions on Resource '*'.",
)
_ELB = Source(
    SAR + "list_awselasticloadbalancingv2.html",
    "The Describe* actions of Elastic Load Balancing v2 list no resource type.",
)

WILDCARD_ONLY_ACTIONS: Final[dict[str, Source]] = {
    "ecr:getauthorizationtoken": _ECR,
    "secretsmanager:getrandompassword": _SECRETS,
    **{
        f"ssmmessages:{action}": _SSM_MESSAGES
        for action in ("createcontrolchannel", "createdatachannel", "opencontrolchannel", "opendatachannel")
    },
    **{
        f"xray:{action}": _XRAY
        for action in (
            "puttracesegments",
            "puttelemetryrecords",
            "getsamplingrules",
            "getsamplingtargets",
            "getsamplingstatisticsummaries",
        )
    },
    **{
        f"cloudwatch:{action}": _CLOUDWATCH_METRICS
        for action in ("getmetricdata", "getmetricstatistics", "getmetricwidgetimage", "listmetrics")
    },
    **{
        f"logs:{action}": _LOGS
        for action in (
            "createlogdelivery",
            "getlogdelivery",
            "updatelogdelivery",
            "deletelogdelivery",
            "listlogdeliveries",
            "describeloggroups",
        )
    },
    **{
        f"ec2:{action}": _EC2
        for action in (
            "describeaccountattributes",
            "describeaddresses",
            "describeavailabilityzones",
            "describecoippools",
            "describeinstances",
            "describeinternetgateways",
            "describeipampools",
            "describemanagedprefixlists",
            "describenetworkacls",
            "describenetworkinterfaces",
            "describeroutetables",
            "describesecuritygroups",
            "describesubnets",
            "describetags",
            "describevpcpeeringconnections",
            "describevpcs",
            "getcoippoolusage",
            "getsecuritygroupsforvpc",
        )
    },
    **{
        f"elasticloadbalancing:{action}": _ELB
        for action in (
            "describecapacityreservation",
            "describelistenerattributes",
            "describelistenercertificates",
            "describelisteners",
            "describeloadbalancerattributes",
            "describeloadbalancers",
            "describerules",
            "describesslpolicies",
            "describetags",
            "describetargetgroupattributes",
            "describetargetgroups",
            "describetargethealth",
            "describetruststores",
        )
    },
}
"""Lower-case ``service:action`` -> where AWS says it has no resource type (IAM matches actions case-insensitively)."""

SOURCE_KEYS: Final = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths")
"""The global condition keys that tie a service's request to our account or resource (lower case)."""

CONFUSED_DEPUTY_KEYS: Final[dict[str, Source]] = {
    "ecs-tasks.amazonaws.com": Source(
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
        "Create the task IAM role: the trust policy limits ecs-tasks.amazonaws.com with ArnLike aws:SourceArn "
        "arn:aws:ecs:<region>:<account>:* and StringEquals aws:SourceAccount <account>.",
    ),
    "vpc-flow-logs.amazonaws.com": Source(
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
        "Trust policy for the flow logs role: aws:SourceAccount and aws:SourceArn "
        "(arn:aws:ec2:<region>:<account>:vpc-flow-log/*) to prevent the confused deputy problem.",
    ),
    "cloudtrail.amazonaws.com": Source(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cross-service-confused-deputy-prevention.html",
        "Use aws:SourceArn (the trail ARN) or aws:SourceAccount in policies that grant cloudtrail.amazonaws.com.",
    ),
    "monitoring.rds.amazonaws.com": Source(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html"
        "#USER_Monitoring.OS.confused-deputy",
        "Protecting against the confused deputy problem: the Enhanced Monitoring role's trust policy uses "
        "aws:SourceArn (the DB instance or cluster ARN) and aws:SourceAccount.",
    ),
}
"""Service principal -> the page that shows its role trust policy with aws:SourceAccount / aws:SourceArn."""

ADMIN_EQUIVALENT_POLICIES: Final[dict[str, Source]] = {
    "AdministratorAccess": Source(
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html",
        'Provides full access to AWS services and resources: Allow "*" on "*".',
    ),
    "PowerUserAccess": Source(
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html",
        "Provides full access to AWS services and resources, but does not allow management of Users and groups "
        '(NotAction iam:*, organizations:*, account:* on "*").',
    ),
    "IAMFullAccess": Source(
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMFullAccess.html",
        'Provides full access to IAM: iam:* on "*", enough to grant itself anything.',
    ),
}
"""AWS managed policy name -> its page in the AWS Managed Policy Reference."""

KEY_POLICY_ROOT_STATEMENT: Final = Source(
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
    "The default key policy gives the AWS account (root) kms:* on the key, which enables IAM policies in the "
    "account to allow access to the key.",
)


def wildcard_only(action: str) -> bool:
    """True when AWS lists no resource type for ``action``, so ``"Resource": "*"`` is the only way to grant it."""
    return action.lower() in WILDCARD_ONLY_ACTIONS
