"""The README's annotated stack file is a real one: it loads, synthesizes and passes the policy pack.

(The README's program is the team-project template's, tested in ``tests/test_template.py`` and, from the
built wheel, in ``tests/packaging/test_team_project.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from fintech_infra import program
from fintech_infra.testing import Recording, synthesize
from fintech_infra.validation import load_stack_config

REPO_ROOT = Path(__file__).resolve().parent.parent
MINIMAL_STACK = REPO_ROOT / "examples" / "Pulumi.minimal.yaml"
PREFIX = "fintech-infra:"


def _config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(MINIMAL_STACK.read_text())["config"]
    return {**config, **{PREFIX + key: value for key, value in overrides.items()}}


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(program.main, stack="minimal", config=_config())


def test_the_minimal_stack_file_is_valid_config() -> None:
    raw = {key.removeprefix(PREFIX): value for key, value in _config().items() if key.startswith(PREFIX)}
    config = load_stack_config(raw)
    (cell,) = config.cells.values()
    assert [database.concern.value for database in cell.concerns] == ["payments"]
    assert config.environment == "staging" and cell.dr_region is None


def test_the_minimal_stack_builds_one_cell_with_a_multi_az_payments_database(recording: Recording) -> None:
    (db,) = recording.of_type("aws:rds/instance:Instance")
    assert db.inputs["multiAz"] is True and db.inputs["storageEncrypted"] is True and db.protect
    assert db.tags["Jurisdiction"] == "cysec" and db.tags["DataConcern"] == "payments"
    assert [r.name for r in recording.of_type("fintech:cell:JurisdictionCell")] == ["cy"]


def test_the_minimal_stack_passes_the_policy_pack(recording: Recording, judge_policy) -> None:
    verdict = judge_policy(recording, policy_pack=REPO_ROOT / "policy", stack_config=_config())
    assert verdict.passed and not verdict.mandatory, [(f.policy, f.urn, f.message) for f in verdict.mandatory]


def test_in_prod_the_minimal_stack_asks_for_a_dr_region() -> None:
    with pytest.raises(
        pulumi.RunError, match=r"objectives\.scope: 'region' needs a DR region, and cells\.cy\.dr_region"
    ):
        synthesize(program.main, stack="minimal", config=_config(environment="prod"))
