"""Which stacks read which through ``StackReference``, and the order that follows.

The global stack names its cell stacks in ``<project>:routing.cell_stacks`` (cell name to
``org/<project>/<stack>``); the stack part must name a stack file. Stacks are planned in levels: a level
holds stacks whose references are all in earlier levels, so the stacks of one level can run in parallel.
"""

from __future__ import annotations

from fintech_infra.errors import ConfigError
from fintech_infra_gate.stackfiles import Project, StackFile

__all__ = ["dependency_levels", "referenced_closure", "references_of"]


def references_of(project: Project, stack: StackFile) -> dict[str, str]:
    """Cell name to the stack file name each ``routing.cell_stacks`` entry names."""
    return {
        cell: project.stack_for_reference(qualified, where=f"{stack.name}: {project.name}:routing.cell_stacks.{cell}")
        for cell, qualified in stack.cell_stacks.items()
    }


def dependency_levels(project: Project, names: list[str]) -> list[list[str]]:
    """``names`` plus every stack they reference, grouped into levels that may run in parallel."""
    edges: dict[str, set[str]] = {}
    frontier = list(names)
    while frontier:
        name = frontier.pop()
        if name in edges:
            continue
        edges[name] = set(references_of(project, project.stack(name)).values())
        frontier.extend(edges[name] - set(edges))
    levels: list[list[str]] = []
    placed: set[str] = set()
    while len(placed) < len(edges):
        ready = sorted(name for name, deps in edges.items() if name not in placed and deps <= placed)
        if not ready:
            cycle = sorted(name for name in edges if name not in placed)
            raise ConfigError(
                f"{project.name}:routing.cell_stacks: the stacks {', '.join(cycle)} reference each other in a cycle; "
                "a cell stack may not reference the stack that routes to it"
            )
        levels.append(ready)
        placed.update(ready)
    return levels


def referenced_closure(project: Project, name: str) -> list[str]:
    """Every stack ``name`` reads, directly or not, in an order where each comes after what it reads."""
    return [stack for level in dependency_levels(project, [name]) for stack in level if stack != name]
