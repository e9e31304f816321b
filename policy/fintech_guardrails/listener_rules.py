"""How an Application Load Balancer picks a rule: conditions, matching, one rule covering another, forward actions.

AWS evaluates a listener's rules in priority order (lowest number first) and the first rule whose conditions all
match handles the request; the default action handles what none matches. Within one condition the values are
alternatives (any may match); different conditions must all match. Host headers match case-insensitively, path
patterns case-sensitively; both take ``*`` (any characters) and ``?`` (one character). (Elastic Load Balancing
user guide, "Listener rules for your Application Load Balancer", checked 2026-12-07.)

A rule is *shadowed* when a rule of higher priority matches every request it matches: it can never win. Telling
that two glob patterns nest in general is hard, so :func:`pattern_covers` recognises only the cases that decide
real configurations (equal patterns, a catch-all, a literal the other matches, a prefix ending in ``*``) and
otherwise says "does not cover": a shadowed rule may go unreported, a reported one is shadowed.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown

__all__ = ["Condition", "condition_of", "forward_groups", "host_matches", "pattern_covers"]

_WILDCARDS = ("*", "?")
_CATCH_ALL = ("*", "/*")
"""Every request path starts with ``/``, so ``/*`` matches every path, as ``*`` does."""


def _wild(pattern: str) -> bool:
    return any(mark in pattern for mark in _WILDCARDS)


def _glob(text: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def pattern_covers(broad: str, narrow: str, *, fold: bool = False) -> bool:
    """Whether every string ``narrow`` matches is also matched by ``broad`` (conservatively: see the module)."""
    if fold:
        broad, narrow = broad.lower(), narrow.lower()
    if broad == narrow or broad in _CATCH_ALL:
        return True
    if not _wild(narrow):
        return _glob(narrow, broad)
    prefix = broad[:-1]
    return broad.endswith("*") and not _wild(prefix) and narrow.startswith(prefix)


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    return any(_glob(host.lower(), pattern.lower()) for pattern in patterns)


def _cidr_covers(broad: str, narrow: str) -> bool:
    try:
        outer, inner = ipaddress.ip_network(broad, strict=False), ipaddress.ip_network(narrow, strict=False)
    except ValueError:
        return broad == narrow
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Condition:
    """A rule's conditions: ``None`` for a field the rule does not constrain."""

    hosts: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    source_ips: tuple[str, ...] | None = None
    headers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(lower-case header name, patterns) per ``httpHeader`` condition."""
    queries: tuple[tuple[str, str], ...] | None = None

    def matches_host(self, host: str) -> bool:
        return self.hosts is None or host_matches(host, self.hosts)

    def covers(self, other: Condition) -> bool:
        """Whether every request ``other`` matches also matches this condition set."""

        def values(mine: tuple[str, ...] | None, theirs: tuple[str, ...] | None, fold: bool = False) -> bool:
            if mine is None:
                return True
            if theirs is None:
                return any(pattern in _CATCH_ALL for pattern in mine)
            return all(any(pattern_covers(a, b, fold=fold) for a in mine) for b in theirs)

        if not values(self.hosts, other.hosts, fold=True) or not values(self.paths, other.paths):
            return False
        if self.methods is not None and (other.methods is None or not set(other.methods) <= set(self.methods)):
            return False
        if self.source_ips is not None and (
            other.source_ips is None
            or not all(any(_cidr_covers(a, b) for a in self.source_ips) for b in other.source_ips)
        ):
            return False
        theirs = dict(other.headers)
        for name, patterns in self.headers:
            if name not in theirs or not values(patterns, theirs[name], fold=True):
                return False
        if self.queries is not None:
            return other.queries is not None and set(self.queries) <= set(other.queries)
        return True

    def describe(self) -> str:
        """``host api.x, path /ws*``; ``every request`` when unconstrained."""
        parts = []
        if self.hosts is not None:
            parts.append("host " + ", ".join(self.hosts))
        if self.paths is not None:
            parts.append(", ".join(self.paths) if self.hosts is None else "path " + ", ".join(self.paths))
        if self.methods is not None:
            parts.append("method " + ", ".join(self.methods))
        if self.source_ips is not None:
            parts.append("from " + ", ".join(self.source_ips))
        parts += [f"header {name}" for name, _ in self.headers]
        if self.queries is not None:
            parts.append("query " + "&".join(f"{k}={v}" for k, v in self.queries))
        return "; ".join(parts).replace(";", ",") if parts else "every request"


def _strings(value: Any) -> tuple[str, ...] | None:
    items = as_list(value)
    return tuple(str(item) for item in items if isinstance(item, str))


def condition_of(conditions: Any) -> Any:
    """The :class:`Condition` of a rule's ``conditions`` list; UNKNOWN while any part is unknown."""
    items = as_list(conditions)
    if items is UNKNOWN or contains_unknown(items):
        return UNKNOWN
    fields: dict[str, Any] = {}
    headers: list[tuple[str, tuple[str, ...]]] = []
    queries: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for key, field_name in (
            ("hostHeader", "hosts"),
            ("pathPattern", "paths"),
            ("httpRequestMethod", "methods"),
            ("sourceIp", "source_ips"),
        ):
            if dig(item, key) is not None:
                found = _strings(dig(item, key, "values"))
                fields[field_name] = (fields.get(field_name) or ()) + (found or ())
        header = dig(item, "httpHeader")
        if header is not None:
            name = str(dig(header, "httpHeaderName") or "").lower()
            headers.append((name, _strings(dig(header, "values")) or ()))
        for query in as_list(dig(item, "queryStrings")) or []:
            if isinstance(query, Mapping):
                queries.append((str(query.get("key") or ""), str(query.get("value") or "")))
    return Condition(
        hosts=fields.get("hosts"),
        paths=fields.get("paths"),
        methods=fields.get("methods"),
        source_ips=fields.get("source_ips"),
        headers=tuple(sorted(headers)),
        queries=tuple(sorted(queries)) if queries else None,
    )


def forward_groups(actions: Any) -> Any:
    """(target group ARN, weight) of the forward action among ``actions``; [] for none; UNKNOWN when unknown.

    The ARN itself may be UNKNOWN (a group created in the same update, at a first preview); the weight is 1 for
    a plain ``targetGroupArn``.
    """
    items = as_list(actions)
    if items is UNKNOWN:
        return UNKNOWN
    found: list[tuple[Any, float]] = []
    for action in items:
        kind = dig(action, "type")
        if is_unknown(kind):
            return UNKNOWN
        if kind != "forward":
            continue
        single = dig(action, "targetGroupArn")
        if single is not None:
            found.append((single, 1.0))
        targets = as_list(dig(action, "forward", "targetGroups"))
        if targets is UNKNOWN:
            return UNKNOWN
        for group in targets:
            weight = dig(group, "weight")
            found.append((dig(group, "arn"), float(weight) if isinstance(weight, (int, float)) else 1.0))
    return found
