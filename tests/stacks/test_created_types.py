"""The pack's list of the types the library creates is the list the shipped stacks register today."""

from __future__ import annotations

import json

from fintech_infra.testing import Recording
from fintech_infra_gate.createdtypes import FILE_NAME, render
from fintech_infra_gate.packdata import DATA_DIR


def test_created_types_match_the_shipped_stacks(recordings: dict[str, Recording]):
    committed = (DATA_DIR / FILE_NAME).read_text(encoding="utf-8")
    assert render(recordings.values()) == committed, "stale: run `make packdata`"


def test_created_types_name_the_component_of_each_type(recordings: dict[str, Recording]):
    types = json.loads(render(recordings.values()))["types"]
    assert types["aws:rds/instance:Instance"] == ["fintech:database:FinancialDatabase"]
    assert "fintech:bucket:SecureBucket" in types["aws:s3/bucket:Bucket"]
    assert "pulumi:providers:aws" in types, "providers are created types too (checkov judges the provider block)"
