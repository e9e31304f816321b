"""The pack imports nothing of the project: it is published and run as policy/ alone."""

from __future__ import annotations

import ast
from pathlib import Path

PACK = Path(__file__).resolve().parents[2] / "policy"
PROJECT_PACKAGES = frozenset({"fintech_infra", "fintech_infra_gate", "components", "stacks", "tests"})
_DYNAMIC = frozenset({"import_module", "__import__"})


def _pack_sources() -> list[Path]:
    return sorted(path for path in PACK.rglob("*.py") if "venv" not in path.relative_to(PACK).parts)


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every absolute module name ``tree`` imports, at any depth (functions included), dynamic imports too."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _DYNAMIC and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_no_pack_module_imports_the_project() -> None:
    sources = _pack_sources()
    assert len(sources) > 20 and PACK / "__main__.py" in sources
    offending = [
        f"{path.relative_to(PACK)}:{line}: {module}"
        for path in sources
        for line, module in _imported(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if module.split(".")[0] in PROJECT_PACKAGES
    ]
    assert offending == []


def test_the_check_sees_imports_inside_functions_and_dynamic_ones() -> None:
    source = (
        "def late():\n"
        "    from fintech_infra.config import DataConcern\n"
        "    import fintech_infra_gate.docs\n"
        "    return importlib.import_module('components.recovery')\n"
        "from . import sibling\n"
    )
    assert [module for _, module in _imported(ast.parse(source))] == [
        "fintech_infra.config",
        "fintech_infra_gate.docs",
        "components.recovery",
    ]
