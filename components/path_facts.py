"""AWS behaviour the functional (path) guardrails rely on, each with the page it was read from.

The policy pack proves paths through the whole stack (:mod:`policy/fintech_guardrails/rules/paths_*`): how a
listener picks a rule, how security groups and network ACLs decide, what a CloudWatch alarm needs to publish to an
encrypted topic, how Route 53 fails over. Those rules are AWS's, not ours; this module holds them as data with
their source and the day they were checked, and the pack receives them as ``data/path_facts.json``
(:mod:`fintech_infra_gate.packdata`), never by importing this module. A rule links the page it enforces.
"""

from __future__ import annotations

from fintech_infra import alert_tiers, security_signals
from fintech_infra.aws_facts import CHECKED, Source

__all__ = ["PATH_FACTS", "facts_document"]

PATH_FACTS: dict[str, Source] = {
    "cloudwatch_alarm_evaluation": alert_tiers.EVALUATION_SOURCE,
    "alb_rule_evaluation": Source(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html",
        quote="Rules are evaluated in priority order, from the lowest value to the highest value. The default rule is "
        "evaluated last.",
    ),
    "alb_rule_conditions": Source(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_HostHeaderConditionConfig.html",
        quote="The host names. ... The comparison is case insensitive. The following wildcard characters are "
        "supported: * (matches 0 or more characters) and ? (matches exactly 1 character). (Path patterns, "
        "API_PathPatternConditionConfig: the same wildcards, the comparison is case sensitive.)",
    ),
    "ecs_load_balancer_registration": Source(
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html",
        quote="containerName: The name of the container (as it appears in a container definition) to associate with "
        "the load balancer. containerPort: The port on the container to associate with the load balancer. This port "
        "must correspond to a containerPort in the task definition the tasks in the service are using.",
    ),
    "target_group_binding": Source(
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/targetgroupbinding/"
        "targetgroupbinding/",
        quote="TargetGroupBinding is a custom resource (CR) that can expose your pods using an existing ALB "
        "TargetGroup ... serviceRef: name, port (the service port) ... targetType ip registers the pods.",
    ),
    "security_group_rules": Source(
        "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
        quote="Security groups are stateful ... If there are multiple rules for the same protocol and port, we apply "
        "the most permissive rule.",
    ),
    "network_acl_rules": Source(
        "https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html",
        quote="Rules are evaluated starting with the lowest numbered rule. As soon as a rule matches traffic, it's "
        "applied regardless of any higher-numbered rule that might contradict it. Network ACLs are stateless.",
    ),
    "default_network_acl": Source(
        "https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html",
        quote="The default network ACL is configured to allow all traffic to flow in and out of the subnets with "
        "which it is associated.",
    ),
    "eks_security_groups_for_pods": Source(
        "https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html",
        quote="Security groups for Pods integrate Amazon EC2 security groups with Kubernetes Pods ... "
        "SecurityGroupPolicy ... Pods that match the selector are assigned the security groups listed.",
    ),
    "kms_keys_regional": Source(
        "https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html",
        quote="AWS KMS keys are ... Regional: each KMS key is created in one AWS Region and can be used only in "
        "that Region (multi-Region keys are separate related keys, one per Region).",
    ),
    "secrets_manager_decrypt": Source(
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
        quote="To retrieve a secret encrypted with a customer managed key, the caller needs kms:Decrypt on the key; "
        "kms:ViaService secretsmanager.<Region>.amazonaws.com limits the key to Secrets Manager in that Region.",
    ),
    "sns_encrypted_topic_cloudwatch": Source(
        "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
        quote="Enable compatibility between event sources from AWS services and encrypted topics: add a statement "
        "to the key policy that allows the service principal (cloudwatch.amazonaws.com) kms:Decrypt and "
        "kms:GenerateDataKey*; an AWS managed key for SNS cannot be used.",
    ),
    "cloudwatch_alarm_actions": Source(
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
        quote="AlarmActions: The actions to execute when this alarm transitions to the ALARM state ... "
        "arn:aws:sns:region:account-id:sns-topic-name",
        verify="aws cloudwatch set-alarm-state --alarm-name <alarm> --state-value ALARM --state-reason test "
        "(the topic's subscriber receives it; a topic of another region is refused)",
        offline=False,
    ),
    "route53_failover": Source(
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html",
        quote="Active-passive failover: ... a primary record with a health check and a secondary record; Route 53 "
        "responds with the secondary when the primary is unhealthy. If you don't associate a health check with "
        "the primary, Route 53 always considers it healthy.",
    ),
}
"""Fact name -> its source."""


def facts_document() -> dict[str, object]:
    """The facts as JSON-ready data: ``{name: {url, quote, checked, ...}}`` (``data/path_facts.json``)."""
    document: dict[str, object] = {"checked": CHECKED.isoformat()}
    for name, source in sorted(PATH_FACTS.items()):
        entry: dict[str, object] = {"url": source.url, "quote": source.quote, "checked": source.checked.isoformat()}
        if source.verify:
            entry["verify"] = source.verify
        if not source.offline:
            entry["offline"] = False
        document[name] = entry
    # The library's tier convention (not an AWS fact): the pack matches alarms to topics by this tag and holds
    # critical alarms to the library's paging speed (fintech_infra.alert_tiers).
    document["alert_tiers"] = {
        "tag": alert_tiers.TIER_TAG,
        "tiers": list(alert_tiers.TIERS),
        "max_critical_period_seconds": alert_tiers.MAX_CRITICAL_PERIOD_SECONDS,
        "min_critical_datapoints": alert_tiers.CRITICAL_EVALUATION.datapoints_to_alarm,
        "signal_tag": alert_tiers.SIGNAL_TAG,
    }
    # What the security-services guardrail requires of each production cell region (fintech_infra.security_signals).
    document["security_signals"] = {
        "delegation_tag": security_signals.DELEGATION_TAG,
        "guardduty_features": sorted(
            {feature for kind in security_signals.GUARDDUTY_FEATURES.values() for feature, _ in kind}
            & {"S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"}
        ),
        "standards": list(security_signals.SECURITY_HUB_STANDARDS),
        "cis_metrics": sorted(security_signals.CIS_FILTERS),
        "sources": {name: source.url for name, source in sorted(security_signals.SOURCES.items())},
    }
    return document
