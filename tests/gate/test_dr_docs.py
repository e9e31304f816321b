"""gate/dr_docs.py: docs/dr.md's generated part lists each cell's rehearsals as the cells will build them."""

from __future__ import annotations

from fintech_infra_gate.docs import REPO_ROOT
from fintech_infra_gate.dr_docs import render_dr_runbooks, routing_cover
from fintech_infra_gate.stackfiles import load_project


def test_the_rehearsal_table_follows_the_stack_files() -> None:
    text = render_dr_runbooks(REPO_ROOT)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    # staging schedules its drills in CySEC's zone; no rehearsal until the stack names the health check.
    assert rows["staging"] == (
        "| staging | stg | yes | yes (Asia/Nicosia) | yes (DNS through `routing-staging`) | `cron(0 5 1 * ? *)` (4) |"
    )
    # prod: no drills and no schedules by default, restore tests always.
    assert rows["prod-eu"] == "| prod-eu | eu | no | no | no | `cron(0 5 1 * ? *)` (4) |"
    assert "| failover-rehearsal | `cron(0 8 ? 1,4,7,10 WED#3 *)` |" in text


def test_every_shipped_cell_with_dr_is_covered_by_a_routing_stack() -> None:
    # The runbooks flip DNS through the covering routing stack's role: a cell it does not cover could not fail over.
    covered = routing_cover(load_project(REPO_ROOT))
    assert covered[("staging", "stg")] == "routing-staging"
    assert {covered[(stack, cell)] for stack, cell in (("prod-eu", "eu"), ("prod-au", "au"), ("prod-uk", "uk"))} == {
        "routing"
    }
    assert "stops at its first step" not in render_dr_runbooks(REPO_ROOT)
