"""The cell's WAFv2 web ACL and its logging, built for :class:`fintech_infra.edge.Edge`.

Rules, in evaluation order: a per-IP rate limit (block), then the AWS managed rule groups for IP reputation,
the common rule set (OWASP top risks), known bad inputs (incl. Log4j, CVE-2021-44228) and SQL injection.
Managed groups keep their own actions (``override_action: none``). Every rule and the ACL publish
CloudWatch metrics and sampled requests. Logs go to a KMS-encrypted log group whose name starts with
``aws-waf-logs-`` (WAF accepts no other), with the ``authorization`` and ``cookie`` headers redacted.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import KeyRef

__all__ = [
    "MANAGED_RULE_GROUPS",
    "REDACTED_HEADERS",
    "WAF_LOG_PREFIX",
    "web_acl",
    "web_acl_logging",
    "web_acl_metric_name",
]

WAF_LOG_PREFIX = "aws-waf-logs-"
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
REDACTED_HEADERS: tuple[str, ...] = ("authorization", "cookie")


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_metric_name(name: str) -> str:
    """The web ACL's CloudWatch metric name: the value of the ``WebACL`` dimension of its ``AWS/WAFV2`` metrics."""
    return physical(name)


def web_acl(name: str, *, rate_limit: int, parent: pulumi.Resource) -> aws.wafv2.WebAcl:
    """A REGIONAL web ACL, default allow, with the rate rule and the managed groups above."""
    metric = web_acl_metric_name(name)
    rules: list[Any] = [
        {
            "name": "rate-limit-per-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {"rate_based_statement": {"aggregate_key_type": "IP", "limit": rate_limit}},
            "visibility_config": _visibility(f"{metric}-rate-limit"),
        }
    ]
    for index, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        rules.append(
            {
                "name": group,
                "priority": index * 10,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                "visibility_config": _visibility(f"{metric}-{group}"),
            }
        )
    return aws.wafv2.WebAcl(
        child(name, "web-acl"),
        scope="REGIONAL",
        description=f"Edge protection of {name}",
        default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
        rules=rules,
        visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(**_visibility(metric)),
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def web_acl_logging(
    name: str,
    *,
    acl: aws.wafv2.WebAcl,
    key: KeyRef,
    retention_days: int,
    log_group_name: str,
    parent: pulumi.Resource,
) -> tuple[aws.cloudwatch.LogGroup, aws.wafv2.WebAclLoggingConfiguration]:
    """The encrypted ``aws-waf-logs-*`` log group and the ACL's logging configuration pointing at it."""
    if not log_group_name.startswith(WAF_LOG_PREFIX):
        raise ValueError(f"log_group_name {log_group_name!r} must start with {WAF_LOG_PREFIX!r}")
    group = encrypted_log_group(
        child(name, "waf-logs"),
        key=key,
        retention_days=retention_days,
        parent=parent,
        log_group_name=log_group_name,
    )
    logging = aws.wafv2.WebAclLoggingConfiguration(
        child(name, "waf-logging"),
        resource_arn=acl.arn,
        log_destination_configs=[group.arn],
        redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return group, logging
