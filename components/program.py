"""The stack program: config in, cells (or the global routing) out. ``stacks/__main__.py`` only calls :func:`main`.

Order matters and is fixed here:

1. read the stack config and validate all of it (:func:`~fintech_infra.validation.validate_stack_config`:
   shapes, credentials, residency, recovery objectives, AWS limits), every problem in one error;
2. resolve every cell's residency (the effective jurisdiction; the validation pass already refused a
   forbidden region, so this only re-checks before the first resource of any cell is registered);
3. register the tag convention once, for the whole stack;
4. one :class:`JurisdictionCell` per cell, or :class:`GlobalRouting` for the ``routing`` config;
5. exports: ``cells`` (read by the global stack through a StackReference) or the zone and entity routes.
"""

from __future__ import annotations

from typing import Any

import pulumi

from fintech_infra._tags import apply_tag_convention
from fintech_infra.cell import JurisdictionCell
from fintech_infra.config import StackConfig
from fintech_infra.dns import CELLS_OUTPUT, GlobalRouting
from fintech_infra.errors import ConfigError
from fintech_infra.residency import check_residency
from fintech_infra.validation import read_engine_config, validate_stack_config

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
    """Entry point of ``stacks/__main__.py``: the running stack's config, validated whole, then built.

    A refused config ends the program as a :class:`pulumi.RunError`, which the Pulumi CLI reports as a
    message rather than a traceback; nothing has been registered by then.
    """
    values, secret_keys = read_engine_config()
    try:
        config = validate_stack_config(values, secret_keys=secret_keys)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    build(config)
