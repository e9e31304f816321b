"""The default staging cell of ``test_cell`` (``_program(_cell())``), synthesized once per run.

The cell, restore-test and drill tests read that same recording; each module used to synthesize it itself, in
whichever worker ran it. Shared between workers through :mod:`tests.shared_artifacts`.
"""

from __future__ import annotations

import pytest

from fintech_infra.testing import Recording, synthesize
from tests.shared_artifacts import SharedArtifacts


def _default_cell() -> Recording:
    from tests.components.test_cell import _cell, _program

    return synthesize(lambda: _program(_cell()), stack="staging")


@pytest.fixture(scope="session")
def default_cell(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """``_program(_cell())`` synthesized as stack ``staging``."""
    recording: Recording = SharedArtifacts(tmp_path_factory, "component-recordings").get("default-cell", _default_cell)
    return recording
