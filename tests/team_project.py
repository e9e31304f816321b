"""The team-project template (``templates/team-project``), instantiated the way ``pulumi new`` does it.

``pulumi new <template>`` copies the folder and replaces ``${PROJECT}`` and ``${DESCRIPTION}`` in every
file; :func:`instantiate` does the same into a folder of the test's, so the tests run what a team gets.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "templates" / "team-project"
PROJECT = "payments-team"
DESCRIPTION = "Payments data for the CySEC entity"
_SKIPPED = {"__pycache__", ".pytest_cache", "venv", "policy-pack"}


def template_files() -> list[Path]:
    """The template's files, relative and sorted (what a team's copy starts with)."""
    return sorted(
        path.relative_to(TEMPLATE)
        for path in TEMPLATE.rglob("*")
        if path.is_file() and not _SKIPPED.intersection(path.relative_to(TEMPLATE).parts)
    )


def instantiate(destination: Path, *, project: str = PROJECT, description: str = DESCRIPTION) -> Path:
    """A copy of the template at ``destination`` with its placeholders replaced; returns ``destination``."""
    for relative in template_files():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (TEMPLATE / relative).read_text(encoding="utf-8")
        target.write_text(text.replace("${PROJECT}", project).replace("${DESCRIPTION}", description), encoding="utf-8")
        shutil.copymode(TEMPLATE / relative, target)
    return destination


def load_program(project_dir: Path) -> Callable[[], None]:
    """``main`` of the project's ``program.py``, imported under a name of its own (not ``program``)."""
    spec = importlib.util.spec_from_file_location(f"team_program_{abs(hash(project_dir))}", project_dir / "program.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main: Callable[[], None] = module.main
    return main
