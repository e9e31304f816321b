"""The team-project template: a ``pulumi new`` template whose program and stack file pass the policy pack.

The same project's own tests, and ``fintech-infra plan`` on it, run against the built wheel in a clean
virtualenv in ``tests/packaging/test_team_project.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fintech_infra.errors import ConfigError, ResidencyError
from fintech_infra.testing import synthesize
from fintech_infra_gate.stackfiles import load_project
from tests.team_project import PROJECT, REPO_ROOT, TEMPLATE, instantiate, load_program, template_files

POLICY_PACK = REPO_ROOT / "policy"


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return instantiate(tmp_path_factory.mktemp("team") / PROJECT)


def test_the_template_holds_a_program_its_stack_file_its_tests_and_a_makefile() -> None:
    expected = {"Pulumi.yaml", "Pulumi.staging.yaml", "__main__.py", "program.py", "tests/test_program.py", "Makefile"}
    assert expected <= {str(path) for path in template_files()}


def test_pulumi_new_asks_for_every_key_the_stack_file_sets() -> None:
    manifest = yaml.safe_load((TEMPLATE / "Pulumi.yaml").read_text())
    assert manifest["name"] == "${PROJECT}" and manifest["runtime"]["name"] == "python"
    stack_file = yaml.safe_load((TEMPLATE / "Pulumi.staging.yaml").read_text())
    stack_keys = {key.removeprefix("${PROJECT}:") for key in stack_file["config"]}
    assert set(manifest["template"]["config"]) == stack_keys


def _synthesize(project_dir: Path, stack: str, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    project = load_project(project_dir)
    config = {**project.stack(stack).config, **{f"{project.name}:{k}": v for k, v in overrides.items()}}
    recording = synthesize(load_program(project_dir), project=project.name, stack=stack, config=config)
    return recording, config


def test_every_stack_file_of_the_template_passes_the_pack(project_dir: Path, judge_policy) -> None:
    stacks = load_project(project_dir).stack_names()
    assert stacks == ["staging"]
    for stack in stacks:
        recording, config = _synthesize(project_dir, stack)
        verdict = judge_policy(recording, policy_pack=POLICY_PACK, stack_config=config)
        assert verdict.passed and not verdict.mandatory, [(f.policy, f.urn, f.message) for f in verdict.mandatory]
        assert recording.exports["payments_mechanism"] == "multi-az-instance"
        assert {r.tags.get("Jurisdiction") for r in recording.custom_resources() if "tags" in r.inputs} == {"cysec"}


def test_the_template_in_prod_asks_for_a_dr_region(project_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _synthesize(project_dir, "staging", environment="prod")
    assert str(caught.value).startswith("settings.objectives.scope: 'region' needs a DR region, and dr is not set")


def test_the_template_refuses_a_region_the_jurisdiction_does_not_permit(project_dir: Path) -> None:
    with pytest.raises(ResidencyError) as caught:
        _synthesize(project_dir, "staging", region="us-east-1")
    assert str(caught.value) == (
        "region: 'us-east-1' is not permitted for cysec; allowed: eu-central-1, eu-south-1, eu-west-1"
    )
