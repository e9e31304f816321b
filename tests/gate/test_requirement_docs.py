"""The auditors' matrix over the real pack: every framework reference a guardrail carries is in
docs/requirement-coverage.md, and the Markdown evidence report of a real stack plan includes the matrix."""

from __future__ import annotations

import json
import subprocess
import sys

from fintech_infra_gate.docs import REPO_ROOT, _policy_table
from fintech_infra_gate.requirements import references
from fintech_infra_gate.verdict import PolicyInfo


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("### "):
            current = line[len("### ") :]
        elif line.startswith("| "):
            sections.setdefault(current, []).append(line)
    return sections


def test_every_framework_reference_of_every_guardrail_is_in_the_matrix():
    metadata = json.loads(_policy_table("--policies") or "[]")
    assert len(metadata) >= 100
    sections = _sections((REPO_ROOT / "docs" / "requirement-coverage.md").read_text(encoding="utf-8"))
    missing = []
    for item in metadata:
        info = PolicyInfo(item["name"], "", "", "", item["kind"], framework=item["framework"], tags=tuple(item["tags"]))
        found = references(info)
        assert found, f"{info.name} cites no requirement"
        for reference in found:
            rows = sections.get(reference.framework, [])
            if not any(row.startswith(f"| {reference.requirement} |") and f"`{info.name}`" in row for row in rows):
                missing.append(f"{info.name}: {reference.label}")
    assert missing == []


def test_the_markdown_evidence_report_of_a_stack_includes_the_matrix():
    command = [sys.executable, "-m", "fintech_infra_gate.cli", "plan", "--stack", "dev", "--format", "markdown"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "<summary>Requirement coverage" in result.stdout
    rows = _sections(result.stdout.replace("#### ", "### "))
    assert any(row.startswith("| 3.5.1 |") and "FinancialDatabase" in row for row in rows["PCI DSS 4.0.1"])
    assert "PCI DSS 4.0.1 requirements a platform library cannot evidence" in result.stdout
