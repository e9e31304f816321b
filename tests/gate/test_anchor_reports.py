"""Every violation names the equivalent checkov, AWSGuard and cdk-nag rules in JSON, SARIF and Markdown, and
every Markdown evidence report carries the requirement coverage matrix with every reference the pack cites."""

from __future__ import annotations

import json
from dataclasses import replace

from fintech_infra_gate.formats import render_json, render_sarif
from fintech_infra_gate.report import render_markdown
from fintech_infra_gate.requirements import NOT_EVIDENCED, references
from fintech_infra_gate.result import PlanResult, StackResult
from fintech_infra_gate.verdict import Finding, PolicyInfo, Verdict
from tests.gate.test_report import resources

ANCHORS = ("checkov:CKV_AWS_158", "awsguard:cloudwatch-log-group-encrypted", "cdk-nag:AwsSolutions-X1")
LOG_CMK = PolicyInfo(
    "log-cmk",
    "Log groups use a CMK.",
    "mandatory",
    "high",
    "resource",
    framework="PCI DSS 4.0.1 3.5.1",
    tags=(
        "PCI DSS 4.0.1 3.5.1",
        "GDPR Art. 32",
        "DORA 2022/2554 Art. 9",
        *ANCHORS,
        "judges:aws:cloudwatch/logGroup:LogGroup",
    ),
)
STACK_WIDE = PolicyInfo(
    "residency",
    "Regions permitted.",
    "mandatory",
    "high",
    "stack",
    framework="GDPR 2016/679 Art. 44",
    tags=("GDPR 2016/679 Art. 44", "APRA CPS 234", "deployability"),
)


def plan_with_violation() -> PlanResult:
    items = resources()
    logs = next(r for r in items if r.name == "dev-rotation-logs")
    finding = Finding(
        "log-cmk",
        "p",
        "mandatory",
        "high",
        logs.urn,
        "Log groups use a CMK.\nkmsKeyId must be a CMK",
        "Log groups use a CMK.",
    )
    judged = Verdict("p", "1", (LOG_CMK, STACK_WIDE), (finding,), (), analyzed=len(items) + 1)
    return PlanResult(
        stacks=(StackResult("dev", "fintech-infra", False, "dev", tuple(items), judged),), wall_seconds=1.0
    )


def test_a_verdict_gives_each_finding_its_policys_anchor_ids():
    (finding,) = plan_with_violation().stacks[0].verdict.findings
    assert finding.anchors == ANCHORS


def test_json_names_the_anchor_ids_of_each_violation_and_round_trips():
    result = plan_with_violation()
    data = json.loads(render_json(result))
    (finding,) = data["stacks"][0]["verdict"]["findings"]
    assert finding["anchors"] == list(ANCHORS)
    assert PlanResult.from_dict(data).stacks[0].verdict.findings == result.stacks[0].verdict.findings


def test_sarif_names_the_anchor_ids_on_the_rule_and_the_result():
    run = json.loads(render_sarif(plan_with_violation()))["runs"][0]
    rule = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "log-cmk")
    assert rule["properties"]["anchors"] == list(ANCHORS)
    assert rule["properties"]["resourceTypes"] == ["aws:cloudwatch/logGroup:LogGroup"]
    assert not [tag for tag in rule["properties"]["tags"] if tag.startswith("judges:")]
    (result,) = [item for item in run["results"] if item["ruleId"] == "log-cmk"]
    assert result["properties"]["anchors"] == list(ANCHORS)


def test_markdown_names_the_anchor_ids_of_each_violation():
    markdown = render_markdown(plan_with_violation())
    row = next(line for line in markdown.splitlines() if line.startswith("| `log-cmk` | mandatory"))
    assert row.endswith(f"| {', '.join(ANCHORS)} |")


def test_a_policy_without_anchor_ids_says_so_in_markdown():
    result = plan_with_violation()
    stack = result.stacks[0]
    bare = replace(stack.verdict, policies=(replace(LOG_CMK, tags=("PCI DSS 4.0.1 3.5.1",)), STACK_WIDE))
    markdown = render_markdown(replace(result, stacks=(replace(stack, verdict=bare),)))
    row = next(line for line in markdown.splitlines() if line.startswith("| `log-cmk` | mandatory"))
    assert row.endswith("| - |")


def test_markdown_report_includes_the_requirement_matrix_with_every_reference_and_component():
    markdown = render_markdown(plan_with_violation())
    assert "<summary>Requirement coverage" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    for info in (LOG_CMK, STACK_WIDE):
        for reference in references(info):
            assert any(row.startswith(f"| {reference.requirement} |") and f"`{info.name}`" in row for row in rows), (
                reference
            )
    pci = next(row for row in rows if row.startswith("| 3.5.1 |"))
    assert pci.endswith("| RotationFunction |"), "the log group's component in this stack evidences it"
    residency = next(row for row in rows if row.startswith("| Art. 44 |"))
    assert residency.endswith("| stack-wide |")
    for requirement, _ in NOT_EVIDENCED:
        assert f"| {requirement} |" in markdown


def test_framework_references_are_read_in_their_short_and_long_forms():
    labels = {reference.label for reference in references(LOG_CMK) + references(STACK_WIDE)}
    assert labels == {
        "PCI DSS 4.0.1 3.5.1",
        "GDPR Art. 32",
        "GDPR Art. 44",
        "DORA Art. 9",
        "Other regulations APRA CPS 234",
    }
