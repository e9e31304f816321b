"""Which stacks read which through ``StackReference``, and the order that follows.

A stack names the stacks it reads in its config (:attr:`~fintech_infra_gate.stackfiles.StackFile.references`):
the routing stack its cell stacks (``<project>:routing.cell_stacks``, cell name to ``org/<project>/<stack>``)
and the zones stack (``routing.zones_stack``), a cell stack the zones stack (``dns.zones_stack``). The stack
part must name a stack file. Stacks are planned in levels: a level holds stacks whose references are all in
earlier levels, so the stacks of one level can run in parallel; a stack planned alone gets the stacks it reads
synthesized first, in that order.
"""

from __future__ import annotations

from fintech_infra.errors import ConfigError
from fintech_infra_gate.stackfiles import Project, StackFile

__all__ = ["dependency_levels", "referenced_closure", "references_of"]


def references_of(project: Project, stack: StackFile) -> dict[str, str]:
    """Config key path (``routing.cell_stacks.eu``, ``dns.zones_stack``) to the stack file it names."""
    return {
        path: project.stack_for_reference(qualified, where=f"{stack.name}: {project.name}:{path}")
        for path, qualified in stack.references.items()
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
                f"{project.name}: the stacks {', '.join(cycle)} reference each other in a cycle "
                "(routing.cell_stacks, routing.zones_stack, dns.zones_stack); a stack may not read a stack that "
                "reads it"
            )
        levels.append(ready)
        placed.update(ready)
    return levels


def referenced_closure(project: Project, name: str) -> list[str]:
    """Every stack ``name`` reads, directly or not, in an order where each comes after what it reads."""
    return [stack for level in dependency_levels(project, [name]) for stack in level if stack != name]
