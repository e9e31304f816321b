"""RestoreTests: monthly AWS Backup restore tests per concern, landing isolated, results to the report topic."""

from __future__ import annotations

import json

import pytest

from fintech_infra.restore_tests import PROTECTED_RESOURCE_TYPES, RESTORE_TESTING_FACTS
from fintech_infra.testing import Recording, synthesize
from tests.components.test_cell import _cell, _program

PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"


@pytest.fixture(scope="module")
def recording(default_cell: Recording) -> Recording:
    return default_cell  # synthesize(lambda: _program(_cell()), stack="staging"), once per run (conftest.py)


def test_every_fact_names_its_aws_page() -> None:
    for fact in RESTORE_TESTING_FACTS.values():
        assert fact["url"].startswith("https://docs.aws.amazon.com/") and fact["checked"] == "2026-12-07"
    assert PROTECTED_RESOURCE_TYPES == {"rds-instance": "RDS", "aurora": "Aurora"}


def test_the_plan_restores_the_vaults_latest_snapshot_monthly(recording: Recording) -> None:
    plan = recording.named("eu-restore-tests-plan", PLAN)
    assert plan.region == "eu-central-1"
    assert plan.inputs["name"] == "fintech_eu_restore_tests"
    assert plan.inputs["scheduleExpression"] == "cron(0 5 1 * ? *)"
    assert plan.inputs["scheduleExpressionTimezone"] == "Asia/Nicosia"
    vault = recording.named("eu-backup-vault", "aws:backup/vault:Vault").outputs["arn"]
    assert plan.inputs["recoveryPointSelection"] == {
        "algorithm": "LATEST_WITHIN_WINDOW",
        "includeVaults": [vault],
        "recoveryPointTypes": ["SNAPSHOT"],
        "selectionWindowDays": 7,
    }


def test_one_selection_per_concern_names_its_database_and_lands_isolated(recording: Recording) -> None:
    selections = {r.name: r for r in recording.of_type(SELECTION)}
    assert sorted(selections) == ["eu-restore-tests-crm", "eu-restore-tests-trading"]
    subnets = recording.named("eu-restore-tests-subnets", "aws:rds/subnetGroup:SubnetGroup")
    isolated = sorted(r.outputs["id"] for r in recording.of_type("aws:ec2/subnet:Subnet") if "-isolated-" in r.name)
    assert sorted(subnets.inputs["subnetIds"]) == [s for s in isolated if s in subnets.inputs["subnetIds"]]
    assert len(subnets.inputs["subnetIds"]) == 2 and all(
        r.region == "eu-central-1"
        for r in recording.of_type("aws:ec2/subnet:Subnet")
        if r.outputs["id"] in subnets.inputs["subnetIds"] and "-isolated-" in r.name
    )
    group = recording.named("eu-restore-tests-sg", "aws:ec2/securityGroup:SecurityGroup")
    rules = recording.of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    )
    # Nothing reaches the restored copy and it reaches nothing: the group has no rule at all.
    assert not any(group.outputs["id"] in (r.inputs.get("securityGroupId"), r.inputs.get("referencedSecurityGroupId"))
                   for r in rules)  # fmt: skip
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    role = recording.named("eu-backup-role", "aws:iam/role:Role").outputs["arn"]
    plan = recording.named("eu-restore-tests-plan", PLAN)
    for concern in ("crm", "trading"):
        selection = selections[f"eu-restore-tests-{concern}"]
        database = recording.named(f"eu-{concern}-db", "aws:rds/instance:Instance").outputs["arn"]
        assert selection.inputs["protectedResourceType"] == "RDS"
        assert selection.inputs["protectedResourceArns"] == [database]
        assert selection.inputs["restoreTestingPlanName"] == plan.outputs["name"]
        assert selection.inputs["iamRoleArn"] == role
        assert selection.inputs["validationWindowHours"] == 4
        assert selection.inputs["restoreMetadataOverrides"] == {
            "dbsubnetgroupname": subnets.inputs["name"],
            "vpcsecuritygroupids": json.dumps([group.outputs["id"]]),
        }


def test_restore_job_results_go_to_the_report_topic(recording: Recording) -> None:
    rule = recording.named("eu-restore-tests-results", "aws:cloudwatch/eventRule:EventRule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Restore Job State Change"],
        "detail": {"status": ["COMPLETED", "FAILED", "ABORTED"]},
    }
    target = recording.named("eu-restore-tests-results-topic", "aws:cloudwatch/eventTarget:EventTarget")
    # The warning tier: a failed restore test is a finding for working hours, not a page.
    topic = recording.named("eu-alarms-warning-topic", "aws:sns/topic:Topic").outputs["arn"]
    assert target.inputs["arn"] == topic and target.inputs["rule"] == rule.inputs["name"] == "eu-restore-tests-results"
    # The topic lets EventBridge rules of this account publish (its key admits events.amazonaws.com too).
    policy = json.loads(recording.named("eu-alarms-warning-policy", "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    publishers = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert len(publishers) == 1 and "aws:SourceAccount" in publishers[0]["Condition"]["StringEquals"]


def test_restore_tests_can_be_switched_off() -> None:
    recording = synthesize(lambda: _program(_cell(drills={"restore_tests": False})), stack="staging")
    assert recording.of_type(PLAN, SELECTION) == []
