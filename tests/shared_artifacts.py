"""Expensive session artifacts built once per test run and shared by every xdist worker.

Under ``pytest -n N`` each worker is its own process with its own session fixtures, so an artifact built in a
session fixture (every shipped stack synthesized, say) is built N times. :class:`SharedArtifacts` builds each
named artifact once: the first worker to ask for it claims it (an ``O_EXCL`` file, atomic on every local file
system), builds it and publishes it as a pickle (written aside, then renamed into place, so a reader never sees
half a file); the others claim the next artifact that nobody has claimed, and load the rest when published. The
folder is the run's own (the parent of the workers' base temp dirs, which pytest creates fresh for each run), so
nothing outlives the run and no artifact can be stale. Without xdist the folder is the session's own and every
claim succeeds: the same code path builds everything in process.
"""

from __future__ import annotations

import os
import pickle
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WAIT_SECONDS = 900.0
"""How long a worker waits for another worker's artifact before building it itself (a worker that died)."""


class ArtifactFailed(RuntimeError):
    """The worker that claimed an artifact failed to build it; the message holds its traceback."""


class SharedArtifacts:
    def __init__(self, tmp_path_factory: pytest.TempPathFactory, namespace: str) -> None:
        base = tmp_path_factory.getbasetemp()
        # xdist workers' base temp dirs are <run>/popen-gwN, siblings in the run's own folder.
        run_dir = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
        self.folder = run_dir / f"shared-{namespace}"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str, suffix: str) -> Path:
        return self.folder / f"{name}.{suffix}"

    def claim(self, name: str) -> bool:
        """True if this worker is now the one to build ``name`` (no other worker has claimed it)."""
        try:
            os.close(os.open(self._path(name, "claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def build(self, name: str, builder: Callable[[], Any]) -> Any:
        """Build ``name`` (already claimed by this worker) and publish it; a failure is published too."""
        try:
            value = builder()
        except BaseException:
            self._path(name, "failed").write_text(traceback.format_exc(), encoding="utf-8")
            raise
        staging = self._path(name, f"{os.getpid()}.part")
        staging.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        staging.replace(self._path(name, "pickle"))
        return value

    def load(self, name: str, builder: Callable[[], Any]) -> Any:
        """``name`` as another worker published it; built here if its builder failed to publish in time."""
        published, failed = self._path(name, "pickle"), self._path(name, "failed")
        deadline = time.monotonic() + WAIT_SECONDS
        while not published.exists():
            if failed.exists():
                raise ArtifactFailed(f"{name}: the worker that built it failed:\n{failed.read_text(encoding='utf-8')}")
            if time.monotonic() > deadline:
                return builder()
            time.sleep(0.05)
        # Written by this run's own workers into this run's own folder a moment ago; nothing else writes there.
        return pickle.loads(published.read_bytes())  # noqa: S301

    def get(self, name: str, builder: Callable[[], Any]) -> Any:
        return self.build(name, builder) if self.claim(name) else self.load(name, builder)
