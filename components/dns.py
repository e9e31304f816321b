"""GlobalRouting: the shared DNS zone and one failover hostname per regulatory entity (the ``global`` stack).

Each cell is its own stack (own state, own approvals, blast radius of one jurisdiction). The global stack
owns only what must be shared: the public hosted zone, the entity records in it, the Route 53 health
checks and the cells' ACM validation records. It reads each cell stack's ``cells`` export through a
``pulumi.StackReference``; the shape of that export is :data:`CELL_EXPORT` (written by
:class:`fintech_infra.cell.JurisdictionCell`).

Per entity:

- a Route 53 HTTPS health check against the cell's primary-region ALB (not the entity hostname: a check
  that followed the failover record would see the DR ALB after a failover and flap back);
- a ``PRIMARY`` failover alias record to the primary ALB (with the health check) and a ``SECONDARY`` one
  to the DR-region ALB, both inside the jurisdiction; a cell without a DR region gets one plain alias.

Records are created from the referenced stack's outputs, which Pulumi knows at preview time, so they
show in every preview. Query logging is deliberately not enabled: Route 53 query logs must live in
us-east-1 and contain client IP addresses, i.e. personal data leaving the jurisdictions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra.config import DeploymentIdentity, RoutingConfig
from fintech_infra.errors import ConfigError, allowed, key_path
from fintech_infra.providers import RegionalProviders

__all__ = ["CELLS_OUTPUT", "CELL_EXPORT", "ROUTE53_CONTROL_REGION", "GlobalRouting", "entity_record_plan"]

CELLS_OUTPUT = "cells"
"""The stack output every cell stack exports and the global stack reads."""

ROUTE53_CONTROL_REGION = "us-east-1"
"""Route 53 is a global service whose control plane AWS serves from us-east-1; no data is stored there."""

CELL_EXPORT: dict[str, str] = {
    "jurisdiction": "jurisdiction code",
    "primary_region": "primary region",
    "dr_region": "DR region or null",
    "entities": "[{name, legal_name, hostname}]",
    "primary": ("{region, alb_dns_name, alb_zone_id, certificate_validation_records: [{name, type, value}]}"),
    "dr": "same shape as primary, or null when the cell has no DR region",
    "routing": "entity name to the primary routing manifest document",
    "parameters": "entity name to the SSM parameter path of its manifest",
    "keys": "key purpose to KMS key ARN (primary region)",
}
"""Shape of one cell in a cell stack's ``cells`` output."""


def _in_zone(hostname: str, zone: str) -> bool:
    host = hostname.rstrip(".")
    return host == zone or host.endswith(f".{zone}")


def entity_record_plan(cell: str, export: Mapping[str, Any], *, zone_name: str, stack: str) -> list[dict[str, Any]]:
    """Per entity of one cell export: hostname, primary and DR ALB targets. Raises ConfigError on a bad export."""
    at = key_path("routing", "cell_stacks", cell)
    plan = []
    primary = export.get("primary") or {}
    dr = export.get("dr")
    if not primary.get("alb_dns_name"):
        raise ConfigError(f"{at}: stack {stack!r} exports no primary ALB for cell {cell!r}; deploy the cell first")
    for entity in export.get("entities") or []:
        hostname = str(entity["hostname"])
        if not _in_zone(hostname, zone_name):
            raise ConfigError(
                f"{at}: entity {entity['name']!r} hostname {hostname!r} is outside the zone; "
                f"allowed: names under {zone_name}"
            )
        plan.append({"entity": str(entity["name"]), "hostname": hostname, "primary": primary, "dr": dr})
    return plan


class GlobalRouting(FintechComponent):
    """The shared zone, entity failover records and health checks over every cell stack."""

    TYPE: ClassVar[str] = "fintech:dns:GlobalRouting"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "zone_id": "Route 53 hosted zone id of the shared zone.",
        "name_servers": "Name servers to delegate the zone to.",
        "entities": "Entity name to {cell, hostname, primary_alb, dr_alb} as routed.",
    }

    def __init__(
        self,
        name: str,
        routing: RoutingConfig,
        *,
        deployment: DeploymentIdentity | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, opts, scope={"Jurisdiction": "global"})
        self._name = name
        self._routing = routing
        providers = RegionalProviders(name, identity=deployment, parent=self)
        self._in_control = pulumi.ResourceOptions(parent=self, providers={"aws": providers.get(ROUTE53_CONTROL_REGION)})

        self.zone = aws.route53.Zone(
            child(name, "zone"),
            name=routing.zone_name,
            comment="fintech-infra shared zone: one failover hostname per regulatory entity",
            force_destroy=False,
            opts=pulumi.ResourceOptions.merge(self._in_control, pulumi.ResourceOptions(protect=True)),
        )

        routed: dict[str, pulumi.Output[list[dict[str, Any]]]] = {}
        for cell, stack in sorted(routing.cell_stacks.items()):
            reference = pulumi.StackReference(
                child(name, f"{cell}-stack"), stack_name=stack, opts=pulumi.ResourceOptions(parent=self)
            )
            routed[cell] = reference.get_output(CELLS_OUTPUT).apply(self._router(cell, stack))

        self.zone_id = self.zone.zone_id
        self.name_servers = self.zone.name_servers
        self.entities = (
            pulumi.Output.all(**routed).apply(
                lambda by_cell: {item["entity"]: item for items in by_cell.values() for item in items}
            )
            if routed
            else pulumi.Output.from_input({})
        )
        self.register_outputs({"zone_id": self.zone_id, "name_servers": self.name_servers, "entities": self.entities})

    def _router(self, cell: str, stack: str) -> Callable[[Any], list[dict[str, Any]]]:
        return lambda cells: self._route_cell(cell, stack, cells)

    def _route_cell(self, cell: str, stack: str, cells: Any) -> list[dict[str, Any]]:
        # Runs once the referenced stack's outputs are known (they are, at preview, for a deployed cell).
        if not isinstance(cells, Mapping) or cell not in cells:
            known = sorted(cells) if isinstance(cells, Mapping) else []
            raise ConfigError(
                f"{key_path('routing', 'cell_stacks', cell)}: stack {stack!r} exports no cell {cell!r} "
                f"in its {CELLS_OUTPUT!r} output; {allowed(known) if known else 'deploy the cell stack first'}"
            )
        export: Mapping[str, Any] = cells[cell]
        plan = entity_record_plan(cell, export, zone_name=self._routing.zone_name, stack=stack)
        for item in plan:
            self._entity_records(cell, item)
        self._validation_records(cell, export)
        return [
            {
                "cell": cell,
                "entity": item["entity"],
                "hostname": item["hostname"],
                "primary_alb": item["primary"]["alb_dns_name"],
                "dr_alb": (item["dr"] or {}).get("alb_dns_name"),
            }
            for item in plan
        ]

    def _entity_records(self, cell: str, item: Mapping[str, Any]) -> None:
        entity, hostname = item["entity"], item["hostname"]
        primary, dr = item["primary"], item["dr"]

        def alias(target: Mapping[str, Any]) -> aws.route53.RecordAliasArgs:
            return aws.route53.RecordAliasArgs(
                name=target["alb_dns_name"], zone_id=target["alb_zone_id"], evaluate_target_health=True
            )

        if not dr:
            aws.route53.Record(
                child(self._name, f"{entity}-record"),
                zone_id=self.zone.zone_id,
                name=hostname,
                type="A",
                aliases=[alias(primary)],
                opts=self._in_control,
            )
            return
        health = aws.route53.HealthCheck(
            child(self._name, f"{entity}-health"),
            type="HTTPS",
            fqdn=primary["alb_dns_name"],
            port=443,
            resource_path=self._routing.health_check_path,
            request_interval=self._routing.health_check_interval_seconds,
            failure_threshold=self._routing.failure_threshold,
            enable_sni=True,
            reference_name=physical(entity, limit=28),
            tags={"Name": f"{hostname} primary ({cell}, {primary['region']})"},
            opts=self._in_control,
        )
        for role, target, check in (("primary", primary, health.id), ("secondary", dr, None)):
            aws.route53.Record(
                child(self._name, f"{entity}-{role}"),
                zone_id=self.zone.zone_id,
                name=hostname,
                type="A",
                set_identifier=f"{entity}-{role}-{target['region']}",
                failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role.upper())],
                health_check_id=check,
                aliases=[alias(target)],
                opts=self._in_control,
            )

    def _validation_records(self, cell: str, export: Mapping[str, Any]) -> None:
        seen: set[str] = set()
        for role in ("primary", "dr"):
            side: Sequence[Mapping[str, Any]] = (export.get(role) or {}).get("certificate_validation_records") or []
            for record in side:
                # ACM gives the same CNAME for a domain in every region of an account: create it once.
                if record["name"] in seen:
                    continue
                seen.add(record["name"])
                aws.route53.Record(
                    child(self._name, f"{cell}-acm-{physical(str(record['name']), limit=120)}"),
                    zone_id=self.zone.zone_id,
                    name=record["name"],
                    type=record["type"],
                    records=[record["value"]],
                    ttl=300,
                    allow_overwrite=True,
                    opts=self._in_control,
                )
