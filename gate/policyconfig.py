"""Policy pack config, resolved the way ``pulumi preview --policy-pack-config <file>`` resolves it.

The file maps a policy name to an enforcement level (``"mandatory"``) or to an object with an optional
``enforcementLevel`` and the policy's properties; the key ``all`` sets the level of every policy. The engine
starts from each policy's own level and its config schema's defaults, applies the pack's initial config, then
the file, validates the result against each policy's schema and sends every policy's entry in ``Configure``.
A policy left out of ``Configure`` would fall back to advisory in the Python SDK, so nothing is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fintech_infra.errors import ConfigError, allowed
from fintech_infra_gate.policyschema import Check, schema_problems
from fintech_infra_gate.verdict import ENFORCEMENT_LEVELS

__all__ = ["Check", "PolicySettings", "Validator", "read_policy_config", "reconcile", "schema_problems"]

ALL = "all"


@dataclass(frozen=True)
class PolicySettings:
    """What ``Configure`` sends for one policy."""

    enforcement: str
    properties: Mapping[str, Any]


def read_policy_config(path: Path | None) -> dict[str, Any]:
    """The JSON object in ``path``; empty when there is no file."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path.name}: not valid JSON (line {error.lineno}): {error.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a JSON object mapping policy names to settings")
    return data


def _split(where: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    level: str | None
    if isinstance(value, str):
        level, properties = value, {}
    elif isinstance(value, Mapping):
        level = value.get("enforcementLevel")
        properties = {str(k): v for k, v in value.items() if k != "enforcementLevel"}
    else:
        raise ConfigError(f"{where}: {value!r} is not an enforcement level or an object of settings")
    if level is not None and level not in ENFORCEMENT_LEVELS:
        raise ConfigError(
            f"{where}.enforcementLevel: {level!r} is not an enforcement level; {allowed(ENFORCEMENT_LEVELS)}"
        )
    return level, properties


def _apply(result: dict[str, PolicySettings], given: Mapping[str, Any], source: str) -> None:
    if ALL in given:
        level, _ = _split(f"{source}: {ALL}", given[ALL])
        if level is not None:
            for name, settings in result.items():
                result[name] = PolicySettings(level, settings.properties)
    for name, value in given.items():
        if name == ALL:
            continue
        if name not in result:
            raise ConfigError(f"{source}: {name!r} is not a policy in the pack; {allowed(sorted(result))}")
        level, properties = _split(f"{source}: {name}", value)
        current = result[name]
        result[name] = PolicySettings(level or current.enforcement, {**current.properties, **properties})


Validator = Callable[[list[Check], str], list[str]]


def reconcile(
    policies: Mapping[str, tuple[str, Mapping[str, Any] | None]],
    initial: Mapping[str, Any],
    given: Mapping[str, Any],
    *,
    source: str = "policy config",
    validate: Validator = schema_problems,
) -> dict[str, PolicySettings]:
    """Every policy's enforcement level and properties.

    ``policies`` maps a policy name to its own enforcement level and its config schema
    (``{"properties": {...}, "required": [...]}``); ``initial`` is the pack's initial config. ``validate``
    checks the properties against the schemas (the gate may run it in its relay process).
    """
    result: dict[str, PolicySettings] = {}
    for name, (level, schema) in policies.items():
        defaults = {
            key: spec["default"]
            for key, spec in ((schema or {}).get("properties") or {}).items()
            if isinstance(spec, Mapping) and "default" in spec
        }
        result[name] = PolicySettings(level, defaults)
    _apply(result, initial, "the pack's initial config")
    _apply(result, given, source)
    checks = [(name, schema, result[name].properties) for name, (_, schema) in policies.items() if schema]
    lines = validate(checks, source) if checks else []
    if lines:
        raise ConfigError("invalid policy config:\n" + "\n".join(f"  - {line}" for line in lines), problems=lines)
    return result
