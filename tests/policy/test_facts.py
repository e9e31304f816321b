"""The pack reads the same facts as the library, from its own data files, and merges overrides the same way."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import ValidationError

from fintech_guardrails import facts
from fintech_guardrails.catalog import config_schemas
from fintech_guardrails.jurisdictions import DEFAULT_REGISTRY, OverrideError
from fintech_guardrails.rules import recovery
from fintech_guardrails.settings import Settings
from fintech_infra.config import DataConcern, Environment, default_objectives
from fintech_infra.errors import ConfigError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY as LIBRARY_REGISTRY
from fintech_infra.jurisdictions import JurisdictionOverride
from fintech_infra.recovery import MECHANISMS, Mechanism


def _library_merge(overrides: dict[str, Any]) -> dict[str, Any]:
    parsed = {code: JurisdictionOverride.model_validate(entry) for code, entry in overrides.items()}
    return LIBRARY_REGISTRY.with_overrides(parsed).as_data()


def test_the_pack_reads_the_librarys_registry() -> None:
    assert DEFAULT_REGISTRY.as_data() == LIBRARY_REGISTRY.as_data()
    assert DEFAULT_REGISTRY["fca"].permitted_regions == LIBRARY_REGISTRY["fca"].permitted_regions


NEW_ENTRY = {
    "regulator": "Monetary Authority of Singapore",
    "primary_regions": ["ap-southeast-1"],
    "dr_regions": ["ap-southeast-1"],
    "min_backup_retention_days": 90,
    "min_audit_log_retention_days": 1825,
    "legal_reference": "MAS TRM Guidelines",
}

ACCEPTED = {
    "narrower DR regions": {"cysec": {"dr_regions": ["eu-west-1", "eu-south-1"]}},
    "longer audit retention, as a Struct float": {"cysec": {"min_audit_log_retention_days": 2555.0}},
    "null keeps the registry's value": {"asic": {"regulator": None, "min_backup_retention_days": 120}},
    "a new jurisdiction with every field": {"mas": NEW_ENTRY},
}


@pytest.mark.parametrize("overrides", ACCEPTED.values(), ids=list(ACCEPTED))
def test_accepted_overrides_merge_as_in_the_library(overrides: dict[str, Any]) -> None:
    assert DEFAULT_REGISTRY.with_overrides(overrides).as_data() == _library_merge(overrides)


REJECTED = {
    "an unknown region": (
        {"cysec": {"primary_regions": ["mars-north-1"]}},
        "jurisdictions.cysec.primary_regions: 'mars-north-1' is not an AWS region; allowed: af-south-1, ",
    ),
    "no region at all": ({"cysec": {"dr_regions": []}}, "jurisdictions.cysec.dr_regions: needs at least 1 region"),
    "audit retention under a year": (
        {"fca": {"min_audit_log_retention_days": 30}},
        "jurisdictions.fca.min_audit_log_retention_days: 30 is out of range; allowed: 365 to 36500",
    ),
    "a fractional day count": (
        {"fca": {"min_backup_retention_days": 90.5}},
        "jurisdictions.fca.min_backup_retention_days: 90.5 is not a whole number",
    ),
    "a field the registry does not have": (
        {"fca": {"retention": 90}},
        "jurisdictions.fca.retention: unknown field; allowed: regulator, primary_regions, ",
    ),
    "a new jurisdiction missing a field": (
        {"mas": {key: value for key, value in NEW_ENTRY.items() if key != "legal_reference"}},
        "jurisdictions.mas.legal_reference: required for a jurisdiction the registry does not know",
    ),
    "a code that is not a code": ({"MAS!": NEW_ENTRY}, "jurisdictions.MAS!: 'MAS!' does not match "),
    "an entry that is not an object": ({"fca": ["eu-west-2"]}, "jurisdictions.fca: must be an object; "),
}


@pytest.mark.parametrize(("overrides", "message"), REJECTED.values(), ids=list(REJECTED))
def test_rejected_overrides_are_rejected_by_both_with_the_key_path(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(OverrideError) as error:
        DEFAULT_REGISTRY.with_overrides(overrides)
    assert str(error.value).startswith(message)
    with pytest.raises((ConfigError, ValidationError)):
        _library_merge(overrides)


def test_a_bad_override_is_a_reported_problem_and_the_registry_is_kept() -> None:
    settings = Settings.from_config({"jurisdictions": {"fca": {"min_audit_log_retention_days": 30}}}, {})
    assert settings.problems == (
        "config jurisdictions.fca.min_audit_log_retention_days: 30 is out of range; allowed: 365 to 36500; "
        "using the registry without overrides",
    )
    assert settings.registry is DEFAULT_REGISTRY
    good = Settings.from_config({"jurisdictions": {"cysec": {"min_audit_log_retention_days": 2555.0}}}, {})
    assert good.problems == () and good.registry["cysec"].min_audit_log_retention_days == 2555


@pytest.mark.parametrize("environment", typing.get_args(Environment))
@pytest.mark.parametrize("has_dr_region", [True, False])
def test_default_objectives_are_the_librarys(environment: str, has_dr_region: bool) -> None:
    for concern in DataConcern:
        library = default_objectives(environment, concern, has_dr_region=has_dr_region)  # type: ignore[arg-type]
        expected = {"rpoSeconds": library.rpo_seconds, "rtoSeconds": library.rto_seconds, "scope": library.scope}
        assert recovery.default_objectives(environment, concern.value, has_dr_region=has_dr_region) == expected


def test_the_recovery_rule_judges_with_the_librarys_figures() -> None:
    assert {
        entry.mechanism.value: {"rpo": entry.rpo_seconds, "rto": entry.rto_seconds} for entry in MECHANISMS.values()
    } == recovery.MECHANISMS
    named = {value for key, value in vars(recovery).items() if key.isupper() and isinstance(value, str)}
    assert named <= {mechanism.value for mechanism in Mechanism}, "the rule names a mechanism the library lacks"
    assert {m.value for m, f in MECHANISMS.items() if f.scope == "zone"} == recovery.ZONE_MECHANISMS
    schema = config_schemas()["recovery-objectives-achievable"]
    assert schema["mechanisms"]["default"] == recovery.MECHANISMS


def test_config_schemas_allow_what_aws_allows() -> None:
    limits = facts.load("aws_limits")
    schemas = config_schemas()
    for policy, key, limit in (
        ("rds-backup-retention", "minDays", "rdsBackupRetentionDays"),
        ("kms-key-deletion-window", "minDays", "kmsDeletionWindowDays"),
        ("redis-snapshots", "minDays", "elasticacheSnapshotRetentionDays"),
    ):
        bounds = {bound: schemas[policy][key][bound] for bound in ("minimum", "maximum")}
        assert bounds == limits[limit], policy
    assert schemas["rds-enhanced-monitoring"]["maxIntervalSeconds"]["enum"] == limits["rdsMonitoringIntervalSeconds"]
