"""Alert paths: every alarm reaches a subscribed endpoint through an encrypted topic CloudWatch may publish to.

The walk, per CloudWatch alarm (metric or composite)::

    alarm -> an SNS topic among its alarmActions, in the alarm's region -> the topic's customer-managed key, whose
    policy lets cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*) -> the topic's policy, when the
    stack sets one, letting cloudwatch.amazonaws.com publish -> at least one subscription with an endpoint, or an AWS
    Chatbot Slack channel that names the topic (Chatbot subscribes its own HTTPS endpoint when it is configured).

An alarm without such an action pages nobody; a topic under the AWS-managed key or a key CloudWatch may not use
drops every notification (Amazon SNS developer guide, "compatibility between event sources from AWS services and
encrypted topics"). One proved path is reported per topic, listing how many alarms reach it.
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, known, known_list
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.topology import topology

__all__ = ["alert_paths_reach_someone"]

CLOUDWATCH = "cloudwatch.amazonaws.com"
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
_FACTS = facts.load("path_facts")


def _document(value: Any) -> Any:
    if is_unknown(value) or (isinstance(value, dict) and contains_unknown(value)):
        return UNKNOWN
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _admits(document: Any, principal: str, actions: tuple[str, ...]) -> bool:
    """Whether an Allow statement names ``principal`` (a service) for every one of ``actions``."""
    granted: set[str] = set()
    for statement in known_list(dig(document, "Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        named = dig(statement, "Principal", "Service")
        if principal not in known_list(named) and statement.get("Principal") != "*":
            continue
        for action in actions:
            if any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in known_list(statement.get("Action"))):
                granted.add(action)
    return granted >= set(actions)


class AlertWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out, self.topo = stack, out, topology(stack)

    def topics(self, alarm: Node) -> Any:
        actions = as_list(alarm.get("alarmActions"))
        deps = self.stack.refs(alarm, "alarmActions", t.SNS_TOPIC)
        if actions is UNKNOWN:
            return deps or UNKNOWN
        found: list[Node | _Outside] = []
        for action in actions:
            if is_unknown(action):
                found += [d for d in deps if d not in found]
                continue
            if isinstance(action, str) and ":sns:" in action:
                inside = [n for n in self.topo.find(action, t.SNS_TOPIC) if n not in found]
                found += inside if inside else [_Outside(action)]
        return found

    def run(self) -> None:
        reached: dict[str, list[Node]] = defaultdict(list)
        for alarm in self.stack.of_type(t.METRIC_ALARM, t.COMPOSITE_ALARM):
            topics = self.topics(alarm)
            if topics is UNKNOWN:
                self.out.wait("alarmActions", alarm.urn)
                continue
            note = PathNote(
                "alerts",
                f"alarm {alarm.name}",
                known(alarm.region),
                (f"alarm {alarm.name}",),
                self.topo.entities(alarm),
            )
            if alarm.get("actionsEnabled") is False:
                self.out.broke(note, f"alarm {alarm.name} has its actions disabled: it pages nobody", alarm.urn)
                continue
            if not topics:
                self.out.broke(note, f"alarm {alarm.name} notifies no SNS topic: it pages nobody", alarm.urn)
                continue
            working: list[Node] = []
            for topic in topics:
                if isinstance(topic, _Outside):
                    self.out.broke(
                        note,
                        f"alarm {alarm.name} notifies {topic.arn}, a topic outside the stack: its subscribers "
                        "cannot be proved",
                        alarm.urn,
                    )
                    continue
                if not is_unknown(alarm.region) and not is_unknown(topic.region) and topic.region != alarm.region:
                    self.out.broke(
                        note,
                        f"alarm {alarm.name} ({alarm.region}) notifies {topic.name} in {topic.region}: an alarm's SNS "
                        "actions must be in its own region",
                        alarm.urn,
                    )
                    continue
                working.append(topic)
            for topic in working:
                reached[topic.urn].append(alarm)
        for urn, alarms in reached.items():
            self.topic(self.stack.by_urn[urn], alarms)

    def topic(self, topic: Node, alarms: list[Node]) -> None:
        count = f"{len(alarms)} alarm{'s' if len(alarms) != 1 else ''}"
        links = [count, f"topic {topic.name}"]
        note = PathNote("alerts", f"topic {topic.name}", known(topic.region), tuple(links), self.topo.entities(topic))
        problems: list[tuple[str, str]] = []
        waiting: list[tuple[str, str]] = []
        key_id = topic.get("kmsMasterKeyId")
        keys = self.topo.find(key_id, t.KMS_KEY) or self.stack.refs(topic, "kmsMasterKeyId", t.KMS_KEY)
        if key_id is None or (isinstance(key_id, str) and "alias/aws/sns" in key_id):
            problems.append(
                (
                    f"topic {topic.name} is not encrypted with a customer-managed key CloudWatch may use: {count} "
                    "reach it unencrypted or not at all",
                    topic.urn,
                )
            )
        elif not keys:
            if is_unknown(key_id):
                waiting.append(("kmsMasterKeyId", topic.urn))
            else:
                problems.append(
                    (f"topic {topic.name} uses a key outside the stack: its policy cannot be proved", topic.urn)
                )
        else:
            key = keys[0]
            policy = _document(key.get("policy"))
            if policy is UNKNOWN:
                waiting.append(("the key policy", key.urn))
            elif not _admits(policy, CLOUDWATCH, KEY_ACTIONS):
                problems.append(
                    (
                        f"{key.name}, the key of topic {topic.name}, does not let {CLOUDWATCH} use it (kms:Decrypt, "
                        f"kms:GenerateDataKey*): the notifications of {count} are dropped",
                        key.urn,
                    )
                )
            else:
                links.append(f"key {key.name} (CloudWatch may use it)")
        for topic_policy in self.topo.referrers(topic, (t.SNS_TOPIC_POLICY,), "arn"):
            document = _document(topic_policy.get("policy"))
            if document is UNKNOWN:
                waiting.append(("the topic policy", topic_policy.urn))
            elif not _admits(document, CLOUDWATCH, ("sns:Publish",)):
                problems.append(
                    (
                        f"{topic_policy.name} does not let {CLOUDWATCH} publish to topic {topic.name}: {count} are "
                        "dropped",
                        topic_policy.urn,
                    )
                )
            else:
                links.append(f"policy {topic_policy.name} (CloudWatch may publish)")
        subscriptions = self.topo.referrers(topic, (t.SNS_SUBSCRIPTION,), "topic")
        endpoints = [s for s in subscriptions if s.get("endpoint") not in (None, "")]
        # An AWS Chatbot channel subscribes its own HTTPS endpoint to the topics it names (no TopicSubscription).
        chats = self.topo.referrers(topic, (t.CHATBOT_SLACK_CHANNEL,), "snsTopicArns")
        if not endpoints and not chats:
            problems.append((f"topic {topic.name} has no subscription: {count} reach nobody", topic.urn))
        if endpoints:
            protocols = sorted({str(known(s.get("protocol"), "?")) for s in endpoints})
            links.append(f"{len(endpoints)} subscription{'s' if len(endpoints) != 1 else ''} ({', '.join(protocols)})")
        if chats:
            links.append(f"{len(chats)} Chatbot Slack channel{'s' if len(chats) != 1 else ''}")
        if problems:
            for message, urn in problems:
                self.out.broke(note, message, urn)
        elif waiting:
            for what, urn in waiting:
                self.out.wait(what, urn)
        else:
            self.out.prove(PathNote("alerts", note.subject, note.region, tuple(links), note.entities))


class _Outside:
    """An SNS topic ARN that no resource of the stack has."""

    def __init__(self, arn: str) -> None:
        self.arn = arn


@stack_rule(
    name="alert-paths-reach-someone",
    severity=Severity.HIGH,
    framework=pci("10.7.2", "Failures of critical security control systems are detected, alerted and addressed"),
    tags=("functional-path", "PCI DSS 4.0.1 12.10.5", "DORA Art. 10"),
    url=str(_FACTS["sns_encrypted_topic_cloudwatch"]["url"]),
    remediation=(
        "Send every alarm to its tier's topic of the cell's AlertTopics in its region (alert_route) and give the "
        "topic a subscriber (alarms.email_endpoints or the tier's https_endpoints); encrypt it with a key whose "
        "policy admits cloudwatch.amazonaws.com (the cell's platform key does)."
    ),
)
def alert_paths_reach_someone(stack: Stack, out: Findings) -> None:
    """Every alarm reaches a subscribed endpoint through an encrypted topic whose key policy lets CloudWatch publish.

    Per alarm: an SNS topic of the stack among its `alarmActions`, in the alarm's region; the topic encrypted with a
    customer-managed key whose policy allows `cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*`;
    the topic's policy (when the stack sets one) letting CloudWatch publish; and at least one subscription with an
    endpoint, or an AWS Chatbot Slack channel configuration naming the topic among its `snsTopicArns` (Chatbot
    subscribes its own endpoint). Values unknown during preview are pending.
    """
    AlertWalk(stack, out).run()


_TIERS = _FACTS["alert_tiers"]
TIER_TAG = str(_TIERS["tag"])


def _periods(alarm: Node) -> list[Any]:
    """The alarm's evaluation period(s): its own, or each metric query's."""
    queries = alarm.get("metricQueries")
    if is_unknown(queries):
        return [UNKNOWN]
    if queries:
        return [dig(query, "metric", "period") for query in known_list(queries) if dig(query, "metric") is not None]
    return [alarm.get("period")]


def _tier_problems(alarm: Node, walk: AlertWalk, out: Findings) -> list[str]:
    if alarm.tags is UNKNOWN:
        out.wait("tags", alarm.urn)
        return []
    tier = alarm.tag(TIER_TAG)
    if tier not in _TIERS["tiers"]:
        named = "no alert tier" if tier is None else f"tier {tier!r}, not one of {', '.join(_TIERS['tiers'])}"
        return [f"alarm {alarm.name} names {named} (tag {TIER_TAG}): nobody knows whether it pages"]
    problems: list[str] = []
    topics = walk.topics(alarm)
    if topics is UNKNOWN:
        out.wait("alarmActions", alarm.urn)
    else:
        for topic in topics:
            if isinstance(topic, _Outside):
                continue  # alert-paths-reach-someone reports it
            if topic.tag(TIER_TAG) != tier:
                problems.append(
                    f"{tier} alarm {alarm.name} notifies topic {topic.name} of tier {topic.tag(TIER_TAG)!r}: it "
                    f"must notify its own tier's topic"
                )
    if tier == "critical" and alarm.type == t.METRIC_ALARM:  # a composite alarm has no period of its own
        limit = int(_TIERS["max_critical_period_seconds"])
        periods = _periods(alarm)
        if any(is_unknown(period) for period in periods):
            out.wait("period", alarm.urn)
        elif any(not isinstance(period, int | float) or period > limit for period in periods):
            problems.append(f"critical alarm {alarm.name} evaluates over {periods} s; allowed: at most {limit} s")
        datapoints = alarm.get("datapointsToAlarm")
        least = int(_TIERS["min_critical_datapoints"])
        if alarm.tag(str(_TIERS["signal_tag"])) == "event":
            pass  # a count of discrete events (a root sign-in): one is the whole signal
        elif is_unknown(datapoints):
            out.wait("datapointsToAlarm", alarm.urn)
        elif not isinstance(datapoints, int | float) or datapoints < least:
            problems.append(
                f"critical alarm {alarm.name} pages on {int(datapoints or 1)} datapoint: one blip wakes someone; "
                f"allowed: datapointsToAlarm of at least {least}"
            )
    return problems


def _paging_problems(stack: Stack, out: Findings) -> list[tuple[str, str]]:
    """In production, every critical topic has an HTTPS subscription (the paging service's integration)."""
    problems: list[tuple[str, str]] = []
    for topic in stack.of_type(t.SNS_TOPIC):
        if topic.tag(TIER_TAG) != "critical" or topic.tag("Environment") != "prod":
            continue
        subscriptions = stack.referrers(topic, t.SNS_SUBSCRIPTION, prop="topic")
        protocols = [s.get("protocol") for s in subscriptions]
        if any(is_unknown(p) for p in protocols):
            out.wait("protocol", topic.urn)
        elif "https" not in protocols:
            problems.append(
                (
                    f"production critical topic {topic.name} has no HTTPS subscription: its alarms e-mail, nobody is "
                    "paged",
                    topic.urn,
                )
            )
    return problems


@stack_rule(
    name="alarm-tiers-route-and-page-fast",
    severity=Severity.HIGH,
    framework=pci("10.7.2", "Failures of critical security control systems are detected, alerted and addressed"),
    tags=("functional-path", "PCI DSS 4.0.1 12.10.5", "DORA Art. 10"),
    url=str(_FACTS["cloudwatch_alarm_evaluation"]["url"]),
    remediation=(
        "Create alarms with fintech_infra.alert_tiers.tiered_alarm (it tags the tier and notifies that tier's topic "
        "of the cell's AlertTopics); give the production critical tier an HTTPS endpoint "
        "(alarms.subscriptions.critical.https_endpoints, a secure: value)."
    ),
)
def alarm_tiers_route_and_page_fast(stack: Stack, out: Findings) -> None:
    """Every alarm names its alert tier and notifies that tier's topic; critical alarms page within minutes.

    Per alarm: an `AlertTier` tag of `critical` or `warning`, and every SNS topic of the stack among its
    `alarmActions` tagged with the same tier. A critical alarm evaluates over periods of at most 60 s (its own
    `period`, or every metric query's) and needs at least 2 breaching datapoints (one blip never pages), unless it
    counts discrete events (`AlertSignal` tag `event`: one root sign-in is the signal). In a
    production stack (`Environment` tag `prod`) every critical topic has an `https` subscription: the paging
    service's integration. Values unknown during preview are pending.
    """
    walk = AlertWalk(stack, out)
    for alarm in stack.of_type(t.METRIC_ALARM, t.COMPOSITE_ALARM):
        for message in _tier_problems(alarm, walk, out):
            out.fail(message, alarm.urn)
    for message, urn in _paging_problems(stack, out):
        out.fail(message, urn)
