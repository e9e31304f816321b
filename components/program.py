"""The stack program: config in, cells (or the global routing) out. ``stacks/__main__.py`` only calls :func:`main`.

Order matters and is fixed here:

1. read the stack config and validate all of it (:func:`~fintech_infra.validation.validate_stack_config`:
   shapes, credentials, residency, recovery objectives, AWS limits), every problem in one error;
2. resolve every cell's residency (the effective jurisdiction; the validation pass already refused a
   forbidden region, so this only re-checks before the first resource of any cell is registered);
3. register the tag convention once, for the whole stack;
4. for cell stacks with a ``dns`` key, one StackReference to the zones stack (the zones and the role the
   cells write their certificates' validation records with); one :class:`JurisdictionCell` per cell; the
   zones stack's :class:`SharedZones` for the ``zones`` config; :class:`GlobalRouting` for the ``routing`` config;
5. exports: ``cells`` (read by the routing stack), ``zones`` and ``validation_writers`` (read by the cell and
   routing stacks) with the public zone's ``zone_id`` and ``name_servers``, or the routed ``entities``.

Deploy order (docs/deployment.md): the zones stack (``global``), then the cell stacks, then ``routing``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pulumi

from fintech_infra._tags import apply_tag_convention
from fintech_infra.attribution import attribution_from
from fintech_infra.cell import JurisdictionCell
from fintech_infra.config import StackConfig
from fintech_infra.dns import CELLS_OUTPUT, GlobalRouting
from fintech_infra.dns_validation import read_zone_access
from fintech_infra.dns_zones import WRITERS_OUTPUT, ZONES_OUTPUT, SharedZones
from fintech_infra.errors import ConfigError
from fintech_infra.images import ReplicationRule, merged_rules
from fintech_infra.repo_governance import RepositoryGovernance
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
    zone_access = (
        read_zone_access(config.dns, stack=pulumi.get_stack(), identity=config.deployment)
        if config.dns is not None and config.cells
        else None
    )
    replication = _registry_replication(config)
    for name, cell in config.cells.items():
        built[name] = JurisdictionCell(
            name,
            cell,
            jurisdiction=residency[name],
            environment=config.environment,
            deployment=config.deployment,
            zone_access=zone_access,
            image_replication_rules=replication.get(name, ()),
            security=config.security,
        )
    if built:
        pulumi.export(CELLS_OUTPUT, {name: component.export for name, component in built.items()})
    if config.repository is not None:
        RepositoryGovernance("repo", config.repository)
    if config.zones is not None:
        zones = SharedZones("global", config.zones, deployment=config.deployment)
        built["zones"] = zones
        pulumi.export("zone_id", zones.zone_id)
        pulumi.export("name_servers", zones.name_servers)
        pulumi.export(ZONES_OUTPUT, zones.zones)
        pulumi.export(WRITERS_OUTPUT, zones.validation_writers)
    if config.routing is not None:
        routing = GlobalRouting("routing", config.routing, deployment=config.deployment)
        built["routing"] = routing
        pulumi.export("entities", routing.entities)
    pulumi.export("environment", config.environment)
    return built


def _registry_replication(config: StackConfig) -> dict[str, list[ReplicationRule]]:
    """Per primary region, the first cell there writes the registry's one replication configuration, with
    every cell's rule (ECR keeps one per registry and region; two writers would replace each other's)."""
    writers: dict[str, str] = {}
    rules: dict[str, list[ReplicationRule]] = {}
    for name, cell in config.cells.items():
        rule = JurisdictionCell.replication_rule_of(cell)
        if rule is None:
            continue
        writer = writers.setdefault(cell.primary_region, name)
        rules.setdefault(writer, []).append(rule)
    return {writer: merged_rules(found) for writer, found in rules.items()}


def main() -> None:
    """Entry point of ``stacks/__main__.py``: the running stack's config, validated whole, then built.

    A refused config ends the program as a :class:`pulumi.RunError`, which the Pulumi CLI reports as a
    message rather than a traceback; nothing has been registered by then.
    """
    values, secret_keys = read_engine_config()
    try:
        config = with_attribution(validate_stack_config(values, secret_keys=secret_keys), os.environ)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    build(config)


def with_attribution(config: StackConfig, environment: Mapping[str, str]) -> StackConfig:
    """``config`` deploying as the CI run in ``environment`` says (:mod:`fintech_infra.attribution`), if it does."""
    attribution = attribution_from(environment)
    if attribution is None or config.deployment is None:
        return config
    identity = config.deployment.model_copy(
        update={"session_name": attribution.session_name, "source_identity": attribution.source_identity}
    )
    return config.model_copy(update={"deployment": identity})
