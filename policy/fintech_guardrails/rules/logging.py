"""Logging and detection guardrails: CloudTrail, log groups, SNS, alarms, detective controls per cell."""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, equals, is_set, not_empty, not_equal, require
from fintech_guardrails.model import Findings, Resource, Stack
from fintech_guardrails.registry import pci, resource_rule, stack_rule
from fintech_guardrails.rules.secrets import customer_managed_key
from fintech_guardrails.settings import jurisdiction_minimum


@resource_rule(
    types=(t.TRAIL,),
    name="cloudtrail-multi-region-validated",
    severity=Severity.HIGH,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=(
        "PCI DSS 4.0.1 10.3.4",
        "checkov:CKV_AWS_67",
        "checkov:CKV_AWS_36",
        "checkov:CKV_AWS_251",
        "cdk-nag:PCI.DSS.321-CloudTrailLogFileValidationEnabled",
    ),
    remediation="Use AuditTrail: multi-region, global service events, log file validation, logging on.",
)
def cloudtrail_multi_region(r: Resource, out: Findings) -> None:
    """CloudTrail trails are multi-region, include global events, validate log files and are logging.

    ``isMultiRegionTrail`` and ``enableLogFileValidation`` unset mean false (AWS default) and are violations;
    ``includeGlobalServiceEvents`` and ``enableLogging`` unset mean true and pass. Unknowns are pending.
    """
    require(r, out, "isMultiRegionTrail", equals(True))
    require(r, out, "enableLogFileValidation", equals(True))
    require(r, out, "includeGlobalServiceEvents", not_equal(False))
    require(r, out, "enableLogging", not_equal(False))


@resource_rule(
    types=(t.TRAIL,),
    name="cloudtrail-kms-encrypted",
    severity=Severity.HIGH,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("PCI DSS 4.0.1 10.3.2", "cdk-nag:PCI.DSS.321-CloudTrailEncryptionEnabled", "checkov:CKV_AWS_35"),
    exemptible=False,
    remediation="Pass AuditTrail the audit KeyRef (kmsKeyId).",
)
def cloudtrail_kms(r: Resource, out: Findings) -> None:
    """CloudTrail encrypts log files with a customer-managed KMS key.

    ``kmsKeyId`` unset means SSE-S3 and is a violation. A key ARN unknown during preview is pending.
    """
    require(r, out, "kmsKeyId", customer_managed_key)


@resource_rule(
    types=(t.TRAIL,),
    name="cloudtrail-sns-notifications",
    severity=Severity.LOW,
    framework=pci("10.4.1.1", "Automated mechanisms are used to perform audit log reviews"),
    tags=("checkov:CKV_AWS_252",),
    remediation="Create the trail with AuditTrail: it notifies its own topic, encrypted with the audit key.",
    url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html",
)
def cloudtrail_sns_notifications(r: Resource, out: Findings) -> None:
    """Trails notify an SNS topic of each log file they deliver (``snsTopicName`` set).

    A reviewer or SIEM subscribes to know a file has arrived (and to notice when files stop arriving). The topic's
    own encryption is ``sns-topic-encrypted``'s. Unknown values are pending.
    """
    require(r, out, "snsTopicName", is_set)


@resource_rule(
    types=(t.TRAIL,),
    name="cloudtrail-cloudwatch-logs",
    severity=Severity.MEDIUM,
    framework=pci("10.4.1", "Audit logs are reviewed at least once daily"),
    tags=("PCI DSS 4.0.1 10.3.3", "cdk-nag:PCI.DSS.321-CloudTrailCloudWatchLogsEnabled", "checkov:CKV2_AWS_10"),
    remediation="AuditTrail delivers to an encrypted log group with a delivery role; keep both.",
)
def cloudtrail_cloudwatch(r: Resource, out: Findings) -> None:
    """CloudTrail also delivers to CloudWatch Logs, where alarms watch it.

    ``cloudWatchLogsGroupArn`` and ``cloudWatchLogsRoleArn`` unset mean no delivery. Unknown ARNs are pending.
    """
    require(r, out, "cloudWatchLogsGroupArn", is_set)
    require(r, out, "cloudWatchLogsRoleArn", is_set)


@resource_rule(
    types=(t.LOG_GROUP,),
    name="log-group-encrypted",
    severity=Severity.HIGH,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("PCI DSS 4.0.1 10.3.2", "cdk-nag:PCI.DSS.321-CloudWatchLogGroupEncrypted", "checkov:CKV_AWS_158"),
    exemptible=False,
    remediation="Create log groups with fintech_infra.logs.encrypted_log_group and the cell's logs key.",
)
def log_group_encrypted(r: Resource, out: Findings) -> None:
    """CloudWatch log groups are encrypted with a customer-managed KMS key.

    ``kmsKeyId`` unset means CloudWatch's service-owned encryption and is a violation. A key ARN unknown
    during preview is pending.
    """
    require(r, out, "kmsKeyId", customer_managed_key)


def _kept_at_least(minimum: int) -> Expectation:
    """``retentionInDays`` unset or 0 (both mean never expire), else at least ``minimum`` days."""
    return Expectation(
        lambda days: days in (None, 0) or (isinstance(days, (int, float)) and days >= minimum),
        f"be at least {minimum} (or 0, never expire) for this jurisdiction",
    )


@stack_rule(
    name="log-group-retention",
    severity=Severity.HIGH,
    framework=pci("10.5.1", "Retain audit log history for at least 12 months"),
    tags=("checkov:CKV_AWS_338", "cdk-nag:PCI.DSS.321-CloudWatchLogGroupRetentionPeriod", "checkov:CKV_AWS_66"),
    remediation=(
        "Pass encrypted_log_group the jurisdiction's min_audit_log_retention_days (rounded up to a CloudWatch value)."
    ),
)
def log_group_retention(stack: Stack, out: Findings) -> None:
    """Log groups keep events at least as long as their jurisdiction's audit retention.

    The jurisdiction is the group's Jurisdiction tag (else its cell's). ``retentionInDays`` unset or 0 means
    never expire and passes. A group whose jurisdiction can't be resolved must meet the strictest one in the
    registry. Unknown values are pending.
    """
    registry = stack.settings.registry
    for group in stack.of_type(t.LOG_GROUP):
        minimum = jurisdiction_minimum(registry, stack.jurisdiction(group), "min_audit_log_retention_days")
        require(group, out, "retentionInDays", _kept_at_least(minimum), urn=group.urn)


@resource_rule(
    types=(t.SNS_TOPIC,),
    name="sns-topic-encrypted",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("cdk-nag:PCI.DSS.321-SNSEncryptedKMS", "checkov:CKV_AWS_26"),
    exemptible=False,
    remediation="Create topics with AlarmTopic and the cell's key (kmsMasterKeyId).",
)
def sns_encrypted(r: Resource, out: Findings) -> None:
    """SNS topics are encrypted with a customer-managed KMS key.

    ``kmsMasterKeyId`` unset means unencrypted and is a violation; ``alias/aws/sns`` is not accepted either.
    A key unknown during preview is pending.
    """
    require(r, out, "kmsMasterKeyId", customer_managed_key)


@resource_rule(
    types=(t.METRIC_ALARM,),
    name="cloudwatch-alarm-actions",
    severity=Severity.MEDIUM,
    framework=pci("10.7.2", "Failures of critical security control systems are detected, alerted and addressed"),
    tags=("PCI DSS 4.0.1 12.10.5", "checkov:CKV_AWS_319"),
    remediation="Send every alarm to the cell's AlarmTopic (alarmActions) and leave actionsEnabled unset.",
)
def alarm_actions(r: Resource, out: Findings) -> None:
    """Alarms notify someone: actions enabled and at least one alarm action.

    ``actionsEnabled`` unset means true and passes; ``alarmActions`` unset means none and is a violation.
    Unknown values are pending.
    """
    require(r, out, "actionsEnabled", not_equal(False))
    require(r, out, "alarmActions", not_empty, message="alarmActions must name at least one target")


@stack_rule(
    name="detective-controls-present",
    severity=Severity.HIGH,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("PCI DSS 4.0.1 10.7.2", "DORA Art. 10"),
    config={
        "required": {
            "type": "array",
            "items": {"type": "string"},
            "default": [t.TRAIL, t.FLOW_LOG, t.METRIC_ALARM, t.SNS_TOPIC],
            "description": "Types every jurisdiction cell must contain; default trail, flow log, alarm, SNS topic.",
        }
    },
    remediation="Compose cells with JurisdictionCell, which adds AuditTrail, VPC flow logs, alarms and an alarm topic.",
)
def detective_controls(stack: Stack, out: Findings) -> None:
    """Every jurisdiction cell in the stack has its detective controls: a trail, flow logs, alarms and an alarm topic.

    Resources are grouped by jurisdiction (tags, else their cell). A stack with no jurisdiction (the global
    routing stack) has no cells and is not judged. Existence is known at preview, so nothing is pending.
    """
    required = list(stack.settings.value("required"))
    present: dict[str, set[str]] = {code: set() for code in stack.jurisdictions}
    for node in stack.nodes:
        if node.type in required:
            code = stack.jurisdiction(node)
            if code is not None:
                present.setdefault(code, set()).add(node.type)
    for code, types in sorted(present.items()):
        for missing in [type_ for type_ in required if type_ not in types]:
            out.fail(f"the {code} cell has no {missing.rsplit(':', 1)[-1]}")
