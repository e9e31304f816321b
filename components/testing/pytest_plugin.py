"""pytest fixtures for teams that test programs built from these components (auto-loaded via pytest11)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fintech_infra.testing import Recording, judge, synthesize

if TYPE_CHECKING:
    from fintech_infra_gate.analyzer import PolicyPackProcess
    from fintech_infra_gate.verdict import Verdict

__all__ = ["judge_policy", "synth"]


@pytest.fixture
def synth() -> Callable[..., Recording]:
    """``synth(program, config={...}, preview=False)``: synthesize under the mock engine, return the recording."""

    def run(program: Callable[[], None], **options: Any) -> Recording:
        return synthesize(program, **options)

    return run


@pytest.fixture(scope="session")
def _policy_pack_processes() -> Iterator[dict[tuple[Path, bool], PolicyPackProcess]]:
    processes: dict[tuple[Path, bool], PolicyPackProcess] = {}
    yield processes
    for process in processes.values():
        process.close()


@pytest.fixture
def judge_policy(_policy_pack_processes: dict[tuple[Path, bool], PolicyPackProcess]) -> Callable[..., Verdict]:
    """``judge_policy(recording, policy_pack="policy", stack_config={...})``: the policy pack's verdict.

    One pack process per pack directory (and preview mode) serves the whole session and is stopped at its
    end; each call re-sends ``Configure`` and ``ConfigureStack``, so calls do not leak settings into each
    other. ``verdict.passed``, ``verdict.mandatory`` and ``verdict.of_policy(name)`` are what tests assert on.
    """
    from fintech_infra_gate.analyzer import PolicyPackProcess

    def run(recording: Recording, *, policy_pack: str | Path = "policy", **options: Any) -> Verdict:
        key = (Path(policy_pack).resolve(), recording.preview)
        process = _policy_pack_processes.get(key)
        if process is None or not process.running:
            process = PolicyPackProcess(
                key[0], project=recording.project, stack=recording.stack, dry_run=recording.preview
            ).start()
            _policy_pack_processes[key] = process
        return judge(recording, policy_pack=policy_pack, process=process, **options)

    return run
