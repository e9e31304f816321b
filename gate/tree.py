"""The resource tree a report shows: every registration of a stack under its parent, in a stable order.

A component (a cell, a database, ...) is a ``+`` line with its region(s) and the cloud resources below it,
then its children one level deeper. Childless resources of one type share a ``-`` line (count, then up to
:data:`NAMES_SHOWN` names in name order). A resource with children of its own (an IAM role with its policy
attachments, a Lambda function with its invoke permission) gets its own ``-`` line with the children
below it, so the grants a reviewer looks for are never folded into a parent's count. Providers appear too
(they are registrations) but are not counted as cloud resources.

The lines depend only on the URN tree, names and types (:func:`~fintech_infra_gate.result.tree_order`),
never on the order in which resources registered.
"""

from __future__ import annotations

from collections import defaultdict

from fintech_infra_gate.result import ResourceSummary, StackResult

__all__ = ["NAMES_SHOWN", "name_sample", "tree_lines"]

NAMES_SHOWN = 3


def name_sample(names: list[str], shown: int = NAMES_SHOWN) -> str:
    """``a, b, c, +4 more`` over ``names`` in sorted order."""
    ordered = sorted(names)
    more = f", +{len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(ordered[:shown]) + more


def _flags(resource: ResourceSummary) -> str:
    flags = [
        flag
        for flag, on in (
            ("protect", resource.protect),
            ("retainOnDelete", resource.retain_on_delete),
            (f"ignoreChanges={','.join(resource.ignore_changes)}", bool(resource.ignore_changes)),
        )
        if on
    ]
    return f" [{'; '.join(flags)}]" if flags else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Tree:
    def __init__(self, stack: StackResult) -> None:
        known = stack.by_urn()
        self.children: dict[str | None, list[ResourceSummary]] = defaultdict(list)
        for resource in stack.resources:  # tree order, so each child list is in sibling order
            self.children[resource.parent if resource.parent in known else None].append(resource)
        self.lines: list[str] = []

    def below(self, urn: str) -> list[ResourceSummary]:
        found, frontier = [], [urn]
        while frontier:
            for child in self.children.get(frontier.pop(), []):
                found.append(child)
                frontier.append(child.urn)
        return found

    def walk(self, parent: str | None, depth: int) -> None:
        indent = "  " * depth
        kids = self.children.get(parent, [])
        custom = sorted((r for r in kids if r.custom), key=lambda r: (r.type, r.name, r.urn))
        by_type: dict[str, list[ResourceSummary]] = defaultdict(list)
        for resource in custom:
            by_type[resource.type].append(resource)
        for type_, resources in by_type.items():
            leaves = [r for r in resources if r.urn not in self.children]
            if leaves:
                count = f" x{len(leaves)}" if len(leaves) > 1 else ""
                names = name_sample([r.name + _flags(r) for r in leaves])
                self.lines.append(f"{indent}- {type_}{count}: {names}")
            for resource in resources:
                if resource.urn in self.children:
                    self.lines.append(f"{indent}- {type_}: {resource.name}{_flags(resource)}")
                    self.walk(resource.urn, depth + 1)
        for component in (r for r in kids if not r.custom):
            below = [r for r in self.below(component.urn) if r.is_cloud_resource]
            regions = sorted({r.region for r in below if r.region})
            where = f" ({', '.join(regions)})" if regions else ""
            self.lines.append(
                f"{indent}+ {component.name}  {component.type}{where}  {_plural(len(below), 'cloud resource')}"
            )
            self.walk(component.urn, depth + 1)


def tree_lines(stack: StackResult, depth: int = 1) -> list[str]:
    """The stack's tree, indented two spaces per level starting at ``depth``."""
    tree = _Tree(stack)
    tree.walk(None, depth)
    return tree.lines
