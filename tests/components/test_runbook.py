"""DrRunbooks: the cell's failover and failback SSM Automation documents, their role and their logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from fintech_infra.dr_steps import EXECUTE_SCRIPT_MAX_SECONDS, FIGURES, Step
from fintech_infra.runbook import AUTOMATION_LOG_SETTINGS
from fintech_infra.testing import Recording, synthesize
from tests.components.test_cell import _cell, _program

DOCUMENT = "aws:ssm/document:Document"


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(lambda: _program(_cell()), stack="staging")


def _content(recording: Recording, name: str) -> dict[str, Any]:
    content: dict[str, Any] = yaml.safe_load(recording.named(name, DOCUMENT).inputs["content"])
    return content


def test_failover_runs_in_the_dr_region_and_failback_in_the_primary(recording: Recording) -> None:
    failover = recording.named("eu-runbooks-failover", DOCUMENT)
    failback = recording.named("eu-runbooks-failback", DOCUMENT)
    assert (failover.region, failback.region) == ("eu-west-1", "eu-central-1")
    for document in (failover, failback):
        # YAML: the steps embed scripts, which AWS does not accept in JSON runbooks.
        assert document.inputs["documentType"] == "Automation" and document.inputs["documentFormat"] == "YAML"
    assert failover.inputs["name"] == "fintech-infra-eu-failover"


def test_documents_are_automation_0_3_with_the_cells_role_and_every_step_bounded(recording: Recording) -> None:
    role = recording.named("eu-runbooks-role", "aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ssm.amazonaws.com"}
    for name in ("eu-runbooks-failover", "eu-runbooks-failback"):
        content = _content(recording, name)
        assert content["schemaVersion"] == "0.3" and content["assumeRole"] == role.outputs["arn"]
        for step in content["mainSteps"]:
            assert step["timeoutSeconds"] >= 60 and step["onFailure"] in ("Abort", "Continue"), step["name"]
            assert step["action"].startswith("aws:"), step["name"]


def test_script_steps_fit_the_600_second_limit_and_keep_their_budget_in_attempts(recording: Recording) -> None:
    scripts = 0
    for name in ("eu-runbooks-failover", "eu-runbooks-failback"):
        raw = recording.named(name, DOCUMENT).inputs["content"]
        assert not raw.lstrip().startswith("{")  # YAML, not JSON
        for step in _content(recording, name)["mainSteps"]:
            if step["action"] != "aws:executeScript":
                assert "maxAttempts" not in step, step["name"]
                continue
            scripts += 1
            assert step["timeoutSeconds"] <= EXECUTE_SCRIPT_MAX_SECONDS.value, step["name"]
            if "maxAttempts" in step:  # a longer wait: whole attempts of the limit
                assert step["timeoutSeconds"] == EXECUTE_SCRIPT_MAX_SECONDS.value and step["maxAttempts"] > 1
            assert step["inputs"]["Script"].startswith("import "), step["name"]  # the embedded script, whole
            assert "def " + step["inputs"]["Handler"] + "(" in step["inputs"]["Script"], step["name"]
    assert scripts >= 4


def test_a_long_verify_is_split_into_attempts_of_at_most_600_seconds() -> None:
    promote = Step("crmVerify", "aws:executeScript", {}, "replica-promotion", kind="wait")
    assert promote.budget_seconds == 3 * FIGURES["replica-promotion"].seconds
    assert promote.timeout_seconds == min(promote.budget_seconds, 600)
    assert promote.timeout_seconds * promote.max_attempts >= promote.budget_seconds
    restore = Step("crmVerify", "aws:executeScript", {}, "pitr-restore", kind="wait")
    assert restore.budget_seconds > 600 and restore.timeout_seconds == 600
    assert restore.max_attempts == -(-restore.budget_seconds // 600)
    api = Step("crmRestore", "aws:executeAwsApi", {}, "pitr-restore", kind="start")
    assert (api.timeout_seconds, api.max_attempts) == (api.budget_seconds, 1)  # only scripts have the limit


def test_the_failover_document_holds_steps_for_the_cells_concerns_only(recording: Recording) -> None:
    content = _content(recording, "eu-runbooks-failover")
    names = [step["name"] for step in content["mainSteps"]]
    # The test cell runs crm and trading as RDS instances without a DR replica: restores from replicated backups.
    assert [n for n in names if n.startswith("crm")] == ["crmFindBackups", "crmRestore", "crmVerify"]
    assert not [n for n in names if n.startswith(("payments", "audit"))]
    assert content["parameters"]["Mode"]["allowedValues"] == ["planned", "unplanned"]
    # No health check id to pass: the runbook finds the checks through the zones account's role (here, without a
    # zones stack, the cell's own account).
    assert "HealthCheckId" not in content["parameters"]
    assert content["parameters"]["DnsRoleArn"]["default"] == "arn:aws:iam::111111111111:role/fintech-infra-dr-dns-eu"
    cluster = recording.named("eu-dr-ecs-cluster", "aws:ecs/cluster:Cluster").outputs["name"]
    assert content["parameters"]["ClusterName"]["default"] == cluster
    # A restore lands in the DR region's own subnet group and security group, under the DR concern key.
    assert content["parameters"]["crmSubnetGroup"]["default"] == "eu-crm-dr"
    dr_sg = recording.named("eu-crm-dr-sg", "aws:ec2/securityGroup:SecurityGroup").outputs["id"]
    assert content["parameters"]["crmSecurityGroup"]["default"] == dr_sg
    dr_key = recording.named("eu-dr-keys-crm-key", "aws:kms/key:Key").outputs["arn"]
    assert content["parameters"]["crmKeyArn"]["default"] == dr_key


def _statements(recording: Recording) -> dict[str, dict[str, Any]]:
    policy = json.loads(recording.named("eu-runbooks-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_the_automation_role_acts_on_this_cells_resources_only(recording: Recording) -> None:
    statements = _statements(recording)
    databases = statements["Databases"]["Resource"]
    assert "arn:aws:rds:eu-west-1:111111111111:db:eu-crm-dr" in databases
    assert all(":111111111111:" in arn and (":db:eu-" in arn or arn.endswith(":*")) for arn in databases)
    services = statements["Services"]["Resource"]
    assert sorted(arn.rsplit("/", 1)[-1] for arn in services) == ["api", "api", "reports", "reports"]
    assert statements["RoutingManifests"]["Resource"] == [
        "arn:aws:ssm:eu-central-1:111111111111:parameter/fintech-infra/eu/routing/cysec-cy",
        "arn:aws:ssm:eu-west-1:111111111111:parameter/fintech-infra/eu/routing/cysec-cy",
    ]
    # Only reads are unscoped, where AWS has no resource scope for them.
    assert statements["Describe"]["Resource"] == "*"
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in statements["Describe"]["Action"])


def test_script_output_goes_to_an_encrypted_log_group_in_each_region(recording: Recording) -> None:
    settings = recording.of_type("aws:ssm/serviceSetting:ServiceSetting")
    by_region = {(s.region, s.inputs["settingId"]): s.inputs["settingValue"] for s in settings}
    for region in ("eu-central-1", "eu-west-1"):
        assert by_region[(region, AUTOMATION_LOG_SETTINGS["destination"])] == "CloudWatch"
        group = recording.named(f"eu-runbooks-logs-{region}", "aws:cloudwatch/logGroup:LogGroup")
        assert (
            by_region[(region, AUTOMATION_LOG_SETTINGS["group"])]
            == group.inputs["name"]
            == "/fintech-infra/eu/dr-runbooks"
        )
        assert group.inputs["kmsKeyId"] and group.region == region


def test_the_only_dns_grant_is_assuming_the_zones_accounts_role_for_this_cell(recording: Recording) -> None:
    statements = _statements(recording)
    assert statements["DnsRole"] == {
        "Sid": "DnsRole",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": "arn:aws:iam::111111111111:role/fintech-infra-dr-dns-eu",
    }
    # Route 53 health checks are the zones account's: nothing here acts on them directly.
    actions = [action for statement in statements.values() for action in statement["Action"]]
    assert not [action for action in actions if action.startswith("route53:")]


def test_both_documents_resolve_the_health_checks_before_anything_changes(recording: Recording) -> None:
    for name, first, flip, inverted in (
        ("eu-runbooks-failover", "ResolveDns", "FlipDns", True),
        ("eu-runbooks-failback", "ResolveDnsBack", "FlipDnsBack", False),
    ):
        content = _content(recording, name)
        steps = {step["name"]: step for step in content["mainSteps"]}
        assert content["mainSteps"][0]["name"] == first
        assert steps[first]["onFailure"] == "Abort" and steps[first]["inputs"]["Handler"] == "resolve"
        payload = steps[flip]["inputs"]["InputPayload"]
        assert payload["inverted"] is inverted and payload["role_arn"] == "{{ DnsRoleArn }}"
        assert content["parameters"]["DnsRoleArn"]["default"].endswith(":role/fintech-infra-dr-dns-eu")
