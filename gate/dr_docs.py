"""The generated part of ``docs/dr.md``: each DR cell's failover and failback runbook, step by step, with the
AWS figure each step relies on and the RTO/RPO computed from them (:mod:`fintech_infra.dr_steps`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fintech_infra.dr_steps import FIGURES, Step, cell_shape, computed_rto
from fintech_infra.recovery import lag_alarm_seconds, plan_recovery
from fintech_infra.runbook_steps import failback_steps, failover_steps
from fintech_infra_gate.stackfiles import load_project

__all__ = ["render_dr_runbooks"]


def _api(step: Step) -> str:
    api = step.inputs.get("Api")
    return f"`{step.action}` {api}" if isinstance(api, str) else f"`{step.action}`"


def _table(steps: Sequence[Step]) -> list[str]:
    rows = ["| Step | Action | Planning s | Timeout s | On failure | AWS figure |", "|---|---|---|---|---|---|"]
    for step in steps:
        figure = FIGURES[step.figure]
        path = f" ({step.path} only)" if step.path else ""
        note = f"{figure.figure} ([source]({figure.source})){' — planning inference' if figure.inference else ''}"
        rows.append(
            f"| {step.name}{path} | {_api(step)} | {figure.seconds} | {step.timeout_seconds} | {step.on_failure} "
            f"| {note} |"
        )
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
    return "\n".join(lines) + "\n"
