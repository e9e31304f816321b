"""Security services: in production, every cell region runs GuardDuty and Security Hub (or declares who does).

A cell region is a Region in which the stack has a critical alert topic (every cell region has one). Per region:
a GuardDuty detector, enabled, with the features every cell needs (S3 data events, RDS login events, Runtime
Monitoring); Security Hub with the AWS Foundational Security Best Practices and PCI DSS v4.0.1 standards; an
enabled AWS Config recorder with a delivery channel; and an
EventBridge rule whose target is that region's critical topic, for high-severity findings. A stack whose account
is covered by the organization's delegated administrator tags the findings rule
``SecurityServices=delegated-administrator:<account id>`` instead of running its own detector and hub: the rule then
checks that declaration (a 12-digit account). In the primary region, the trail's log group carries the CIS metric
filters (each with an alarm; the alarms are judged by the alert guardrails).
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.registry import pci, stack_rule

__all__ = ["security_services_on_in_production"]

_FACTS = facts.load("path_facts")["security_signals"]
_DELEGATED = re.compile(r"^delegated-administrator:\d{12}$")


def _in(region: Any, nodes: list[Node]) -> list[Node]:
    return [node for node in nodes if node.region == region]


def _region_problems(stack: Stack, region: str, out: Findings) -> list[str]:
    problems: list[str] = []
    critical = [n for n in _in(region, stack.of_type(t.SNS_TOPIC)) if n.tag("AlertTier") == "critical"]
    rules = _in(region, stack.of_type(t.EVENT_RULE))
    findings = [r for r in rules if r.tag(str(_FACTS["delegation_tag"])) is not None]
    routed = [
        target
        for target in _in(region, stack.of_type(t.EVENT_TARGET))
        if any(topic in stack.refs(target, "arn") for topic in critical)
    ]
    if not findings or not routed:
        problems.append(f"{region}: no EventBridge rule sends high-severity findings to the critical topic")
    marks = {rule.tag(str(_FACTS["delegation_tag"])) for rule in findings}
    if any(mark and _DELEGATED.match(mark) for mark in marks):
        return problems  # the organization's delegated administrator runs GuardDuty and Security Hub
    if any(mark and mark.startswith("delegated") for mark in marks):
        problems.append(f"{region}: the findings rule declares a delegated administrator without a 12-digit account")
        return problems
    detectors = [d for d in _in(region, stack.of_type(t.GUARDDUTY_DETECTOR)) if d.get("enable") is not False]
    if not detectors:
        problems.append(f"{region}: no enabled GuardDuty detector")
    enabled = {
        f.get("name")
        for f in _in(region, stack.of_type(t.GUARDDUTY_FEATURE))
        if f.get("status") == "ENABLED" and any(d in stack.refs(f, "detectorId") for d in detectors)
    }
    missing = [feature for feature in _FACTS["guardduty_features"] if feature not in enabled]
    if detectors and missing:
        problems.append(f"{region}: GuardDuty protections not enabled: {', '.join(missing)}")
    recording = [r for r in _in(region, stack.of_type(t.CONFIG_RECORDER_STATUS)) if r.get("isEnabled") is True]
    recorders = _in(region, stack.of_type(t.CONFIG_RECORDER))
    if not recorders or not recording:
        problems.append(f"{region}: no enabled AWS Config recorder")
    elif not any(r.get("recordingGroup", "allSupported") is True for r in recorders):
        problems.append(f"{region}: the AWS Config recorder does not record all supported resource types")
    if not _in(region, stack.of_type(t.CONFIG_DELIVERY_CHANNEL)):
        problems.append(f"{region}: no AWS Config delivery channel")
    if not _in(region, stack.of_type(t.SECURITYHUB_ACCOUNT)):
        problems.append(f"{region}: Security Hub is not enabled")
    subscribed = []
    for subscription in _in(region, stack.of_type(t.SECURITYHUB_STANDARD)):
        arn = subscription.get("standardsArn")
        if is_unknown(arn):
            out.wait("standardsArn", subscription.urn)
        elif isinstance(arn, str):
            subscribed.append(arn.split("::", 1)[-1])
    absent = [standard for standard in _FACTS["standards"] if standard not in subscribed]
    if absent:
        problems.append(f"{region}: Security Hub standards not subscribed: {', '.join(absent)}")
    return problems


@stack_rule(
    name="security-services-on-in-production",
    severity=Severity.HIGH,
    framework=pci("11.5.1", "Intrusion-detection and/or intrusion-prevention techniques are used"),
    tags=(
        "PCI DSS 4.0.1 10.4.1",
        "PCI DSS 4.0.1 10.7.2",
        "DORA Art. 10",
        "checkov:CKV2_AWS_3",
        "checkov:CKV_AWS_238",
        "checkov:CKV2_AWS_45",
        "checkov:CKV2_AWS_48",
    ),
    url=str(_FACTS["sources"]["guardduty_features"]),
    remediation=(
        "Compose cells with JurisdictionCell (each cell region gets SecuritySignals), or set security.managed_by: "
        "delegated-administrator with administrator_account_id when the organization runs GuardDuty and Security Hub."
    ),
)
def security_services_on_in_production(stack: Stack, out: Findings) -> None:
    """In production, every cell region runs GuardDuty and Security Hub, or declares the delegated administrator.

    Per Region holding a critical alert topic: an EventBridge rule routing high-severity findings to that topic,
    and either a GuardDuty detector (S3 data events, RDS login events and Runtime Monitoring enabled), Security
    Hub subscribed to AWS FSBP v1.0.0 and PCI DSS v4.0.1 and an enabled AWS Config recorder of all supported resource
    types with a delivery channel (one recorder of the stack also records the global types, IAM), or the findings rule
    tagged
    `SecurityServices=delegated-administrator:<12-digit account>`. In the primary region the trail's log group has
    every CIS metric filter. Only production stacks are judged; standards ARNs unknown during preview are pending.
    """
    if stack.settings.environment != "prod":
        return
    regions = sorted(
        {
            str(n.region)
            for n in stack.of_type(t.SNS_TOPIC)
            if n.tag("AlertTier") == "critical" and not is_unknown(n.region)
        }
    )
    for region in regions:
        for message in _region_problems(stack, region, out):
            out.fail(message)
    recorders = [r for r in stack.of_type(t.CONFIG_RECORDER) if r.region in regions]
    if recorders and not any(r.get("recordingGroup", "includeGlobalResourceTypes") is True for r in recorders):
        # Global types (IAM users, roles, policies) are recorded once, in one Region (the primary's recorder).
        out.fail("no AWS Config recorder of the stack records global resource types (IAM): none includes them")
    filters = stack.of_type(t.LOG_METRIC_FILTER)
    if regions:
        names = {f.get("metricTransformation", "name") for f in filters}
        missing = [metric for metric in _FACTS["cis_metrics"] if metric not in names]
        if missing:
            out.fail(f"the trail's log group lacks the CIS metric filters: {', '.join(missing)}")
