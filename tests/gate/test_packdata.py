"""The pack's shared-fact data files are generated from the library and must not go stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fintech_infra.recovery import MECHANISMS
from fintech_infra_gate import packdata


def test_pack_data_files_are_current() -> None:
    assert packdata.stale() == [], "the pack's data files are stale: run `make packdata`"


@pytest.mark.parametrize("name", sorted(packdata.FILES))
def test_each_file_opens_with_what_generated_it_and_how_to_regenerate(name: str) -> None:
    text = (packdata.DATA_DIR / name).read_text(encoding="utf-8")
    assert text.startswith('{\n  "_generated": {'), "the header must be the first thing a reader sees"
    header = json.loads(text)["_generated"]
    assert header["by"] == "fintech_infra_gate.packdata"
    assert header["from"].startswith("fintech_infra.")
    assert header["regenerate"] == packdata.COMMAND
    assert "do not edit" in header["note"]


def test_check_names_a_stale_file_and_write_repairs_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert packdata.main(["--data-dir", str(tmp_path), "--write"]) == 0
    assert packdata.main(["--data-dir", str(tmp_path), "--check"]) == 0
    recovery = tmp_path / "recovery.json"
    edited = json.loads(recovery.read_text())
    edited["mechanisms"]["multi-az-instance"]["rtoSeconds"] = 60
    recovery.write_text(json.dumps(edited, indent=2, sort_keys=True) + "\n")
    capsys.readouterr()
    assert packdata.main(["--data-dir", str(tmp_path), "--check"]) == 1
    assert capsys.readouterr().err == f"{recovery} is stale: run {packdata.COMMAND}\n"
    assert packdata.write(tmp_path) == ["recovery.json"]
    assert packdata.stale(tmp_path) == []


def test_every_mechanism_carries_its_aws_figure_and_source() -> None:
    mechanisms = json.loads(packdata.render()["recovery.json"])["mechanisms"]
    assert set(mechanisms) == {facts.mechanism.value for facts in MECHANISMS.values()}
    for name, entry in mechanisms.items():
        assert entry["source"].startswith("https://docs.aws.amazon.com/"), name
        assert entry["figure"] and entry["scope"] in ("zone", "region") and entry["engines"], name
