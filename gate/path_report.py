"""The reports' paths section: per regulatory entity, the paths the pack proved and every broken link.

Per stack: a one-line count, then per entity the proved ingress, data and failover paths (each as its chain of
links) and a count of its key and alert paths; every broken link of any family is listed with the words of its
violation, and whether an exemption waives it. The Markdown form puts the counts in a table and the broken links
in a second one, always; the list of proved paths goes in a collapsed block when the comment has room for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from fintech_infra_gate.paths import FAMILIES, PathNote, entity_paths, host_entities
from fintech_infra_gate.result import PlanResult, StackResult

__all__ = ["LISTED_FAMILIES", "markdown_detail", "markdown_summary", "run_hosts", "text_lines"]

LISTED_FAMILIES = ("ingress", "data", "failover")
"""Families whose proved paths are listed one by one; key and alert paths are counted (their broken links are
always listed)."""


def run_hosts(result: PlanResult) -> dict[str, tuple[str, ...]]:
    """Hostname -> entities, from every stack's ingress paths (the routing stack's paths name hostnames only)."""
    return host_entities([note for stack in result.stacks for note in stack.verdict.paths])


def _where(note: PathNote) -> str:
    return f"{note.subject} ({note.region})" if note.region else note.subject


def _counts(notes: Sequence[PathNote]) -> str:
    proved = Counter(note.family for note in notes if note.proved)
    broken = Counter(note.family for note in notes if not note.proved)
    parts = []
    for family in FAMILIES:
        if proved[family] or broken[family]:
            parts.append(f"{family} {proved[family]}" + (f" (+{broken[family]} broken)" if broken[family] else ""))
    return ", ".join(parts) + " proved" if parts else "no paths"


def _broken_line(note: PathNote) -> str:
    waived = f" [waived: {note.waived}]" if note.waived else ""
    return f"x {note.family:<8} {_where(note)}: {note.broken}{waived}"


def _summary(notes: Sequence[PathNote]) -> str:
    proved = sum(1 for note in notes if note.proved)
    broken = [note for note in notes if not note.proved]
    waived = sum(1 for note in broken if note.waived)
    return f"{proved} proved, {len(broken)} broken" + (f" ({waived} waived by an exemption)" if waived else "")


def text_lines(stack: StackResult, hosts: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    notes = stack.verdict.paths
    lines = [f"Paths (functional guardrails): {_summary(notes)}"]
    for entity, items in entity_paths(notes, dict(hosts or {})).items():
        lines.append(f"  entity {entity}: {_counts(items)}")
        for note in items:
            if note.proved and note.family in LISTED_FAMILIES:
                lines.append(f"    {note.family:<8} {_where(note)}: {note.chain()}")
        lines.extend(f"    {_broken_line(note)}" for note in items if not note.proved)
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(stack: StackResult, hosts: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """Counts per entity and family, and every broken link: always in the comment."""
    notes = stack.verdict.paths
    if not notes:
        return []
    grouped = entity_paths(notes, dict(hosts or {}))
    lines = ["", f"**Paths** (functional guardrails): {_summary(notes)}", ""]
    lines += ["| Entity | " + " | ".join(f.capitalize() for f in FAMILIES) + " |", "|---" * (len(FAMILIES) + 1) + "|"]
    for entity, items in grouped.items():
        cells = []
        for family in FAMILIES:
            proved = sum(1 for n in items if n.family == family and n.proved)
            broken = sum(1 for n in items if n.family == family and not n.proved)
            cells.append(f"{proved}" + (f" (**{broken} broken**)" if broken else ""))
        lines.append(f"| {_cell(entity)} | " + " | ".join(cells) + " |")
    broken_notes = [(entity, note) for entity, items in grouped.items() for note in items if not note.proved]
    if broken_notes:
        lines += ["", "| Entity | Family | Path | Broken link |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(entity)} | {note.family} | {_cell(_where(note))} | {_cell(note.broken or '')}"
            + (f" (waived: {_cell(note.waived)})" if note.waived else "")
            + " |"
            for entity, note in broken_notes
        ]
    return lines


def markdown_detail(stack: StackResult, hosts: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """The proved ingress, data and failover paths, one per line, in a collapsed block."""
    grouped = entity_paths(stack.verdict.paths, dict(hosts or {}))
    listed = [
        f"- `{entity}` {note.family} {_where(note)}: {note.chain()}"
        for entity, items in grouped.items()
        for note in items
        if note.proved and note.family in LISTED_FAMILIES
    ]
    if not listed:
        return []
    return ["", "<details><summary>Proved paths (ingress, data, failover)</summary>", "", *listed, "", "</details>"]
