"""The README's example is a real program: it synthesizes, does what the README says, and passes the pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.payments_database import main
from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording, synthesize

POLICY_PACK = Path(__file__).resolve().parent.parent / "policy"
STAGING = {"fintech-infra:environment": "staging"}


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(main, stack="example", config=STAGING)


def test_example_builds_an_encrypted_multi_az_payments_database(recording: Recording) -> None:
    (db,) = recording.of_type("aws:rds/instance:Instance")
    assert db.inputs["storageEncrypted"] is True
    assert db.inputs["multiAz"] is True
    assert db.inputs["deletionProtection"] is True
    assert db.protect
    assert db.tags["DataConcern"] == "payments"
    assert db.tags["Jurisdiction"] == "cysec"
    assert db.region == "eu-central-1"
    payments_key = next(k for k in recording.of_type("aws:kms/key:Key") if k.tags.get("DataConcern") == "payments")
    assert db.property_dependencies["kmsKeyId"] == (payments_key.urn,)
    assert recording.exports["payments_mechanism"] == "multi-az-instance"


def test_example_passes_the_policy_pack(recording: Recording, judge_policy) -> None:
    verdict = judge_policy(recording, policy_pack=POLICY_PACK, stack_config=STAGING)
    assert verdict.passed, [(f.policy, f.urn, f.message) for f in verdict.mandatory]
    assert not verdict.mandatory and verdict.analyzed == len(recording) + 1  # every registration, and the stack


def test_example_in_prod_asks_for_a_dr_region() -> None:
    with pytest.raises(
        ConfigError, match=r"^settings\.objectives\.scope: 'region' needs a DR region, and dr is not set"
    ):
        synthesize(lambda: main("prod"), stack="example", config={"fintech-infra:environment": "prod"})
