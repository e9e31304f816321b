"""Session fixtures: every shipped stack is synthesized once, in deploy order, shared by the stack and verdict tests."""

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
    # The documented order: the zones stack, the cell stacks (which read it), then the routing stacks (which read both).
    result = {}
    started = time.perf_counter()
    result["global"] = run_stack("global")
    timings["global"] = time.perf_counter() - started
    zones = {f"{ORG}/global": dict(result["global"].exports)}
    for stack in CELL_STACKS:
        started = time.perf_counter()
        result[stack] = run_stack(stack, stack_outputs=zones)
        timings[stack] = time.perf_counter() - started
    started = time.perf_counter()
    outputs = {f"{ORG}/{stack}": dict(result[stack].exports) for stack in ("prod-eu", "prod-au", "prod-uk")}
    result["routing"] = run_stack("routing", stack_outputs={**outputs, **zones})
    timings["routing"] = time.perf_counter() - started
    started = time.perf_counter()
    staging = {f"{ORG}/staging": dict(result["staging"].exports)}
    result["routing-staging"] = run_stack("routing-staging", stack_outputs={**staging, **zones})
    timings["routing-staging"] = time.perf_counter() - started
    started = time.perf_counter()
    result["repo"] = run_stack("repo")  # reads no other stack
    timings["repo"] = time.perf_counter() - started
    return result
