"""What a stack file can say about a cell's recovery rehearsals: fault-injection drills, their calendar,
the staging failover rehearsal and the restore tests (``cells.<name>.drills``)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from fintech_infra._config_base import Environment, FrozenSettings

__all__ = ["DEFAULT_DRILL_SCHEDULE", "DrillSettings", "drills_enabled", "schedule_problem"]

DEFAULT_DRILL_SCHEDULE = "cron(0 7 ? 1,4,7,10 TUE#2 *)"
"""Quarterly: the second Tuesday of January, April, July and October, 07:00 in the schedule's time zone."""

# EventBridge Scheduler expressions: at(yyyy-mm-ddThh:mm:ss), rate(value unit), cron(6 fields)
# (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html, checked 2026-12-07).
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_RATE = re.compile(r"^rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)$")


def schedule_problem(expression: str) -> str | None:
    """Why ``expression`` is not an EventBridge Scheduler cron() or rate() expression; None when it is."""
    if _RATE.match(expression):
        return None
    if not _CRON.match(expression):
        return "is not an EventBridge Scheduler expression; allowed: cron(min hour day-of-month month day-of-week year)"
    fields = expression[len("cron(") : -1].split()
    day_of_month, day_of_week = fields[2], fields[4]
    # Scheduler, like EventBridge, takes one of day-of-month / day-of-week and '?' for the other.
    if (day_of_month == "?") == (day_of_week == "?"):
        return "must set exactly one of day-of-month and day-of-week, '?' for the other"
    return None


class DrillSettings(FrozenSettings):
    """The cell's fault-injection drills, failover rehearsal and restore tests."""

    fault_injection: bool | None = Field(
        None,
        description=(
            "Create the cell's in-region AWS FIS experiment templates (database failover, task or node kill, "
            "network disruption of one subnet tier, AZ power interruption). Defaults to true outside prod and "
            "false in prod (switch on per stack)."
        ),
    )
    schedule: str = Field(
        DEFAULT_DRILL_SCHEDULE,
        description=(
            "EventBridge Scheduler expression the staging drills and the region-failover rehearsal run on. "
            "Defaults to quarterly (second Tuesday of Jan/Apr/Jul/Oct, 07:00)."
        ),
    )
    timezone: str = Field("UTC", pattern=r"^[A-Za-z_]+(/[A-Za-z_+-]+)*$", description="Schedule time zone.")
    health_check_id: str | None = Field(
        None,
        pattern=r"^[0-9a-f-]{36}$",
        description=(
            "Route 53 health check the scheduled rehearsal inverts (the routing stack's, for this cell's primary "
            "ALB). Without it the rehearsal is not scheduled."
        ),
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = schedule_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def drills_enabled(settings: DrillSettings, environment: Environment) -> bool:
    """Whether the cell gets its fault-injection templates: the stack's choice, else on outside prod."""
    return settings.fault_injection if settings.fault_injection is not None else environment != "prod"
