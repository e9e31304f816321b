"""The pack's catalog: every rule family imported, and the guardrails, SDK policies and config schemas built from them.

Rules import :mod:`fintech_guardrails.registry` (its decorators register them); only this module imports the
rules, so the registry never depends on what it registers (cdk-nag's packs compose rules the same way).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Policy

import fintech_guardrails.rules  # noqa: F401  (importing the package registers every rule family)
from fintech_guardrails.registry import REGISTRY, Guardrail

__all__ = ["config_schemas", "guardrails", "policies"]


def guardrails() -> list[Guardrail]:
    """Every guardrail of the pack, in name order."""
    return [REGISTRY[name] for name in sorted(REGISTRY)]


def policies() -> list[Policy]:
    """The SDK policy objects for the pack."""
    return [guardrail.policy() for guardrail in guardrails()]


def config_schemas() -> dict[str, dict[str, dict[str, Any]]]:
    """Policy name -> its config schema's properties (the shared settings and its own)."""
    return {guardrail.name: guardrail.schema() for guardrail in guardrails()}
