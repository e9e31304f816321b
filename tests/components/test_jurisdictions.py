"""The jurisdiction registry: the data both the components and the policy pack trust."""

from __future__ import annotations

import pytest

from fintech_infra.errors import ConfigError
from fintech_infra.jurisdictions import AWS_REGIONS, DEFAULT_REGISTRY, Jurisdiction, JurisdictionOverride


def test_required_regulators_are_present() -> None:
    assert {"eu-gdpr", "cysec", "asic", "fca", "sec-finra"} <= set(DEFAULT_REGISTRY)


@pytest.mark.parametrize("code", sorted(DEFAULT_REGISTRY))
def test_every_entry_is_complete_and_real(code: str) -> None:
    entry = DEFAULT_REGISTRY[code]
    assert entry.code == code
    assert entry.primary_regions and entry.dr_regions
    assert set(entry.permitted_regions) <= AWS_REGIONS
    assert entry.min_backup_retention_days >= 35, "must exceed what RDS alone keeps, so AWS Backup is needed"
    assert entry.min_audit_log_retention_days >= 365
    assert len(entry.legal_reference) > 20


def test_residency_facts() -> None:
    eu_only = {r for r in AWS_REGIONS if r.startswith("eu-")} - {"eu-west-2", "eu-central-2"}
    for code in ("eu-gdpr", "cysec"):
        assert DEFAULT_REGISTRY[code].permitted_regions <= eu_only, "EU data stays in EU member-state regions"
    assert DEFAULT_REGISTRY["asic"].permitted_regions == {"ap-southeast-2", "ap-southeast-4"}
    assert DEFAULT_REGISTRY["fca"].primary_regions == ("eu-west-2",)
    assert "eu-west-2" not in DEFAULT_REGISTRY["fca"].dr_regions


def test_override_changes_one_field_and_keeps_the_library_entry() -> None:
    registry = DEFAULT_REGISTRY.with_overrides({"asic": JurisdictionOverride(min_backup_retention_days=365)})
    assert registry["asic"].min_backup_retention_days == 365
    assert registry["asic"].primary_regions == DEFAULT_REGISTRY["asic"].primary_regions
    assert DEFAULT_REGISTRY["asic"].min_backup_retention_days == 90


def test_override_adds_a_new_jurisdiction() -> None:
    new = JurisdictionOverride(
        regulator="Monetary Authority of Singapore",
        primary_regions=("ap-southeast-1",),
        dr_regions=("ap-southeast-1",),
        min_backup_retention_days=90,
        min_audit_log_retention_days=1825,
        legal_reference="MAS TRM Guidelines 2021; SFA s.131",
    )
    registry = DEFAULT_REGISTRY.with_overrides({"mas": new})
    assert isinstance(registry["mas"], Jurisdiction)
    assert "mas" not in DEFAULT_REGISTRY


def test_incomplete_new_jurisdiction_names_the_missing_field() -> None:
    with pytest.raises(ConfigError) as caught:
        DEFAULT_REGISTRY.with_overrides({"mas": JurisdictionOverride(regulator="MAS")})
    assert str(caught.value) == "jurisdictions.mas.primary_regions: Field required"


def test_override_with_unknown_region_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        DEFAULT_REGISTRY.with_overrides({"asic": JurisdictionOverride(dr_regions=("ap-southeast-9",))})
    assert str(caught.value).startswith(
        "jurisdictions.asic: Value error, dr_regions: 'ap-southeast-9' is not an AWS region"
    )


def test_require_unknown_code() -> None:
    with pytest.raises(ConfigError) as caught:
        DEFAULT_REGISTRY.require("mars", path="cells.x.jurisdiction")
    assert str(caught.value) == (
        "cells.x.jurisdiction: 'mars' is not a known jurisdiction; allowed: asic, cysec, eu-gdpr, fca, sec-finra"
    )


def test_as_data_is_json_ready() -> None:
    data = DEFAULT_REGISTRY.as_data()
    assert data["cysec"]["dr_regions"] == ["eu-central-1", "eu-south-1", "eu-west-1"]
