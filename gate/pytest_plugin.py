"""pytest fixture ``judge_policy``: a recording's verdict from the policy pack (auto-loaded via pytest11).

The harness's own fixture ``synth`` is :mod:`fintech_infra.testing.pytest_plugin`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fintech_infra.testing import Recording
    from fintech_infra_gate.analyzer import PolicyPackProcess
    from fintech_infra_gate.verdict import Verdict

__all__ = ["judge_policy"]


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
    # Imported here, not when pytest loads the plugin: a session that never judges doesn't pay for the gate.
    from fintech_infra_gate.analyzer import PolicyPackProcess
    from fintech_infra_gate.judge import judge

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
