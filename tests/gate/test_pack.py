"""``fintech-infra pack``: the shipped policy pack, copied into a team's project or located."""

from __future__ import annotations

from pathlib import Path

import pytest

from fintech_infra.errors import ConfigError
from fintech_infra_gate import cli, pack
from tests.packaging.helpers import assert_same_pack

REPO_POLICY = Path(__file__).resolve().parents[2] / "policy"


def test_in_a_checkout_the_shipped_pack_is_the_repositorys() -> None:
    assert pack.pack_dir() == REPO_POLICY


def test_pack_files_leave_out_the_venv_and_bytecode() -> None:
    files = pack.pack_files(REPO_POLICY)
    assert Path("PulumiPolicy.yaml") in files and Path("requirements.txt") in files
    assert not [f for f in files if f.parts[0] == "venv" or "__pycache__" in f.parts or f.suffix == ".pyc"]


def test_export_copies_the_pack_and_says_how_to_build_its_venv(tmp_path: Path, capsys) -> None:
    assert cli.main(["pack", "--export", str(tmp_path / "policy-pack")]) == cli.EXIT_OK
    assert_same_pack(tmp_path / "policy-pack", REPO_POLICY)
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0] == f"fintech-guardrails 0.1.0: {len(pack.pack_files(REPO_POLICY))} files in {tmp_path / 'policy-pack'}"
    )
    assert out[1].startswith(f"its virtualenv: python -m venv {tmp_path / 'policy-pack'}/venv && ")


def test_export_refuses_a_folder_with_something_in_it(tmp_path: Path, capsys) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError) as caught:
        pack.export(tmp_path / "old")
    assert str(caught.value) == (
        f"--export {str(tmp_path / 'old')!r}: exists and is not an empty folder; allowed: a new or empty folder "
        "(remove the old copy to refresh it)"
    )
    assert cli.main(["pack", "--export", str(tmp_path / "old")]) == cli.EXIT_ERROR
    assert capsys.readouterr().err.startswith("error: --export ")
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["keep.txt"]


def test_path_prints_the_installed_pack(capsys) -> None:
    assert cli.main(["pack", "--path"]) == cli.EXIT_OK
    assert capsys.readouterr().out.strip() == str(REPO_POLICY)
