"""Human-readable reports: the text a terminal shows and the Markdown a pull-request comment shows.

Both state, per stack, the two resource counts (:func:`~fintech_infra_gate.result.count_phrase`: cloud
resources, and registrations including providers and components), the whole resource tree
(:mod:`fintech_infra_gate.tree`), counts per type, every violation with policy, severity, enforcement level,
resource, message and compliance reference, the checks pending on values unknown at preview, every
exemption, and what did not apply, so an auditor sees what passed and what was waived, not only what
failed; and, per regulatory entity, the paths the pack's functional guardrails proved (ingress, data, failover)
and every broken link (:mod:`fintech_infra_gate.path_report`). Each section's count is the number of items it
lists. :func:`verdict_line` is the one-line verdict that ends the text report and that ``plan --output`` and
``--quiet`` print on their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from fintech_infra_gate import path_report
from fintech_infra_gate.requirements import components_by_type, render_matrix
from fintech_infra_gate.result import PlanResult, StackResult, count_phrase
from fintech_infra_gate.tree import name_sample, tree_lines
from fintech_infra_gate.verdict import Finding, NotApplicable, PolicyInfo

__all__ = ["COMMENT_LIMIT", "pending_checks", "render_markdown", "render_text", "resource_label", "verdict_line"]

COMMENT_LIMIT = 65_536
"""GitHub rejects a pull-request or issue comment body longer than this many characters (REST API 422
"Body is too long (maximum is 65536 characters)", the create/update issue comment endpoints that
``gh pr comment`` calls; checked 2026-12-07)."""


def resource_label(stack: StackResult, urn: str) -> str:
    """``name (type)`` for a URN of the stack; the stack itself for an empty URN."""
    if not urn:
        return f"stack {stack.stack}"
    resource = stack.by_urn().get(urn)
    if resource is None:
        return urn.rsplit("::", 1)[-1]
    return f"{resource.name} ({resource.type})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pending_checks(stack: StackResult) -> list[tuple[str, str, str]]:
    """Every check waiting for a value unknown at preview, as (policy, URN, reason), sorted.

    Both kinds: the SDK's "can't run policy" advisories and the pack's ``pending:`` results; their number
    is :attr:`~fintech_infra_gate.verdict.Verdict.pending_count`.
    """
    verdict = stack.verdict
    checks = [(f.policy, f.urn, f.detail.strip() or f.description) for f in verdict.undeterminable]
    checks += [(n.policy, n.urn, "; ".join(n.pending_reasons)) for n in verdict.pending]
    return sorted(checks)


def _where(stack: StackResult, urns: list[str]) -> str:
    """The resources some checks ran on: one label, or a count with names (and the type they share)."""
    if len(urns) == 1:
        return resource_label(stack, urns[0])
    known = stack.by_urn()
    resources = [known.get(urn) for urn in urns]
    types = {resource.type if resource else None for resource in resources}
    if len(types) == 1 and None not in types:
        return f"{len(urns)} {types.pop()} ({name_sample([r.name for r in resources if r])})"
    return f"{len(urns)} resources ({name_sample([resource_label(stack, urn) for urn in urns])})"


def _pending_by_policy(stack: StackResult) -> list[tuple[str, int, str, list[str]]]:
    """(policy, checks, where, distinct reasons) per policy with pending checks."""
    grouped: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for policy, urn, reason in pending_checks(stack):
        urns, reasons = grouped[policy]
        urns.append(urn)
        if reason not in reasons:
            reasons.append(reason)
    return [
        (policy, len(urns), _where(stack, urns), sorted(reasons)) for policy, (urns, reasons) in sorted(grouped.items())
    ]


def _pending_lines(stack: StackResult) -> list[str]:
    return [f"  ? {policy}  {where}: {name_sample(reasons)}" for policy, _, where, reasons in _pending_by_policy(stack)]


def _analyzed(stack: StackResult) -> str:
    analyzed, registrations = stack.verdict.analyzed, stack.registration_count
    if analyzed == registrations + 1:
        return f"analyzed the stack and each of its {_plural(registrations, 'registration')}"
    return f"{analyzed} resources analyzed for {_plural(registrations, 'registration')} and the stack"


def _finding_lines(stack: StackResult, finding: Finding, info: PolicyInfo | None) -> list[str]:
    severity = finding.severity or (info.severity if info else "") or "unspecified"
    lines = [
        f"  {'x' if finding.mandatory else '!'} {finding.policy}  [{finding.enforcement}, severity {severity}]",
        f"      resource: {resource_label(stack, finding.urn)}",
        f"      message:  {finding.detail.strip() or finding.description}",
    ]
    if info and info.framework:
        lines.append(f"      compliance: {info.framework}")
    if finding.anchors:
        lines.append(f"      equivalent: {', '.join(finding.anchors)}")
    if info and info.remediation:
        lines.append(f"      remediation: {info.remediation}")
    return lines


def _not_applicable_summary(items: Iterable[NotApplicable]) -> list[tuple[str, int, list[str]]]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        grouped[item.policy][item.text or "(no reason given)"] += 1
    return [(policy, sum(reasons.values()), sorted(reasons)) for policy, reasons in sorted(grouped.items())]


def _stack_verdict(stack: StackResult) -> str:
    verdict = stack.verdict
    return (
        f"{'PASS' if stack.passed else 'FAIL'} {stack.stack}: {len(verdict.mandatory)} mandatory, "
        f"{len(verdict.advisory)} advisory, {len(verdict.exemptions)} exempted, {verdict.pending_count} pending"
    )


def _stack_text(stack: StackResult, hosts: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    verdict = stack.verdict
    mode = "preview (provider-computed values unknown)" if stack.preview else "known values"
    lines = [
        f"== stack {stack.stack}  (project {stack.project}, environment {stack.environment or '-'}, {mode})",
        f"Resources: {count_phrase(stack.cloud_resource_count, stack.registration_count)}",
        *tree_lines(stack),
        "Cloud resources per type:",
        *(f"  {count:5d}  {type_}" for type_, count in stack.counts_by_type().items()),
        f"Policy pack {verdict.pack}@{verdict.pack_version}: {len(verdict.policies)} "
        f"polic{'y' if len(verdict.policies) == 1 else 'ies'}, {_analyzed(stack)}",
    ]
    for title, findings in (("Mandatory violations", verdict.mandatory), ("Advisory violations", verdict.advisory)):
        lines.append(f"{title}: {len(findings)}")
        for finding in findings:
            lines.extend(_finding_lines(stack, finding, verdict.policy(finding.policy)))
    note = " (not violations: checked again once the provider has created what they read)"
    lines.append(
        f"Pending until values are known: {_plural(verdict.pending_count, 'check')}"
        + (note if verdict.pending_count else "")
    )
    lines.extend(_pending_lines(stack))
    lines.append(f"Exemptions: {len(verdict.exemptions)}")
    lines.extend(f"  ~ {e.policy}  {resource_label(stack, e.urn)}: {e.text}" for e in verdict.exemptions)
    if verdict.paths:
        lines.extend(path_report.text_lines(stack, hosts))
    skipped = verdict.not_applicable_only
    lines.append(f"Not applicable: {_plural(len(skipped), 'result')}")
    for policy, count, reasons in _not_applicable_summary(skipped):
        lines.append(f"  - {policy}: {_plural(count, 'resource')} ({name_sample(reasons)})")
    failed = {f.policy for f in verdict.violations}
    clean = [p.name for p in verdict.policies if p.name not in failed and p.enforcement != "disabled"]
    lines.append(f"Policies without a violation: {len(clean)}")
    lines.append(_stack_verdict(stack))
    return lines


def verdict_line(result: PlanResult, *, timed: bool = True) -> str:
    """PASS or FAIL, with the counts, in one line (no newline); ``timed`` adds the wall seconds."""
    verdicts = [stack.verdict for stack in result.stacks]
    failed = [stack.stack for stack in result.stacks if not stack.passed]
    counts = (
        f"{sum(len(v.mandatory) for v in verdicts)} mandatory, {sum(len(v.advisory) for v in verdicts)} advisory, "
        f"{sum(len(v.exemptions) for v in verdicts)} exempted, {sum(v.pending_count for v in verdicts)} pending"
    )
    return (
        f"{'FAIL' if failed else 'PASS'}: {_plural(len(result.stacks), 'stack')}, "
        f"{_plural(result.cloud_resource_count, 'cloud resource')}; {counts}"
        + (f"; mandatory violations in {', '.join(failed)}" if failed else "")
        + (f" ({result.wall_seconds:.2f} s)" if timed else "")
    )


def render_text(result: PlanResult) -> str:
    lines: list[str] = []
    hosts = path_report.run_hosts(result)
    for stack in result.stacks:
        lines.extend(_stack_text(stack, hosts))
        lines.append("")
    lines.append(verdict_line(result))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: PlanResult) -> str:
    """A pull-request comment: a summary table, then per stack its violations, exemptions, pending checks,
    resource tree and counts per type.

    Each stack's path counts and broken links always go in; its list of proved paths and its resource tree go in
    while the comment stays within :data:`COMMENT_LIMIT`, stack by stack in report order; a stack whose tree
    would not fit says so and where to find it.
    """
    verdict_word = "passed" if result.passed else "failed"
    lines = [
        f"## Offline policy gate {verdict_word}",
        "",
        verdict_line(result, timed=False),
        "",
        "Cloud resources: what the provider would create (providers and components excluded); each stack's "
        "resource tree also lists the registrations that are not.",
        "",
        "| Stack | Mode | Cloud resources | Mandatory | Advisory | Exempted | Pending |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for stack in result.stacks:
        v = stack.verdict
        mark = "pass" if stack.passed else "**FAIL**"
        lines.append(
            f"| `{stack.stack}` {mark} | {'preview' if stack.preview else 'known values'} | "
            f"{stack.cloud_resource_count} | {len(v.mandatory)} | {len(v.advisory)} | {len(v.exemptions)} | "
            f"{v.pending_count} |"
        )
    lines += _requirements_markdown(result)
    hosts = path_report.run_hosts(result)
    sections = [_stack_markdown(stack, hosts) for stack in result.stacks]
    trees = [path_report.markdown_detail(stack, hosts) + _tree_markdown(stack) for stack in result.stacks]
    omitted = [_tree_omitted(stack) for stack in result.stacks]
    size = len(_joined(lines)) + sum(
        len(_joined(part)) for pair in zip(sections, omitted, strict=True) for part in pair
    )
    for section, tree, instead in zip(sections, trees, omitted, strict=True):
        growth = len(_joined(tree)) - len(_joined(instead))
        fits = size + growth <= COMMENT_LIMIT
        size += growth if fits else 0
        lines += section + (tree if fits else instead)
    return _joined(lines)


def _requirements_markdown(result: PlanResult) -> list[str]:
    """The requirement coverage matrix over the report's stacks (:mod:`fintech_infra_gate.requirements`)."""
    policies = {info.name: info for stack in result.stacks for info in stack.verdict.policies}
    if not policies:
        return []
    stacks = ", ".join(f"`{stack.stack}`" for stack in result.stacks)
    return [
        "",
        "<details><summary>Requirement coverage: the guardrails and components that evidence each requirement"
        "</summary>",
        "",
        f"Components: those of {stacks} that create a type the guardrails judge.",
        *render_matrix(policies.values(), components_by_type(result.stacks), heading="####"),
        "",
        "</details>",
    ]


def _joined(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _tree_markdown(stack: StackResult) -> list[str]:
    return [
        "",
        "<details><summary>Resource tree</summary>",
        "",
        "```text",
        *tree_lines(stack, 0),
        "```",
        "",
        "</details>",
    ]


def _tree_omitted(stack: StackResult) -> list[str]:
    return [
        "",
        f"Proved paths and resource tree left out: the comment would pass GitHub's {COMMENT_LIMIT:,}-character limit "
        f"(`fintech-infra render <plan.json> --format text` shows it).",
    ]


def _stack_markdown(stack: StackResult, hosts: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """The stack's section up to its resource tree."""
    v = stack.verdict
    lines = ["", f"### `{stack.stack}` ({v.pack}@{v.pack_version})", ""]
    lines += [f"{count_phrase(stack.cloud_resource_count, stack.registration_count)}.", ""]
    if v.violations:
        lines += [
            "| Policy | Enforcement | Severity | Resource | Message | Compliance | Equivalent rules |",
            "|---|---|---|---|---|---|---|",
        ]
        for finding in sorted(v.violations, key=lambda f: (not f.mandatory, f.policy, f.urn)):
            info = v.policy(finding.policy)
            lines.append(
                f"| `{finding.policy}` | {finding.enforcement} | {finding.severity or '-'} | "
                f"{_cell(resource_label(stack, finding.urn))} | {_cell(finding.detail.strip())} | "
                f"{_cell(info.framework if info else '')} | {_cell(', '.join(finding.anchors) or '-')} |"
            )
    else:
        lines.append("No violations.")
    if v.exemptions:
        lines += ["", "**Exemptions**", "", "| Policy | Resource | Reason |", "|---|---|---|"]
        lines += [f"| `{e.policy}` | {_cell(resource_label(stack, e.urn))} | {_cell(e.text)} |" for e in v.exemptions]
    if v.pending_count:
        lines += [
            "",
            f"<details><summary>Pending until values are known: {_plural(v.pending_count, 'check')}</summary>",
        ]
        lines += ["", "| Policy | Checks | Resources | Unknown at preview |", "|---|---:|---|---|"]
        lines += [
            f"| `{policy}` | {count} | {_cell(where)} | {_cell(name_sample(reasons))} |"
            for policy, count, where, reasons in _pending_by_policy(stack)
        ]
        lines += ["", "</details>"]
    lines += path_report.markdown_summary(stack, hosts)
    lines += ["", "<details><summary>Cloud resources per type</summary>", ""]
    lines += ["| Type | Count |", "|---|---:|"]
    lines += [f"| `{type_}` | {count} |" for type_, count in stack.counts_by_type().items()]
    lines += ["", "</details>"]
    return lines
