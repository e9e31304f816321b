"""Which requests reach which ECS service: each service's route on the cell's HTTPS listener, planned and checked
before anything is registered.

A route names **host roles**, not hostnames: ``api`` is each entity's ``hostname``, any other role is a key of the
entity's ``hostnames`` (``app: app.cy.example.com``). A route on ``[app]`` therefore matches every entity's app
host, and one listener rule per service serves all the cell's entities. A route without hosts matches any host.

Rules are evaluated in priority order, lowest first, and the first whose conditions match takes the request
(:data:`fintech_infra.path_facts` ``alb_rule_evaluation``). So a route is refused when an earlier one takes some
of its requests: the pair of host and path pattern it names that an earlier rule also matches is named in the
error. That is the same judgment the ``ingress-paths-complete`` guardrail makes on the synthesized rules, made
here at config time. AWS's own limits on a rule are checked as well (:mod:`fintech_infra.aws_facts`: priorities
1-50000, five condition values and five wildcards per rule, 100 rules per load balancer).

Priorities not given are assigned in service order, 100, 110, ..., each 10 past the previous rule (given or
assigned), which is what :meth:`fintech_infra.edge.Edge.add_service_target` does for a caller that passes none.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field, field_validator

from fintech_infra._config_base import FrozenSettings, Name
from fintech_infra.aws_facts import (
    ALB_RULE_CONDITION_VALUES,
    ALB_RULE_CONDITION_WILDCARDS,
    ALB_RULE_PRIORITIES,
    ALB_RULES_PER_LOAD_BALANCER,
)

__all__ = [
    "API_HOST_ROLE",
    "FIRST_PRIORITY",
    "PRIORITY_STEP",
    "PlannedRoute",
    "RouteSettings",
    "plan_routes",
    "route_problems",
]

API_HOST_ROLE = "api"
"""The host role of each entity's ``hostname``."""
FIRST_PRIORITY = 100
PRIORITY_STEP = 10
_PATH_PATTERN_MAX = 128
_PATH_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$/~\"'@:+&*?")


class RouteSettings(FrozenSettings):
    """Which HTTPS requests the ALB forwards to a service."""

    hosts: tuple[Name, ...] = Field(
        (),
        description="Host roles it serves: `api` is each entity's `hostname`, any other role a key of the entities' "
        "`hostnames`; every entity's host of that role is matched. Defaults to none (any host).",
    )
    path_patterns: tuple[str, ...] = Field(
        ("/*",),
        min_length=1,
        description="ALB path patterns (`*` and `?` wildcards, case-sensitive). Defaults to (`/*`,).",
    )
    priority: int | None = Field(
        None,
        ge=ALB_RULE_PRIORITIES.start,
        le=ALB_RULE_PRIORITIES.stop - 1,
        description="Listener rule priority (1-50000, lowest evaluated first), unique in the cell. Defaults to "
        "100 for the first service, then 10 past the previous service's rule.",
    )

    @field_validator("path_patterns")
    @classmethod
    def _path_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            bad = sorted(set(pattern) - _PATH_CHARACTERS)
            if not pattern.startswith("/") or len(pattern) > _PATH_PATTERN_MAX or bad:
                raise ValueError(
                    f"{pattern!r} is not an ALB path pattern; allowed: up to {_PATH_PATTERN_MAX} characters starting "
                    "with '/', of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & and the wildcards * and ?"
                )
        return value


@dataclass(frozen=True)
class PlannedRoute:
    """One service's listener rule: its priority and conditions, hostnames resolved."""

    service: str
    index: int
    priority: int
    hosts: tuple[str, ...]
    """Hostnames; empty matches any host."""
    path_patterns: tuple[str, ...]

    def matches_host(self, host: str | None) -> bool:
        """Whether the rule's host condition matches ``host`` (None: a request whose host no rule names)."""
        return not self.hosts or (host is not None and host in self.hosts)


def plan_routes(
    routes: Sequence[tuple[str, RouteSettings]], hosts_by_role: Mapping[str, Sequence[str]]
) -> list[PlannedRoute]:
    """Each ``(service, route)``'s rule, in service order; unknown host roles resolve to no hostname (refused by
    :func:`route_problems`)."""
    planned, next_priority = [], FIRST_PRIORITY
    for index, (service, route) in enumerate(routes):
        priority = route.priority if route.priority is not None else next_priority
        next_priority = max(next_priority, priority) + PRIORITY_STEP
        hosts = tuple(dict.fromkeys(host for role in route.hosts for host in hosts_by_role.get(role, ())))
        planned.append(PlannedRoute(service, index, priority, hosts, route.path_patterns))
    return planned


def _covers(pattern: str, inner: str) -> bool:
    """Whether every path ``inner`` matches is matched by ``pattern`` (``inner``'s wildcards taken literally, which
    a ``*`` in ``pattern`` matches: ``/*`` covers ``/ws*``, ``/ws*`` does not cover ``/*``)."""
    return fnmatch.fnmatchcase(inner, pattern)


def route_problems(
    at: str,
    routes: Sequence[tuple[str, RouteSettings]],
    hosts_by_role: Mapping[str, Sequence[str]],
) -> Iterator[str]:
    """Problems of a cell's routes; ``at`` is the key path of its services (``cells.eu.compute.services``)."""
    roles = sorted(hosts_by_role)
    for index, (_, route) in enumerate(routes):
        for position, role in enumerate(route.hosts):
            if role not in hosts_by_role:
                yield (
                    f"{at}[{index}].route.hosts[{position}]: {role!r} is no host role of this cell's entities; "
                    f"allowed: {', '.join(map(repr, roles))} (`api` is each entity's hostname, the others keys of "
                    "its `hostnames`)"
                )
    planned = plan_routes(routes, hosts_by_role)
    rules = ALB_RULES_PER_LOAD_BALANCER
    if len(planned) > rules.value:
        yield (
            f"{at}: {len(planned)} services, one listener rule each; allowed: at most {rules.value} ({rules.what}, "
            f"{rules.source.url})"
        )
    taken: dict[int, PlannedRoute] = {}
    for rule in planned:
        where = f"{at}[{rule.index}].route"
        values = len(rule.hosts) + len(rule.path_patterns)
        if values > ALB_RULE_CONDITION_VALUES.value:
            yield (
                f"{where}: {len(rule.hosts)} hostname(s) and {len(rule.path_patterns)} path pattern(s) make "
                f"{values} condition values; allowed: at most {ALB_RULE_CONDITION_VALUES.value} per listener rule "
                f"({ALB_RULE_CONDITION_VALUES.source.url}): fewer entities per cell, or fewer patterns"
            )
        wildcards = sum(pattern.count("*") + pattern.count("?") for pattern in rule.path_patterns)
        if wildcards > ALB_RULE_CONDITION_WILDCARDS.value:
            yield (
                f"{where}.path_patterns: {wildcards} wildcards; allowed: at most "
                f"{ALB_RULE_CONDITION_WILDCARDS.value} per listener rule ({ALB_RULE_CONDITION_WILDCARDS.source.url})"
            )
        if rule.priority not in ALB_RULE_PRIORITIES:
            yield (
                f"{where}.priority: {rule.priority} (assigned after the previous service's); allowed: "
                f"{ALB_RULE_PRIORITIES.start}-{ALB_RULE_PRIORITIES.stop - 1}: give the services explicit priorities"
            )
        if rule.priority in taken:
            yield (
                f"{where}.priority: {rule.priority} is also the priority of services[{taken[rule.priority].index}] "
                f"({taken[rule.priority].service}); allowed: a priority no other route of the cell has"
            )
        taken.setdefault(rule.priority, rule)
    ordered = sorted(planned, key=lambda rule: (rule.priority, rule.index))
    for position, rule in enumerate(ordered):
        shadowed = [
            (host, path, earlier)
            for host in (rule.hosts or (None,))
            for path in rule.path_patterns
            for earlier in ordered[:position]
            if earlier.priority != rule.priority
            and earlier.matches_host(host)
            and any(_covers(pattern, path) for pattern in earlier.path_patterns)
        ]
        if not shadowed:
            continue
        pairs = len(rule.hosts or (None,)) * len(rule.path_patterns)
        host, path, earlier = shadowed[0]
        whole = len({(h, p) for h, p, _ in shadowed}) == pairs
        yield (
            f"{at}[{rule.index}].route: {'every request' if whole else 'part'} of {rule.service}'s route "
            f"({host or 'any host'} {path}) goes to services[{earlier.index}] ({earlier.service}, priority "
            f"{earlier.priority}: {', '.join(earlier.hosts) or 'any host'} {' '.join(earlier.path_patterns)}), "
            f"whose rule is evaluated first; allowed: a lower priority than {earlier.priority} for the narrower "
            "route, or conditions that do not overlap"
        )
