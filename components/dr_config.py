"""What a stack file can say about a cell's recovery rehearsals (``cells.<name>.drills``): the fault-injection
drills, the calendar EventBridge Scheduler runs them and the region-failover rehearsal on, and the monthly
AWS Backup restore tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from fintech_infra._config_base import Environment, FrozenSettings

__all__ = [
    "DEFAULT_CALENDAR",
    "DEFAULT_RESTORE_TEST_SCHEDULE",
    "JURISDICTION_TIMEZONES",
    "REMOVED_HEALTH_CHECK_ID",
    "RESTORE_TESTING_SCHEDULE",
    "SCHEDULER_EXPRESSIONS",
    "DrillSettings",
    "Rehearsal",
    "ScheduledRun",
    "drills_enabled",
    "rehearsals",
    "schedule_problem",
    "schedules_enabled",
]

SCHEDULER_EXPRESSIONS = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html"
"""EventBridge Scheduler: cron(minutes hours day-of-month month day-of-week year), six fields, '?' in one of the
two day fields; rate(value unit), unit minute(s), hour(s) or day(s); at(...) one-time (checked 2026-12-07)."""

ScheduledRun = Literal[
    "database-failover",
    "compute-kill",
    "network-disruption",
    "az-power-interruption",
    "failover-rehearsal",
    "failback-rehearsal",
]
"""The four in-region drills (:data:`fintech_infra.drills.DRILLS`) and the two halves of the region rehearsal."""

DEFAULT_CALENDAR: dict[str, str] = {
    # Quarterly (January, April, July, October), one run per working day of the second week, 07:00 local time,
    # so no two drills overlap and each day's results are read before the next starts.
    "database-failover": "cron(0 7 ? 1,4,7,10 TUE#2 *)",
    "compute-kill": "cron(0 7 ? 1,4,7,10 WED#2 *)",
    "network-disruption": "cron(0 7 ? 1,4,7,10 THU#2 *)",
    "az-power-interruption": "cron(0 7 ? 1,4,7,10 TUE#3 *)",
    # The full region rehearsal: fail over in the morning of the third Wednesday, fail back in the afternoon.
    "failover-rehearsal": "cron(0 8 ? 1,4,7,10 WED#3 *)",
    "failback-rehearsal": "cron(0 14 ? 1,4,7,10 WED#3 *)",
}
"""When each scheduled run happens unless ``drills.calendar`` names another expression for it."""

DEFAULT_RESTORE_TEST_SCHEDULE = "cron(0 5 1 * ? *)"
"""Monthly, the 1st at 05:00 (after the nightly backup window): AWS Backup restore tests."""

RESTORE_TESTING_SCHEDULE = "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingPlanForCreate.html"
"""A restore testing plan's ScheduleExpression is a cron expression (checked 2026-12-07)."""

JURISDICTION_TIMEZONES: dict[str, str] = {
    "eu-gdpr": "Europe/Brussels",
    "cysec": "Asia/Nicosia",
    "asic": "Australia/Sydney",
    "fca": "Europe/London",
    "sec-finra": "America/New_York",
}
"""The regulator's seat: the working hours a drill is run and watched in (IANA names, as Scheduler takes them)."""

REMOVED_HEALTH_CHECK_ID = (
    "health_check_id: removed; the failover and failback runbooks find the cell's Route 53 health checks at run "
    'time through the routing stack (docs/dr.md, "DNS"), so the rehearsal is scheduled without it; allowed: '
    "delete the key and list the cell's stack under routing.cell_stacks"
)
"""The error for the key the rehearsal needed before the runbooks resolved their health checks themselves."""

_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_RATE = re.compile(r"^rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)$")
_ALLOWED = (
    "allowed: cron(minutes hours day-of-month month day-of-week year) with '?' in one day field, "
    "or rate(value minute(s)|hour(s)|day(s))"
)


def schedule_problem(expression: str, *, cron_only: bool = False) -> str | None:
    """Why ``expression`` is not a recurring EventBridge Scheduler expression (a cron one with ``cron_only``, as
    AWS Backup takes); None when it is."""
    if _RATE.match(expression) and not cron_only:
        return None
    if cron_only and not _CRON.match(expression):
        return (
            f"{expression!r} is not a cron expression; allowed: cron(minutes hours day-of-month month day-of-week year)"
        )
    if not _CRON.match(expression):
        return f"{expression!r} is not a recurring EventBridge Scheduler expression; {_ALLOWED}"
    fields = expression[len("cron(") : -1].split()
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return f"{expression!r} must put '?' in exactly one of day-of-month and day-of-week; {_ALLOWED}"
    return None


class DrillSettings(FrozenSettings):
    """The cell's fault-injection drills, their calendar, the region-failover rehearsal and restore tests."""

    fault_injection: bool | None = Field(
        None,
        description=(
            "Create the cell's in-region AWS FIS experiment templates (database failover, task or node kill, "
            "network disruption of one AZ's application subnets, AZ power interruption). Defaults to true "
            "outside prod and false in prod (switch on per stack)."
        ),
    )
    scheduled: bool | None = Field(
        None,
        description=(
            "Run the drills and the region-failover rehearsal on `calendar` with EventBridge Scheduler. "
            "Defaults to true in staging only."
        ),
    )
    calendar: dict[ScheduledRun, str] = Field(
        default_factory=dict,
        description=(
            "Scheduler expression per run (drill name, `failover-rehearsal`, `failback-rehearsal`); each run not "
            "named keeps its default: quarterly, one drill per working day of the second week, the rehearsal on "
            "the third Wednesday (failover 08:00, failback 14:00)."
        ),
    )
    timezone: str | None = Field(
        None,
        pattern=r"^[A-Za-z_]+(/[A-Za-z_+-]+)*$",
        description="IANA time zone of the calendar. Defaults to the jurisdiction's regulator's seat.",
    )
    restore_tests: bool = Field(
        True,
        description=(
            "Monthly AWS Backup restore tests of each concern's latest recovery point into an isolated subnet "
            "group, deleted after the validation window."
        ),
    )
    restore_test_schedule: str = Field(
        DEFAULT_RESTORE_TEST_SCHEDULE,
        description="Cron expression of the restore tests, in the calendar's time zone (monthly by default).",
    )
    restore_validation_hours: int = Field(
        4,
        ge=0,
        le=168,
        description="Hours a restored database is kept for validation before AWS Backup deletes it (0-168).",
    )

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "health_check_id" in data:
            raise ValueError(REMOVED_HEALTH_CHECK_ID)
        return data

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: dict[ScheduledRun, str]) -> dict[ScheduledRun, str]:
        for run, expression in value.items():
            problem = schedule_problem(expression)
            if problem:
                raise ValueError(f"{run}: {problem}")
        return value

    @field_validator("restore_test_schedule")
    @classmethod
    def _restore_schedule(cls, value: str) -> str:
        problem = schedule_problem(value, cron_only=True)
        if problem:
            raise ValueError(problem)
        return value

    def expression(self, run: ScheduledRun) -> str:
        """The Scheduler expression ``run`` happens on."""
        return self.calendar.get(run, DEFAULT_CALENDAR[run])

    def zone(self, jurisdiction: str) -> str:
        """The calendar's time zone: the stack's choice, else the jurisdiction's, else UTC."""
        return self.timezone or JURISDICTION_TIMEZONES.get(jurisdiction, "UTC")


def drills_enabled(settings: DrillSettings, environment: Environment) -> bool:
    """Whether the cell gets its fault-injection templates: the stack's choice, else on outside prod."""
    return settings.fault_injection if settings.fault_injection is not None else environment != "prod"


def schedules_enabled(settings: DrillSettings, environment: Environment) -> bool:
    """Whether Scheduler runs the drills and the rehearsal: the stack's choice, else in staging only."""
    return settings.scheduled if settings.scheduled is not None else environment == "staging"


Rehearsal = Literal["drills", "schedules", "restore_tests"]


def rehearsals(
    settings: DrillSettings, environment: Environment, *, has_dr: bool, has_databases: bool
) -> tuple[Rehearsal, ...]:
    """What a cell rehearses with: FIS drills, their schedules (drills, or a DR region whose failover is
    rehearsed), restore tests. The cell and the name-length check both ask here, so they agree."""
    drills = drills_enabled(settings, environment)
    found: list[Rehearsal] = []
    if drills:
        found.append("drills")
    if schedules_enabled(settings, environment) and (drills or has_dr):
        found.append("schedules")
    if settings.restore_tests and has_databases:
        found.append("restore_tests")
    return tuple(found)
