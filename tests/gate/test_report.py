"""The reports a reviewer reads: every resource in the tree, one resource count, pending checks counted as
pending, the same bytes whatever order the resources registered in, and a Markdown comment GitHub accepts."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from fintech_infra_gate.formats import render_json, render_junit, render_sarif
from fintech_infra_gate.graph import build_diagram, render_dot, render_mermaid
from fintech_infra_gate.report import COMMENT_LIMIT, render_markdown, render_text, verdict_line
from fintech_infra_gate.result import COUNT_DEFINITION, PlanResult, ResourceSummary, StackResult
from fintech_infra_gate.verdict import Finding, NotApplicable, PolicyInfo, Verdict

STACK_URN = "urn:pulumi:dev::fintech-infra::pulumi:pulumi:Stack::fintech-infra-dev"
PENDING = "pending: kmsKeyId is unknown during preview; checked again when it is known"


def res(type_: str, name: str, parent: ResourceSummary | None, *, custom: bool = True) -> ResourceSummary:
    chain = f"{parent.urn.split('::')[2]}${type_}" if parent is not None else type_
    urn = f"urn:pulumi:dev::fintech-infra::{chain}::{name}"
    region = "eu-central-1" if custom and not type_.startswith("pulumi:providers:") else None
    return ResourceSummary(urn, type_, name, custom, parent.urn if parent else STACK_URN, None, region)


def resources() -> list[ResourceSummary]:
    cell = res("fintech:cell:JurisdictionCell", "dev", None, custom=False)
    rotation = res("fintech:rotation:RotationFunction", "dev-rotation", cell, custom=False)
    role = res("aws:iam/role:Role", "dev-rotation-role", rotation)
    function = res("aws:lambda/function:Function", "dev-rotation-function", rotation)
    return [
        cell,
        res("pulumi:providers:aws", "dev-aws", cell),
        *(res("aws:ec2/securityGroup:SecurityGroup", f"dev-{n}-sg", cell) for n in ("e", "d", "c", "b", "a")),
        rotation,
        role,
        res("aws:iam/rolePolicy:RolePolicy", "dev-rotation-secrets", role),
        res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "dev-rotation-vpc", role),
        res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "dev-rotation-basic", role),
        function,
        res("aws:lambda/permission:Permission", "dev-rotation-invoke", function),
        res("aws:cloudwatch/logGroup:LogGroup", "dev-rotation-logs", rotation),
    ]


def verdict(items: list[ResourceSummary]) -> Verdict:
    urns = {r.name: r.urn for r in items}
    policies = tuple(PolicyInfo(name, name, "mandatory", "high", "resource") for name in ("log-cmk", "role-scoped"))
    findings = (
        Finding("role-scoped", "p", "advisory", "", urns["dev-rotation-role"], "can't run policy 'role-scoped'", ""),
    )
    return Verdict(
        pack="p",
        pack_version="1",
        policies=policies,
        findings=tuple(replace(f, undeterminable=True) for f in findings),
        not_applicable=(
            NotApplicable("log-cmk", urns["dev-rotation-logs"], PENDING),
            NotApplicable("log-cmk", urns["dev-a-sg"], "applies to log groups only"),
            NotApplicable("role-scoped", urns["dev-rotation-function"], "exempt: RISK-7 until 2099-01-01"),
        ),
        analyzed=len(items) + 1,
    )


def plan(items: list[ResourceSummary], shuffle: random.Random | None = None) -> PlanResult:
    judged = verdict(items)
    if shuffle is not None:
        items = shuffle.sample(items, len(items))
        judged = replace(judged, not_applicable=tuple(shuffle.sample(judged.not_applicable, 3)))
    stack = StackResult("dev", "fintech-infra", True, "dev", tuple(items), judged)
    return PlanResult(stacks=(stack,), wall_seconds=1.0)


def every_format(result: PlanResult) -> list[str]:
    diagram = build_diagram(result)
    return [
        render_text(result),
        render_markdown(result),
        render_json(result),
        render_sarif(result),
        render_junit(result),
        render_mermaid(diagram),
        render_dot(diagram),
    ]


def test_every_resource_is_in_the_tree_under_its_parent():
    text = render_text(plan(resources()))
    tree = text.split("Cloud resources per type:")[0].splitlines()[2:]
    assert tree == [
        "  + dev  fintech:cell:JurisdictionCell (eu-central-1)  12 cloud resources",
        "    - aws:ec2/securityGroup:SecurityGroup x5: dev-a-sg, dev-b-sg, dev-c-sg, +2 more",
        "    - pulumi:providers:aws: dev-aws",
        "    + dev-rotation  fintech:rotation:RotationFunction (eu-central-1)  7 cloud resources",
        "      - aws:cloudwatch/logGroup:LogGroup: dev-rotation-logs",
        "      - aws:iam/role:Role: dev-rotation-role",
        "        - aws:iam/rolePolicy:RolePolicy: dev-rotation-secrets",
        "        - aws:iam/rolePolicyAttachment:RolePolicyAttachment x2: dev-rotation-basic, dev-rotation-vpc",
        "      - aws:lambda/function:Function: dev-rotation-function",
        "        - aws:lambda/permission:Permission: dev-rotation-invoke",
    ]
    markdown = render_markdown(plan(resources()))
    assert (
        "\n    - aws:iam/role:Role: dev-rotation-role\n      - aws:iam/rolePolicy:RolePolicy: dev-rotation-secrets\n"
        in (markdown)
    )


def test_one_resource_count_defined_in_the_header_and_used_everywhere():
    result = plan(resources())
    (stack,) = result.stacks
    assert (stack.cloud_resource_count, stack.registration_count) == (12, 15)
    text = render_text(result)
    assert "\nResources: 12 cloud resources; 15 registrations incl. providers and components\n" in text
    per_type = text.split("Cloud resources per type:\n")[1].split("Policy pack")[0].splitlines()
    assert sum(int(line.split()[0]) for line in per_type) == 12
    assert "Policy pack p@1: 2 policies, analyzed the stack and each of its 15 registrations\n" in text
    markdown = render_markdown(result)
    assert "\n12 cloud resources; 15 registrations incl. providers and components.\n" in markdown
    assert "| `dev` pass | preview | 12 | 0 | 0 | 1 | 2 |" in markdown
    data = json.loads(render_json(result))
    assert data["resource_counts"] == {"cloud_resources": 12, "registrations": 15, "definition": COUNT_DEFINITION}
    assert data["stacks"][0]["resource_counts"] == {"cloud_resources": 12, "registrations": 15}


def test_pending_checks_are_counted_as_pending():
    result = plan(resources())
    text = render_text(result)
    assert "Pending until values are known: 2 checks (not violations" in text
    assert (
        "  ? log-cmk  dev-rotation-logs (aws:cloudwatch/logGroup:LogGroup): kmsKeyId is unknown during preview" in text
    )
    assert "  ? role-scoped  dev-rotation-role (aws:iam/role:Role): can't run policy 'role-scoped'" in text
    # The pending result is not also counted as not applicable; the exemption is listed as one.
    assert "Not applicable: 1 result\n  - log-cmk: 1 resource (applies to log groups only)\n" in text
    assert "Exemptions: 1\n  ~ role-scoped  dev-rotation-function" in text
    assert "PASS dev: 0 mandatory, 0 advisory, 1 exempted, 2 pending\n" in text
    assert (
        verdict_line(result)
        == "PASS: 1 stack, 12 cloud resources; 0 mandatory, 0 advisory, 1 exempted, 2 pending (1.00 s)"
    )
    notes = [r for r in json.loads(render_sarif(result))["runs"][0]["results"] if "suppressions" not in r]
    assert [(r["ruleId"], r["level"]) for r in notes] == [("log-cmk", "note"), ("role-scoped", "note")]
    assert "pending: dev-rotation-logs (aws:cloudwatch/logGroup:LogGroup): kmsKeyId is unknown" in render_junit(result)


def test_reports_do_not_depend_on_registration_order():
    expected = every_format(plan(resources()))
    for seed in range(5):
        assert every_format(plan(resources(), random.Random(seed))) == expected


def test_markdown_stays_within_githubs_comment_limit():
    def big(name: str) -> StackResult:
        cell = replace(res("fintech:cell:JurisdictionCell", name, None, custom=False), urn=f"{STACK_URN}-{name}")
        items = [cell]
        for index in range(150):
            component = res(f"fintech:part:Part{index}", f"{name}-part-{index}", cell, custom=False)
            items += [component, *(res(f"aws:svc/kind{k}:Kind{k}", f"{name}-{index}-{k}", component) for k in range(3))]
        return StackResult(name, "fintech-infra", False, "prod", tuple(items), verdict(resources()))

    result = PlanResult(stacks=tuple(big(name) for name in ("a", "b", "c")))
    markdown = render_markdown(result)
    assert len(markdown) <= COMMENT_LIMIT
    assert markdown.count("<summary>Resource tree</summary>") >= 1
    assert "Proved paths and resource tree left out: the comment would pass GitHub's 65,536-character limit" in markdown
