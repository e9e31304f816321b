"""Human-readable reports: the text a terminal shows and the Markdown a pull-request comment shows.

Both list, per stack, the resource tree (top-level components, i.e. cells, then their components), counts
per type, every violation with policy, severity, enforcement level, resource, message and compliance
reference, the checks that could not run on unknown values, every exemption, and what did not apply, so
an auditor sees what passed and what was waived, not only what failed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from fintech_infra_gate.result import PlanResult, ResourceSummary, StackResult
from fintech_infra_gate.verdict import Finding, NotApplicable, PolicyInfo

__all__ = ["render_markdown", "render_text", "resource_label"]

NAMES_SHOWN = 3


def resource_label(stack: StackResult, urn: str) -> str:
    """``name (type)`` for a URN of the stack; the stack itself for an empty URN."""
    if not urn:
        return f"stack {stack.stack}"
    resource = stack.by_urn().get(urn)
    if resource is None:
        return urn.rsplit("::", 1)[-1]
    return f"{resource.name} ({resource.type})"


def _flags(resource: ResourceSummary) -> str:
    flags = [
        flag
        for flag, on in (
            ("protect", resource.protect),
            ("retainOnDelete", resource.retain_on_delete),
            (f"ignoreChanges={','.join(resource.ignore_changes)}", bool(resource.ignore_changes)),
        )
        if on
    ]
    return f" [{'; '.join(flags)}]" if flags else ""


def _tree_lines(stack: StackResult) -> list[str]:
    children: dict[str | None, list[ResourceSummary]] = defaultdict(list)
    known = stack.by_urn()
    for resource in stack.resources:
        parent = resource.parent if resource.parent in known else None
        children[parent].append(resource)
    lines: list[str] = []

    def region_of(urn: str) -> str:
        regions = sorted({r.region for r in _below(urn) if r.region and r.custom})
        return f" ({', '.join(regions)})" if regions else ""

    def _below(urn: str) -> list[ResourceSummary]:
        found, frontier = [], [urn]
        while frontier:
            for child in children.get(frontier.pop(), []):
                found.append(child)
                frontier.append(child.urn)
        return found

    def walk(parent: str | None, depth: int) -> None:
        indent = "  " * depth
        custom = [r for r in children.get(parent, []) if r.custom]
        components = [r for r in children.get(parent, []) if not r.custom]
        by_type: dict[str, list[ResourceSummary]] = defaultdict(list)
        for resource in custom:
            by_type[resource.type].append(resource)
        for type_, resources in sorted(by_type.items()):
            names = ", ".join(r.name + _flags(r) for r in resources[:NAMES_SHOWN])
            more = f", +{len(resources) - NAMES_SHOWN} more" if len(resources) > NAMES_SHOWN else ""
            count = f" x{len(resources)}" if len(resources) > 1 else ""
            lines.append(f"{indent}- {type_}{count}: {names}{more}")
        for component in components:
            total = sum(1 for r in _below(component.urn) if r.custom)
            lines.append(f"{indent}+ {component.name}  {component.type}{region_of(component.urn)}  {total} resources")
            walk(component.urn, depth + 1)

    walk(None, 1)
    return lines


def _finding_lines(stack: StackResult, finding: Finding, info: PolicyInfo | None) -> list[str]:
    severity = finding.severity or (info.severity if info else "") or "unspecified"
    lines = [
        f"  {'x' if finding.mandatory else '!'} {finding.policy}  [{finding.enforcement}, severity {severity}]",
        f"      resource: {resource_label(stack, finding.urn)}",
        f"      message:  {finding.detail.strip() or finding.description}",
    ]
    if info and info.framework:
        lines.append(f"      compliance: {info.framework}")
    if info and info.remediation:
        lines.append(f"      remediation: {info.remediation}")
    return lines


def _not_applicable_summary(items: Iterable[NotApplicable]) -> list[tuple[str, int, list[str]]]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        grouped[item.policy][item.reason or "(no reason given)"] += 1
    return [(policy, sum(reasons.values()), sorted(reasons)) for policy, reasons in sorted(grouped.items())]


def _stack_text(stack: StackResult) -> list[str]:
    verdict = stack.verdict
    mode = "preview (provider-computed values unknown)" if stack.preview else "known values"
    custom = stack.custom_resources()
    lines = [
        f"== stack {stack.stack}  (project {stack.project}, environment {stack.environment or '-'}, {mode})",
        f"Resources: {len(custom)} cloud resources, {len(stack.resources)} registrations",
        *_tree_lines(stack),
        "Counts per type:",
        *(f"  {count:5d}  {type_}" for type_, count in stack.counts_by_type().items()),
        f"Policy pack {verdict.pack}@{verdict.pack_version}: {len(verdict.policies)} policies, "
        f"{verdict.analyzed} resources analyzed",
    ]
    for title, findings in (("Mandatory violations", verdict.mandatory), ("Advisory violations", verdict.advisory)):
        lines.append(f"{title}: {len(findings)}")
        for finding in findings:
            lines.extend(_finding_lines(stack, finding, verdict.policy(finding.policy)))
    pending = verdict.undeterminable
    lines.append(f"Not determinable until values are known: {len(pending)}")
    lines.extend(f"  ? {f.policy}  {resource_label(stack, f.urn)}: {f.detail.strip()}" for f in pending)
    lines.append(f"Exemptions: {len(verdict.exemptions)}")
    lines.extend(f"  ~ {e.policy}  {resource_label(stack, e.urn)}: {e.reason}" for e in verdict.exemptions)
    skipped = [item for item in verdict.not_applicable if not item.exemption]
    lines.append(f"Not applicable: {len(skipped)} results")
    for policy, count, reasons in _not_applicable_summary(skipped):
        lines.append(f"  - {policy}: {count} resources ({'; '.join(reasons[:3])})")
    failed = {f.policy for f in verdict.violations}
    clean = [p.name for p in verdict.policies if p.name not in failed and p.enforcement != "disabled"]
    lines.append(f"Policies without a violation: {len(clean)}")
    result = "PASS" if stack.passed else "FAIL"
    lines.append(
        f"{result} {stack.stack}: {len(verdict.mandatory)} mandatory, {len(verdict.advisory)} advisory, "
        f"{len(verdict.exemptions)} exempted, {len(pending)} not determinable"
    )
    return lines


def render_text(result: PlanResult) -> str:
    lines: list[str] = []
    for stack in result.stacks:
        lines.extend(_stack_text(stack))
        lines.append("")
    failed = [s.stack for s in result.stacks if not s.passed]
    lines.append(
        f"{'FAIL' if failed else 'PASS'}: {len(result.stacks)} stack(s), {result.resource_count} registrations, "
        f"{result.wall_seconds:.2f} s" + (f"; mandatory violations in {', '.join(failed)}" if failed else "")
    )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: PlanResult) -> str:
    """A pull-request comment: a summary table, then per stack its violations, exemptions and counts."""
    verdict_word = "passed" if result.passed else "failed"
    lines = [
        f"## Offline policy gate {verdict_word}",
        "",
        "| Stack | Mode | Resources | Mandatory | Advisory | Exempted | Not determinable |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for stack in result.stacks:
        v = stack.verdict
        mark = "pass" if stack.passed else "**FAIL**"
        lines.append(
            f"| `{stack.stack}` {mark} | {'preview' if stack.preview else 'known values'} | "
            f"{len(stack.custom_resources())} | {len(v.mandatory)} | {len(v.advisory)} | {len(v.exemptions)} | "
            f"{len(v.undeterminable)} |"
        )
    for stack in result.stacks:
        v = stack.verdict
        lines += ["", f"### `{stack.stack}` ({v.pack}@{v.pack_version})", ""]
        if v.violations:
            lines += [
                "| Policy | Enforcement | Severity | Resource | Message | Compliance |",
                "|---|---|---|---|---|---|",
            ]
            for finding in sorted(v.violations, key=lambda f: (not f.mandatory, f.policy)):
                info = v.policy(finding.policy)
                lines.append(
                    f"| `{finding.policy}` | {finding.enforcement} | {finding.severity or '-'} | "
                    f"{_cell(resource_label(stack, finding.urn))} | {_cell(finding.detail.strip())} | "
                    f"{_cell(info.framework if info else '')} |"
                )
        else:
            lines.append("No violations.")
        if v.exemptions:
            lines += ["", "**Exemptions**", "", "| Policy | Resource | Reason |", "|---|---|---|"]
            lines += [
                f"| `{e.policy}` | {_cell(resource_label(stack, e.urn))} | {_cell(e.reason)} |" for e in v.exemptions
            ]
        lines += ["", "<details><summary>Resources per type</summary>", "", "| Type | Count |", "|---|---:|"]
        lines += [f"| `{type_}` | {count} |" for type_, count in stack.counts_by_type().items()]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
