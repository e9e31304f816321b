"""The application tier's rules that span keys: service routes against the entities' host roles, WebSocket
services against the edge, the certificate's size, and queues and application-data buckets against the concerns
and the services.

Run by the validation pass (:mod:`fintech_infra.validation`) beside :data:`fintech_infra.config_checks.CHECKS`,
before any resource is registered; each problem names the key path, the value and what is allowed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from fintech_infra.aws_facts import ACM_DOMAIN_NAMES_PER_CERTIFICATE
from fintech_infra.bucket_config import BucketSettings
from fintech_infra.compute_config import WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS
from fintech_infra.config import CellConfig, EcsSettings, StackConfig
from fintech_infra.errors import key_path
from fintech_infra.queue_config import QueueSettings
from fintech_infra.route_config import API_HOST_ROLE, route_problems

__all__ = ["CHECKS", "hosts_by_role"]


def hosts_by_role(cell: CellConfig) -> dict[str, list[str]]:
    """Host role to the hostnames of the cell's entities that have it (``api``: every entity's ``hostname``)."""
    roles: dict[str, list[str]] = {API_HOST_ROLE: [entity.hostname for entity in cell.entities]}
    for entity in cell.entities:
        for role, hostname in entity.hostnames.items():
            roles.setdefault(role, []).append(hostname)
    return roles


def service_routes(config: StackConfig) -> Iterator[str]:
    """Routes resolve, stay within the ALB's limits and do not take each other's requests; every entity has each
    host role a route names."""
    for name, cell in config.cells.items():
        if not isinstance(cell.compute, EcsSettings):
            continue
        at = key_path("cells", name, "compute", "services")
        services = cell.compute.services
        roles = hosts_by_role(cell)
        yield from route_problems(at, [(service.name, service.route) for service in services], roles)
        named = dict.fromkeys(role for service in services for role in service.route.hosts if role != API_HOST_ROLE)
        for index, entity in enumerate(cell.entities):
            missing = [role for role in named if role in roles and role not in entity.hostnames]
            if missing:
                yield (
                    f"{key_path('cells', name, 'entities', index, 'hostnames')}: no {', '.join(map(repr, missing))} "
                    f"host, which the services' routes name; allowed: a hostname for each host role the routes use, "
                    "so every entity's clients reach every service"
                )


def websocket_services(config: StackConfig) -> Iterator[str]:
    """A WebSocket service's ALB keeps idle connections long enough, and its health check is a plain HTTP path."""
    for name, cell in config.cells.items():
        if not isinstance(cell.compute, EcsSettings):
            continue
        for index, service in enumerate(cell.compute.services):
            if not service.websocket:
                continue
            at = key_path("cells", name, "compute", "services", index)
            if cell.edge.idle_timeout_seconds < WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS:
                yield (
                    f"{key_path('cells', name, 'edge', 'idle_timeout_seconds')}: {cell.edge.idle_timeout_seconds} "
                    f"with WebSocket service {service.name!r} ({at}); allowed: {WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS} "
                    "to 4000 (the ALB closes a connection idle that long; a WebSocket pings every minute or so)"
                )
            upgraded = [pattern for pattern in service.route.path_patterns if pattern != "/*"]
            hit = next((p for p in upgraded if fnmatch.fnmatchcase(service.health_check_path, p)), None)
            if hit is not None:
                yield (
                    f"{at}.health_check_path: {service.health_check_path!r} is one of its WebSocket paths ({hit!r}); "
                    "allowed: a plain HTTP path outside them (the ALB's health check is a GET that is never "
                    "upgraded, which a WebSocket endpoint answers with 400 or 426)"
                )


def certificate_names(config: StackConfig) -> Iterator[str]:
    """A requested certificate covers every entity hostname, within ACM's names per certificate."""
    limit = ACM_DOMAIN_NAMES_PER_CERTIFICATE
    for name, cell in config.cells.items():
        if cell.edge.certificate_arn is not None:
            continue
        count = sum(len(entity.all_hostnames) for entity in cell.entities)
        if count > limit.value:
            yield (
                f"{key_path('cells', name, 'entities')}: {count} hostnames on the cell's certificate; allowed: at "
                f"most {limit.value} ({limit.what}, {limit.source.url}), or an existing edge.certificate_arn"
            )


def _concern_references(config: StackConfig, kind: Literal["queues", "buckets"]) -> Iterator[str]:
    """Names of ``kind`` are unique in a cell, each one's concern has a database (and so a key) there, and a service
    uses only ones that exist, of concerns it declares."""
    noun = kind[:-1]
    for name, cell in config.cells.items():
        at = key_path("cells", name, kind)
        present = {database.concern for database in cell.concerns}
        declared: Sequence[QueueSettings | BucketSettings] = getattr(cell, kind)
        known: dict[str, int] = {}
        for index, item in enumerate(declared):
            if item.name in known:
                yield (
                    f"{at}[{index}].name: {item.name!r} is listed twice (first at {kind}[{known[item.name]}]); "
                    f"allowed: a name no other {noun} of the cell has"
                )
            known.setdefault(item.name, index)
            if item.concern not in present:
                yield (
                    f"{at}[{index}].concern: {item.concern.value!r} has no database (and so no key) in this cell; "
                    f"allowed: {', '.join(sorted(repr(c.value) for c in present))}"
                )
        if not isinstance(cell.compute, EcsSettings):
            if declared:
                yield f"{at}: {len(declared)} {noun}(s) on {cell.compute.kind!r} compute; allowed: ECS services only"
            continue
        for index, service in enumerate(cell.compute.services):
            names: tuple[str, ...] = getattr(service, kind)
            for position, item_name in enumerate(names):
                where = key_path("cells", name, "compute", "services", index, kind, position)
                if item_name in names[:position]:
                    yield f"{where}: {item_name!r} is listed twice; allowed: each {noun} once"
                elif item_name not in known:
                    yield f"{where}: {item_name!r} is no {noun} of this cell; allowed: {sorted(known) or 'none'}"
                elif (concern := declared[known[item_name]].concern) not in service.concerns:
                    yield (
                        f"{where}: {item_name!r} holds {concern.value!r} data, a concern {service.name!r} does not "
                        f"declare; allowed: {kind} of {sorted(c.value for c in service.concerns) or 'no concern'} "
                        "(or add the concern to the service)"
                    )


def queue_references(config: StackConfig) -> Iterator[str]:
    """Queue names are unique, each queue's concern has a database (and so a key) in the cell, and a service uses
    only queues that exist, of concerns it declares."""
    return _concern_references(config, "queues")


def bucket_references(config: StackConfig) -> Iterator[str]:
    """The same for application-data buckets: unique names, a concern with a key, used only by its concern's
    services."""
    return _concern_references(config, "buckets")


CHECKS: tuple[Callable[[StackConfig], Iterator[str]], ...] = (
    service_routes,
    websocket_services,
    certificate_names,
    queue_references,
    bucket_references,
)
"""The application tier's cross-key rules, in the order their problems are reported."""
