"""The clean virtualenv the packaging tests run in: the built wheel and only what its extras bring.

``make package`` (and ``make test``, which CI runs) builds it: the sdist, the wheel built from that sdist,
a new venv with the lock's pins for ``fintech-infra[test,gate]`` and the wheel, all offline after the
install step. ``make test`` sets ``FINTECH_INFRA_TEAM_VENV``, and then a venv that is missing or older than
the sources fails these tests; a plain ``pytest`` run skips them with the command to run instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO_ROOT, TEAM_VENV_VARIABLE

_SOURCE_SUFFIXES = {".py", ".json", ".yaml", ".txt", ".in", ".typed"}


def _newest_source() -> float:
    """The newest modification time among the files the wheel is built from (the Makefile's list)."""
    paths = [REPO_ROOT / "pyproject.toml", REPO_ROOT / "README.md"]
    for folder in ("components", "gate", "policy"):
        paths += [
            path
            for path in (REPO_ROOT / folder).rglob("*")
            if path.suffix in _SOURCE_SUFFIXES
            and "venv" not in path.relative_to(REPO_ROOT).parts
            and "__pycache__" not in path.parts
        ]
    return max(path.stat().st_mtime for path in paths)


@pytest.fixture(scope="session")
def team_venv() -> Path:
    given = os.environ.get(TEAM_VENV_VARIABLE)
    venv = Path(given) if given else REPO_ROOT / "build" / "team-venv"
    venv = venv if venv.is_absolute() else REPO_ROOT / venv
    stamp = venv / ".installed"
    problem = None
    if not stamp.is_file():
        problem = f"no clean venv at {venv}: run `make package`"
    elif _newest_source() > stamp.stat().st_mtime:
        problem = f"the clean venv at {venv} is older than the sources: run `make package`"
    if problem is not None:
        if given:
            pytest.fail(problem)
        pytest.skip(problem)
    return venv
