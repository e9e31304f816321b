"""Render the anchor mapping table (``docs/anchor-coverage.md``) from :mod:`fintech_guardrails.anchors`.

``python -m fintech_guardrails.docs --anchors`` prints it; the repository's docs generator puts it between the
page's ``ANCHOR COVERAGE`` markers, so the page cannot drift from the pack, the tools' extracted rules or the
decisions.
"""

from __future__ import annotations

from collections import Counter

from fintech_guardrails import anchors
from fintech_guardrails.catalog import guardrails

__all__ = ["render_anchor_coverage"]

TOOL_TITLES = {"checkov": "checkov (Terraform, AWS)", "awsguard": "AWSGuard", "cdk-nag": "cdk-nag"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _answer(row: anchors.CoverageRow) -> str:
    if row.guardrails:
        return ", ".join(f"`{name}`" for name in row.guardrails)
    if row.decision is None:
        return "**unanswered** (`anchors.problems()` fails the suite)"
    return f"not applicable: {_cell(row.decision.reason)} ([source]({row.decision.source}))"


def render_anchor_coverage() -> str:
    """The tools read, the type mapping, then one table per tool: every rule that applies to a created type."""
    rows = anchors.coverage(guardrails())
    tools = anchors.tools()
    lines = ["| Tool | Repository | Version | Commit | What was read |", "|---|---|---|---|---|"]
    for name, tool in tools.items():
        lines.append(
            f"| {TOOL_TITLES[name]} | `{tool['repository']}` | {tool['version']} | `{tool['commit'][:12]}` | "
            f"{_cell(tool['scope'])} |"
        )
    lines += ["", "| Tool | Rules read | Apply to a type we create | Guardrail | Not applicable |"]
    lines += ["|---|---:|---:|---:|---:|"]
    read = Counter(rule.tool for rule in anchors.anchor_rules())
    for name in tools:
        mine = [row for row in rows if row.rule.tool == name]
        lines.append(
            f"| {TOOL_TITLES[name]} | {read[name]} | {len(mine)} | {sum(1 for r in mine if r.guardrails)} | "
            f"{sum(1 for r in mine if r.decision)} |"
        )
    applying = Counter(token for row in rows for token in row.types)
    created = anchors.created_types()
    lines += ["", "### Resource types the library creates", ""]
    lines += ["| Pulumi type | Terraform | CloudFormation | Created by | Rules |", "|---|---|---|---|---:|"]
    for token, components in created.items():
        mapped = anchors.type_map().get(token, {})
        cfn = ", ".join(mapped.get("cloudformation", ())) or "-"
        note = f" ({_cell(mapped['note'])})" if mapped.get("note") else ""
        made_by = ", ".join(c.rsplit(":", 1)[-1] for c in components if c != "-") or "the stack"
        lines.append(
            f"| `{token}` | `{mapped.get('terraform', '?')}` | {cfn}{note} | {made_by} | {applying.get(token, 0)} |"
        )
    for name in tools:
        lines += ["", f"### {TOOL_TITLES[name]}", "", "| Rule | What it checks | Our types | Answer |"]
        lines += ["|---|---|---|---|"]
        for row in (row for row in rows if row.rule.tool == name):
            types = ", ".join(f"`{token.split(':')[-1]}`" for token in row.types)
            lines.append(f"| [{row.rule.id}]({row.rule.url}) | {_cell(row.rule.title)} | {types} | {_answer(row)} |")
    return "\n".join(lines) + "\n"
