"""Security signals per cell region: GuardDuty, Security Hub, the findings route to the critical topic, CIS filters.

Where: GuardDuty, Security Hub and AWS Config are regional (one detector, one hub per account and Region), and a
cell owns its account (as for ``RDSOSMetrics``, :mod:`fintech_infra.cell_region`), so each cell region (primary and
DR) runs its own, in a Region its jurisdiction permits, and findings stay there. Not the ``global`` stack: it holds
only Route 53 zones (a global service, recorded by the trail in the cell's primary region).

- GuardDuty: a detector with the protections that fit what a cell runs (:data:`GUARDDUTY_FEATURES`): S3 data events
  (the audit, log and backup buckets), RDS login events (every concern's database), Runtime Monitoring with the
  agent managed for Fargate (ECS cells) or as the EKS add-on (EKS cells), and EKS audit logs on EKS cells. The
  feature names are the API's (``DetectorFeatureConfiguration``); Runtime Monitoring includes the EKS runtime
  feature, so ``EKS_RUNTIME_MONITORING`` is not set beside it (the API refuses both).
- Security Hub: enabled without its default standards, subscribed to AWS Foundational Security Best Practices
  v1.0.0 and PCI DSS v4.0.1 (:data:`SECURITY_HUB_STANDARDS`, the standards ARNs of the Security Hub API).
- Findings of high or critical severity (GuardDuty severity 7 and above; Security Hub ``Severity.Label`` HIGH or
  CRITICAL) reach the region's critical topic through an EventBridge rule (the topic's policy admits this account's
  rules, its key ``events.amazonaws.com``).
- CIS AWS Foundations metric filters on the trail's log group (primary region), each with a critical alarm
  (:data:`CIS_FILTERS`).
- AWS Config: a recorder of every supported resource type (global types, such as IAM, in the primary region only,
  so they are recorded once), its own role (``AWS_ConfigRole``), and a delivery channel into the cell's Config
  bucket (:func:`config_bucket_statements`) in the primary region, encrypted with the audit key. Not the trail's
  Object Lock bucket: AWS Config does not deliver to a bucket with Object Lock enabled
  (:data:`SOURCES` ``config_delivery``); the Config bucket is versioned, KMS-encrypted and protected instead.

``security.managed_by: delegated-administrator`` (a stack-file switch per account): the organization's delegated
administrator runs GuardDuty and Security Hub for this account, so the stack creates neither; it keeps the findings
rule (GuardDuty and Security Hub deliver member findings to the member's EventBridge too) and the CIS filters, and
tags the rule with the administrator account it relies on, which the policy pack then checks instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.alert_tiers import TIER_TAG, AlertRoute, Evaluation, tiered_alarm
from fintech_infra.aws_facts import Source
from fintech_infra.config import SecurityServices

__all__ = [
    "CIS_FILTERS",
    "CIS_NAMESPACE",
    "CONFIG_PREFIX",
    "DELEGATION_TAG",
    "GUARDDUTY_FEATURES",
    "SECURITY_HUB_STANDARDS",
    "SOURCES",
    "ConfigDelivery",
    "SecuritySignals",
    "config_bucket_statements",
]

CIS_NAMESPACE = "FintechInfra/CloudTrail"
DELEGATION_TAG = "SecurityServices"
"""Tag of the findings rule: ``stack``, or ``delegated-administrator:<account id>``."""

SOURCES: Mapping[str, Source] = {
    "guardduty_features": Source(
        "https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html",
        quote="name: S3_DATA_EVENTS | EKS_AUDIT_LOGS | EBS_MALWARE_PROTECTION | RDS_LOGIN_EVENTS | "
        "EKS_RUNTIME_MONITORING | LAMBDA_NETWORK_LOGS | RUNTIME_MONITORING. Specifying both EKS Runtime Monitoring "
        "and Runtime Monitoring will cause an error. (DetectorAdditionalConfiguration: EKS_ADDON_MANAGEMENT | "
        "ECS_FARGATE_AGENT_MANAGEMENT | EC2_AGENT_MANAGEMENT.)",
    ),
    "security_hub_standards": Source(
        "https://docs.aws.amazon.com/securityhub/latest/userguide/enable-standards.html",
        quote="arn:aws:securityhub:<region>::standards/aws-foundational-security-best-practices/v/1.0.0; "
        "arn:aws:securityhub:<region>::standards/pci-dss/v/4.0.1 (as listed by DescribeStandards and the provider's "
        "StandardsSubscription documentation).",
    ),
    "guardduty_eventbridge": Source(
        "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html",
        quote='source "aws.guardduty", detail-type "GuardDuty Finding"; severity 7.0-8.9 High, 9.0-10.0 Critical. '
        "GuardDuty findings of member accounts are also sent to the member account's EventBridge.",
    ),
    "security_hub_eventbridge": Source(
        "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html",
        quote='source "aws.securityhub", detail-type "Security Hub Findings - Imported"; '
        "detail.findings.Severity.Label",
    ),
    "config_delivery": Source(
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-config-deliverychannel.html",
        quote="AWS Config does not support the delivery channel to an Amazon S3 bucket bucket where object lock is "
        "enabled. ... You can have only one delivery channel per region per AWS account. (PutDeliveryChannel "
        "s3KmsKeyArn: must belong to the same Region as the destination S3 bucket.)",
    ),
    "config_bucket_policy": Source(
        "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html",
        quote="config.amazonaws.com: s3:GetBucketAcl and s3:ListBucket on the bucket, s3:PutObject on "
        "[prefix/]AWSLogs/<account>/Config/* with s3:x-amz-acl bucket-owner-full-control, each conditioned on "
        "AWS:SourceAccount.",
    ),
    "cis_metric_filters": Source(
        "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html",
        quote="CloudWatch.1 root user, .2 unauthorized API calls, .3 console sign-in without MFA, .4 IAM policy "
        "changes, .5 CloudTrail configuration changes, .7 disabling or scheduled deletion of customer managed keys, "
        ".10 security group changes, .11 NACL changes, .13 route table changes (the filter patterns given there).",
    ),
}

GUARDDUTY_FEATURES: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "ecs": (
        ("S3_DATA_EVENTS", ()),
        ("RDS_LOGIN_EVENTS", ()),
        ("RUNTIME_MONITORING", ("ECS_FARGATE_AGENT_MANAGEMENT",)),
    ),
    "eks": (
        ("S3_DATA_EVENTS", ()),
        ("RDS_LOGIN_EVENTS", ()),
        ("EKS_AUDIT_LOGS", ()),
        ("RUNTIME_MONITORING", ("EKS_ADDON_MANAGEMENT",)),
    ),
}
"""Per compute kind: (feature, additional configurations) enabled on the detector."""

SECURITY_HUB_STANDARDS = (
    "standards/aws-foundational-security-best-practices/v/1.0.0",
    "standards/pci-dss/v/4.0.1",
)
"""The part of each standard's ARN after ``arn:<partition>:securityhub:<region>::``."""

CIS_FILTERS: Mapping[str, str] = {
    "RootAccountUsage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }',
    "UnauthorizedApiCalls": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    "ConsoleSignInWithoutMfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "IamPolicyChanges": "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
    "($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || "
    "($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || "
    "($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || "
    "($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || "
    "($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    "CloudTrailChanges": "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    "KmsKeyDisabledOrDeleted": "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
    "($.eventName = ScheduleKeyDeletion)) }",
    "SecurityGroupChanges": "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
    "($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || "
    "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
    "($.eventName = DeleteSecurityGroup) }",
    "NetworkAclChanges": "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
    "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
    "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    "RouteTableChanges": "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
    "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
    "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
}
"""CIS AWS Foundations Benchmark metric filters (Security Hub CloudWatch.1-14's patterns): metric name to pattern."""

_ONE_EVENT = Evaluation(period=60, evaluation_periods=1, datapoints_to_alarm=1)
CONFIG_PREFIX = "config"


@dataclass(frozen=True)
class ConfigDelivery:
    """Where a region's AWS Config recorder delivers: the cell's Config bucket and the key it encrypts with."""

    bucket_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]


def config_bucket_statements(
    account: pulumi.Input[str],
) -> Callable[[pulumi.Output[str]], list[pulumi.Input[dict[str, Any]]]]:
    """The Config bucket's statements for ``config.amazonaws.com`` of this account (a function of its ARN)."""

    def statements(bucket_arn: pulumi.Output[str]) -> list[pulumi.Input[dict[str, Any]]]:
        this_account = {"AWS:SourceAccount": account}
        return [
            {
                "Sid": "AWSConfigBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": this_account},
            },
            {
                "Sid": "AWSConfigBucketExistenceCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": this_account},
            },
            {
                "Sid": "AWSConfigBucketDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.format("{0}/{1}/AWSLogs/{2}/Config/*", bucket_arn, CONFIG_PREFIX, account),
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **this_account}},
            },
        ]

    return statements


def findings_pattern() -> dict[str, object]:
    """GuardDuty findings of severity 7+ and Security Hub findings labelled HIGH or CRITICAL."""
    return {
        "$or": [
            {
                "source": ["aws.guardduty"],
                "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", 7]}]},
            },
            {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {"findings": {"Severity": {"Label": ["HIGH", "CRITICAL"]}}},
            },
        ]
    }


class SecuritySignals(FintechComponent):
    """One cell region's security services and the signals they raise (see the module docstring)."""

    OUTPUTS: ClassVar[dict[str, str]] = {"findings_rule_arn": "The EventBridge rule routing high findings."}

    def __init__(
        self,
        name: str,
        settings: SecurityServices,
        *,
        compute_kind: str,
        route: AlertRoute,
        trail_log_group_name: pulumi.Input[str] | None = None,
        config_delivery: ConfigDelivery | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``trail_log_group_name``: the trail's log group in this region (the primary), for the CIS filters.
        ``config_delivery``: where AWS Config delivers (the cell's Config bucket and key); None records nothing
        (the delegated administrator's organization runs AWS Config too)."""
        super().__init__("fintech:security:SecuritySignals", name, opts)
        here = pulumi.ResourceOptions(parent=self)
        delegated = settings.managed_by == "delegated-administrator"
        if not delegated:
            self._guardduty(name, compute_kind, here)
            self._security_hub(name, here)
            if config_delivery is not None:
                self._config(name, config_delivery, global_types=trail_log_group_name is not None, opts=here)
        marker = f"delegated-administrator:{settings.administrator_account_id}" if delegated else "stack"
        rule = aws.cloudwatch.EventRule(
            child(name, "high-findings"),
            description="GuardDuty and Security Hub findings of high or critical severity, to the critical topic",
            event_pattern=pulumi.Output.json_dumps(findings_pattern()),
            tags={DELEGATION_TAG: marker, TIER_TAG: "critical"},
            opts=here,
        )
        aws.cloudwatch.EventTarget(
            child(name, "high-findings-to-critical"), rule=rule.name, arn=route.critical, opts=here
        )
        if trail_log_group_name is not None:
            for metric, pattern in CIS_FILTERS.items():
                role = _kebab(metric)
                aws.cloudwatch.LogMetricFilter(
                    child(name, f"cis-{role}"),
                    log_group_name=trail_log_group_name,
                    pattern=pattern,
                    metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                        name=metric, namespace=CIS_NAMESPACE, value="1"
                    ),
                    opts=here,
                )
                tiered_alarm(
                    child(name, f"cis-{role}-alarm"),
                    tier="critical",
                    route=route,
                    description=f"CloudTrail: {metric} (CIS AWS Foundations metric filter)",
                    threshold=1,
                    comparison="GreaterThanOrEqualToThreshold",
                    namespace=CIS_NAMESPACE,
                    metric_name=metric,
                    statistic="Sum",
                    # One event is the signal: a root login or a disabled key must page, not wait for a second.
                    evaluation=_ONE_EVENT,
                    event=True,
                    treat_missing_data="notBreaching",
                    opts=here,
                )
        self.findings_rule_arn = rule.arn
        self.register_outputs({"findings_rule_arn": self.findings_rule_arn})

    def _guardduty(self, name: str, compute_kind: str, opts: pulumi.ResourceOptions) -> None:
        detector = aws.guardduty.Detector(
            child(name, "guardduty"), enable=True, finding_publishing_frequency="FIFTEEN_MINUTES", tags={}, opts=opts
        )
        for feature, additional in GUARDDUTY_FEATURES[compute_kind]:
            aws.guardduty.DetectorFeature(
                child(name, f"guardduty-{_kebab(feature)}"),
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=extra, status="ENABLED")
                    for extra in additional
                ]
                or None,
                opts=opts,
            )

    def _config(self, name: str, delivery: ConfigDelivery, *, global_types: bool, opts: pulumi.ResourceOptions) -> None:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        role = aws.iam.Role(
            child(name, "config-role"),
            description=f"AWS Config recorder of {name}",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "config.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        }
                    ],
                }
            ),
            tags={},
            opts=opts,
        )
        attachment = aws.iam.RolePolicyAttachment(
            child(name, "config-role-policy"),
            role=role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/service-role/AWS_ConfigRole"),
            opts=opts,
        )
        recorder = aws.cfg.Recorder(
            child(name, "config-recorder"),
            role_arn=role.arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=global_types
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[attachment])),
        )
        channel = aws.cfg.DeliveryChannel(
            child(name, "config-delivery"),
            s3_bucket_name=delivery.bucket_name,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=delivery.key_arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency="TwentyFour_Hours"
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[recorder])),
        )
        aws.cfg.RecorderStatus(
            child(name, "config-recorder-status"),
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[channel])),
        )

    def _security_hub(self, name: str, opts: pulumi.ResourceOptions) -> None:
        hub = aws.securityhub.Account(
            child(name, "security-hub"),
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
            opts=opts,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        for standard in SECURITY_HUB_STANDARDS:
            aws.securityhub.StandardsSubscription(
                child(name, standard.split("/")[1]),
                standards_arn=pulumi.Output.concat("arn:", partition, ":securityhub:", region, "::", standard),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[hub])),
            )


def _kebab(text: str) -> str:
    """``S3_DATA_EVENTS`` -> ``s3-data-events``, ``RootAccountUsage`` -> ``root-account-usage``."""
    if "_" in text or text.isupper():
        return text.lower().replace("_", "-")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower()
