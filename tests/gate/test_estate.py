"""The synthetic estate generator: N cells from a shipped cell, valid against StackConfig."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.estate import estate_config, write_estate
from fintech_infra_gate.stackfiles import load_project

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (ROOT / "stacks" / "Pulumi.prod-eu.yaml").is_file(), reason="the shipped prod-eu stack has not landed yet"
)


def test_estate_has_n_unique_valid_cells():
    raw = estate_config(ROOT, 4)
    cells = raw["fintech-infra:cells"]
    assert list(cells) == ["c01", "c02", "c03", "c04"]
    hostnames = [entity["hostname"] for cell in cells.values() for entity in cell["entities"]]
    assert len(set(hostnames)) == len(hostnames)
    assert len({cell["vpc"]["cidr"] for cell in cells.values()}) == 4
    assert cells["c01"]["alarms"]["subscriptions"]["critical"]["https_endpoints"][0].keys() == {"secure"}


def test_an_estate_stack_reads_as_the_program_reads_it(tmp_path):
    (name,) = write_estate(ROOT, tmp_path, (4,)).values()
    config = load_project(tmp_path).stack(name).validated()
    assert len(config.cells) == 4


def test_write_estate_makes_a_runnable_project_copy(tmp_path):
    names = write_estate(ROOT, tmp_path, (1, 2))
    assert names == {1: "estate-1", 2: "estate-2"}
    assert (tmp_path / "Pulumi.yaml").is_file() and (tmp_path / "stacks" / "__main__.py").is_file()
    document = yaml.safe_load((tmp_path / "stacks" / "Pulumi.estate-2.yaml").read_text())
    assert len(document["config"]["fintech-infra:cells"]) == 2
