"""hardening_facts: the library builds with the values the hardening guardrails accept, each with its source."""

from __future__ import annotations

from typing import Any

from fintech_infra import hardening_facts as facts
from fintech_infra.aws_facts import CHECKED
from fintech_infra.config import DatabaseSettings
from fintech_infra.rds_baseline import CA_CERT_IDENTIFIER, db_parameters
from fintech_infra.waf import MANAGED_RULE_GROUPS

SOURCES = (
    facts.RDS_CA_SOURCE,
    facts.FARGATE_PLATFORM_SOURCE,
    facts.POSTGRES_LOGGING_SOURCE,
    facts.KNOWN_BAD_INPUTS_SOURCE,
    facts.KMS_KEY_ENABLED_SOURCE,
    facts.EPHEMERAL_PORTS_SOURCE,
    facts.SECRET_RECOVERY_WINDOW_SOURCE,
)


def test_every_fact_names_an_aws_page_and_the_day_it_was_checked() -> None:
    for source in SOURCES:
        assert source.url.startswith(("https://docs.aws.amazon.com/", "https://www.pulumi.com/registry/packages/aws/"))
        assert source.quote
        assert source.checked == CHECKED


def test_the_database_ca_is_a_current_one() -> None:
    assert CA_CERT_IDENTIFIER in facts.RDS_CA_IDENTIFIERS
    assert "rds-ca-2019" not in facts.RDS_CA_IDENTIFIERS


def test_the_web_acl_carries_the_known_bad_inputs_group() -> None:
    assert facts.KNOWN_BAD_INPUTS_RULE_GROUP in MANAGED_RULE_GROUPS


def test_every_database_logs_connections_and_statements() -> None:
    for concern in ("crm", "trading", "payments", "audit"):
        parameters = {p["name"]: p["value"] for p in db_parameters(DatabaseSettings(concern=concern))}
        assert parameters["log_connections"] == parameters["log_disconnections"] == "1"
        assert parameters["log_statement"] in facts.POSTGRES_LOG_STATEMENT_VALUES
        assert int(parameters["log_min_duration_statement"]) >= 0


def test_the_document_is_what_the_pack_reads() -> None:
    document: Any = facts.facts_document()
    assert document["rds_ca_identifiers"]["values"] == list(facts.RDS_CA_IDENTIFIERS)
    assert document["fargate_platform_versions"]["values"][0] == "LATEST"
    assert document["ephemeral_ports"]["range"] == [1024, 65535]
