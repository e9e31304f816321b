"""Compute and edge hardening: ECS Exec is logged, tasks keep two identities, Fargate runs a supported platform,
target groups health-check, and the WAF blocks known bad inputs (Log4j).

The AWS values (Fargate platform versions, the Log4j rule group) come from ``data/hardening_facts.json``,
generated from the library's :mod:`fintech_infra.hardening_facts` with their sources.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, is_set, not_equal, one_of, require, unset_or
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule

_FACTS = facts.load("hardening_facts")
PLATFORM_VERSIONS: tuple[str, ...] = tuple(_FACTS["fargate_platform_versions"]["values"])
KNOWN_BAD_INPUTS: str = _FACTS["known_bad_inputs"]["name"]
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
HTTP_PROTOCOLS = ("HTTP", "HTTPS")


def _exec_logged(cluster: Node) -> Any:
    """True when the cluster logs ECS Exec sessions to an encrypted destination with a CMK; UNKNOWN if unknown."""
    config = dig(cluster.props, "configuration", "executeCommandConfiguration")
    if contains_unknown(config):
        return UNKNOWN
    if not isinstance(config, dict) or config.get("logging") != "OVERRIDE" or not config.get("kmsKeyId"):
        return False
    logs = config.get("logConfiguration") or {}
    to_cloudwatch = bool(logs.get("cloudWatchLogGroupName")) and logs.get("cloudWatchEncryptionEnabled") is True
    to_s3 = bool(logs.get("s3BucketName")) and logs.get("s3BucketEncryptionEnabled") is True
    return to_cloudwatch or to_s3


@stack_rule(
    name="ecs-exec-logging",
    severity=Severity.HIGH,
    framework=pci("10.2.1.2", "Audit logs capture all actions taken by any individual with administrative access"),
    tags=("PCI DSS 4.0.1 3.5.1", "checkov:CKV_AWS_224", "checkov:CKV_AWS_223"),
    remediation="Create clusters with EcsCluster (exec sessions encrypted with the cell's exec key and logged to an "
    "encrypted log group), or leave FargateServiceSettings.execute_command False.",
)
def ecs_exec_logging(stack: Stack, out: Findings) -> None:
    """ECS clusters log and encrypt ECS Exec sessions, or no service on them enables ECS Exec.

    A cluster is compliant when ``configuration.executeCommandConfiguration`` has ``logging`` OVERRIDE, a
    ``kmsKeyId`` (the session's data channel) and a log destination with encryption on (CloudWatch Logs group with
    ``cloudWatchEncryptionEnabled`` or an S3 bucket with ``s3BucketEncryptionEnabled``). A cluster without it
    passes only while none of its services sets ``enableExecuteCommand``. Unknown values are pending.
    """
    for cluster in stack.of_type(t.ECS_CLUSTER):
        logged = _exec_logged(cluster)
        if logged is True:
            continue
        for service in stack.referrers(cluster, t.ECS_SERVICE, prop="cluster"):
            enabled = service.get("enableExecuteCommand")
            if is_unknown(enabled) or (logged is UNKNOWN and enabled is True):
                out.wait("ECS Exec logging", service.urn)
            elif enabled is True:
                out.fail(
                    "the service enables ECS Exec on a cluster that does not log sessions to an encrypted "
                    "destination with a customer-managed key",
                    service.urn,
                )


@stack_rule(
    name="ecs-task-roles-distinct",
    severity=Severity.MEDIUM,
    framework=pci("7.2.2", "Access is assigned based on job classification and function (least privilege)"),
    tags=("checkov:CKV_AWS_249",),
    remediation="Keep FargateService's two roles: the execution role (image pull, logs, injected secrets) and the "
    "task role (the application's own identity).",
)
def ecs_task_roles_distinct(stack: Stack, out: Findings) -> None:
    """ECS task definitions use an execution role different from their task role.

    The execution role is what ECS uses to start the task (pull images, write logs, read the secrets it injects);
    the task role is the application's identity. One role for both gives the application the agent's rights.
    Roles are compared by the resource they refer to, so the check works at preview; a task definition without a
    ``taskRoleArn`` (no application identity) passes. Unknown ARNs without a reference are pending.
    """
    for definition in stack.of_type(t.ECS_TASK_DEFINITION):
        execution, task = definition.get("executionRoleArn"), definition.get("taskRoleArn")
        if execution is None or task is None:
            continue
        execution_roles = {node.urn for node in stack.refs(definition, "executionRoleArn", t.IAM_ROLE)}
        task_roles = {node.urn for node in stack.refs(definition, "taskRoleArn", t.IAM_ROLE)}
        if execution_roles and task_roles:
            shared = bool(execution_roles & task_roles)
        elif is_unknown(execution) or is_unknown(task):
            out.wait("executionRoleArn and taskRoleArn", definition.urn)
            continue
        else:
            shared = execution == task
        if shared:
            out.fail("executionRoleArn and taskRoleArn must be different roles", definition.urn)


def _on_fargate(r: Resource) -> Any:
    launch = r.get("launchType")
    strategies = as_list(r.get("capacityProviderStrategies"))
    if is_unknown(launch) or strategies is UNKNOWN or contains_unknown(strategies):
        return UNKNOWN
    return launch == "FARGATE" or any(dig(item, "capacityProvider") in FARGATE_PROVIDERS for item in strategies)


@resource_rule(
    types=(t.ECS_SERVICE, t.ECS_TASK_SET),
    name="ecs-fargate-platform-version",
    severity=Severity.MEDIUM,
    framework=pci("6.3.3", "Security vulnerabilities are addressed by installing applicable security patches"),
    tags=("checkov:CKV_AWS_332",),
    remediation="Keep FargateService's platform_version LATEST (or a pinned version Fargate still launches).",
    url=_FACTS["fargate_platform_versions"]["source"]["url"],
)
def ecs_fargate_platform_version(r: Resource, out: Findings) -> None:
    """Fargate services run on LATEST or a Linux platform version Fargate still launches tasks on.

    A retired version (1.3.0 and older) cannot start new tasks, so the service cannot scale or recover. Services on
    other launch types are skipped; ``platformVersion`` unset means LATEST (AWS default) and passes. Unknown values
    are pending.
    """
    fargate = _on_fargate(r)
    if fargate is UNKNOWN:
        out.wait("launchType")
    elif fargate:
        require(r, out, "platformVersion", unset_or(one_of(*PLATFORM_VERSIONS)))


@resource_rule(
    types=t.TARGET_GROUPS,
    name="lb-target-group-health-check",
    severity=Severity.MEDIUM,
    framework=pci("12.10.1", "An incident response plan exists and is ready to be activated"),
    tags=("DORA Art. 12", "checkov:CKV_AWS_261"),
    remediation="Build target groups with the edge's targets (edge_targets.target_group): health check enabled, "
    "path, matcher and thresholds set.",
)
def lb_target_group_health_check(r: Resource, out: Findings) -> None:
    """Load balancer target groups health-check their targets with an explicit path, matcher and thresholds.

    ``healthCheck.enabled`` false (or a lambda target without a health check) sends traffic to dead targets and
    hides them from the deployment's rollback; HTTP and HTTPS groups must set ``path``, ``matcher``,
    ``healthyThreshold`` and ``unhealthyThreshold`` (AWS's defaults, path "/" and 5 checks to heal, test what the
    application never promised). Other protocols need the check enabled. Unknown values are pending.
    """
    target_type = r.get("targetType")
    enabled = dig(r.props, "healthCheck", "enabled")
    if target_type == "lambda":
        require(r, out, ("healthCheck", "enabled"), equals(True))
        return
    require(r, out, ("healthCheck", "enabled"), unset_or(not_equal(False)))
    protocol = r.get("protocol")
    if is_unknown(protocol):
        out.wait("protocol")
        return
    if protocol not in HTTP_PROTOCOLS or enabled is False:
        return
    require(r, out, ("healthCheck", "path"), is_set)
    require(r, out, ("healthCheck", "matcher"), is_set)
    for threshold in ("healthyThreshold", "unhealthyThreshold"):
        value = dig(r.props, "healthCheck", threshold)
        if is_unknown(value):
            out.wait(f"healthCheck.{threshold}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            out.fail(f"healthCheck.{threshold} must be set")


def _known_bad_inputs_rules(rules: list[Any]) -> list[Any]:
    return [
        rule
        for rule in rules
        if dig(rule, "statement", "managedRuleGroupStatement", "name") == KNOWN_BAD_INPUTS
        and dig(rule, "statement", "managedRuleGroupStatement", "vendorName") == "AWS"
    ]


@resource_rule(
    types=(t.WEB_ACL,),
    name="waf-known-bad-inputs",
    severity=Severity.HIGH,
    framework=pci("6.4.2", "An automated technical solution detects and prevents web-based attacks"),
    tags=("checkov:CKV_AWS_192", "checkov:CKV2_AWS_76"),
    remediation="Keep edge protection's managed groups (waf.MANAGED_RULE_GROUPS includes "
    "AWSManagedRulesKnownBadInputsRuleSet) with overrideAction none.",
    url=_FACTS["known_bad_inputs"]["source"]["url"],
)
def waf_known_bad_inputs(r: Resource, out: Findings) -> None:
    """Web ACLs block known bad inputs, the Log4j lookup included, with AWS's managed rule group.

    The ACL needs a rule whose statement is the managed group AWSManagedRulesKnownBadInputsRuleSet (vendor AWS)
    with ``overrideAction`` none (count would only log the attack), and no ``ruleActionOverrides`` turning one of
    its Log4JRCE rules to count or allow. Unknown rules are pending.
    """
    rules = as_list(r.get("rules"))
    if rules is UNKNOWN or contains_unknown(rules):
        out.wait("rules")
        return
    found = _known_bad_inputs_rules(rules)
    if not found:
        out.fail(f"the web ACL must include the AWS managed rule group {KNOWN_BAD_INPUTS}")
        return
    for rule in found:
        if dig(rule, "overrideAction", "count") is not None:
            out.fail(f"{KNOWN_BAD_INPUTS} must block (overrideAction none), not count")
        overrides = as_list(dig(rule, "statement", "managedRuleGroupStatement", "ruleActionOverrides"))
        for override in overrides:
            action = dig(override, "actionToUse") or {}
            softened = isinstance(action, dict) and ("count" in action or "allow" in action)
            if str(dig(override, "name")).startswith("Log4JRCE") and softened:
                out.fail(f"{KNOWN_BAD_INPUTS} must not override its Log4JRCE rules to count or allow")
