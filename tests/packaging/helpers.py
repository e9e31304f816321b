"""Shared by the packaging tests and the gate's ``pack`` tests."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEAM_VENV_VARIABLE = "FINTECH_INFRA_TEAM_VENV"


def clean_environment() -> dict[str, str]:
    """This process's environment without what would leak the repository's test run into a team's."""
    leaks = ("PYTEST_", "PYTHON", "VIRTUAL_ENV", "MAKE", "MFLAGS", TEAM_VENV_VARIABLE)
    return {key: value for key, value in os.environ.items() if not key.startswith(leaks)}


def assert_same_pack(copy: Path, original: Path) -> None:
    """``copy`` has exactly ``original``'s files (its venv and bytecode aside), with the same bytes."""
    from fintech_infra_gate.pack import pack_files

    files = pack_files(original)
    assert pack_files(copy) == files and len(files) > 40
    _, mismatch, errors = filecmp.cmpfiles(copy, original, [str(f) for f in files], shallow=False)
    assert (mismatch, errors) == ([], [])
