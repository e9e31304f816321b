"""The registry: every guardrail has metadata and a case table; tokens, generated data and docs stay current."""

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pulumi_aws
import pytest

import tests.policy.rules as case_modules
from fintech_guardrails import awstypes
from fintech_guardrails import types as t
from fintech_guardrails.catalog import config_schemas, guardrails, policies
from fintech_guardrails.docs import BEGIN, END, render_policy_table
from fintech_guardrails.settings import CONFIG_DIR, ENVIRONMENTS, expand, load_environment

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")


def all_cases() -> dict:
    cases: dict = {}
    for info in pkgutil.iter_modules(case_modules.__path__):
        module = importlib.import_module(f"tests.policy.rules.{info.name}")
        for name, items in getattr(module, "CASES", {}).items():
            assert name not in cases, f"{name} has case tables in two modules"
            cases[name] = items
    return cases


CASES = all_cases()


@pytest.mark.parametrize("guardrail", guardrails(), ids=lambda g: g.name)
def test_every_guardrail_has_metadata(guardrail) -> None:
    assert NAME.match(guardrail.name)
    assert guardrail.summary.endswith(".") and len(guardrail.summary) > 20
    assert guardrail.remediation and guardrail.severity is not None
    assert guardrail.framework.name in ("PCI DSS", "GDPR", "DORA") and guardrail.framework.reference
    assert guardrail.framework.label in guardrail.tags
    assert guardrail.kind == "stack" or guardrail.types


@pytest.mark.parametrize("guardrail", guardrails(), ids=lambda g: g.name)
def test_every_guardrail_has_a_case_table(guardrail) -> None:
    cases = CASES.get(guardrail.name, [])
    outcomes = {case.expect for case in cases}
    assert {"pass", "fail"} <= outcomes, f"{guardrail.name} needs a compliant and a violating case"
    assert any(case.unknown for case in cases), f"{guardrail.name} needs a case with values unknown at preview"


def test_no_case_table_for_a_missing_policy() -> None:
    assert set(CASES) <= {g.name for g in guardrails()}


def test_encryption_and_residency_can_never_be_exempted() -> None:
    fixed = {g.name for g in guardrails() if not g.exemptible}
    assert {
        "data-residency-region",
        "data-residency-replication",
        "rds-storage-encrypted-cmk",
        "s3-bucket-encryption",
        "redis-encryption-at-rest-cmk",
        "log-group-encrypted",
        "exemptions-valid",
    } <= fixed


def test_sdk_policies_carry_the_metadata() -> None:
    by_name = {p.name: p for p in policies()}
    assert len(by_name) == len(guardrails()) >= 70
    rds = by_name["rds-storage-encrypted-cmk"]
    assert rds.framework is not None and rds.severity is not None and rds.config_schema is not None
    assert rds.framework.name == "PCI DSS" and rds.framework.version == "4.0.1" and rds.framework.reference == "3.5.1"
    assert rds.remediation_steps and rds.severity.value == "critical"
    assert {"environment", "today", "jurisdictions", "exemptions"} <= set(rds.config_schema.properties)


def test_type_tokens_exist_in_the_installed_sdk() -> None:
    package = Path(pulumi_aws.__file__).parent
    # Every resource token the SDK registers (global services' types are neither regional nor always taggable).
    known = {token for source in package.rglob("*.py") for token in awstypes._TOKEN.findall(source.read_text())}
    tokens = [
        value
        for name, value in vars(t).items()
        if name.isupper() and isinstance(value, str) and value.startswith("aws:")
    ]
    tokens += [*t.LOAD_BALANCERS, *t.LISTENERS]
    assert [token for token in tokens if token not in known] == []


def test_generated_aws_type_data_matches_the_installed_sdk() -> None:
    assert json.loads(awstypes.DATA_FILE.read_text()) == awstypes.generate(Path(pulumi_aws.__file__).parent)
    assert awstypes.is_regional(t.RDS_INSTANCE) and not awstypes.is_regional("aws:iam/role:Role")
    assert awstypes.is_taggable(t.BUCKET) and not awstypes.is_taggable(t.BUCKET_VERSIONING)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cli_config_files_are_current(environment: str) -> None:
    expanded = expand(load_environment(environment), config_schemas())
    written = json.loads((CONFIG_DIR / "pulumi" / f"{environment}.json").read_text())
    assert written == expanded, "run: python -m fintech_guardrails.settings (PYTHONPATH=policy)"
    assert expanded["exemptions-valid"]["enforcementLevel"] == "mandatory"


EARLY_WARNINGS = {"rds-engine-version-support-ending", "eks-version-support-ending"}
"""Advisory by design in every environment: they report a date ahead; the matching rules are mandatory after it."""


def test_prod_is_mandatory_everywhere_but_the_early_warnings_and_dev_relaxes_only_costly_controls() -> None:
    prod = expand(load_environment("prod"), config_schemas())
    assert {name for name, entry in prod.items() if entry["enforcementLevel"] != "mandatory"} == EARLY_WARNINGS
    for environment in ENVIRONMENTS:
        levels = expand(load_environment(environment), config_schemas())
        assert {levels[name]["enforcementLevel"] for name in EARLY_WARNINGS} == {"advisory"}
    dev = expand(load_environment("dev"), config_schemas())
    advisory = {name for name, entry in dev.items() if entry["enforcementLevel"] == "advisory"}
    assert "rds-multi-az" in advisory
    assert not advisory & {g.name for g in guardrails() if not g.exemptible}


AUTHORITATIVE_SOURCES = (
    "https://docs.aws.amazon.com/",
    "https://www.pulumi.com/registry/packages/aws/",
    "https://github.com/pulumi/pulumi-aws/",
    "https://github.com/hashicorp/terraform-provider-aws/",
)


def test_deployability_rules_link_their_aws_source() -> None:
    table = render_policy_table()
    by_name = {p.name: p for p in policies()}
    for guardrail in guardrails():
        if "deployability" in guardrail.tags:
            # AWS's documentation, or the provider's where the rule encodes provider behaviour.
            assert guardrail.url and guardrail.url.startswith(AUTHORITATIVE_SOURCES), guardrail.name
            assert by_name[guardrail.name].url == guardrail.url
            assert f"([source]({guardrail.url}))" in table


def test_expand_rejects_typos() -> None:
    with pytest.raises(ValueError, match=r"enforcement\.rds-mutli-az: no such policy"):
        expand({"enforcement": {"rds-mutli-az": "advisory"}}, config_schemas())
    with pytest.raises(ValueError, match=r"thresholds\.rds-backup-retention\.minDay: not a setting"):
        expand({"thresholds": {"rds-backup-retention": {"minDay": 7}}}, config_schemas())
    with pytest.raises(ValueError, match="exemption: unknown key"):
        expand({"exemption": []}, config_schemas())


def test_the_docs_policy_table_is_current() -> None:
    text = (REPO / "docs" / "policies.md").read_text()
    assert BEGIN in text and END in text, f"docs/policies.md has lost its {BEGIN} / {END} markers"
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == render_policy_table().strip(), "run: python policy/docs.py"


def test_policy_table_lists_every_policy_with_its_columns() -> None:
    table = render_policy_table()
    assert table.startswith("| Policy | What it checks | Severity | Framework | Enforcement | Exemptible |")
    for guardrail in guardrails():
        assert f"`{guardrail.name}`" in table
    assert "dev: advisory, staging: mandatory, prod: mandatory" in table
