"""Machine-readable reports: JSON (round-trips), SARIF 2.1.0 (code scanning) and JUnit XML (CI test reports).

SARIF: one run, one rule per policy (with its severity, framework reference, remediation and, in its properties,
the equivalent checkov, AWSGuard and cdk-nag rules as ``anchors``), one result per violation (``error``
mandatory, ``warning`` advisory; it names the same ``anchors``) and per check pending on a value unknown at preview
(``note``), located at the stack file and the resource's URN; exemptions are results with an external
suppression and its reason. JUnit: a suite per stack, a test case per policy; a mandatory violation is a
failure. Every list follows the result's canonical order (stacks as planned, policies by name, findings by
policy then URN), so two runs of one stack give the same document apart from JUnit's ``time``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from fintech_infra_gate.report import pending_checks, render_markdown, render_text, resource_label
from fintech_infra_gate.result import PlanResult, StackResult
from fintech_infra_gate.verdict import Finding, PolicyInfo

__all__ = ["FORMATS", "render", "render_json", "render_junit", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "fintech-infra-gate"


def render_json(result: PlanResult) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n"


def _level(finding: Finding) -> str:
    return "error" if finding.mandatory else "warning"


def _rule(info: PolicyInfo) -> dict[str, object]:
    rule: dict[str, object] = {
        "id": info.name,
        "name": info.name,
        "shortDescription": {"text": info.description or info.name},
        "fullDescription": {"text": info.description or info.name},
        "defaultConfiguration": {"level": "error" if info.enforcement == "mandatory" else "warning"},
        "properties": {
            "tags": [*info.labels, info.kind],
            "severity": info.severity,
            "enforcementLevel": info.enforcement,
            "framework": info.framework,
            "anchors": list(info.anchors),
            "resourceTypes": list(info.judges),
        },
    }
    if info.remediation:
        rule["help"] = {"text": info.remediation}
    if info.url:
        rule["helpUri"] = info.url
    return rule


def _location(stack: StackResult, stack_dir: str, urn: str) -> dict[str, object]:
    resource = stack.by_urn().get(urn)
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": f"{stack_dir}/Pulumi.{stack.stack}.yaml"},
            "region": {"startLine": 1},
        },
        "logicalLocations": [
            {
                "fullyQualifiedName": urn or f"stack {stack.stack}",
                "name": resource.name if resource else stack.stack,
                "kind": "resource" if urn else "module",
            }
        ],
    }


def render_sarif(result: PlanResult, *, stack_dir: str = "stacks") -> str:
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    for stack in result.stacks:
        verdict = stack.verdict
        for info in verdict.policies:
            rules.setdefault(info.name, _rule(info))
        for finding in verdict.violations:
            rules.setdefault(finding.policy, _rule(PolicyInfo(finding.policy, finding.description, "", "", "")))
            results.append(
                {
                    "ruleId": finding.policy,
                    "level": _level(finding),
                    "message": {
                        "text": f"{stack.stack}: {resource_label(stack, finding.urn)}: "
                        f"{finding.detail.strip() or finding.description}"
                    },
                    "locations": [_location(stack, stack_dir, finding.urn)],
                    "properties": {
                        "stack": stack.stack,
                        "enforcementLevel": finding.enforcement,
                        "severity": finding.severity,
                        "preview": stack.preview,
                        "anchors": list(finding.anchors),
                    },
                }
            )
        for policy, urn, reason in pending_checks(stack):
            rules.setdefault(policy, _rule(PolicyInfo(policy, "", "", "", "")))
            results.append(
                {
                    "ruleId": policy,
                    "level": "note",
                    "message": {"text": f"{stack.stack}: {resource_label(stack, urn)}: pending: {reason}"},
                    "locations": [_location(stack, stack_dir, urn)],
                    "properties": {"stack": stack.stack, "pending": True, "preview": stack.preview},
                }
            )
        for exemption in verdict.exemptions:
            rules.setdefault(exemption.policy, _rule(PolicyInfo(exemption.policy, "", "", "", "")))
            results.append(
                {
                    "ruleId": exemption.policy,
                    "level": "note",
                    "message": {"text": f"{stack.stack}: {resource_label(stack, exemption.urn)}: exempted"},
                    "locations": [_location(stack, stack_dir, exemption.urn)],
                    "suppressions": [{"kind": "external", "justification": exemption.text}],
                    "properties": {"stack": stack.stack},
                }
            )
    ordered = list(rules)
    for item in results:
        item["ruleIndex"] = ordered.index(str(item["ruleId"]))
    packs = sorted({f"{s.verdict.pack}@{s.verdict.pack_version}" for s in result.stacks})
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": packs[0].split("@")[-1] if len(packs) == 1 else "mixed",
                        "rules": list(rules.values()),
                        "properties": {"policyPacks": packs},
                    }
                },
                "automationDetails": {"id": "fintech-infra-gate/" + "+".join(s.stack for s in result.stacks)},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render_junit(result: PlanResult) -> str:
    suites = ElementTree.Element("testsuites", name="fintech-infra plan")
    total = failures = 0
    for stack in result.stacks:
        verdict = stack.verdict
        suite = ElementTree.SubElement(suites, "testsuite", name=f"stack {stack.stack}")
        suite_failures = skipped = 0
        for info in verdict.policies:
            case = ElementTree.SubElement(suite, "testcase", classname=f"{stack.project}.{stack.stack}", name=info.name)
            findings = verdict.of_policy(info.name)
            mandatory = [f for f in findings if f.mandatory]
            if info.enforcement == "disabled":
                ElementTree.SubElement(case, "skipped", message="policy disabled by config")
                skipped += 1
            elif mandatory:
                suite_failures += 1
                failure = ElementTree.SubElement(
                    case,
                    "failure",
                    message=f"{len(mandatory)} mandatory violation(s) of {info.name}",
                    type=info.severity or "mandatory",
                )
                failure.text = "\n".join(
                    f"{resource_label(stack, f.urn)}: {f.detail.strip()} ({info.framework})" for f in mandatory
                )
            advisory = [f for f in findings if not f.mandatory and not f.undeterminable]
            pending = [(urn, reason) for policy, urn, reason in pending_checks(stack) if policy == info.name]
            exempted = [e for e in verdict.exemptions if e.policy == info.name]
            if advisory or pending or exempted:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join(
                    [f"{f.enforcement}: {resource_label(stack, f.urn)}: {f.detail.strip()}" for f in advisory]
                    + [f"pending: {resource_label(stack, urn)}: {reason}" for urn, reason in pending]
                    + [f"exempted: {resource_label(stack, e.urn)}: {e.text}" for e in exempted]
                )
        suite.set("tests", str(len(verdict.policies)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{stack.timings.total:.3f}")
        total += len(verdict.policies)
        failures += suite_failures
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("time", f"{result.wall_seconds:.3f}")
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


FORMATS: dict[str, Callable[[PlanResult], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
}


def render(result: PlanResult, fmt: str, *, project_root: Path | None = None, stack_dir: Path | None = None) -> str:
    if fmt == "sarif" and project_root is not None and stack_dir is not None:
        return render_sarif(result, stack_dir=stack_dir.relative_to(project_root).as_posix())
    return FORMATS[fmt](result)
