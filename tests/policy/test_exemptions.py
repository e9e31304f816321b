"""Exemptions: applied only when complete and current, reported as evidence, never on non-exemptible policies."""

import datetime as dt

from fintech_guardrails import types as t
from fintech_guardrails.exemptions import parse_exemptions
from fintech_guardrails.registry import exemptible_policies
from tests.policy.harness import TODAY, R, analyze, analyze_stack

VALID = {
    "policy": "rds-multi-az",
    "resource": "*-db",
    "reason": "dev cost ceiling, single AZ",
    "ticket": "RISK-12",
    "approver": "ciso@example.com",
    "expires": "2025-12-31",
}
SINGLE_AZ = R(t.RDS_INSTANCE, "payments-db", {"multiAz": False, "storageEncrypted": False})


def test_a_valid_exemption_waives_the_violation_and_is_reported() -> None:
    result = analyze(SINGLE_AZ, config={"exemptions": [VALID]}, policy="rds-multi-az")
    assert result.outcome("rds-multi-az") == "pass"
    [reason] = result.reasons("rds-multi-az")
    assert (
        reason == "exempted by RISK-12 (approved by ciso@example.com, expires 2025-12-31) for *-db: "
        "dev cost ceiling, single AZ"
    )


def test_an_exemption_matches_by_urn_too() -> None:
    result = analyze(SINGLE_AZ, config={"exemptions": [{**VALID, "resource": SINGLE_AZ.urn}]}, policy="rds-multi-az")
    assert result.outcome("rds-multi-az") == "pass"


def test_an_exemption_for_another_resource_changes_nothing() -> None:
    result = analyze(SINGLE_AZ, config={"exemptions": [{**VALID, "resource": "crm-*"}]}, policy="rds-multi-az")
    assert result.outcome("rds-multi-az") == "fail" and not result.reasons("rds-multi-az")


def test_an_expired_exemption_is_not_applied() -> None:
    result = analyze(SINGLE_AZ, config={"exemptions": [{**VALID, "expires": "2025-05-31"}]}, policy="rds-multi-az")
    assert result.outcome("rds-multi-az") == "fail"


def test_an_incomplete_exemption_is_not_applied() -> None:
    entry = {key: value for key, value in VALID.items() if key != "ticket"}
    result = analyze(SINGLE_AZ, config={"exemptions": [entry]}, policy="rds-multi-az")
    assert result.outcome("rds-multi-az") == "fail"


def test_a_non_exemptible_policy_ignores_the_exemption_and_the_register_reports_it() -> None:
    entry = {**VALID, "policy": "rds-storage-encrypted-cmk"}
    result = analyze(SINGLE_AZ, config={"exemptions": [entry]}, policy="rds-storage-encrypted-cmk")
    assert result.outcome("rds-storage-encrypted-cmk") == "fail"
    register = analyze_stack([SINGLE_AZ], config={"exemptions": [entry]}, policy="exemptions-valid")
    assert register.messages("exemptions-valid")[0].endswith(
        "exemption RISK-12: policy rds-storage-encrypted-cmk can never be exempted; the exemption is ignored"
    )
    assert [d.enforcementLevel for d in register.diagnostics] == [1]  # MANDATORY


def test_the_register_is_mandatory_even_when_configured_advisory() -> None:
    from fintech_guardrails.catalog import config_schemas
    from fintech_guardrails.settings import expand, load_environment

    expanded = expand({**load_environment("dev"), "enforcement": {"default": "advisory"}}, config_schemas())
    assert expanded["exemptions-valid"]["enforcementLevel"] == "mandatory"


def test_problems_name_every_missing_field_and_the_expiry() -> None:
    [entry] = parse_exemptions(
        [{"policy": "rds-multi-az", "resource": "x", "reason": "short", "expires": "2024-01-01"}]
    )
    problems = entry.problems(dt.date.fromisoformat(TODAY), exemptible_policies())
    assert problems == [
        "exemptions[0]: `ticket` is missing or empty",
        "exemptions[0]: `approver` is missing or empty",
        "exemptions[0]: `reason` must say why in at least 10 characters",
        "exemptions[0]: expired on 2024-01-01; renew it through review or fix the resource",
    ]


def test_a_stack_policy_exemption_waives_only_the_named_resource() -> None:
    vpc_a = R(t.VPC, "vpc-a", {})
    vpc_b = R(t.VPC, "vpc-b", {})
    entry = {**VALID, "policy": "vpc-flow-logs-enabled", "resource": "vpc-a"}
    result = analyze_stack([vpc_a, vpc_b], config={"exemptions": [entry]}, policy="vpc-flow-logs-enabled")
    assert [d.urn for d in result.diagnostics] == [vpc_b.urn]
    assert "exempted by RISK-12" in result.reasons("vpc-flow-logs-enabled")[0]


def test_today_comes_from_config_for_reproducible_gates() -> None:
    late = analyze(SINGLE_AZ, config={"exemptions": [VALID], "today": "2026-01-01"}, policy="rds-multi-az")
    assert late.outcome("rds-multi-az") == "fail"
