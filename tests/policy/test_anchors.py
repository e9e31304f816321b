"""The anchor mapping: every checkov, AWSGuard and cdk-nag rule that inspects a type the library creates is
covered by a guardrail that names it, or argued not applicable with a source; and each check can fail."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from fintech_guardrails import anchors
from fintech_guardrails.anchor_docs import render_anchor_coverage
from fintech_guardrails.catalog import guardrails
from fintech_guardrails.registry import REGISTRY


def test_every_applicable_rule_is_answered_and_every_tag_names_a_rule():
    assert anchors.problems(guardrails()) == []


def test_the_catalog_records_each_tool_and_its_version():
    tools = anchors.tools()
    assert set(tools) == {"checkov", "awsguard", "cdk-nag"}
    for tool in tools.values():
        assert re.fullmatch(r"[0-9a-f]{40}", tool["commit"])
        assert tool["version"]
    counts = {name: sum(1 for rule in anchors.anchor_rules() if rule.tool == name) for name in tools}
    assert counts["checkov"] > 400 and counts["cdk-nag"] > 150 and counts["awsguard"] > 20, counts


def test_a_tag_naming_a_rule_that_does_not_exist_fails():
    guardrail = REGISTRY["rds-multi-az"]
    bogus = replace(guardrail, tags=(*guardrail.tags, "checkov:CKV_AWS_99999", "cdk-nag:CloudWatchAlarmAction"))
    found = anchors.problems([bogus if g.name == bogus.name else g for g in guardrails()])
    assert "rds-multi-az: tag 'checkov:CKV_AWS_99999' names no rule of the anchor catalog" in found
    assert "rds-multi-az: tag 'cdk-nag:CloudWatchAlarmAction' is not a cdk-nag rule id" in found


def test_a_rule_neither_covered_nor_argued_fails():
    guardrail = REGISTRY["rds-multi-az"]
    stripped = replace(guardrail, tags=tuple(t for t in guardrail.tags if t != "checkov:CKV_AWS_157"))
    found = anchors.problems([stripped if g.name == stripped.name else g for g in guardrails()])
    assert [p for p in found if p.startswith("checkov:CKV_AWS_157: applies to aws:rds/instance:Instance")]


def test_a_decision_without_a_source_fails(monkeypatch: pytest.MonkeyPatch):
    decisions = dict(anchors.decisions())
    tag = next(iter(decisions))
    decisions[tag] = anchors.Decision(decisions[tag].reason, "see the wiki")
    monkeypatch.setattr(anchors, "decisions", lambda: decisions)
    assert f"{tag}: a not-applicable decision without a source URL" in anchors.problems(guardrails())


def test_a_decision_for_a_covered_rule_fails(monkeypatch: pytest.MonkeyPatch):
    decisions = {**anchors.decisions(), "checkov:CKV_AWS_157": anchors.Decision("why", "https://example.com/")}
    monkeypatch.setattr(anchors, "decisions", lambda: decisions)
    found = anchors.problems(guardrails())
    assert "checkov:CKV_AWS_157: covered by rds-multi-az and also argued not applicable" in found


def test_a_created_type_without_a_row_fails(monkeypatch: pytest.MonkeyPatch):
    created = {**anchors.created_types(), "aws:sqs/queueNew:QueueNew": ("fintech:queue:Queue",)}
    monkeypatch.setattr(anchors, "created_types", lambda: created)
    found = anchors.problems(guardrails())
    assert "aws:sqs/queueNew:QueueNew: created by the library but has no row in resource_type_map.json" in found


@pytest.mark.parametrize(
    ("tool", "types", "expected"),
    [
        ("checkov", ("aws_db_instance",), ("aws:rds/instance:Instance",)),
        (
            "cdk-nag",
            ("aws-rds.CfnDBInstance",),
            ("aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"),
        ),
        ("cdk-nag", ("aws-elasticloadbalancingv2.CfnLoadBalancer",), ("aws:lb/loadBalancer:LoadBalancer",)),
        ("awsguard", ("aws:kms/key:Key",), ("aws:kms/key:Key",)),
        ("checkov", ("aws_neptune_cluster",), ()),
    ],
)
def test_a_rule_applies_through_the_type_mapping(tool: str, types: tuple[str, ...], expected: tuple[str, ...]):
    rule = anchors.AnchorRule(tool, "X", "title", types, "src")
    created = (
        "aws:rds/instance:Instance",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:kms/key:Key",
    )
    assert anchors.applicable_types(rule, created) == tuple(sorted(expected))


def test_the_generated_table_names_only_guardrails_that_exist():
    answers = [line.rsplit(" | ", 1)[-1] for line in render_anchor_coverage().splitlines() if line.startswith("| [")]
    covered = [answer for answer in answers if not answer.startswith(("not applicable", "pending"))]
    named = {name for answer in covered for name in re.findall(r"`([^`]+)`", answer)}
    assert len(answers) == len(anchors.coverage(guardrails())) and named
    assert named <= set(REGISTRY), sorted(named - set(REGISTRY))
