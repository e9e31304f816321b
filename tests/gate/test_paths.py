"""The paths section: the pack's path notes read back from its not-applicable reasons, per regulatory entity.

The format is written twice (the pack's ``fintech_guardrails/evidence.py`` and the gate's ``paths.py``), so the
last test runs the real pack process over a shipped stack and reads its notes with the gate's reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fintech_infra_gate.cli import main
from fintech_infra_gate.path_report import markdown_detail, markdown_summary, run_hosts, text_lines
from fintech_infra_gate.paths import parse_reason, reason_without_paths
from fintech_infra_gate.report import render_markdown, render_text
from fintech_infra_gate.result import PlanResult, StackResult
from fintech_infra_gate.verdict import NotApplicable, Verdict

ROOT = Path(__file__).resolve().parents[2]


def note(prefix: str, **fields: object) -> str:
    data: dict[str, object] = {
        "family": "ingress",
        "subject": "api.cy.example.com",
        "region": "eu-central-1",
        "entities": ["cysec-cy"],
    }
    data.update(fields)
    return prefix + json.dumps(data, sort_keys=True, separators=(",", ":")).replace(";", "\\u003b")


PROVED = note("proved: ", links=["internet", "alb eu-edge-alb", "rule 100 (/*; GET)", "container api:8080"])
BROKEN = note(
    "broken: ",
    family="data",
    subject="ecs service eu-api",
    links=["ecs service eu-api"],
    broken="eu-crm-sg admits eu-api on 5432",
    waived="ISSUE-18",
)
ROUTING = note("proved: ", family="failover", region=None, entities=[], links=["PRIMARY eu-edge-alb", "SECONDARY x"])


def stack(name: str, *reasons: str) -> StackResult:
    items = tuple(NotApplicable(policy=f"p{i}", urn="", reason=reason) for i, reason in enumerate(reasons))
    verdict = Verdict(pack="p", pack_version="1", policies=(), findings=(), not_applicable=items, analyzed=1)
    return StackResult(name, "fintech-infra", False, "prod", (), verdict)


def test_notes_round_trip_with_semicolons_and_leave_the_other_parts_alone():
    reason = f"exempt: RISK-1 until 2099-01-01; {PROVED}; pending: the certificate's names; {BROKEN}; broken: {{x"
    notes = parse_reason("ingress-paths-complete", reason)
    assert [n.family for n in notes] == ["ingress", "data"]  # the malformed part is skipped, not fatal
    assert notes[0].links[2] == "rule 100 (/*; GET)" and notes[0].proved
    assert notes[1].broken == "eu-crm-sg admits eu-api on 5432" and notes[1].waived == "ISSUE-18"
    assert reason_without_paths(reason) == "exempt: RISK-1 until 2099-01-01; pending: the certificate's names"


def test_a_reason_of_paths_alone_is_neither_not_applicable_nor_pending():
    only_paths = NotApplicable(policy="ingress-paths-complete", urn="", reason=f"{PROVED}; {BROKEN}")
    verdict = Verdict(pack="p", pack_version="1", policies=(), findings=(), not_applicable=(only_paths,), analyzed=1)
    assert only_paths.text == "" and not only_paths.pending
    assert verdict.not_applicable_only == [] and len(verdict.paths) == 2


def test_text_and_markdown_list_each_entitys_paths_and_broken_links():
    cell, routing = stack("prod-eu", PROVED, BROKEN), stack("routing", ROUTING)
    result = PlanResult(stacks=(cell, routing))
    hosts = run_hosts(result)
    assert hosts == {"api.cy.example.com": ("cysec-cy",)}
    lines = text_lines(cell, hosts)
    assert lines[0] == "Paths (functional guardrails): 1 proved, 1 broken (1 waived by an exemption)"
    assert "  entity cysec-cy: ingress 1, data 0 (+1 broken) proved" in lines
    assert any(
        line.endswith("internet -> alb eu-edge-alb -> rule 100 (/*; GET) -> container api:8080") for line in lines
    )
    assert (
        "    x data     ecs service eu-api (eu-central-1): eu-crm-sg admits eu-api on 5432 [waived: ISSUE-18]" in lines
    )
    # The routing stack's failover path names a hostname only: its entity comes from the cell stack's paths.
    assert "  entity cysec-cy: failover 1 proved" in text_lines(routing, hosts)
    summary = "\n".join(markdown_summary(cell, hosts))
    assert "| cysec-cy | 1 | 0 (**1 broken**) | 0 | 0 | 0 |" in summary
    assert (
        "| cysec-cy | data | ecs service eu-api (eu-central-1) | eu-crm-sg admits eu-api on 5432 (waived: ISSUE-18) |"
        in summary
    )
    assert any("`cysec-cy` ingress api.cy.example.com" in line for line in markdown_detail(cell, hosts))
    assert "Paths (functional guardrails)" in render_text(result)
    assert "**Paths** (functional guardrails)" in render_markdown(result)


@pytest.fixture(scope="module")
def prod_au(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    out = tmp_path_factory.mktemp("paths") / "plan.json"
    args = ["--project-dir", str(ROOT), "--policy-pack", str(ROOT / "policy")]
    assert main(["plan", *args, "--stack", "prod-au", "--format", "json", "--output", str(out)]) == 0
    return PlanResult.from_dict(json.loads(out.read_text()))


def test_the_real_pack_reports_proved_paths_the_gate_reads(prod_au):
    (au,) = [s for s in prod_au.stacks if s.stack == "prod-au"]
    paths = au.verdict.paths
    # With the EKS ingress in place (TargetGroupBinding per service, pod security groups per concern) prod-au
    # proves all five families, in both regions, with no broken link (broken links: the case tables).
    assert {n.family for n in paths if n.proved} == {"ingress", "data", "keys", "failover", "alerts"}
    assert not [n for n in paths if not n.proved]
    assert all(n.entities == ("asic-au",) for n in paths if n.family != "alerts")
    text = render_text(prod_au)
    assert "  entity asic-au: " in text and "waived" not in text
    assert "proved: {" not in text and "broken: {" not in text  # notes never leak into the other sections
