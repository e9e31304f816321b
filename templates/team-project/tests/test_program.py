"""Every stack file of this project, offline: synthesized under the mock engine and judged by the policy pack.

``make test`` runs this once ``make policy-pack`` has exported the pack into ``policy-pack/`` with its venv.
The fixtures ``synth`` and ``judge_policy`` come with ``fintech-infra[test]``.
"""

from pathlib import Path

import pytest
from fintech_infra_gate.stackfiles import load_project

from program import main

PROJECT = load_project(Path(__file__).resolve().parent.parent)
POLICY_PACK = PROJECT.root / "policy-pack"


@pytest.mark.parametrize("stack", PROJECT.stack_names())
def test_stack_passes_the_policy_pack(stack, synth, judge_policy):
    config = PROJECT.stack(stack).config
    recording = synth(main, project=PROJECT.name, stack=stack, config=config)
    verdict = judge_policy(recording, policy_pack=POLICY_PACK, stack_config=config)
    assert verdict.passed, [f"{finding.policy}: {finding.message}" for finding in verdict.mandatory]


@pytest.mark.parametrize("stack", PROJECT.stack_names())
def test_payments_data_is_encrypted_multi_az_and_protected(stack, synth):
    config = PROJECT.stack(stack).config
    recording = synth(main, project=PROJECT.name, stack=stack, config=config)
    (database,) = recording.of_type("aws:rds/instance:Instance")
    assert database.inputs["storageEncrypted"] is True and database.inputs["multiAz"] is True
    assert database.protect and database.tags["DataConcern"] == "payments"
    assert database.tags["Jurisdiction"] == config[f"{PROJECT.name}:jurisdiction"]
