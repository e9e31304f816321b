"""pytest fixtures for teams that test programs built from these components (auto-loaded via pytest11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.testing import Recording, synthesize

__all__ = ["synth"]


@pytest.fixture
def synth() -> Callable[..., Recording]:
    """``synth(program, config={...}, preview=False)``: synthesize under the mock engine, return the recording."""

    def run(program: Callable[[], None], **options: Any) -> Recording:
        return synthesize(program, **options)

    return run
