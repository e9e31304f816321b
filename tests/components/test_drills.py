"""CellDrills: FIS experiment templates per cell, checked against FIS's published actions, stop conditions, role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fintech_infra.dr_config import DrillSettings, drills_enabled
from fintech_infra.drills import DRILLS
from fintech_infra.fis_facts import FIS_ACTIONS, FIS_SOURCE
from fintech_infra.testing import Recording

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"


@pytest.fixture(scope="module")
def recording(default_cell: Recording) -> Recording:
    return default_cell  # synthesize(lambda: _program(_cell()), stack="staging"), once per run (conftest.py)


def test_the_action_data_names_its_source() -> None:
    assert FIS_SOURCE == "https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html"
    assert set(FIS_ACTIONS) == {
        "aws:rds:failover-db-cluster",
        "aws:rds:reboot-db-instances",
        "aws:ecs:stop-task",
        "aws:eks:terminate-nodegroup-instances",
        "aws:network:disrupt-connectivity",
    }


def test_every_template_uses_published_actions_on_their_target_types(recording: Recording) -> None:
    templates = {r.name: r for r in recording.of_type(TEMPLATE)}
    assert sorted(templates) == sorted(f"eu-drills-{drill}" for drill in DRILLS)
    for template in templates.values():
        assert template.region == "eu-central-1"
        targets = {target["name"]: target for target in template.inputs["targets"]}
        for action in template.inputs["actions"]:
            facts = FIS_ACTIONS[action["actionId"]]
            assert action["target"]["key"] == facts.target_key
            assert targets[action["target"]["value"]]["resourceType"] == facts.resource_type
            for parameter in action.get("parameters") or []:
                assert parameter["key"] in facts.parameters


def test_the_database_drill_fails_over_each_concern_with_force_failover(recording: Recording) -> None:
    template = recording.named("eu-drills-database-failover", TEMPLATE)
    actions = {a["name"]: a for a in template.inputs["actions"]}
    # The test cell's concerns are RDS instances: reboot with failover to the Multi-AZ standby.
    assert sorted(actions) == ["crm-reboot", "trading-reboot"]
    assert actions["crm-reboot"]["parameters"] == [{"key": "forceFailover", "value": "true"}]
    crm = recording.named("eu-crm-db", "aws:rds/instance:Instance").outputs["arn"]
    targets = {t["name"]: t for t in template.inputs["targets"]}
    assert targets["crm-instance"]["resourceArns"] == [crm]


def test_every_drill_stops_on_the_edge_error_rate_and_logs_encrypted(recording: Recording) -> None:
    alarm = recording.named("eu-edge-alb-5xx-rate", "aws:cloudwatch/metricAlarm:MetricAlarm").outputs["arn"]
    group = recording.named("eu-drills-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"]
    for template in recording.of_type(TEMPLATE):
        assert template.inputs["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": alarm}]
        logs = template.inputs["logConfiguration"]
        assert logs["logSchemaVersion"] == 2
        assert logs["cloudwatchLogsConfiguration"]["logGroupArn"] == group.outputs["arn"] + ":*"


def _statements(recording: Recording) -> dict[str, dict[str, Any]]:
    policy = json.loads(recording.named("eu-drills-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_the_fis_role_cannot_act_outside_its_cell(recording: Recording) -> None:
    statements = _statements(recording)
    crm = recording.named("eu-crm-db", "aws:rds/instance:Instance").outputs["arn"]
    trading = recording.named("eu-trading-db", "aws:rds/instance:Instance").outputs["arn"]
    assert statements["Instances"]["Resource"] == [crm, trading]
    assert statements["Tasks"]["Condition"]["ArnEquals"]["ecs:cluster"].startswith("arn:aws:ecs:eu-central-1:")
    assert statements["OwnAcls"]["Condition"] == {"StringEquals": {"aws:ResourceTag/managedByFIS": "true"}}
    subnets = [arn for arn in statements["CellSubnets"]["Resource"] if ":subnet/" in arn]
    assert len(subnets) == 4  # the cell's private and isolated subnets in its two AZs
    mutating = [s for sid, s in statements.items() if sid not in ("Describe", "LogDelivery")]
    assert all(s["Resource"] != "*" or "Condition" in s for s in mutating)


def test_prod_drills_are_off_by_default_and_switchable() -> None:
    assert drills_enabled(DrillSettings(), "staging") is True
    assert drills_enabled(DrillSettings(), "prod") is False
    assert drills_enabled(DrillSettings(fault_injection=True), "prod") is True
