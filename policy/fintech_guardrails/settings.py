"""The pack's configuration: shared settings every policy receives, plus each policy's thresholds.

Pulumi hands a policy only its own config object (``--policy-pack-config`` keys are policy names), so the
reviewed per-environment file ``policy/config/<env>.json`` is written compactly and :func:`expand` turns
it into the per-policy form the engine and the gate pass to ``Configure``::

    {
      "environment": "prod",                       # dev | staging | prod
      "today": "2025-01-31",                       # optional: pin the date exemptions expire against
      "jurisdictions": {"cysec": {...}},           # registry overrides, same shape as fintech-infra:jurisdictions
      "enforcement": {"default": "mandatory", "rds-multi-az": "advisory"},
      "thresholds": {"rds-backup-retention": {"minDays": 35}},
      "exemptions": [{"policy": ..., "resource": ..., "reason": ..., "ticket": ..., "approver": ..., "expires": ...}]
    }

Every policy's expanded config carries ``environment``, ``today`` (when pinned), ``jurisdictions`` and the
exemptions naming it; ``exemptions-valid`` receives all of them. ``python -m fintech_guardrails.configfiles``
writes the expanded files for the CLI to ``policy/config/pulumi/<env>.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fintech_guardrails.exemptions import Exemption, parse_exemptions
from fintech_guardrails.jurisdictions import DEFAULT_REGISTRY, JurisdictionRegistry, OverrideError

__all__ = [
    "CONFIG_DIR",
    "ENVIRONMENTS",
    "EXEMPTIONS_POLICY",
    "SHARED_SCHEMA",
    "Settings",
    "expand",
    "jurisdiction_minimum",
    "load_environment",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
EXEMPTIONS_POLICY = "exemptions-valid"
LEVELS = ("advisory", "mandatory", "disabled")
_COMPACT_KEYS = frozenset({"environment", "today", "jurisdictions", "enforcement", "thresholds", "exemptions"})

SHARED_SCHEMA: dict[str, dict[str, Any]] = {
    "environment": {
        "type": "string",
        "enum": list(ENVIRONMENTS),
        "default": "prod",
        "description": "Environment the stack belongs to; defaults to prod (the strictest reading).",
    },
    "today": {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "description": "Date exemptions expire against (YYYY-MM-DD); defaults to the real date.",
    },
    "jurisdictions": {
        "type": "object",
        "description": "Jurisdiction registry overrides, same shape as the stack's fintech-infra:jurisdictions.",
    },
    "exemptions": {
        "type": "array",
        "items": {"type": "object"},
        "description": "Reviewed exemptions: policy, resource (URN or name glob), reason, ticket, approver, expires.",
    },
}


@dataclass(frozen=True)
class Settings:
    """What one policy evaluation knows from config."""

    environment: str = "prod"
    today: dt.date = field(default_factory=dt.date.today)
    registry: JurisdictionRegistry = field(default_factory=lambda: DEFAULT_REGISTRY)
    exemptions: tuple[Exemption, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    """Config that could not be used (a bad date or registry override); reported, never silently dropped."""

    def value(self, key: str) -> Any:
        return self.values[key]

    @classmethod
    def from_config(cls, config: Mapping[str, Any], defaults: Mapping[str, Any]) -> Settings:
        problems: list[str] = []
        today = dt.date.today()
        raw_today = config.get("today")
        if isinstance(raw_today, str) and raw_today:
            try:
                today = dt.date.fromisoformat(raw_today)
            except ValueError:
                problems.append("config `today` is not a YYYY-MM-DD date; using the real date")
        registry = DEFAULT_REGISTRY
        overrides = config.get("jurisdictions")
        if overrides:
            try:
                registry = DEFAULT_REGISTRY.with_overrides(overrides)
            except OverrideError as error:
                problems.append(f"config {error}; using the registry without overrides")
        environment = config.get("environment")
        values = {key: config.get(key, default) for key, default in defaults.items()}
        return cls(
            environment=environment if environment in ENVIRONMENTS else "prod",
            today=today,
            registry=registry,
            exemptions=parse_exemptions(config.get("exemptions")),
            values=values,
            problems=tuple(problems),
        )


def jurisdiction_minimum(registry: JurisdictionRegistry, code: str | None, field_name: str) -> int:
    """A retention minimum of ``code``; the strictest in the registry when the jurisdiction is unknown."""
    if code is not None and code in registry:
        return int(getattr(registry[code], field_name))
    return max(int(getattr(entry, field_name)) for entry in registry.values())


_CACHE: dict[str, Settings] = {}


def cached_settings(config: Mapping[str, Any], defaults: Mapping[str, Any]) -> Settings:
    """:meth:`Settings.from_config`, memoised: the same config arrives with every resource."""
    key = json.dumps([config, defaults], sort_keys=True, default=str)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) > 512:
            _CACHE.clear()
        found = _CACHE[key] = Settings.from_config(config, defaults)
    return found


def expand(compact: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The per-policy config (``--policy-pack-config`` form) for a compact environment file.

    ``schemas`` maps each policy name to its config-schema properties. Raises ValueError naming the first
    key that does not fit, so a typo in a reviewed file fails loudly.
    """
    unknown = sorted(set(compact) - _COMPACT_KEYS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key; allowed: {', '.join(sorted(_COMPACT_KEYS))}")
    enforcement: Mapping[str, str] = compact.get("enforcement", {})
    thresholds: Mapping[str, Mapping[str, Any]] = compact.get("thresholds", {})
    for name, level in enforcement.items():
        if name != "default" and name not in schemas:
            raise ValueError(f"enforcement.{name}: no such policy")
        if level not in LEVELS:
            raise ValueError(f"enforcement.{name}: {level!r} is not one of {', '.join(LEVELS)}")
    for name, values in thresholds.items():
        if name not in schemas:
            raise ValueError(f"thresholds.{name}: no such policy")
        for key in values:
            if key not in schemas[name] or key in SHARED_SCHEMA:
                raise ValueError(f"thresholds.{name}.{key}: not a setting of this policy")
    exemptions = list(compact.get("exemptions", []))
    shared: dict[str, Any] = {"environment": compact.get("environment", "prod")}
    if compact.get("today"):
        shared["today"] = compact["today"]
    if compact.get("jurisdictions"):
        shared["jurisdictions"] = compact["jurisdictions"]
    default_level = enforcement.get("default", "mandatory")
    expanded: dict[str, dict[str, Any]] = {}
    for name in sorted(schemas):
        level = default_level if name != EXEMPTIONS_POLICY else "mandatory"
        entry: dict[str, Any] = {"enforcementLevel": enforcement.get(name, level), **shared}
        mine = [item for item in exemptions if name == EXEMPTIONS_POLICY or item.get("policy") == name]
        if mine:
            entry["exemptions"] = mine
        entry.update(thresholds.get(name, {}))
        expanded[name] = entry
    expanded[EXEMPTIONS_POLICY]["enforcementLevel"] = "mandatory"
    return expanded


def load_environment(environment: str, *, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The compact file for one environment."""
    return dict(json.loads((config_dir / f"{environment}.json").read_text(encoding="utf-8")))
