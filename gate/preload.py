"""Warm a parent process before it forks the ``--all`` workers, so each worker starts with the imports done.

A stack program's first synthesis in a fresh interpreter spends about one second importing: the program's
own modules, and the provider SDK submodules (``pulumi_aws.rds``, ...) that ``pulumi_aws`` loads lazily on
first attribute access. :func:`preload` imports the modules the program file imports, then every lazily
loaded ``pulumi_*`` submodule that a project module names through an ``import pulumi_x as alias`` binding
(``aws.rds.Instance`` loads ``pulumi_aws.rds``). Forked workers inherit all of it.

Only a speed-up: the program itself is never run here, and anything :func:`preload` misses is imported by
the worker as before. Failures are ignored for the same reason, and ``FINTECH_INFRA_SPEEDUPS=0`` skips it
with the gate's other speed-ups (:mod:`fintech_infra_gate.speedups`).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["GATE_MODULES", "preload"]

GATE_MODULES = ("jsonschema",)
"""Modules the gate itself imports on first use in every stack (policy config validation)."""

_PROVIDER_PREFIX = "pulumi_"


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


_IMPORT = re.compile(
    rf"^[ \t]*import[ \t]+({_PROVIDER_PREFIX}\w+)(?:[ \t]+as[ \t]+(\w+))?[ \t]*(?:#.*)?$", re.MULTILINE
)


def _provider_aliases(source: str) -> dict[str, str]:
    """``import pulumi_aws as aws`` -> {"aws": "pulumi_aws"} (and ``import pulumi_aws`` -> itself)."""
    return {alias or name: name for name, alias in _IMPORT.findall(source)}


def _attribute_chains(source: str, aliases: dict[str, str]) -> set[str]:
    """Dotted module candidates: ``aws.rds.Instance`` gives pulumi_aws.rds and pulumi_aws.rds.Instance.

    A text search, not a parse: about ten times faster over the project's modules, and a false match (in a
    comment, say) only names a module that :func:`_load` then finds missing or imports needlessly.
    """
    found: set[str] = set()
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, aliases)) + r")((?:\.[A-Za-z_]\w*){1,3})")
    for alias, chain in pattern.findall(source):
        parts = chain[1:].split(".")
        for depth in range(1, len(parts) + 1):
            found.add(".".join([aliases[alias], *parts[:depth]]))
    return found


def _load(name: str) -> None:
    """Import ``name`` if it is a module (lazy stubs included) and execute it."""
    module = sys.modules.get(name)
    if module is None:
        parent = name.rpartition(".")[0]
        if parent and parent not in sys.modules:
            return
        try:
            if importlib.util.find_spec(name) is None:
                return
        except (ImportError, ValueError):
            return
        module = importlib.import_module(name)
    # A lazily loaded module executes on its first access to an attribute other than the introspection
    # ones (``__name__``, ``__spec__``, ...), which both importlib's and pulumi's lazy loaders leave alone.
    getattr(module, "_preload_probe_", None)


def _project_sources(project_dir: Path) -> Iterator[Path]:
    root = project_dir.resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py"):
            continue
        path = Path(file).resolve()
        if path.is_relative_to(root) and ".venv" not in path.parts and "site-packages" not in path.parts:
            yield path


def preload(program: Path, project_dir: Path, also: Iterable[str] = ()) -> int:
    """Import what ``program`` needs (see the module docstring) and the modules ``also`` names.

    Returns how many modules were loaded.
    """
    before = len(sys.modules)
    for name in also:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        for name in _imported_modules(ast.parse(program.read_text(encoding="utf-8"))):
            with contextlib.suppress(Exception):
                importlib.import_module(name)
        for source in sorted(set(_project_sources(project_dir))):
            with contextlib.suppress(Exception):
                text = source.read_text(encoding="utf-8")
                aliases = _provider_aliases(text)
                for name in sorted(_attribute_chains(text, aliases)) if aliases else ():
                    with contextlib.suppress(Exception):
                        _load(name)
    return len(sys.modules) - before
