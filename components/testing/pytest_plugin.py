"""pytest fixture for teams that test programs built from these components (auto-loaded via pytest11).

Judging a recording with the policy pack is the gate's fixture ``judge_policy``
(:mod:`fintech_infra_gate.pytest_plugin`, loaded the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.testing import Recording, synthesize

__all__ = ["synth"]


@pytest.fixture
def synth() -> Callable[..., Recording]:
    """``synth(program, config={...}, preview=False)``: synthesize under the mock engine, return the recording."""

    def run(program: Callable[[], None], **options: Any) -> Recording:
        return synthesize(program, **options)

    return run
