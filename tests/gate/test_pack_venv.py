"""The policy pack runs from its own venv, built from policy/requirements.txt alone, and judges as before.

``make`` builds ``policy/venv`` the way the Pulumi CLI does for ``virtualenv: venv`` (a venv with the pack's
``requirements.txt`` installed, nothing else). Here the gate starts the real pack over the recorded dev
stack: the process must be that venv's interpreter, the interpreter must be unable to import the project,
and the verdict must equal the one the development interpreter gives.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate import analyzer
from fintech_infra_gate.analyzer import PolicyPackProcess, pack_python
from fintech_infra_gate.judge import judge_recording
from fintech_infra_gate.policyconfig import read_policy_config
from fintech_infra_gate.runner import synthesize_stack
from fintech_infra_gate.stackfiles import Project, load_project
from fintech_infra_gate.verdict import Verdict
from tests.gate.conftest import pack_processes

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "policy"
PACK_PYTHON = PACK / "venv" / "bin" / "python"


@pytest.fixture(scope="module")
def real_project() -> Project:
    if not PACK_PYTHON.exists():
        pytest.fail("policy/venv is missing: build it with `make .venv/.installed` (the install stamp builds it)")
    return load_project(REPO)


@pytest.fixture(scope="module")
def dev_stack(real_project: Project) -> Recording:
    zones = synthesize_stack(real_project, real_project.stack("global"), preview=False)  # dev reads it
    return synthesize_stack(real_project, real_project.stack("dev"), preview=False, exports={"global": zones.exports})


def _judge(project: Project, recording: Recording) -> tuple[Verdict, list[str], set[str]]:
    """The verdict, and the started pack's argv and mapped files (read while it runs)."""
    stack = project.stack("dev")
    policy_path = project.policy_config_path(PACK, stack.environment)
    before = set(pack_processes(PACK))
    with PolicyPackProcess(PACK, project=project.name, stack=stack.name) as process:
        process.port()
        (pid,) = set(pack_processes(PACK)) - before
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        mapped = {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if "/" in line}
        verdict = judge_recording(
            recording,
            process,
            policy_config=read_policy_config(policy_path),
            stack_config=stack.config,
            secret_keys=stack.secret_keys,
            tags=project.stack_tags,
        )
    return verdict, argv, mapped


def _comparable(verdict: Verdict) -> Verdict:
    return dataclasses.replace(
        verdict,
        findings=tuple(sorted(verdict.findings, key=repr)),
        not_applicable=tuple(sorted(verdict.not_applicable, key=repr)),
    )


def test_the_gate_chooses_the_pack_venv_from_pulumipolicy_yaml() -> None:
    assert pack_python(PACK) == str(PACK_PYTHON)


def test_the_pack_venv_cannot_import_the_project() -> None:
    for module in ("fintech_infra", "fintech_infra_gate", "components", "stacks", "tests"):
        # From the pack's folder, as the engine runs it; only the pack itself is importable there.
        result = subprocess.run(
            [str(PACK_PYTHON), "-c", f"import {module}"], cwd=PACK, capture_output=True, text=True, check=False
        )
        assert result.returncode == 1, f"the pack venv imports {module}"
        assert f"No module named '{module}'" in result.stderr
    result = subprocess.run(
        [str(PACK_PYTHON), "-c", "import pulumi_policy, fintech_guardrails.catalog as c; print(len(c.guardrails()))"],
        cwd=PACK,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 70


def test_the_pack_judges_a_recorded_stack_from_its_own_venv_as_from_the_dev_venv(
    real_project: Project, dev_stack: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, argv, mapped = _judge(real_project, dev_stack)
    assert argv[0] == str(PACK_PYTHON)
    site_packages = {path for path in mapped if "/site-packages/" in path}
    # grpc's compiled core (and every other extension) is loaded from the pack venv, none from the dev venv.
    assert any(path.startswith(str(PACK / "venv")) and "/grpc/" in path for path in site_packages), site_packages
    assert all(path.startswith(str(PACK / "venv")) for path in site_packages), site_packages

    monkeypatch.setattr(analyzer, "pack_python", lambda pack_dir: sys.executable)
    dev, dev_argv, _ = _judge(real_project, dev_stack)
    assert dev_argv[0] == sys.executable != str(PACK_PYTHON)

    assert own.passed and own.analyzed == len(dev_stack.resources) + 1
    assert _comparable(own) == _comparable(dev)
