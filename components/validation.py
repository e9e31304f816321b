"""The validation pass: the whole stack config judged at once, before the first resource is registered.

``pulumi up`` creates each resource as it registers, so a config error found by a component half-way through
the program leaves half a deployment behind. :func:`validate_stack_config` runs first (the stack program,
:func:`fintech_infra.program.main`, calls it before anything else, under ``pulumi up`` and under the gate
alike) and reports every problem in one :class:`~fintech_infra.errors.ConfigError`, one line each with the
key path, the bad value (masked where it may be a credential) and what is allowed:

1. namespaces: a key outside ``fintech-infra`` and the providers' namespaces (``fintech-infr:cells``) is
   named, with the namespace it most likely meant;
2. credentials in plain config (:mod:`fintech_infra.config_secrets`), in every namespace;
3. shapes and types, strictly: pydantic's strict mode on the JSON form, so ``true`` is never a number and
   ``"2"`` never an integer; unknown keys get a "did you mean" (:mod:`fintech_infra.config_messages`);
4. every rule that spans keys (:data:`fintech_infra.config_checks.CHECKS`) and every AWS limit
   (:data:`fintech_infra.config_limits.CHECKS`), with the application tier's
   (:data:`fintech_infra.app_checks.CHECKS`); they need typed values, so when step 3 found problems they
   judge the config with the bad keys taken out (a typo'd key read as the key it most likely means), and
   are skipped only when that leaves a required key missing.

The checks are data (three tuples), so a new rule is one function added to one of them. A new settings model
is picked up by steps 2 and 3 without any change here. File-level problems (encoding, duplicate keys, YAML
syntax) are the reader's: under ``pulumi up`` the Pulumi CLI reads the file, under the gate
:mod:`fintech_infra_gate.stackfiles` does.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from fintech_infra import app_checks, config_checks, config_limits
from fintech_infra.compute_config import with_default_deployments
from fintech_infra.config import CONFIG_NAMESPACE, StackConfig, default_dr_read_replica, default_objectives
from fintech_infra.config_messages import did_you_mean, file_loc, model_fields_at, validation_problems
from fintech_infra.config_secrets import credential_problems
from fintech_infra.errors import ConfigError, ResidencyError, key_path

__all__ = [
    "PROVIDER_NAMESPACES",
    "load_stack_config",
    "read_engine_config",
    "read_pulumi_config",
    "validate_stack_config",
]

PROVIDER_NAMESPACES = ("aws", "kubernetes", "pulumi")
"""Namespaces besides the project's that a stack file may set: the providers the program uses, and Pulumi's."""

_REQUIRED = "fintech-infra:environment, fintech-infra:tags, and fintech-infra:cells or fintech-infra:routing"


def _decoded(value: Any) -> Any:
    """A value as the engine hands it (structured values as JSON text) turned back into data."""
    if isinstance(value, str):
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(value)
    return value


def _json_ready(value: Any) -> Any:
    """``value`` with keys as strings and anything JSON cannot carry as text, so strict JSON validation
    sees exactly what a stack file says (``.nan`` is not a number; a YAML date is text)."""
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _namespace_problems(keys: Sequence[str], namespace: str) -> list[str]:
    """Keys without a namespace or in an unknown one (each with the key it most likely means)."""
    known = (namespace, *PROVIDER_NAMESPACES)
    problems = []
    for key in keys:
        prefix, _, rest = key.partition(":")
        if not rest:
            problems.append(f"{key}: key without a namespace; allowed: {namespace}:{key} (or a provider's key)")
        elif prefix not in known:
            guess = did_you_mean(prefix, known)
            hint = f"did you mean {guess}:{rest}? " if guess else ""
            problems.append(f"{key}: unknown namespace {prefix!r}; {hint}allowed namespaces: {', '.join(known)}")
    return problems


def _resolve_defaults(config: StackConfig) -> StackConfig:
    cells = {}
    for name, cell in config.cells.items():
        has_dr = cell.dr_region is not None
        concerns = tuple(
            database.model_copy(
                update={
                    "objectives": database.objectives
                    or default_objectives(config.environment, database.concern, has_dr_region=has_dr),
                    "dr_read_replica": database.dr_read_replica
                    if database.dr_read_replica is not None
                    else default_dr_read_replica(config.environment, database.engine, has_dr_region=has_dr),
                }
            )
            for database in cell.concerns
        )
        compute = with_default_deployments(cell.compute, config.environment)
        cells[name] = cell.model_copy(update={"concerns": concerns, "compute": compute})
    return config.model_copy(update={"cells": cells})


def _repaired(raw: dict[str, Any], error: ValidationError) -> tuple[StackConfig, list[str]] | None:
    """The config with every bad key taken out (a typo'd key renamed to the key it most likely means), so the
    rules can still judge the rest; None when that is not possible (a required key is bad or missing, or a
    list item is). Returns the typed config and the key paths taken out."""
    fixed: dict[str, Any] = copy.deepcopy(raw)
    removed: list[str] = []
    items = error.errors(include_url=False)
    for item in sorted(items, key=lambda i: i["type"] != "extra_forbidden"):
        loc = file_loc(tuple(item["loc"]))
        if item["type"] == "missing" or not loc or "[key]" in loc:
            continue
        holder: Any = fixed
        for part in loc[:-1]:
            if isinstance(holder, dict):
                holder = holder.get(part)
            elif isinstance(holder, list) and isinstance(part, int) and 0 <= part < len(holder):
                holder = holder[part]
            else:
                holder = None
        if not isinstance(holder, dict) or loc[-1] not in holder:
            return None
        value = holder.pop(loc[-1])
        guess = did_you_mean(str(loc[-1]), model_fields_at(StackConfig, tuple(item["loc"])[:-1]))
        if item["type"] == "extra_forbidden" and guess is not None and guess not in holder:
            holder[guess] = value
        else:
            removed.append(key_path(*loc))
    try:
        config = StackConfig.model_validate_json(json.dumps(_json_ready(fixed)), strict=True)
    except ValidationError:
        return None
    return config, removed


def _rule_problems(config: StackConfig) -> list[str]:
    checks = (*config_checks.CHECKS, *app_checks.CHECKS, *config_limits.CHECKS)
    return [problem for check in checks for problem in check(config)]


def _path_of(problem: str) -> str:
    return problem.split(": ", 1)[0]


def _within(path: str, outer: str) -> bool:
    return path.startswith((f"{outer}.", f"{outer}["))


def _join(problems: Sequence[str]) -> str:
    if len(problems) == 1:
        return f"invalid stack config: {problems[0]}"
    return f"invalid stack config ({len(problems)} problems):\n" + "\n".join(f"  - {problem}" for problem in problems)


def validate_stack_config(
    values: Mapping[str, Any], *, secret_keys: Sequence[str] = (), namespace: str = CONFIG_NAMESPACE
) -> StackConfig:
    """The stack config (full keys, as the engine hands them) as a :class:`StackConfig`, defaults resolved.

    Raises one :class:`ConfigError` (a :class:`ResidencyError` when a region is outside a jurisdiction)
    listing every problem found, one line each.
    """
    full = {str(key): _decoded(value) for key, value in values.items()}
    problems = _namespace_problems(list(full), namespace)
    secrets = credential_problems(full, secret_keys=secret_keys, namespace=namespace)
    prefix = f"{namespace}:"
    raw = {key[len(prefix) :]: value for key, value in full.items() if key.startswith(prefix)}
    # A key in a misspelled namespace is judged as the key it most likely means (its typo is one problem,
    # not two: the namespace, and the project key it leaves missing).
    for key, value in full.items():
        meant, _, rest = key.partition(":")
        if rest and meant != namespace and did_you_mean(meant, (namespace, *PROVIDER_NAMESPACES)) == namespace:
            raw.setdefault(rest, value)
    config: StackConfig | None = None
    removed: list[str] = []
    if not raw:
        problems.append(f"(stack): no {namespace}:* keys; required: {_REQUIRED} (is the stack file empty?)")
    else:
        try:
            config = StackConfig.model_validate_json(json.dumps(_json_ready(raw)), strict=True)
        except ValidationError as error:
            shapes = validation_problems(StackConfig, error)
            # A credential is reported once, by the scan; the model's complaint about its mapping goes.
            problems += [p for p in shapes if not any(_within(_path_of(s), _path_of(p)) for s in secrets)]
            # The rules still judge everything else: on the config with the bad keys taken out.
            config, removed = _repaired(raw, error) or (None, [])
    residency = False
    if config is not None:
        rules = _rule_problems(_resolve_defaults(config))
        rules = [r for r in rules if not any(_path_of(r) == p or _within(_path_of(r), p) for p in removed)]
        residency = any(getattr(problem, "residency", False) for problem in rules)
        problems += rules
    problems = [*secrets, *problems]
    if problems:
        error_type = ResidencyError if residency else ConfigError
        raise error_type(_join(problems), problems=[str(problem) for problem in problems])
    assert config is not None
    return _resolve_defaults(config)


def load_stack_config(raw: Mapping[str, Any], *, namespace: str = CONFIG_NAMESPACE) -> StackConfig:
    """Validate a stack's config given without the namespace (``{"environment": "prod", ...}``)."""
    return validate_stack_config({f"{namespace}:{key}": value for key, value in raw.items()}, namespace=namespace)


def read_engine_config() -> tuple[dict[str, Any], tuple[str, ...]]:
    """Every config key of the running stack (full keys, engine form) and the keys the engine marks secret.

    Reads both the SDK's in-process config and the ``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS`` the CLI
    hands a program, so it behaves the same under ``pulumi up`` and under the mock engine.
    """
    from pulumi.runtime import config as runtime_config

    values: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret = set(runtime_config.get_config_secret_keys_env()) | {
        k for k in values if runtime_config.is_config_secret(k)
    }
    return values, tuple(sorted(secret))


def read_pulumi_config(namespace: str = CONFIG_NAMESPACE) -> dict[str, Any]:
    """Every ``fintech-infra:*`` key of the running stack without the namespace, structured values parsed."""
    values, _ = read_engine_config()
    prefix = f"{namespace}:"
    return {key[len(prefix) :]: _decoded(value) for key, value in values.items() if key.startswith(prefix)}
