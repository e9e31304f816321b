"""GlobalRouting: one failover hostname per regulatory entity over the cell stacks (the ``routing`` stack).

Each cell is its own stack (own state, own approvals, blast radius of one jurisdiction). The routing stack is
deployed last: it reads each cell stack's ``cells`` export and the zones stack's ``zones`` export through
``pulumi.StackReference``s (the shape of a cell's export is :data:`CELL_EXPORT`, written by
:class:`fintech_infra.cell.JurisdictionCell`; the zones come from :mod:`fintech_infra.dns_zones`). It writes, in
the zone that holds each entity hostname:

- a Route 53 HTTPS health check against the cell's primary-region ALB (not the entity hostname: a check
  that followed the failover record would see the DR ALB after a failover and flap back);
- a ``PRIMARY`` failover alias record to the primary ALB (with the health check) and a ``SECONDARY`` one
  to the DR-region ALB, both inside the jurisdiction; a cell without a DR region gets one plain alias. Each
  of the entity's hostnames (its API ``hostname`` and its role ``hostnames``, such as ``app``) gets these
  records; they share the entity's one health check, since they alias the same ALB;
- for a cell whose export names its DR runbooks' role, the SSM parameter listing its health checks and the role
  its runbooks assume to invert them (:mod:`fintech_infra.dr_dns`), so the failover runbooks resolve the checks
  at run time and the cell stack, deployed first, never needs an id.

The cells write their own ACM validation records (:mod:`fintech_infra.dns_validation`), so nothing here waits
on a certificate. Records are created from the referenced stacks' outputs, which Pulumi knows at preview
time, so they show in every preview. Query logging is deliberately not enabled: Route 53 query logs must live
in us-east-1 and contain client IP addresses, i.e. personal data leaving the jurisdictions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra.config import DeploymentIdentity, RoutingConfig
from fintech_infra.dns_zones import ROUTE53_CONTROL_REGION, ZONES_OUTPUT, zone_for
from fintech_infra.dr_dns import dns_access
from fintech_infra.errors import ConfigError, allowed, key_path
from fintech_infra.providers import RegionalProviders

__all__ = ["CELLS_OUTPUT", "CELL_EXPORT", "ROUTE53_CONTROL_REGION", "GlobalRouting", "entity_record_plan"]

CELLS_OUTPUT = "cells"
"""The stack output every cell stack exports and the routing stack reads."""

CELL_EXPORT: dict[str, str] = {
    "jurisdiction": "jurisdiction code",
    "primary_region": "primary region",
    "dr_region": "DR region or null",
    "entities": "[{name, legal_name, hostname, hostnames: {role: hostname}}]",
    "primary": ("{region, alb_dns_name, alb_zone_id, certificate_validation_records: [{name, type, value}]}"),
    "dr": "same shape as primary, or null when the cell has no DR region",
    "routing": "entity name to the primary routing manifest document",
    "parameters": "entity name to the SSM parameter path of its manifest",
    "keys": "key purpose to KMS key ARN (primary region)",
    "runbook_role_arn": "the DR runbooks' automation role ARN, or null (no DR region); see fintech_infra.dr_dns",
}
"""Shape of one cell in a cell stack's ``cells`` output."""


def entity_record_plan(
    cell: str, export: Mapping[str, Any], *, zones: Mapping[str, str], stack: str
) -> list[dict[str, Any]]:
    """Per entity of one cell export: hostname, its zone id, primary and DR ALB targets.

    ``zones`` is the zones stack's zone name to zone id. Raises ConfigError on a bad export.
    """
    at = key_path("routing", "cell_stacks", cell)
    plan = []
    primary = export.get("primary") or {}
    dr = export.get("dr")
    if not primary.get("alb_dns_name"):
        raise ConfigError(f"{at}: stack {stack!r} exports no primary ALB for cell {cell!r}; deploy the cell first")
    for entity in export.get("entities") or []:
        # The entity's API hostname, then its role hostnames (a cell export from before roles has none).
        for role, hostname in [(None, str(entity["hostname"])), *(entity.get("hostnames") or {}).items()]:
            zone = zone_for(str(hostname), list(zones))
            if zone is None:
                raise ConfigError(
                    f"{at}: entity {entity['name']!r} hostname {hostname!r} is outside every zone; "
                    f"allowed: names under {', '.join(sorted(zones)) or 'a zone of the zones stack'}"
                )
            plan.append(
                {
                    "entity": str(entity["name"]),
                    "role": role,
                    "hostname": str(hostname),
                    "zone_id": zones[zone],
                    "primary": primary,
                    "dr": dr,
                }
            )
    return plan


class GlobalRouting(FintechComponent):
    """Entity failover records and health checks over every cell stack, in the zones stack's zones."""

    TYPE: ClassVar[str] = "fintech:dns:GlobalRouting"
    OUTPUTS: ClassVar[dict[str, str]] = {
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
        zones = pulumi.StackReference(
            child(name, "zones-stack"), stack_name=routing.zones_stack, opts=pulumi.ResourceOptions(parent=self)
        ).get_output(ZONES_OUTPUT)

        routed: dict[str, pulumi.Output[list[dict[str, Any]]]] = {}
        for cell, stack in sorted(routing.cell_stacks.items()):
            reference = pulumi.StackReference(
                child(name, f"{cell}-stack"), stack_name=stack, opts=pulumi.ResourceOptions(parent=self)
            )
            routed[cell] = pulumi.Output.all(reference.get_output(CELLS_OUTPUT), zones).apply(self._router(cell, stack))

        self.entities = (
            pulumi.Output.all(**routed).apply(
                lambda by_cell: {item["entity"]: item for items in by_cell.values() for item in items}
            )
            if routed
            else pulumi.Output.from_input({})
        )
        self.register_outputs({"entities": self.entities})

    def _router(self, cell: str, stack: str) -> Callable[[list[Any]], list[dict[str, Any]]]:
        return lambda values: self._route_cell(cell, stack, values[0], values[1])

    def _route_cell(self, cell: str, stack: str, cells: Any, zones: Any) -> list[dict[str, Any]]:
        # Runs once the referenced stack's outputs are known (they are, at preview, for a deployed cell).
        if not isinstance(cells, Mapping) or cell not in cells:
            known = sorted(cells) if isinstance(cells, Mapping) else []
            raise ConfigError(
                f"{key_path('routing', 'cell_stacks', cell)}: stack {stack!r} exports no cell {cell!r} "
                f"in its {CELLS_OUTPUT!r} output; {allowed(known) if known else 'deploy the cell stack first'}"
            )
        export: Mapping[str, Any] = cells[cell]
        zone_ids = {str(zone): str(zone_id) for zone, zone_id in (zones or {}).items()}
        plan = entity_record_plan(cell, export, zones=zone_ids, stack=stack)
        checks: dict[str, pulumi.Output[str]] = {}
        for item in plan:
            self._entity_records(cell, item, checks)
        runbook_role = export.get("runbook_role_arn")
        if checks and runbook_role:
            # The cell's runbooks find and invert these checks at run time (fintech_infra.dr_dns): no id is
            # copied into the cell stack, which deploys before this one.
            dns_access(self._name, cell=cell, runbook_role_arn=str(runbook_role), checks=checks, opts=self._in_control)
        return [
            {
                "cell": cell,
                "entity": item["entity"],
                "hostname": item["hostname"],
                "primary_alb": item["primary"]["alb_dns_name"],
                "dr_alb": (item["dr"] or {}).get("alb_dns_name"),
            }
            for item in plan
            if item["role"] is None
        ]

    def _entity_records(self, cell: str, item: Mapping[str, Any], checks: dict[str, pulumi.Output[str]]) -> None:
        """The records of one hostname; an entity's hostnames share one health check (``checks``, by entity): they
        all alias the same primary ALB. The API hostname's records keep the names they had before host roles."""
        entity, hostname = item["entity"], item["hostname"]
        primary, dr = item["primary"], item["dr"]
        label = entity if item["role"] is None else f"{entity}-{item['role']}"

        def alias(target: Mapping[str, Any]) -> aws.route53.RecordAliasArgs:
            return aws.route53.RecordAliasArgs(
                name=target["alb_dns_name"], zone_id=target["alb_zone_id"], evaluate_target_health=True
            )

        # allow_overwrite: the records of a stack that owned them before (the global stack up to the zones /
        # routing split) are taken over in place, with no gap in resolution (docs/deployment.md, "Migrating").
        if not dr:
            aws.route53.Record(
                child(self._name, f"{label}-record"),
                zone_id=item["zone_id"],
                name=hostname,
                type="A",
                aliases=[alias(primary)],
                allow_overwrite=True,
                opts=self._in_control,
            )
            return
        if entity not in checks:
            checks[entity] = self._health_check(cell, entity, item)
        for role, target, check in (("primary", primary, checks[entity]), ("secondary", dr, None)):
            aws.route53.Record(
                child(self._name, f"{label}-{role}"),
                zone_id=item["zone_id"],
                name=hostname,
                type="A",
                set_identifier=f"{label}-{role}-{target['region']}",
                failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role.upper())],
                health_check_id=check,
                aliases=[alias(target)],
                allow_overwrite=True,
                opts=self._in_control,
            )

    def _health_check(self, cell: str, entity: str, item: Mapping[str, Any]) -> pulumi.Output[str]:
        primary = item["primary"]
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
            tags={"Name": f"{item['hostname']} primary ({cell}, {primary['region']})"},
            opts=self._in_control,
        )
        return health.id
