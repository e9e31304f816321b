"""DrSchedules: EventBridge Scheduler runs the staging drills and the region-failover rehearsal on the calendar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from fintech_infra.dr_config import (
    DEFAULT_CALENDAR,
    REMOVED_HEALTH_CHECK_ID,
    DrillSettings,
    rehearsals,
    schedule_problem,
    schedules_enabled,
)
from fintech_infra.drills import DRILLS
from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording, synthesize
from fintech_infra.validation import load_stack_config
from tests.components.test_cell import _cell, _program

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE = "aws:scheduler/schedule:Schedule"
HEALTH_CHECK = "0b3c7a52-5d1e-4c6f-9a0e-2f9d8c7b6a51"


@pytest.fixture(scope="module")
def recording() -> Recording:
    # No health check id anywhere: the rehearsal is scheduled for every staging cell with a DR region.
    return synthesize(lambda: _program(_cell()), stack="staging")


def _schedules(recording: Recording) -> dict[str, Any]:
    return {r.name.removeprefix("eu-schedules-"): r for r in recording.of_type(SCHEDULE)}


def _statements(recording: Recording) -> dict[str, dict[str, Any]]:
    policy = json.loads(recording.named("eu-schedules-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_each_drill_and_both_rehearsal_halves_run_on_the_quarterly_calendar(recording: Recording) -> None:
    schedules = _schedules(recording)
    assert sorted(schedules) == sorted([*DRILLS, "failover-rehearsal", "failback-rehearsal"])
    for run, schedule in schedules.items():
        assert schedule.inputs["scheduleExpression"] == DEFAULT_CALENDAR[run]
        assert "1,4,7,10" in schedule.inputs["scheduleExpression"]  # quarterly
        # CySEC's seat: the drills run in Cyprus working hours.
        assert schedule.inputs["scheduleExpressionTimezone"] == "Asia/Nicosia"
        assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
        assert schedule.inputs["kmsKeyArn"].startswith("arn:aws:kms:")
        assert schedule.inputs["target"]["retryPolicy"]["maximumRetryAttempts"] == 0


def test_a_drill_schedule_starts_its_fis_template(recording: Recording) -> None:
    schedules = _schedules(recording)
    for drill in DRILLS:
        template = recording.named(f"eu-drills-{drill}", "aws:fis/experimentTemplate:ExperimentTemplate")
        target = schedules[drill].inputs["target"]
        assert schedules[drill].region == "eu-central-1"
        assert target["arn"] == "arn:aws:scheduler:::aws-sdk:fis:startExperiment"
        assert json.loads(target["input"]) == {
            "ExperimentTemplateId": template.outputs["id"],
            "ClientToken": "<aws.scheduler.execution-id>",
        }


def test_the_rehearsal_fails_over_in_the_dr_region_planned_then_fails_back(recording: Recording) -> None:
    schedules = _schedules(recording)
    failover = schedules["failover-rehearsal"]
    failback = schedules["failback-rehearsal"]
    assert failover.region == "eu-west-1" and failback.region == "eu-central-1"
    for schedule, document in ((failover, "eu-runbooks-failover"), (failback, "eu-runbooks-failback")):
        assert schedule.inputs["target"]["arn"] == "arn:aws:scheduler:::aws-sdk:ssm:startAutomationExecution"
        name = recording.named(document, "aws:ssm/document:Document").inputs["name"]
        assert json.loads(schedule.inputs["target"]["input"])["DocumentName"] == name
    # The runbooks find the health checks themselves: only the mode is passed (planned: an Aurora switchover).
    assert json.loads(failover.inputs["target"]["input"])["Parameters"] == {"Mode": ["planned"]}
    assert "Parameters" not in json.loads(failback.inputs["target"]["input"])
    # Each region's schedules sit in that region's group.
    groups = {str(g.region): g for g in recording.of_type("aws:scheduler/scheduleGroup:ScheduleGroup")}
    assert sorted(groups) == ["eu-central-1", "eu-west-1"]
    assert failover.inputs["groupName"] == groups["eu-west-1"].outputs["name"]


def test_the_scheduler_role_starts_only_this_cells_templates_and_runbooks(recording: Recording) -> None:
    role = recording.named("eu-schedules-role", "aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert list(trust["Condition"]["StringEquals"]) == ["aws:SourceAccount"]
    statements = _statements(recording)
    templates = [
        recording.named(f"eu-drills-{drill}", "aws:fis/experimentTemplate:ExperimentTemplate").outputs["id"]
        for drill in DRILLS
    ]
    drills = statements["StartDrills"]
    assert drills["Action"] == ["fis:StartExperiment"]
    assert sorted(drills["Resource"][:-1]) == sorted(
        f"arn:aws:fis:eu-central-1:{trust['Condition']['StringEquals']['aws:SourceAccount']}:experiment-template/{t}"
        for t in templates
    )
    assert drills["Resource"][-1].endswith(":experiment/*")
    rehearsal = statements["StartRehearsal"]
    assert rehearsal["Action"] == ["ssm:StartAutomationExecution"]
    assert [arn.split(":automation-definition/")[1] for arn in rehearsal["Resource"]] == [
        "fintech-infra-eu-failover:*",
        "fintech-infra-eu-failback:*",
    ]
    passing = statements["PassAutomationRole"]
    assert passing["Resource"] == recording.named("eu-runbooks-role", "aws:iam/role:Role").outputs["arn"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    assert all(statement["Resource"] != "*" for statement in statements.values())


def test_without_a_dr_region_only_the_drills_are_scheduled() -> None:
    concerns = [
        {
            "concern": concern,
            "instance_class": "db.t4g.medium",
            "objectives": {"scope": "zone", "rpo_seconds": 86400, "rto_seconds": 86400},
        }
        for concern in ("crm", "trading")
    ]
    recording = synthesize(lambda: _program(_cell(dr_region=None, concerns=concerns)), stack="staging")
    assert sorted(_schedules(recording)) == sorted(DRILLS)
    assert "StartRehearsal" not in _statements(recording)


def test_the_removed_health_check_key_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(ValidationError) as caught:
        DrillSettings.model_validate({"health_check_id": HEALTH_CHECK})
    assert REMOVED_HEALTH_CHECK_ID in str(caught.value)
    assert REMOVED_HEALTH_CHECK_ID.startswith("health_check_id: removed;")
    assert "routing.cell_stacks" in REMOVED_HEALTH_CHECK_ID


def test_a_stack_file_with_the_removed_key_gets_one_error_naming_its_path() -> None:
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.staging.yaml").read_text())
    config = {key.split(":", 1)[1]: value for key, value in raw["config"].items() if key.startswith("fintech-infra:")}
    config["cells"]["stg"]["drills"] = {"health_check_id": HEALTH_CHECK}
    with pytest.raises(ConfigError) as caught:
        load_stack_config(config)
    assert str(caught.value) == (
        "invalid stack config: cells.stg.drills.health_check_id: removed; the failover and failback runbooks find "
        'the cell\'s Route 53 health checks at run time through the routing stack (docs/dr.md, "DNS"), so the '
        "rehearsal is scheduled without it; allowed: delete the key and list the cell's stack under "
        "routing.cell_stacks"
    )


def test_schedules_run_in_staging_by_default_and_are_switchable() -> None:
    assert schedules_enabled(DrillSettings(), "staging") is True
    assert schedules_enabled(DrillSettings(), "prod") is False
    assert schedules_enabled(DrillSettings(), "dev") is False
    assert schedules_enabled(DrillSettings(scheduled=True), "prod") is True
    # Scheduling in prod needs something to run: drills switched on, or a DR region to rehearse failing over to.
    assert "schedules" not in rehearsals(DrillSettings(scheduled=True), "prod", has_dr=False, has_databases=True)
    assert "schedules" in rehearsals(DrillSettings(scheduled=True), "prod", has_dr=True, has_databases=True)


def test_the_calendar_overrides_one_run_and_the_zone_follows_the_jurisdiction() -> None:
    settings = DrillSettings(calendar={"compute-kill": "rate(30 days)"}, timezone=None)
    assert settings.expression("compute-kill") == "rate(30 days)"
    assert settings.expression("database-failover") == DEFAULT_CALENDAR["database-failover"]
    assert settings.zone("fca") == "Europe/London"
    assert settings.zone("asic") == "Australia/Sydney"
    assert DrillSettings(timezone="UTC").zone("fca") == "UTC"


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 7 ? 1,4,7,10 TUE#2 *)", None),
        ("rate(1 day)", None),
        ("rate(90 days)", None),
        (
            "cron(0 7 * * * *)",
            "'cron(0 7 * * * *)' must put '?' in exactly one of day-of-month and day-of-week; allowed: "
            "cron(minutes hours day-of-month month day-of-week year) with '?' in one day field, "
            "or rate(value minute(s)|hour(s)|day(s))",
        ),
        (
            "0 7 * * 1",
            "'0 7 * * 1' is not a recurring EventBridge Scheduler expression; allowed: "
            "cron(minutes hours day-of-month month day-of-week year) with '?' in one day field, "
            "or rate(value minute(s)|hour(s)|day(s))",
        ),
        ("rate(1 week)", "'rate(1 week)' is not a recurring EventBridge Scheduler expression; allowed: "
         "cron(minutes hours day-of-month month day-of-week year) with '?' in one day field, "
         "or rate(value minute(s)|hour(s)|day(s))"),
        ("at(2027-01-12T07:00:00)", "'at(2027-01-12T07:00:00)' is not a recurring EventBridge Scheduler "
         "expression; allowed: cron(minutes hours day-of-month month day-of-week year) with '?' in one day "
         "field, or rate(value minute(s)|hour(s)|day(s))"),
    ],
)  # fmt: skip
def test_scheduler_expressions_are_checked_as_scheduler_documents_them(expression: str, problem: str | None) -> None:
    assert schedule_problem(expression) == problem


def test_a_bad_calendar_entry_is_one_error_naming_the_run_and_the_value() -> None:
    with pytest.raises(ValidationError) as raised:
        DrillSettings(calendar={"network-disruption": "cron(0 7 1 * MON *)"})
    (error,) = raised.value.errors()
    assert error["loc"] == ("calendar",)
    assert error["msg"].startswith(
        "Value error, network-disruption: 'cron(0 7 1 * MON *)' must put '?' in exactly one of day-of-month"
    )
    with pytest.raises(ValidationError) as raised:
        DrillSettings(restore_test_schedule="rate(30 days)")
    assert raised.value.errors()[0]["msg"] == (
        "Value error, 'rate(30 days)' is not a cron expression; allowed: "
        "cron(minutes hours day-of-month month day-of-week year)"
    )
