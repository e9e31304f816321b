"""The built wheel in a clean venv: each way of installing it brings exactly what it promises.

``pip install fintech-infra`` is the library and the recording harness; ``[gate]`` adds the offline gate
and its ``fintech-infra`` command; ``[test]`` adds the pytest fixtures, pytest included. The policy pack
travels in the wheel, byte for byte the repository's ``policy/``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO_ROOT, assert_same_pack, clean_environment

PROBE = Path(__file__).resolve().parent / "extras_probe.py"
VENV_TOOLING = {"pip", "setuptools"}
"""What ``python -m venv`` puts into every venv."""


def _probe(team_venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(team_venv / "bin" / "python"), str(PROBE), *args],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=team_venv,
        check=False,
        timeout=300,
    )


def _modules(folder: str, package: str, *, without: set[str]) -> list[str]:
    """The import names of every module the wheel has from ``folder`` (its ``package``), less ``without``."""
    names = []
    for path in sorted((REPO_ROOT / folder).rglob("*.py")):
        parts = path.relative_to(REPO_ROOT / folder).with_suffix("").parts
        name = ".".join((package, *parts)).removesuffix(".__init__")
        if name not in without:
            names.append(name)
    return names


LIBRARY = _modules("components", "fintech_infra", without={"fintech_infra.testing.pytest_plugin"})
GATE = _modules("gate", "fintech_infra_gate", without={"fintech_infra_gate.pytest_plugin"})
PLUGINS = ["fintech_infra.testing.pytest_plugin", "fintech_infra_gate.pytest_plugin"]


@pytest.fixture(scope="module")
def closures(team_venv: Path) -> dict[str, set[str]]:
    result = _probe(team_venv, "closures")
    assert result.returncode == 0, result.stderr
    return {key: set(value) for key, value in json.loads(result.stdout).items()}


def test_the_clean_venv_holds_the_wheel_and_what_its_extras_reach_nothing_else(closures) -> None:
    reached = closures["library"] | closures["gate"] | closures["test"]
    assert closures["installed"] - VENV_TOOLING == reached


def test_each_extra_adds_only_its_own_dependencies(closures) -> None:
    assert {"pulumi", "pulumi-aws", "pulumi-kubernetes", "pydantic"} <= closures["library"]
    assert not {"jsonschema", "pytest", "pulumi-policy"} & closures["library"]
    # pyyaml, which the gate imports, also comes with pulumi; the gate's extra names it all the same.
    assert closures["gate"] - closures["library"] >= {"jsonschema"}
    assert not {"pytest", "pulumi-policy"} & closures["gate"]
    assert closures["test"] - closures["library"] >= {"pytest", "jsonschema"}
    # The pack runs from its own venv (its requirements.txt): no install of the package needs pulumi-policy.
    assert "pulumi-policy" not in closures["installed"]


@pytest.mark.parametrize(
    ("install", "modules", "refused"),
    [
        ("library", LIBRARY, {"jsonschema": "missing jsonschema", PLUGINS[0]: "missing pytest"}),
        ("gate", LIBRARY + GATE, {PLUGINS[1]: "missing pytest"}),
        ("test", LIBRARY + GATE + PLUGINS, {}),
    ],
)
def test_each_install_imports_what_it_promises(team_venv: Path, install: str, modules, refused) -> None:
    result = _probe(team_venv, "import", install, *modules, *refused)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert {name: outcome[name] for name in modules if outcome[name] != "ok"} == {}
    assert {name: outcome[name] for name in refused} == refused


def test_the_command_without_the_gate_extra_says_what_to_install(team_venv: Path) -> None:
    result = _probe(team_venv, "console", "library")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "fintech-infra: the gate needs 'jsonschema', which the library alone does not install; "
        "run: pip install 'fintech-infra[gate]'"
    )
    result = _probe(team_venv, "console", "gate")
    assert result.returncode == 0 and "{plan,render,pack,record-deploy,images}" in result.stdout, result.stderr


def test_the_wheel_carries_the_policy_pack_byte_for_byte(team_venv: Path, tmp_path: Path) -> None:
    command = str(team_venv / "bin" / "fintech-infra")
    shipped = subprocess.run([command, "pack", "--path"], capture_output=True, text=True, check=True)
    assert Path(shipped.stdout.strip()).is_relative_to(team_venv)
    exported = subprocess.run(
        [command, "pack", "--export", str(tmp_path / "pack")], capture_output=True, text=True, check=False
    )
    assert exported.returncode == 0, exported.stderr
    assert_same_pack(tmp_path / "pack", REPO_ROOT / "policy")
