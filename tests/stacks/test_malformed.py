"""Every malformed stack file of the corpus (``tests/stacks/malformed.py``) is refused cleanly: exit 2, one
``error:`` block naming the key (or file and line) and the value, no traceback, and not one registration.

The corpus runs in-process through the gate's own entry point (``fintech_infra_gate.cli.main``) against a
copy of the project holding the broken file, with the real program and policy pack; registrations are
counted at the harness's ``on_register`` hook, the one the gate streams to the pack. A few run through the
installed ``fintech-infra`` console script as well.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fintech_infra.testing import RecordedResource, synthesize
from fintech_infra_gate import cli, runner
from tests.stacks.malformed import CASES, HIDDEN, README_EXAMPLE, STACKS, Case, file_bytes

ROOT = STACKS.parent
PACK = ROOT / "policy"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project (Pulumi.yaml, the program, the shipped stack files) and every malformed file."""
    root = tmp_path_factory.mktemp("malformed")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(STACKS, root / "stacks")
    for case in CASES:
        (root / "stacks" / f"Pulumi.{case.name}.yaml").write_bytes(file_bytes(case))
    return root


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the resources the stack under test registers, seen where the gate hands them to the pack."""
    seen: list[str] = []
    real = synthesize

    def counting(*args: Any, **kwargs: Any) -> Any:
        forward = kwargs.get("on_register")

        def count(resource: RecordedResource) -> None:
            seen.append(resource.name)
            if forward is not None:
                forward(resource)

        return real(*args, **{**kwargs, "on_register": count})

    monkeypatch.setattr(runner, "synthesize", counting)
    # The global stack reads the cell stacks' exports; a refused config stops before any StackReference is
    # read, so the referenced stacks need not be synthesized first (which would register their resources).
    monkeypatch.setattr(runner, "referenced_closure", lambda project, name: [])
    yield seen


def test_the_corpus_is_large_and_each_case_breaks_one_named_thing() -> None:
    assert len(CASES) >= 100
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_stack_file_is_refused_before_the_first_registration(
    case: Case, project: Path, registrations: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["plan", "--project-dir", str(project), "--policy-pack", str(PACK), "--stack", case.name])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert registrations == [], f"registered before the refusal: {registrations[:5]}"
    assert out == ""
    assert err.startswith("error: ") and err.count("error: ") == 1, err
    assert "Traceback" not in err
    assert case.path in err, err
    assert case.value in err, err
    if case.value == HIDDEN or case.secret:
        assert case.secret is None or case.secret not in err


@pytest.mark.parametrize("name", ["latin-1", "bool-for-int", "url-with-password", "config-over-128-kib"])
def test_console_script_refuses_with_exit_2_and_no_traceback(project: Path, name: str) -> None:
    case = next(case for case in CASES if case.name == name)
    script = Path(sys.executable).parent / "fintech-infra"
    completed = subprocess.run(
        [str(script), "plan", "--project-dir", str(project), "--policy-pack", str(PACK), "--stack", name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr.startswith("error: ") and "Traceback" not in completed.stderr
    assert case.path in completed.stderr and case.value in completed.stderr
    assert case.secret is None or case.secret not in completed.stderr


def test_readme_shows_the_gates_real_output_for_a_broken_stack_file(
    tmp_path: Path, registrations: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(STACKS, tmp_path / "stacks")
    (tmp_path / "stacks" / "Pulumi.example.yaml").write_bytes(file_bytes(README_EXAMPLE))
    code = cli.main(["plan", "--project-dir", str(tmp_path), "--policy-pack", str(PACK), "--stack", "example"])
    err = capsys.readouterr().err
    assert code == 2 and registrations == [] and "s3cr3t-pw" not in err
    shown = f'```text\n$ fintech-infra plan --stack example; echo "exit $?"\n{err}exit 2\n```'
    assert shown in README.read_text(encoding="utf-8"), f"README's example is stale; it should read:\n{shown}"
