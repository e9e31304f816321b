"""Check policy config properties against each policy's JSON schema, as the Pulumi engine does.

A module of its own, importing nothing of the project, because the analyzer relay (:mod:`fintech_infra_gate.relay`)
runs these checks in its small process; the rest of the policy config handling is
:mod:`fintech_infra_gate.policyconfig`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Check", "schema_problems"]

Check = tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""One policy's (name, config schema, resolved properties) to validate."""


def schema_problems(checks: list[Check], source: str) -> list[str]:
    """One line per property that does not match its policy's schema (JSON Schema draft 7, as the engine).

    Without ``jsonschema`` installed (a runtime install without the dev extras) nothing is checked.
    """
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:
        return []
    lines: list[str] = []
    for name, schema, properties in checks:
        document = {"type": "object", **schema}
        errors = sorted(jsonschema.Draft7Validator(document).iter_errors(dict(properties)), key=lambda e: list(e.path))
        lines += [f"{source}: {name}.{'.'.join(str(p) for p in e.path) or '(properties)'}: {e.message}" for e in errors]
    return lines
