"""Session fixtures: every shipped stack is synthesized once and shared by the stack and verdict tests."""

from __future__ import annotations

import time

import pytest

from fintech_infra.testing import Recording
from tests.stacks.test_stacks import CELL_STACKS, ORG, run_stack


@pytest.fixture(scope="session")
def timings() -> dict[str, float]:
    return {}


@pytest.fixture(scope="session")
def recordings(timings: dict[str, float]) -> dict[str, Recording]:
    result = {}
    for stack in CELL_STACKS:
        started = time.perf_counter()
        result[stack] = run_stack(stack)
        timings[stack] = time.perf_counter() - started
    started = time.perf_counter()
    outputs = {f"{ORG}/{stack}": dict(result[stack].exports) for stack in ("prod-eu", "prod-au", "prod-uk")}
    result["global"] = run_stack("global", stack_outputs=outputs)
    timings["global"] = time.perf_counter() - started
    return result
