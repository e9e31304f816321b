"""The README's example is a real program: it synthesizes and does what the README says."""

from __future__ import annotations

from examples.payments_database import main
from fintech_infra.testing import Recording, synthesize


def _recording() -> Recording:
    return synthesize(main, stack="example")


def test_example_builds_an_encrypted_multi_az_payments_database() -> None:
    recording = _recording()
    (db,) = recording.of_type("aws:rds/instance:Instance")
    assert db.inputs["storageEncrypted"] is True
    assert db.inputs["multiAz"] is True
    assert db.inputs["deletionProtection"] is True
    assert db.protect
    assert db.tags["DataConcern"] == "payments"
    assert db.region == "eu-central-1"
    payments_key = next(k for k in recording.of_type("aws:kms/key:Key") if k.tags.get("DataConcern") == "payments")
    assert db.property_dependencies["kmsKeyId"] == (payments_key.urn,)
    assert recording.exports["payments_mechanism"] == "multi-az-instance"
