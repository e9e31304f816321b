"""A new team project from nothing to a passing test and a passing pack verdict, on the built wheel.

The template is instantiated as ``pulumi new`` would, then its own Makefile does what the README documents,
with the clean venv as the project's venv (what ``pip install -r requirements.txt`` installs, here from
the lock): ``make policy-pack`` exports the pack from the installed wheel, ``make test`` runs the project's
tests (the ``synth`` and ``judge_policy`` fixtures, the pack) and ``make plan`` the gate. The pack's venv
is the repository's ``policy/venv``, built from the same ``requirements.txt``; that is sound because the
exported pack is checked to be byte for byte ``policy/`` first. Nothing here uses the network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.packaging.helpers import REPO_ROOT, assert_same_pack, clean_environment
from tests.team_project import PROJECT, instantiate


def _make(project: Path, team_venv: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    # -o: the venvs exist already (the project's is the clean venv, the pack's is policy/venv); never rebuild.
    command = ["make", "-C", str(project), f"VENV={team_venv}", "-o", f"{team_venv}/.installed"]
    command += ["-o", "policy-pack/venv/.installed", *targets]
    return subprocess.run(command, capture_output=True, text=True, env=clean_environment(), check=False, timeout=600)


def test_a_team_project_goes_from_the_template_to_a_passing_test_and_verdict(team_venv: Path, tmp_path: Path) -> None:
    project = instantiate(tmp_path / PROJECT)
    exported = _make(project, team_venv, "policy-pack/PulumiPolicy.yaml")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert_same_pack(project / "policy-pack", REPO_ROOT / "policy")
    (project / "policy-pack" / "venv").symlink_to(REPO_ROOT / "policy" / "venv", target_is_directory=True)

    tested = _make(project, team_venv, "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout, tested.stdout

    planned = _make(project, team_venv, "plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "PASS: 1 stack" in planned.stdout and "0 mandatory" in planned.stdout, planned.stdout
