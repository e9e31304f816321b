"""Dependencies point one way: library <- harness <- gate; the pack imports nothing of the project.

Every import of every module counts (module level, inside functions, under ``TYPE_CHECKING``, and
``importlib.import_module`` calls with a constant name), because each one is a dependency a reader has to
hold in mind, and a lazy import is still a cycle. There are no exemptions: a new edge against the
direction, or a cycle between two modules of the project, fails here with the file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FOLDERS = {"fintech_infra": ROOT / "components", "fintech_infra_gate": ROOT / "gate"}
"""Import name -> folder, as pyproject.toml's package-dir maps them."""


@dataclass(frozen=True)
class Layer:
    name: str
    what: str
    may_import: tuple[str, ...]
    """Layers (by name) this layer's modules may import, besides its own."""


LAYERS: tuple[Layer, ...] = (
    Layer("library", "the components, their config models and the AWS facts (fintech_infra)", ()),
    Layer("harness", "synthesize and record under the mock engine (fintech_infra.testing)", ("library",)),
    Layer("gate", "the offline gate, its reports and the docs generator (fintech_infra_gate)", ("harness", "library")),
    Layer("pack", "the policy pack, published alone (policy/, fintech_guardrails)", ()),
    Layer("stacks", "the stack program (stacks/)", ("library",)),
    Layer(
        "templates", "the team-project template: its program and its tests (templates/)", ("gate", "harness", "library")
    ),
    Layer("benchmarks", "make bench (benchmarks/)", ("gate", "harness", "library")),
)
BY_NAME = {layer.name: layer for layer in LAYERS}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    layer: str


def _module_name(import_name: str, folder: Path, path: Path) -> str:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([import_name, *parts])


def _layer_of(name: str) -> str:
    if name == "fintech_infra.testing" or name.startswith("fintech_infra.testing."):
        return "harness"
    if name.split(".")[0] == "fintech_infra":
        return "library"
    if name.split(".")[0] == "fintech_infra_gate":
        return "gate"
    if name.split(".")[0] in ("fintech_guardrails", "policy"):
        return "pack"
    return name.split(".")[0]


def project_modules() -> list[Module]:
    found: list[Module] = []
    for import_name, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            name = _module_name(import_name, folder, path)
            found.append(Module(name, path, _layer_of(name)))
    pack = ROOT / "policy"
    for path in sorted(pack.rglob("*.py")):
        if "venv" in path.relative_to(pack).parts:
            continue
        relative = path.relative_to(pack)
        name = (
            _module_name("fintech_guardrails", pack / "fintech_guardrails", path)
            if relative.parts[0] == "fintech_guardrails"
            else "policy." + ".".join(relative.with_suffix("").parts)
        )
        found.append(Module(name, path, "pack"))
    for top in ("stacks", "templates", "benchmarks"):
        for source in sorted((ROOT / top).rglob("*.py")):
            found.append(Module(_module_name(top, ROOT / top, source), source, top))
    return found


def _imports(path: Path, package: str) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) for every import in the file; relative imports resolved against ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module]) if module else ".".join(base)
            yield node.lineno, module, tuple(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value, ()


def edges() -> list[tuple[Module, int, Module]]:
    """(importer, line, imported) for every import of one project module by another."""
    modules = project_modules()
    by_name = {module.name: module for module in modules}
    # The pack runs with policy/ first on sys.path: `fintech_guardrails.x` is how its modules name each other.
    found: list[tuple[Module, int, Module]] = []
    for module in modules:
        package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
        for line, imported, names in _imports(module.path, package):
            targets = [f"{imported}.{name}" for name in names if f"{imported}.{name}" in by_name]
            if len(targets) < len(names) or not names:
                targets.append(imported)
            for target in targets:
                hit = by_name.get(target)
                while hit is None and "." in target:
                    target = target.rpartition(".")[0]
                    hit = by_name.get(target)
                if hit is None and target.split(".")[0] in ("components", "gate"):
                    # A folder name used as an import name would only work from a checkout.
                    raise AssertionError(f"{module.path.relative_to(ROOT)}:{line}: imports {imported!r} by folder name")
                if hit is not None and hit is not module:
                    found.append((module, line, hit))
    return found


def test_every_layer_of_the_project_is_seen() -> None:
    seen = {module.layer for module in project_modules()}
    assert seen == set(BY_NAME), sorted(seen ^ set(BY_NAME))


def test_imports_follow_the_direction_of_the_layers() -> None:
    against = [
        f"{importer.path.relative_to(ROOT)}:{line}: {importer.layer} imports {imported.name} ({imported.layer})"
        for importer, line, imported in edges()
        if imported.layer != importer.layer and imported.layer not in BY_NAME[importer.layer].may_import
    ]
    assert against == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_of_the_project_import_each_other() -> None:
    graph: dict[str, set[str]] = {}
    for importer, _, imported in edges():
        graph.setdefault(importer.name, set()).add(imported.name)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_import_reader_sees_late_typing_and_dynamic_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from fintech_infra_gate.verdict import Verdict\n"
        "def late():\n"
        "    from . import sibling\n"
        "    return importlib.import_module('fintech_infra.cell')\n",
        encoding="utf-8",
    )
    found = [(module, names) for _, module, names in _imports(source, "fintech_infra.testing")]
    assert found == [
        ("typing", ("TYPE_CHECKING",)),
        ("fintech_infra_gate.verdict", ("Verdict",)),
        ("fintech_infra.testing", ("sibling",)),
        ("fintech_infra.cell", ()),
    ]


def test_the_development_guide_shows_these_layers() -> None:
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    table = text.split("<!-- BEGIN LAYERS -->", 1)[1].split("<!-- END LAYERS -->", 1)[0]
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[2:]]
    documented = {cells[0].strip(): cells[3].strip() for cells in rows}
    expected = {layer.name: ", ".join(layer.may_import) or "nothing of the project" for layer in LAYERS}
    assert documented == expected


README_LAYER_OF_ROW = {
    "`fintech_infra` (`components/`)": "library",
    "`stacks/`": "stacks",
    "`policy/`": "pack",
    "`fintech_infra_gate` (`gate/`)": "gate",
    "`fintech_infra.testing`": "harness",
}


def test_the_readme_says_what_each_package_may_import() -> None:
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    said = {}
    for row in rows:
        package, text = (cell.strip() for cell in row.strip("|").split("|", 1))
        said[package] = text.rsplit("May import: ", 1)[1].rstrip(" |").removesuffix(".")
    expected = {
        row: ", ".join(BY_NAME[layer].may_import) or "nothing of the project"
        for row, layer in README_LAYER_OF_ROW.items()
    }
    assert said == expected
