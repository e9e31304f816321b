"""Session fixtures: every shipped stack is synthesized once, in deploy order, shared by the stack and verdict tests.

Once per test run, not once per xdist worker: the workers split the stacks between them and share the
recordings (:mod:`tests.shared_artifacts`), each stack taking its synthesis time along.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.shared_artifacts import SharedArtifacts
from tests.stacks.defects import judged
from tests.stacks.test_stacks import CELL_STACKS, ORG, run_stack

Timed = tuple[Recording, float]


def _timed(stack: str, **options: Any) -> Callable[[], Timed]:
    def build() -> Timed:
        started = time.perf_counter()
        recording = run_stack(stack, **options)
        return recording, time.perf_counter() - started

    return build


def _phase(shared: SharedArtifacts, builders: dict[str, Callable[[], Timed]]) -> dict[str, Timed]:
    """Build the stacks of one deploy phase this worker claims first, then load those others built."""
    built = {stack: shared.build(stack, build) for stack, build in builders.items() if shared.claim(stack)}
    return {stack: built[stack] if stack in built else shared.load(stack, build) for stack, build in builders.items()}


def _exports(result: dict[str, Timed], stacks: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {f"{ORG}/{stack}": dict(result[stack][0].exports) for stack in stacks}


@pytest.fixture(scope="session")
def timed_recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Timed]:
    shared = SharedArtifacts(tmp_path_factory, "stack-recordings")
    # The documented order: the zones stack, the cell stacks (which read it), then the routing stacks (which read
    # both).
    result = _phase(shared, {"global": _timed("global")})
    zones = _exports(result, ["global"])
    result |= _phase(shared, {stack: _timed(stack, stack_outputs=zones) for stack in CELL_STACKS})
    outputs = _exports(result, ["prod-eu", "prod-au", "prod-uk"])
    staging = _exports(result, ["staging"])
    result |= _phase(
        shared,
        {
            "routing": _timed("routing", stack_outputs={**outputs, **zones}),
            "routing-staging": _timed("routing-staging", stack_outputs={**staging, **zones}),
            "repo": _timed("repo"),  # reads no other stack
        },
    )
    return result


@pytest.fixture(scope="session")
def timings(timed_recordings: dict[str, Timed]) -> dict[str, float]:
    """Seconds each stack's synthesis took, in whichever worker ran it."""
    return {stack: seconds for stack, (_, seconds) in timed_recordings.items()}


@pytest.fixture(scope="session")
def recordings(timed_recordings: dict[str, Timed]) -> dict[str, Recording]:
    return {stack: recording for stack, (recording, _) in timed_recordings.items()}


@pytest.fixture(scope="session")
def _shipped_verdicts() -> dict[str, Verdict]:
    return {}


@pytest.fixture
def shipped_verdict(
    judge_policy: Callable[..., Verdict], recordings: dict[str, Recording], _shipped_verdicts: dict[str, Verdict]
) -> Callable[[str], Verdict]:
    """``shipped_verdict(stack)``: the real pack's verdict on the shipped stack's recording with the stack's own
    policy config, what ``judged(judge_policy, recordings[stack], stack)`` returns. Judged once per worker: the
    same recording, config and pack give the same verdict, and a dozen test modules assert on it."""

    def verdict(stack: str) -> Verdict:
        if stack not in _shipped_verdicts:
            _shipped_verdicts[stack] = judged(judge_policy, recordings[stack], stack)
        return _shipped_verdicts[stack]

    return verdict
