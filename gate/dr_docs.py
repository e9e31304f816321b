"""The generated part of ``docs/dr.md``: each DR cell's failover and failback runbook, step by step, with the
AWS figure each step relies on and the RTO/RPO computed from them (:mod:`fintech_infra.dr_steps`), then what
every cell rehearses with: FIS drills, their Scheduler calendar, the region rehearsal and the restore tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fintech_infra.dr_config import DEFAULT_CALENDAR, rehearsals
from fintech_infra.dr_steps import FIGURES, Step, cell_shape, computed_rto
from fintech_infra.recovery import lag_alarm_seconds, plan_recovery
from fintech_infra.runbook_steps import failback_steps, failover_steps
from fintech_infra_gate.stackfiles import Project, load_project

__all__ = ["render_dr_runbooks", "routing_cover"]


def _api(step: Step) -> str:
    api = step.inputs.get("Api")
    return f"`{step.action}` {api}" if isinstance(api, str) else f"`{step.action}`"


def _table(steps: Sequence[Step]) -> list[str]:
    # "600 x 2": an aws:executeScript wait longer than AWS's 600 s per attempt, as attempts (maxAttempts).
    rows = ["| Step | Action | Planning s | Timeout s | On failure | AWS figure |", "|---|---|---|---|---|---|"]
    for step in steps:
        figure = FIGURES[step.figure]
        path = f" ({step.path} only)" if step.path else ""
        timeout = (
            f"{step.timeout_seconds} x {step.max_attempts}" if step.max_attempts > 1 else str(step.timeout_seconds)
        )
        note = f"{figure.figure} ([source]({figure.source})){' — planning inference' if figure.inference else ''}"
        rows.append(f"| {step.name}{path} | {_api(step)} | {figure.seconds} | {timeout} | {step.on_failure} | {note} |")
    return rows


def render_dr_runbooks(root: Path) -> str:
    """Markdown for every stack file's cells with a DR region."""
    project = load_project(root)
    lines: list[str] = []
    for stack in sorted(project.stack_names()):
        config = project.stack(stack).validated()
        for name, cell in sorted(config.cells.items()):
            shape = cell_shape(name, cell)
            if shape is None:
                continue
            failover = failover_steps(shape)
            rto = computed_rto(failover)
            lines += [f"### Stack `{stack}`, cell `{name}` ({shape.primary_region} -> {shape.dr_region})", ""]
            lines += ["| Concern | DR mechanism | Computed RTO s | Declared RTO s | Planning RPO s | Declared RPO s |"]
            lines += ["|---|---|---|---|---|---|"]
            for index, database in enumerate(cell.concerns):
                objectives = database.objectives
                assert objectives is not None  # the validated config resolved the defaults
                plan = plan_recovery(
                    objectives,
                    engine=database.engine,
                    multi_az=database.multi_az,
                    has_dr=True,
                    dr_read_replica=bool(database.dr_read_replica),
                    path=f"cells.{name}.concerns[{index}]",
                    replica_lag_alarm_seconds=lag_alarm_seconds(objectives, cell.alarms.replica_lag_seconds),
                )
                concern = database.concern.value
                lines.append(
                    f"| {concern} | {shape.concerns[index].kind} | {rto.get(concern, '-')} | {objectives.rto_seconds} "
                    f"| {plan.expected_rpo_seconds} | {objectives.rpo_seconds} |"
                )
            if "cache" in rto:
                lines.append(f"| cache (warm standby) | standby replication group | {rto['cache']} | - | - | - |")
            lines += ["", "Failover (DR region):", "", *_table(failover), ""]
            lines += ["Failback (primary region):", "", *_table(failback_steps(shape)), ""]
    lines += _rehearsals(project)
    return "\n".join(lines) + "\n"


def routing_cover(project: Project) -> dict[tuple[str, str], str]:
    """(stack, cell) to the routing stack whose ``routing.cell_stacks`` names it: the stack that writes the cell's
    health checks and the role its runbooks flip them through (:mod:`fintech_infra.dr_dns`)."""
    covered: dict[tuple[str, str], str] = {}
    for stack in sorted(project.stack_names()):
        routing = project.stack(stack).validated().routing
        for cell, qualified in (routing.cell_stacks if routing is not None else {}).items():
            covered[(qualified.rsplit("/", 1)[-1], cell)] = stack
    return covered


def _rehearsals(project: Project) -> list[str]:
    covered = routing_cover(project)
    lines = ["### Rehearsals per cell", ""]
    lines += ["| Stack | Cell | FIS drills | Scheduled (time zone) | Region rehearsal | Restore tests (validation h) |"]
    lines += ["|---|---|---|---|---|---|"]
    for stack in sorted(project.stack_names()):
        config = project.stack(stack).validated()
        for name, cell in sorted(config.cells.items()):
            drills = cell.drills
            found = rehearsals(
                drills, config.environment, has_dr=cell.dr_region is not None, has_databases=bool(cell.concerns)
            )
            scheduled = "schedules" in found
            zone = drills.zone(cell.jurisdiction)
            if cell.dr_region is None or not scheduled:
                rehearsal = "no"
            elif (stack, name) in covered:
                rehearsal = f"yes (DNS through `{covered[(stack, name)]}`)"
            else:
                rehearsal = "scheduled, but stops at its first step (ResolveDns): no routing stack covers the cell"
            restore = (
                f"`{drills.restore_test_schedule}` ({drills.restore_validation_hours})"
                if "restore_tests" in found
                else "no"
            )
            lines.append(
                f"| {stack} | {name} | {'yes' if 'drills' in found else 'no'} "
                f"| {f'yes ({zone})' if scheduled else 'no'} | {rehearsal} | {restore} |"
            )
    lines += ["", "Default calendar (`drills.calendar` overrides one run at a time):", ""]
    lines += ["| Run | Scheduler expression |", "|---|---|"]
    lines += [f"| {run} | `{expression}` |" for run, expression in DEFAULT_CALENDAR.items()]
    return [*lines, ""]
