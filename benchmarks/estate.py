"""A synthetic estate: a stack file with N cells, generated from a shipped cell, never hand-written.

Each generated cell copies a template cell from a shipped stack (by default ``prod-eu``, a production cell
with DR) and changes only what must be unique per cell: its name, its entities' names and hostnames, and
its VPC range. The result is validated with :func:`fintech_infra.validation.load_stack_config` before it is written,
so the generator fails loudly when the schema moves on.

A template stack that validates its certificates in a zones stack (``dns.zones_stack``) keeps doing so: the
estate's hostnames go under ``estate.<zone>`` and the written project gets a copy of the zones stack with a
validation writer per estate stack for that name, so the estate registers what a real cell stack does.
"""

from __future__ import annotations

import copy
import ipaddress
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fintech_infra.config import CONFIG_NAMESPACE
from fintech_infra.validation import load_stack_config
from fintech_infra_gate.stackfiles import load_project

__all__ = ["estate_config", "write_estate", "write_split_estate"]


ZONES_KEY = f"{CONFIG_NAMESPACE}:zones"
DNS_KEY = f"{CONFIG_NAMESPACE}:dns"


def _zones_stack(project_dir: Path, raw: Mapping[str, Any]) -> str | None:
    """The stack file name of the template's zones stack; None when its cells validate no other way."""
    dns = raw.get(DNS_KEY)
    if not isinstance(dns, Mapping) or not dns.get("zones_stack"):
        return None
    project = load_project(project_dir)
    return project.stack_for_reference(str(dns["zones_stack"]), where=f"{DNS_KEY}.zones_stack")


def _estate_domain(project_dir: Path, raw: Mapping[str, Any]) -> str:
    zones_stack = _zones_stack(project_dir, raw)
    if zones_stack is None:
        return "estate.example.com"
    zones = load_project(project_dir).stack(zones_stack).config[ZONES_KEY]
    return f"estate.{zones['zone_name']}"


def _cell(template: Mapping[str, Any], index: int, domain: str) -> tuple[str, dict[str, Any]]:
    name = f"c{index:02d}"
    cell = copy.deepcopy(dict(template))
    cell["entities"] = [
        {
            **entity,
            "name": f"{name}-{entity['name']}"[:25],
            "hostname": f"api.{name}.{j}.{domain}",
            **(
                {"hostnames": {role: f"{role}.{name}.{j}.{domain}" for role in entity["hostnames"]}}
                if entity.get("hostnames")
                else {}
            ),
        }
        for j, entity in enumerate(template["entities"])
    ]
    vpc = dict(cell.get("vpc") or {})
    vpc["cidr"] = str(ipaddress.IPv4Network(f"10.{(index * 4) % 256}.0.0/16"))  # unique for up to 64 cells
    cell["vpc"] = vpc
    return name, cell


def estate_config(
    project_dir: Path,
    cells: int,
    *,
    template_stack: str = "prod-eu",
    template_cell: str | None = None,
    first: int = 1,
) -> dict[str, Any]:
    """The ``config:`` mapping of a stack file with ``cells`` copies of the template cell, numbered from ``first``
    (several estate stacks number their cells apart, so names and hostnames stay unique across them)."""
    project = load_project(project_dir)
    source = project.stack(template_stack)
    prefix = f"{CONFIG_NAMESPACE}:"
    raw = {
        key: value for key, value in source.config.items() if key in yaml.safe_load(source.path.read_text())["config"]
    }
    template_cells = raw[f"{prefix}cells"]
    template = template_cells[template_cell or next(iter(template_cells))]
    domain = _estate_domain(project_dir, raw)
    raw[f"{prefix}cells"] = dict(_cell(template, index, domain) for index in range(first, first + cells))
    load_stack_config({key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)})
    return raw


def write_split_estate(project_dir: Path, target: Path, *, stacks: int, cells_per_stack: int) -> list[str]:
    """A copy of the project at ``target`` holding only an estate of ``stacks`` stack files of
    ``cells_per_stack`` cells each (``estate-s01``...), plus the zones stack they validate in; their names."""
    _copy_project(project_dir, target)
    project = load_project(project_dir)
    stack_dir = target / project.stack_dir.relative_to(project_dir)
    names, raw = [], {}
    for index in range(stacks):
        name = f"estate-s{index + 1:02d}"
        raw = estate_config(project_dir, cells_per_stack, first=index * cells_per_stack + 1)
        (stack_dir / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": raw}, sort_keys=False), "utf-8")
        names.append(name)
    zones_stack = _zones_stack(project_dir, raw) if raw else None
    if zones_stack is not None:
        _write_zones_stack(project, zones_stack, stack_dir, raw, names)
    return names


def _copy_project(project_dir: Path, target: Path) -> None:
    """Pulumi.yaml and the program, without the stack files."""
    project = load_project(project_dir)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(project_dir / "Pulumi.yaml", target / "Pulumi.yaml")
    stack_dir = target / project.stack_dir.relative_to(project_dir)
    stack_dir.mkdir(parents=True, exist_ok=True)
    for item in project.main.parent.iterdir():
        if item.suffix == ".py":
            shutil.copy(item, stack_dir / item.name)


def write_estate(project_dir: Path, target: Path, sizes: tuple[int, ...], **options: Any) -> dict[int, str]:
    """A copy of the project at ``target`` with one ``estate-<n>`` stack file per size; size -> stack name."""
    _copy_project(project_dir, target)
    project = load_project(project_dir)
    stack_dir = target / project.stack_dir.relative_to(project_dir)
    names = {}
    raw: dict[str, Any] = {}
    for size in sizes:
        name = f"estate-{size}"
        raw = estate_config(project_dir, size, **options)
        document = {"config": raw}
        (stack_dir / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        names[size] = name
    zones_stack = _zones_stack(project_dir, raw) if raw else None
    if zones_stack is not None:
        _write_zones_stack(project, zones_stack, stack_dir, raw, list(names.values()))
    return names


def _write_zones_stack(
    project: Any, zones_stack: str, stack_dir: Path, raw: Mapping[str, Any], estate_stacks: list[str]
) -> None:
    """The zones stack, copied with a validation writer per estate stack for the estate's names."""
    source = project.stack(zones_stack)
    document = yaml.safe_load(source.path.read_text(encoding="utf-8"))
    zones = document["config"][ZONES_KEY]
    role = raw[f"{CONFIG_NAMESPACE}:deployment"]["deploy_role_arn"]
    writers = dict(zones.get("validation_writers") or {})
    for stack in estate_stacks:
        writers[stack] = {"deploy_role_arn": role, "names": [f"estate.{zones['zone_name']}"]}
    zones["validation_writers"] = writers
    (stack_dir / source.path.name).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
