"""The stack program: config in, cells (or the global routing) out. ``stacks/__main__.py`` only calls :func:`main`.

Order matters and is fixed here:

1. read every ``fintech-infra:*`` key and validate it into a :class:`StackConfig` (one ConfigError);
2. check every cell's residency (primary region, DR region, jurisdictions it also answers to) so a
   forbidden region stops the program before the first resource of any cell is registered;
3. register the tag convention once, for the whole stack;
4. one :class:`JurisdictionCell` per cell, or :class:`GlobalRouting` for the ``routing`` config;
5. exports: ``cells`` (read by the global stack through a StackReference) or the zone and entity routes.
"""

from __future__ import annotations

from typing import Any

import pulumi

from fintech_infra._tags import apply_tag_convention
from fintech_infra.cell import JurisdictionCell
from fintech_infra.config import StackConfig, load_stack_config, read_pulumi_config
from fintech_infra.dns import CELLS_OUTPUT, GlobalRouting
from fintech_infra.residency import check_residency

__all__ = ["build", "main"]


def build(config: StackConfig) -> dict[str, Any]:
    """Register everything ``config`` describes; returns the components by name (cells and ``global``)."""
    registry = config.registry
    residency = {name: check_residency(name, cell, registry) for name, cell in config.cells.items()}
    apply_tag_convention(
        environment=config.environment,
        owner=config.tags.owner,
        cost_center=config.tags.cost_center,
        compliance_scope=config.tags.compliance_scope,
    )
    built: dict[str, Any] = {}
    for name, cell in config.cells.items():
        built[name] = JurisdictionCell(
            name,
            cell,
            jurisdiction=residency[name],
            environment=config.environment,
            deployment=config.deployment,
        )
    if built:
        pulumi.export(CELLS_OUTPUT, {name: component.export for name, component in built.items()})
    if config.routing is not None:
        routing = GlobalRouting("global", config.routing, deployment=config.deployment)
        built["global"] = routing
        pulumi.export("zone_id", routing.zone_id)
        pulumi.export("name_servers", routing.name_servers)
        pulumi.export("entities", routing.entities)
    pulumi.export("environment", config.environment)
    return built


def main() -> None:
    """Entry point of ``stacks/__main__.py``: the running stack's config, built."""
    build(load_stack_config(read_pulumi_config()))
