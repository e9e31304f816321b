"""Generate the README's reference sections from the code, the way terraform-docs does for modules.

Sections live between ``<!-- BEGIN X -->`` and ``<!-- END X -->`` markers:

- ``COMPONENT REFERENCE``: every :class:`~fintech_infra._component.FintechComponent` subclass in the package:
  type token, inputs (settings-model fields with defaults and descriptions, then keyword wiring
  parameters), and outputs (the class's ``OUTPUTS``).
- ``CONFIG REFERENCE``: the stack config tree (:class:`~fintech_infra.config.StackConfig`).
- ``JURISDICTIONS``: the jurisdiction registry.
- ``POLICY TABLE``: the policy pack's table, printed by the pack's own renderer run with the pack's interpreter.
- ``EXAMPLE``: ``examples/payments_database.py``, which a test synthesizes.

``python -m fintech_infra_gate.docs --write README.md`` rewrites them; ``--check`` exits 1 when they are stale
(a test runs the check so a stale README fails the suite).
"""

from __future__ import annotations

import argparse
import collections.abc
import contextlib
import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import fintech_infra
from fintech_infra._component import FintechComponent
from fintech_infra.config import StackConfig
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra_gate.analyzer import PolicyPackError, pack_python

__all__ = ["main", "render_sections", "rewrite"]

REPO_ROOT = Path(__file__).resolve().parent.parent
# Modules that define no components or would import optional tooling.
PACK_RENDERER = "fintech_guardrails.docs"
"""The pack module that renders its README table (``--table`` prints it)."""
_SKIP_MODULES = {"fintech_infra_gate.docs", "fintech_infra.testing.pytest_plugin"}


def _component_classes() -> list[type[FintechComponent]]:
    for module in pkgutil.walk_packages(fintech_infra.__path__, prefix="fintech_infra."):
        if module.name not in _SKIP_MODULES and not module.name.startswith("fintech_infra_gate"):
            importlib.import_module(module.name)
    found: dict[str, type[FintechComponent]] = {}

    def walk(cls: type[FintechComponent]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("fintech_infra.") and hasattr(sub, "OUTPUTS"):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
            walk(sub)

    walk(FintechComponent)
    return [found[key] for key in sorted(found)]


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, typing.ForwardRef):
        return annotation.__forward_arg__
    origin = typing.get_origin(annotation)
    args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin in (typing.Union, types.UnionType):
        # pulumi.Input[T] expands to T | Awaitable[T] | Output[T]: show it the way the code spells it.
        if any(typing.get_origin(arg) is collections.abc.Awaitable for arg in args):
            rest = [arg for arg in args if arg is type(None)]
            return f"Input[{_type_name(args[0])}]" + (" | None" if rest else "")
        return " | ".join(_type_name(arg) for arg in args)
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(_type_name(arg) for arg in args)}]"
    return getattr(annotation, "__name__", str(annotation)).replace("typing.", "")


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "(defaults)" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "**required**"
    value = field.default
    if hasattr(value, "value") and not isinstance(value, BaseModel):
        value = value.value
    return f"`{value}`" if not isinstance(value, str) else f"`{value!r}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _model_rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        yield (
            f"| `{prefix}{name}` | {_escape(_type_name(field.annotation))} | {_escape(_default(field))} | "
            f"{_escape(field.description or '')} |"
        )


def _hints(cls: type[FintechComponent]) -> dict[str, Any]:
    """Parameter annotations, evaluated where the module can; names only imported for type checking stay text."""
    namespace = vars(sys.modules[cls.__module__])
    hints: dict[str, Any] = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            # A name imported only for type checking can't be evaluated: the text is shown instead.
            with contextlib.suppress(Exception):
                annotation = eval(annotation, dict(namespace))
        hints[name] = annotation
    return hints


def _settings_model(cls: type[FintechComponent]) -> type[BaseModel] | None:
    hints = _hints(cls)
    for name, annotation in hints.items():
        if name in ("return", "opts"):
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
    return None


def _wiring_rows(cls: type[FintechComponent]) -> Iterator[str]:
    signature = inspect.signature(cls.__init__)
    hints = _hints(cls)
    for name, parameter in signature.parameters.items():
        if name in ("self", "name", "opts") or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        annotation = hints.get(name, parameter.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            continue
        default = "**required**" if parameter.default is inspect.Parameter.empty else f"`{parameter.default!r}`"
        yield f"| `{name}` | {_escape(_type_name(annotation))} | {_escape(default)} |"


def render_component_reference() -> str:
    lines: list[str] = []
    for cls in _component_classes():
        token = _type_token(cls)
        doc = inspect.getdoc(cls) or ""
        lines += [f"### `{cls.__name__}` ({cls.__module__})", "", f"Type token `{token}`. {doc.splitlines()[0]}", ""]
        model = _settings_model(cls)
        if model is not None:
            lines += [
                f"Settings (`{model.__name__}`):",
                "",
                "| input | type | default | description |",
                "|---|---|---|---|",
                *_model_rows(model),
                "",
            ]
        wiring = list(_wiring_rows(cls))
        if wiring:
            lines += ["Wiring (keyword arguments):", "", "| input | type | default |", "|---|---|---|", *wiring, ""]
        outputs: dict[str, str] = getattr(cls, "OUTPUTS", {})
        if outputs:
            lines += ["| output | description |", "|---|---|"]
            lines += [f"| `{key}` | {_escape(text)} |" for key, text in outputs.items()]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _type_token(cls: type[FintechComponent]) -> str:
    source = inspect.getsource(cls)
    match = re.search(r'"(fintech:[a-z0-9-]+:[A-Za-z0-9]+)"', source)
    return match.group(1) if match else "?"


def render_config_reference() -> str:
    lines: list[str] = []
    seen: set[type[BaseModel]] = set()
    queue: list[tuple[str, type[BaseModel]]] = [("fintech-infra:", StackConfig)]
    while queue:
        prefix, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        title = "Stack keys" if model is StackConfig else f"`{model.__name__}`"
        lines += [f"#### {title}", "", (inspect.getdoc(model) or "").splitlines()[0], ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|", *_model_rows(model, prefix), ""]
        for field in model.model_fields.values():
            for nested in _nested_models(field.annotation):
                queue.append(("", nested))
    return "\n".join(lines).rstrip() + "\n"


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _nested_models(arg)


def render_jurisdictions() -> str:
    lines = [
        "| code | regulator | primary regions | DR regions | min backup retention | min audit-log retention "
        "| legal reference |",
        "|---|---|---|---|---|---|---|",
    ]
    for code, entry in DEFAULT_REGISTRY.items():
        lines.append(
            f"| `{code}` | {entry.regulator} | {', '.join(entry.primary_regions)} | {', '.join(entry.dr_regions)} | "
            f"{entry.min_backup_retention_days} d | {entry.min_audit_log_retention_days} d | "
            f"{_escape(entry.legal_reference)} |"
        )
    return "\n".join(lines) + "\n"


def _policy_table() -> str | None:
    """The pack's own table, rendered by the pack's interpreter in the pack's folder; None without a pack.

    The pack is never imported here: it is a separate program with its own venv (PulumiPolicy.yaml's
    ``virtualenv``), run the way the engine runs it.
    """
    pack_dir = REPO_ROOT / "policy"
    if not (pack_dir / "fintech_guardrails" / "docs.py").is_file():
        return None
    command = [pack_python(pack_dir), "-m", PACK_RENDERER, "--table"]
    result = subprocess.run(command, cwd=pack_dir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PolicyPackError(
            f"policy pack {pack_dir.name!r}: `{' '.join(command[1:])}` exited {result.returncode}: "
            f"{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'no output'}"
        )
    return result.stdout


def render_example() -> str:
    """The example program, verbatim (``tests/test_examples.py`` runs it)."""
    source = (REPO_ROOT / "examples" / "payments_database.py").read_text()
    return f"```python\n{source}```\n"


def render_sections() -> dict[str, str]:
    sections = {
        "EXAMPLE": render_example(),
        "COMPONENT REFERENCE": render_component_reference(),
        "CONFIG REFERENCE": render_config_reference(),
        "JURISDICTIONS": render_jurisdictions(),
    }
    table = _policy_table()
    if table is not None:
        sections["POLICY TABLE"] = table if table.endswith("\n") else table + "\n"
    return sections


def _replacement(body: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + body + match.group(2)


def rewrite(text: str, sections: dict[str, str]) -> str:
    for marker, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN {marker} -->\n).*?(<!-- END {marker} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- BEGIN {marker} --> / <!-- END {marker} --> markers")
        text = pattern.sub(_replacement(body), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README reference sections.")
    parser.add_argument("readme", nargs="?", default=str(REPO_ROOT / "README.md"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the sections in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if the sections are stale")
    args = parser.parse_args(argv)
    path = Path(args.readme)
    current = path.read_text()
    updated = rewrite(current, render_sections())
    if args.check:
        if updated != current:
            print(f"{path} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if args.write:
        path.write_text(updated)
    else:
        sys.stdout.write(updated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
