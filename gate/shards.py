"""Split ``plan --all`` across CI runners: ``--shard K/N`` plans one part of the stacks, ``render`` joins them.

The split is a partition of the project's stack files, decided from the files alone so every runner of a
matrix computes the same one: stacks are taken heaviest first (by an estimate of their size from the stack
file: cells, doubled for a DR region, times the data concerns and services they hold; ties by name), each to the
shard it leaves lightest (ties to the lowest shard number). A stack that reads other stacks through
``StackReference`` gets them synthesized first in its own shard, for their exports only, and that work counts
in the split; each stack is judged in exactly one shard. Joining the shards' JSON plans gives the whole plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fintech_infra.config import CONFIG_NAMESPACE
from fintech_infra.errors import ConfigError
from fintech_infra_gate.order import dependency_levels, referenced_closure
from fintech_infra_gate.result import PlanResult, StackResult
from fintech_infra_gate.stackfiles import Project, StackFile

__all__ = ["Shard", "join_plans", "parse_shard", "shard_stacks", "split_stacks", "stack_weight"]

_SHARD = re.compile(r"^([1-9]\d*)/([1-9]\d*)$")
JUDGED, SYNTHESIZED = 10, 9
"""Relative cost of a stack judged in a shard, and of one synthesized there only for its exports."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based, as CI matrices count) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text.strip())
    if match is None or int(match[1]) > int(match[2]):
        raise ConfigError(f"--shard: {text!r} is not a shard; allowed: K/N with 1 <= K <= N (for example 2/4)")
    return Shard(int(match[1]), int(match[2]))


def _cells(stack: StackFile) -> Mapping[str, Any]:
    cells = stack.config.get(f"{CONFIG_NAMESPACE}:cells")
    return cells if isinstance(cells, Mapping) else {}


def stack_weight(stack: StackFile) -> int:
    """An estimate of a stack's size from its file: what it costs to synthesize and judge, relatively."""
    weight = 1
    for cell in _cells(stack).values():
        if not isinstance(cell, Mapping):
            continue
        compute = cell.get("compute") if isinstance(cell.get("compute"), Mapping) else {}
        parts = 4 + len(cell.get("concerns") or ()) + len((compute or {}).get("services") or ())
        weight += parts * (2 if cell.get("dr_region") else 1)
    return weight


def shard_stacks(project: Project, shard: Shard, names: Sequence[str] | None = None) -> list[str]:
    """The stacks shard ``shard`` judges, in dependency order; the shards of one ``count`` partition ``names``."""
    return split_stacks(project, shard.count, names)[shard.index - 1]


def split_stacks(project: Project, count: int, names: Sequence[str] | None = None) -> list[list[str]]:
    """All ``count`` shards at once: shard K is item K-1, each in dependency order."""
    wanted = sorted(names if names is not None else project.stack_names())
    # A reference cycle or a dangling reference fails every shard alike; the levels also give each shard's order.
    order = [name for level in dependency_levels(project, wanted) for name in level]
    reads = {name: referenced_closure(project, name) for name in wanted}
    weights = {name: stack_weight(project.stack(name)) for name in {*wanted, *(r for rs in reads.values() for r in rs)}}

    def added(name: str, present: set[str]) -> int:
        # Judging a stack costs its weight; synthesizing one it reads, for the exports, nine tenths of it.
        cost = JUDGED * weights[name] - (SYNTHESIZED * weights[name] if name in present else 0)
        return cost + sum(SYNTHESIZED * weights[read] for read in reads[name] if read not in present)

    load = [0] * count
    present: list[set[str]] = [set() for _ in range(count)]
    owner: dict[str, int] = {}
    # Heaviest first counting what each must synthesize; each to the shard it leaves lightest.
    for name in sorted(wanted, key=lambda name: (-added(name, set()), name)):
        best = min(range(count), key=lambda index: (load[index] + added(name, present[index]), index))
        load[best] += added(name, present[best])
        present[best].update([name, *reads[name]])
        owner[name] = best
    return [[name for name in order if owner[name] == index] for index in range(count)]


def join_plans(plans: Sequence[PlanResult], *, order: Sequence[str] | None = None) -> PlanResult:
    """One plan from the shards' plans: every stack once, in ``order`` (else by name); wall time of the slowest.

    The shards ran side by side on their own runners, so the joined wall time is the longest shard's.
    """
    stacks: dict[str, StackResult] = {}
    for result in plans:
        for stack in result.stacks:
            if stack.stack in stacks:
                raise ConfigError(f"stack {stack.stack!r} is in two of the plans being joined; allowed: each once")
            stacks[stack.stack] = stack
    rank = {name: index for index, name in enumerate(order or ())}
    ordered = sorted(stacks.values(), key=lambda stack: (rank.get(stack.stack, len(rank)), stack.stack))
    return PlanResult(stacks=tuple(ordered), wall_seconds=max((p.wall_seconds for p in plans), default=0.0))
