"""The jurisdiction registry as the pack reads it: the library's entries, plus a stack's reviewed overrides.

The entries and the rules an override must follow come from ``data/jurisdictions.json`` (generated from
the library's ``Jurisdiction`` model, so both read the same regions and retention minimums). Overrides
have the shape of the stack's ``fintech-infra:jurisdictions`` config: per code, the fields to change; a
code the registry does not know must give every field. They are merged and checked here in plain Python,
field by field, the way the library's model does; the first problem is raised as :class:`OverrideError`
naming the key path, the bad value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fintech_guardrails import facts

__all__ = ["DEFAULT_REGISTRY", "Jurisdiction", "JurisdictionRegistry", "OverrideError"]


class OverrideError(ValueError):
    """A jurisdiction override the pack cannot use; the message names the key path."""


@dataclass(frozen=True)
class Jurisdiction:
    """One regulator's residency and retention rules (the fields of the library's model)."""

    code: str
    regulator: str
    primary_regions: tuple[str, ...]
    dr_regions: tuple[str, ...]
    min_backup_retention_days: int
    min_audit_log_retention_days: int
    legal_reference: str

    @property
    def permitted_regions(self) -> frozenset[str]:
        """Every region where this jurisdiction's data may live: primary and DR."""
        return frozenset(self.primary_regions) | frozenset(self.dr_regions)


def _integer(where: str, value: Any) -> int:
    # Config reaches a policy through a protobuf Struct, where every number is a float: 2555.0 is 2555.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise OverrideError(f"{where}: {value!r} is not a whole number")
    return int(value)


def _check(where: str, value: Any, rule: Mapping[str, Any]) -> Any:
    """``value`` checked against one field's constraints (the JSON-schema subset the generator writes)."""
    kind = rule.get("type")
    if kind == "integer":
        number = _integer(where, value)
        low, high = rule.get("minimum"), rule.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            raise OverrideError(f"{where}: {number!r} is out of range; allowed: {low} to {high}")
        return number
    if kind == "array":
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise OverrideError(f"{where}: {value!r} is not a list of region names")
        if len(value) < rule.get("minItems", 0):
            raise OverrideError(f"{where}: needs at least {rule['minItems']} region")
        known = rule.get("items", {}).get("enum")
        unknown = [item for item in value if known is not None and item not in known]
        if unknown:
            raise OverrideError(f"{where}: {unknown[0]!r} is not an AWS region; allowed: {', '.join(known)}")
        return tuple(value)
    if not isinstance(value, str):
        raise OverrideError(f"{where}: {value!r} is not a string")
    if len(value) < rule.get("minLength", 0):
        raise OverrideError(f"{where}: {value!r} is shorter than {rule['minLength']} characters")
    pattern = rule.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        raise OverrideError(f"{where}: {value!r} does not match {pattern}")
    return value


class JurisdictionRegistry(Mapping[str, Jurisdiction]):
    """An immutable mapping of jurisdiction code to :class:`Jurisdiction`."""

    def __init__(self, entries: Mapping[str, Jurisdiction]) -> None:
        self._entries = dict(sorted(entries.items()))

    def __getitem__(self, code: str) -> Jurisdiction:
        return self._entries[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"JurisdictionRegistry({', '.join(self._entries)})"

    def as_data(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-ready data, in the library's ``JurisdictionRegistry.as_data`` shape."""
        return {
            code: {
                **vars(entry),
                "primary_regions": list(entry.primary_regions),
                "dr_regions": list(entry.dr_regions),
            }
            for code, entry in self._entries.items()
        }

    def with_overrides(self, overrides: Any, *, path: str = "jurisdictions") -> JurisdictionRegistry:
        """A new registry with ``overrides`` applied, or :class:`OverrideError` for the first problem."""
        if not isinstance(overrides, Mapping):
            raise OverrideError(f"{path}: must be an object of jurisdiction codes")
        spec = facts.load("jurisdictions")
        fields: Mapping[str, Mapping[str, Any]] = spec["fields"]
        overridable: list[str] = spec["overridable"]
        merged = dict(self._entries)
        for code, override in overrides.items():
            where = f"{path}.{code}"
            if not isinstance(override, Mapping):
                raise OverrideError(f"{where}: must be an object; allowed keys: {', '.join(overridable)}")
            values: dict[str, Any] = vars(merged[code]).copy() if code in merged else {}
            values["code"] = _check(where, code, fields["code"])
            for key, value in override.items():
                if key not in overridable:
                    raise OverrideError(f"{where}.{key}: unknown field; allowed: {', '.join(overridable)}")
                if value is not None:  # unset keeps the registry's value, as in the library
                    values[key] = _check(f"{where}.{key}", value, fields[key])
            missing = [name for name in spec["required"] if name not in values]
            if missing:
                raise OverrideError(
                    f"{where}.{missing[0]}: required for a jurisdiction the registry does not know "
                    f"(give every field: {', '.join(overridable)})"
                )
            merged[code] = Jurisdiction(**values)
        return JurisdictionRegistry(merged)


def _default_registry() -> JurisdictionRegistry:
    entries: Mapping[str, Mapping[str, Any]] = facts.load("jurisdictions")["jurisdictions"]
    regions = ("primary_regions", "dr_regions")
    return JurisdictionRegistry(
        {
            code: Jurisdiction(**{**entry, **{key: tuple(entry[key]) for key in regions}})
            for code, entry in entries.items()
        }
    )


DEFAULT_REGISTRY = _default_registry()
"""The library's registry, as generated into ``data/jurisdictions.json``."""
