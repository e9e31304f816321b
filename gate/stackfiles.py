"""Read a Pulumi project and its stack files the way the Pulumi CLI does, without the CLI.

``Pulumi.yaml`` gives the project name, the program directory (``main``), the stack file directory
(``stackConfigDir``) and project-level config (``value:`` or ``default:``); ``Pulumi.<stack>.yaml`` overrides
it. A key without a namespace belongs to the project. ``secure:`` values are ciphertext the gate cannot (and
must not) decrypt: they become a fixed placeholder and the key is marked secret, so the program still sees a
secret :class:`pulumi.Output`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fintech_infra.config import StackConfig
from fintech_infra.config_secrets import OFFLINE_SECRET_PLACEHOLDER
from fintech_infra.errors import ConfigError, allowed
from fintech_infra.testing import engine_config
from fintech_infra.validation import validate_stack_config
from fintech_infra_gate.stackyaml import read_yaml

__all__ = [
    "PULUMI_CONFIG_MAX_BYTES",
    "SECRET_PLACEHOLDER",
    "Project",
    "StackFile",
    "check_config_size",
    "engine_json",
    "find_project_dir",
    "load_project",
    "policy_config_path",
]

SECRET_PLACEHOLDER = OFFLINE_SECRET_PLACEHOLDER
"""What a ``secure:`` config value reads as offline; a per-key suffix keeps distinct secrets distinct."""

ROUTING_KEY = "routing"
REFERENCE_KEYS: tuple[tuple[str, str], ...] = (("routing", "zones_stack"), ("dns", "zones_stack"))
"""Config keys (besides ``routing.cell_stacks``) that name a stack the program reads through ``StackReference``:
the routing stack's and the cell stacks' zones stack."""


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` that holds a ``Pulumi.yaml``."""
    for candidate in (start, *start.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise ConfigError(f"no Pulumi.yaml in {str(start)!r} or any parent; pass --project-dir")


PULUMI_CONFIG_MAX_BYTES = 131_072 - len("PULUMI_CONFIG=") - 1
"""The largest stack config the Pulumi CLI can hand a program or a policy pack on Linux.

The CLI passes the whole config as one environment variable, ``PULUMI_CONFIG`` (the language host's
``pulumiConfigVar`` and the analyzer plugin's ``constructEnv`` in pulumi/pulumi), and Linux refuses an
environment string longer than MAX_ARG_STRLEN, 32 pages = 131,072 bytes with its name and NUL (execve(2),
"Limits on size of arguments and environment"); pulumi/pulumi#20402 is the CLI failing that way."""


def engine_json(config: Mapping[str, Any]) -> str:
    """The config as the CLI serializes it into ``PULUMI_CONFIG``: compact JSON, structured values as JSON text,
    and ``<``, ``>``, ``&`` escaped the way Go's encoder does (``secure:`` values as the gate's placeholders)."""
    values = {
        key: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        for key, value in config.items()
    }
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text


def check_config_size(config: Mapping[str, Any], *, where: str) -> None:
    """Refuse a config the Pulumi CLI could not pass in ``PULUMI_CONFIG`` (:data:`PULUMI_CONFIG_MAX_BYTES`)."""
    size = len(engine_json(config).encode("utf-8"))
    if size > PULUMI_CONFIG_MAX_BYTES:
        raise ConfigError(
            f"{where}: the stack config is {size:,} bytes in PULUMI_CONFIG, the one environment variable the Pulumi "
            "CLI passes it to the program and the policy pack in; Linux refuses an environment string over "
            f"131,072 bytes (execve's MAX_ARG_STRLEN), so `pulumi up` could not start them; allowed: at most "
            f"{PULUMI_CONFIG_MAX_BYTES:,} bytes (move bulky data into a file the program reads, or split the stack)"
        )


def _read_yaml(path: Path, root: Path | None = None) -> Any:
    name = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else path.name
    return read_yaml(path, name=name)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "text" if isinstance(value, str) else f"a {type(value).__name__}"


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _placeholder(key: str) -> str:
    return f"{SECRET_PLACEHOLDER}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _reveal(key: str, value: Any) -> tuple[Any, bool]:
    """The value with every ``secure:`` leaf replaced by a placeholder, and whether there was one."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return _placeholder(key), True
        found = False
        out: dict[str, Any] = {}
        for name, item in value.items():
            out[str(name)], secret = _reveal(f"{key}.{name}", item)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [_reveal(f"{key}[{index}]", item) for index, item in enumerate(value)]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


@dataclass(frozen=True)
class StackFile:
    """One ``Pulumi.<stack>.yaml`` merged over the project config."""

    name: str
    path: Path
    config: Mapping[str, Any]
    """Full keys (``fintech-infra:environment``) to values; structured values as Python data."""
    secret_keys: tuple[str, ...]
    project: str

    def validated(self) -> StackConfig:
        """The stack's config as the program reads it under `pulumi up`: validated whole, defaults resolved."""
        return validate_stack_config(engine_config(self.config), secret_keys=self.secret_keys)

    @property
    def environment(self) -> str | None:
        value = self.config.get(f"{self.project}:environment")
        return value if isinstance(value, str) else None

    def _mapping(self, key: str) -> Mapping[str, Any]:
        value = self.config.get(f"{self.project}:{key}")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return {}
        return value if isinstance(value, Mapping) else {}

    @property
    def cell_stacks(self) -> dict[str, str]:
        """``routing.cell_stacks``: cell name to fully qualified stack name; empty for a cell stack."""
        stacks = self._mapping(ROUTING_KEY).get("cell_stacks")
        return {str(k): str(v) for k, v in stacks.items()} if isinstance(stacks, Mapping) else {}

    @property
    def references(self) -> dict[str, str]:
        """Every stack the program reads through ``StackReference``: config key path to fully qualified name.

        ``routing.cell_stacks.<cell>`` (the routing stack's cells), ``routing.zones_stack`` and
        ``dns.zones_stack`` (the stack that owns the hosted zones).
        """
        found = {f"{ROUTING_KEY}.cell_stacks.{cell}": stack for cell, stack in self.cell_stacks.items()}
        for key, field_name in REFERENCE_KEYS:
            value = self._mapping(key).get(field_name)
            if isinstance(value, str) and value:
                found[f"{key}.{field_name}"] = value
        return found

    @property
    def organization(self) -> str:
        """The organization the stacks it references live in; ``organization`` (the DIY default) otherwise."""
        for qualified in self.references.values():
            parts = qualified.split("/")
            if len(parts) == 3:
                return parts[0]
        return "organization"

    @property
    def aws_region(self) -> str | None:
        value = self.config.get("aws:region")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Project:
    """A Pulumi project on disk."""

    root: Path
    name: str
    description: str
    runtime: str
    main: Path
    """The program entry point (``<main>/__main__.py``)."""
    stack_dir: Path
    defaults: Mapping[str, Any] = field(repr=False)
    stack_tags: Mapping[str, str] = field(repr=False)

    def stack_names(self) -> list[str]:
        prefix, suffix = "Pulumi.", ".yaml"
        names = [p.name[len(prefix) : -len(suffix)] for p in self.stack_dir.glob("Pulumi.*.yaml")]
        return sorted(name for name in names if name)

    def stack(self, name: str) -> StackFile:
        """The stack file ``Pulumi.<name>.yaml`` merged over the project's config."""
        path = self.stack_dir / f"Pulumi.{name}.yaml"
        if not path.is_file():
            known = self.stack_names()
            raise ConfigError(
                f"stack {name!r}: no stack file {path.relative_to(self.root)}; "
                + (allowed(known) if known else "the project has no stack files")
            )
        where = str(path.relative_to(self.root)) if path.is_relative_to(self.root) else path.name
        document = _read_yaml(path, self.root)
        if not isinstance(document, Mapping):
            raise ConfigError(
                f"{where}: the file holds {_kind(document)}; allowed: a mapping with a `config:` key (and optionally "
                "`secretsprovider:`, `encryptedkey:`, `environment:`)"
            )
        raw = document.get("config") or {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: config: holds {_kind(raw)}; allowed: a mapping of config keys to values")
        config: dict[str, Any] = dict(self.defaults)
        secrets: list[str] = []
        for key, value in raw.items():
            full = _full_key(self.name, str(key))
            revealed, secret = _reveal(full, value)
            config[full] = revealed
            if secret:
                secrets.append(full)
        check_config_size(config, where=where)
        return StackFile(name=name, path=path, config=config, secret_keys=tuple(sorted(secrets)), project=self.name)

    def stack_for_reference(self, qualified: str, *, where: str) -> str:
        """The stack file name a fully qualified ``org/project/stack`` reference names."""
        parts = qualified.split("/")
        known = self.stack_names()
        if len(parts) not in (1, 3) or not parts[-1]:
            raise ConfigError(f"{where}: {qualified!r} is not a stack name; expected org/{self.name}/<stack>")
        if len(parts) == 3 and parts[1] != self.name:
            raise ConfigError(f"{where}: {qualified!r} names project {parts[1]!r}; allowed: {self.name}")
        if parts[-1] not in known:
            raise ConfigError(f"{where}: {qualified!r} names no stack file in {self.stack_dir.name}/; {allowed(known)}")
        return parts[-1]

    def policy_config_path(self, pack_dir: Path, environment: str | None) -> Path | None:
        return policy_config_path(pack_dir, environment)


def policy_config_path(pack_dir: Path, environment: str | None) -> Path | None:
    """The ``--policy-pack-config`` file for the environment, when there is one.

    ``<pack>/config/pulumi/<env>.json`` (the per-policy form a pack may generate from a compact reviewed
    file, and what ``pulumi preview --policy-pack-config`` takes) wins over ``<pack>/config/<env>.json``.
    """
    if environment is None:
        return None
    for path in (pack_dir / "config" / "pulumi" / f"{environment}.json", pack_dir / "config" / f"{environment}.json"):
        if path.is_file():
            return path
    return None


def load_project(root: Path) -> Project:
    """Parse ``<root>/Pulumi.yaml``."""
    path = root / "Pulumi.yaml"
    if not path.is_file():
        raise ConfigError(f"{str(root)!r}: no Pulumi.yaml; pass --project-dir")
    document = _read_yaml(path, root)
    if not isinstance(document, Mapping) or not isinstance(document.get("name"), str):
        raise ConfigError("Pulumi.yaml: `name` is required")
    name = document["name"]
    runtime = document.get("runtime", "python")
    runtime_name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    main_dir = root / str(document.get("main") or ".")
    main = main_dir / "__main__.py" if main_dir.is_dir() else main_dir
    defaults: dict[str, Any] = {}
    tags: dict[str, str] = {}
    for key, value in (document.get("config") or {}).items():
        full = _full_key(name, str(key))
        if isinstance(value, Mapping) and ("value" in value or "default" in value):
            setting = value["value"] if "value" in value else value["default"]
        elif isinstance(value, Mapping):
            continue  # a typed declaration without a default: the stack must set it
        else:
            setting = value
        if full == "pulumi:tags" and isinstance(setting, Mapping):
            tags.update({str(k): str(v) for k, v in setting.items()})
            continue
        defaults[full] = setting
    description = str(document.get("description") or "")
    # The tags the engine hands an analyzer: the project's own plus the ones Pulumi sets on every stack.
    stack_tags = {"pulumi:project": name, "pulumi:runtime": str(runtime_name), **tags}
    if description:
        stack_tags["pulumi:description"] = description
    return Project(
        root=root,
        name=name,
        description=description,
        runtime=str(runtime_name),
        main=main,
        stack_dir=root / str(document.get("stackConfigDir") or "."),
        defaults=defaults,
        stack_tags=stack_tags,
    )
