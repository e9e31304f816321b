"""Generate the reference parts of the README and of ``docs/`` from the code, as terraform-docs does for modules.

Generated parts live between ``<!-- BEGIN X -->`` and ``<!-- END X -->`` markers; :data:`PAGES` says which
page holds which:

- ``README.md``: ``PLAN SAMPLE`` (the head and tail of a real ``fintech-infra plan --stack dev`` run, its
  wall time masked), ``MINIMAL STACK`` (``examples/Pulumi.minimal.yaml``, which a test synthesizes and
  judges), ``TEAM PROGRAM`` and ``TEAM TEST`` (the team-project template's ``program.py`` and its test,
  which the suite runs in and out of a clean venv);
- ``docs/components.md``: ``COMPONENT REFERENCE``, every :class:`~fintech_infra._component.FintechComponent`
  subclass: type token, inputs (settings-model fields with defaults and descriptions, then keyword wiring
  parameters), and outputs (the class's ``OUTPUTS``);
- ``docs/config.md``: ``CONFIG REFERENCE``, the stack config tree (:class:`~fintech_infra.config.StackConfig`);
- ``docs/jurisdictions.md``: ``JURISDICTIONS``, the jurisdiction registry;
- ``docs/policies.md``: ``POLICY TABLE``, printed by the pack's own renderer run with the pack's interpreter;
- ``docs/anchor-coverage.md``: ``ANCHOR COVERAGE``, the mapping of checkov, AWSGuard and cdk-nag rules to the
  guardrails (or argued decisions), printed by the pack's renderer the same way;
- ``docs/requirement-coverage.md``: ``REQUIREMENT COVERAGE``, the auditors' matrix
  (:mod:`fintech_infra_gate.requirements`) over the pack's policies (their metadata printed by the pack) and
  every type the shipped stacks create (``policy/fintech_guardrails/data/created_types.json``).

``python -m fintech_infra_gate.docs --write`` rewrites every page (or the pages named); ``--check`` exits 1
when one is stale (``tests/test_docs.py`` runs the check, so a stale page fails the suite).
"""

from __future__ import annotations

import argparse
import collections.abc
import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
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
from fintech_infra_gate.dr_docs import render_dr_runbooks
from fintech_infra_gate.requirements import render_matrix
from fintech_infra_gate.verdict import PolicyInfo

__all__ = ["PAGES", "main", "render_pages", "render_sections", "rewrite"]

REPO_ROOT = Path(__file__).resolve().parent.parent
# Modules that define no components or would import optional tooling.
PAGES: dict[str, tuple[str, ...]] = {
    "README.md": ("PLAN SAMPLE", "MINIMAL STACK", "TEAM PROGRAM", "TEAM TEST"),
    "docs/components.md": ("COMPONENT REFERENCE",),
    "docs/config.md": ("CONFIG REFERENCE",),
    "docs/jurisdictions.md": ("JURISDICTIONS",),
    "docs/policies.md": ("POLICY TABLE",),
    "docs/dr.md": ("DR RUNBOOKS",),
    "docs/anchor-coverage.md": ("ANCHOR COVERAGE",),
    "docs/requirement-coverage.md": ("REQUIREMENT COVERAGE",),
}
"""Each generated page (relative to the repository) and the sections it holds."""
MINIMAL_STACK = Path("examples") / "Pulumi.minimal.yaml"
TEAM_PROJECT = Path("templates") / "team-project"
SAMPLE_STACK = "dev"
SAMPLE_HEAD, SAMPLE_TAIL = 5, 5
"""Lines of the sample report shown before and after the elision."""
PACK_RENDERER = "fintech_guardrails.docs"
CREATED_TYPES = Path("policy") / "fintech_guardrails" / "data" / "created_types.json"
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
                annotation = eval(annotation, dict(namespace))  # noqa: S307 (this package's own annotations)
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


def _policy_table(flag: str = "--table") -> str | None:
    """The pack's own table (or other output of its renderer: ``--anchors``, ``--policies``), rendered by the
    pack's interpreter in the pack's folder; None without a pack.

    The pack is never imported here: it is a separate program with its own venv (PulumiPolicy.yaml's
    ``virtualenv``), run the way the engine runs it.
    """
    pack_dir = REPO_ROOT / "policy"
    if not (pack_dir / "fintech_guardrails" / "docs.py").is_file():
        return None
    command = [pack_python(pack_dir), "-m", PACK_RENDERER, flag]
    result = subprocess.run(command, cwd=pack_dir, capture_output=True, text=True, check=False)  # noqa: S603 (fixed command)
    if result.returncode != 0:
        raise PolicyPackError(
            f"policy pack {pack_dir.name!r}: `{' '.join(command[1:])}` exited {result.returncode}: "
            f"{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'no output'}"
        )
    return result.stdout


def _code(path: Path, language: str, *, start: str | None = None) -> str:
    """A file verbatim in a fenced block; with ``start``, from its first line that starts with it."""
    lines = (REPO_ROOT / path).read_text(encoding="utf-8").splitlines(keepends=True)
    if start is not None:
        lines = lines[next(i for i, line in enumerate(lines) if line.startswith(start)) :]
    return f"```{language}\n{''.join(lines)}```\n"


@functools.cache
def render_plan_sample() -> str:
    """The head and tail of a real ``fintech-infra plan`` run on the sample stack; the wall time masked.

    Everything a report lists is ordered by the resource tree and the names, never by registration order,
    so two runs print the same bytes apart from the time (``tests/gate/test_determinism.py``).
    """
    command = [sys.executable, "-m", "fintech_infra_gate.cli", "plan", "--stack", SAMPLE_STACK]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # noqa: S603 (fixed command)
    if result.returncode != 0:
        raise RuntimeError(f"`fintech-infra plan --stack {SAMPLE_STACK}` exited {result.returncode}: {result.stderr}")
    lines = re.sub(r"\(\d+\.\d+ s\)$", "(… s)", result.stdout.rstrip("\n"), flags=re.MULTILINE).splitlines()
    elided = len(lines) - SAMPLE_HEAD - SAMPLE_TAIL
    shown = [*lines[:SAMPLE_HEAD], f"[... {elided} more lines: the rest of the tree, cloud resources per type ...]"]
    echo = f"$ make plan\n.venv/bin/fintech-infra plan --stack {SAMPLE_STACK}\n"
    return "```text\n" + echo + "\n".join([*shown, *lines[-SAMPLE_TAIL:]]) + "\n```\n"


def render_sections() -> dict[str, str]:
    """Every generated section, by marker name."""
    team = TEAM_PROJECT / "tests" / "test_program.py"
    sections = {
        "PLAN SAMPLE": render_plan_sample(),
        "MINIMAL STACK": _code(MINIMAL_STACK, "yaml"),
        "TEAM PROGRAM": _code(TEAM_PROJECT / "program.py", "python", start="def main"),
        "TEAM TEST": _code(team, "python", start="PROJECT ="),
        "COMPONENT REFERENCE": render_component_reference(),
        "CONFIG REFERENCE": render_config_reference(),
        "JURISDICTIONS": render_jurisdictions(),
        "DR RUNBOOKS": render_dr_runbooks(REPO_ROOT),
    }
    table = _policy_table()
    if table is not None:
        sections["POLICY TABLE"] = table if table.endswith("\n") else table + "\n"
    anchors = _policy_table("--anchors")
    if anchors is not None:
        sections["ANCHOR COVERAGE"] = anchors if anchors.endswith("\n") else anchors + "\n"
    metadata = _policy_table("--policies")
    if metadata is not None:
        sections["REQUIREMENT COVERAGE"] = render_requirement_coverage(json.loads(metadata))
    return sections


def render_requirement_coverage(metadata: list[dict[str, Any]]) -> str:
    """The auditors' matrix over the pack's policies and every type the shipped stacks create."""
    policies = [
        PolicyInfo(
            name=item["name"],
            description=item["description"],
            enforcement="",
            severity=item["severity"],
            kind=item["kind"],
            framework=item["framework"],
            tags=tuple(item["tags"]),
        )
        for item in metadata
    ]
    created = json.loads((REPO_ROOT / CREATED_TYPES).read_text(encoding="utf-8"))["types"]
    lines = render_matrix(policies, created)
    return "\n".join(lines).lstrip("\n") + "\n"


def _replacement(body: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + body + match.group(2)


def rewrite(text: str, sections: dict[str, str]) -> str:
    for marker, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN {marker} -->\n).*?(<!-- END {marker} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"page has no <!-- BEGIN {marker} --> / <!-- END {marker} --> markers")
        text = pattern.sub(_replacement(body), text)
    return text


def render_pages(pages: list[str] | None = None) -> dict[Path, tuple[str, str]]:
    """Each page (all of :data:`PAGES`, or those named): its path, its current text and its text regenerated."""
    wanted = [
        str(Path(page).resolve().relative_to(REPO_ROOT)) if Path(page).is_absolute() else page
        for page in (pages or list(PAGES))
    ]
    unknown = [page for page in wanted if page not in PAGES]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a generated page; allowed: {', '.join(PAGES)}")
    sections = render_sections()
    result = {}
    for page in wanted:
        path = REPO_ROOT / page
        current = path.read_text(encoding="utf-8")
        result[path] = (current, rewrite(current, {name: sections[name] for name in PAGES[page] if name in sections}))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the generated parts of the README and docs/.")
    parser.add_argument("pages", nargs="*", help=f"pages to regenerate (default all: {', '.join(PAGES)})")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the pages in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, (current, updated) in render_pages(args.pages).items():
        if updated == current:
            continue
        stale.append(path)
        if args.write:
            path.write_text(updated, encoding="utf-8")
        elif not args.check:
            sys.stdout.write(updated)
    if args.check and stale:
        print(f"stale: {', '.join(str(p.relative_to(REPO_ROOT)) for p in stale)}: run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
