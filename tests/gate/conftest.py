"""Fixtures for the gate's tests: a tiny project and policy pack, independent of the real stacks and pack."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.analyzer import PolicyPackProcess
from fintech_infra_gate.runner import synthesize_stack
from fintech_infra_gate.stackfiles import Project, load_project

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = FIXTURES / "project"
PACK = FIXTURES / "pack"


OWNER_VARIABLE = "FINTECH_INFRA_TEST_OWNER"
"""Set to this test process's pid; every pack it starts, directly or through a forked worker, inherits it,
so parallel test workers (pytest -n) only ever count their own packs, orphaned ones included."""
os.environ[OWNER_VARIABLE] = str(os.getpid())


def _own_processes(*markers: bytes) -> list[int]:
    """Pids of live (not zombie) processes this test process started whose argv holds every marker."""
    owner = f"{OWNER_VARIABLE}={os.getpid()}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if all(marker in argv for marker in markers) and state != "Z" and owner in environment:
            found.append(int(entry.name))
    return found


def pack_processes(pack_dir: Path = PACK) -> list[int]:
    """Pids of the ``pulumi.policy`` processes serving ``pack_dir`` that this test process started."""
    return _own_processes(b"pulumi.policy", str(pack_dir.resolve()).encode())


def relay_processes() -> list[int]:
    """Pids of the analyzer relays (gate/relay.py) this test process started."""
    return _own_processes(b"fintech_infra_gate.relay")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(PROJECT)


@pytest.fixture(scope="module")
def dev(project: Project) -> Recording:
    """The fixture project's dev stack, synthesized with known values."""
    return synthesize_stack(project, project.stack("dev"), preview=False)


@pytest.fixture(scope="module")
def dev_preview(project: Project) -> Recording:
    """The same stack as a first preview sees it (provider-computed values unknown)."""
    return synthesize_stack(project, project.stack("dev"), preview=True)


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    """One fixture-pack process for the whole module, always stopped."""
    process = PolicyPackProcess(PACK, project="fintech-infra", stack="dev").start()
    try:
        # Up before any test's no_pack_left takes its snapshot: a child not yet past exec still shows
        # the test's own command line in /proc, and would only be seen afterwards (as if leaked).
        process.port()
        yield process
    finally:
        process.close()


@pytest.fixture
def no_pack_left() -> Iterator[None]:
    """Fails the test if a fixture-pack process or a relay it started is still running afterwards."""
    before = set(pack_processes()) | set(relay_processes())
    yield
    left = set(pack_processes()) - before
    assert not left, f"policy pack processes left running: {sorted(left)} (test pid {os.getpid()})"
    relays = set(relay_processes()) - before
    assert not relays, f"analyzer relays left running: {sorted(relays)} (test pid {os.getpid()})"


def comparable_plan(plan: dict[str, Any]) -> Any:
    """A ``--format json`` plan with what may differ between two runs of the same code taken out: timings,
    and the order of every list (the SDK registers resources from several threads, so their order varies)."""

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: canonical(item) for key, item in value.items() if key not in ("timings", "wall_seconds")}
        if isinstance(value, list | tuple):
            return sorted((canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
        return value

    return canonical(plan)
