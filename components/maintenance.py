"""Backup, snapshot and maintenance windows: explicit, in each region's local night, written in UTC.

Left unset, AWS picks them: RDS a 30-minute backup window out of an 8-hour block per region and a weekly
maintenance window at random, ElastiCache likewise, possibly in trading hours. Every database and cache this
library creates therefore gets explicit windows (:class:`Windows`), from a cell's ``maintenance`` (primary region)
and ``dr_maintenance`` (DR region) settings, each window defaulting to the region's own night
(:func:`region_defaults`):

- RDS/Aurora backups and ElastiCache snapshots daily 03:00-04:00 local summer time;
- RDS/Aurora maintenance Monday 04:00-05:00 local summer time, ElastiCache maintenance Tuesday 04:00-05:00 (a day
  apart, so a database and the cache never fail over in the same window).

AWS takes the windows in UTC and keeps them fixed all year, while local time moves with daylight saving: a
default is the local summer-time hour converted with the summer offset, so in winter it falls one hour earlier
(backups 02:00-03:00, maintenance 03:00-04:00). Both stay inside the night all year in every region
(``aws_facts.REGION_CLOCKS``; a test walks every day of two years through the tz database). Windows are one
hour: at least the 30 minutes RDS requires and the 60 ElastiCache requires, and the backup window ends as the
maintenance window starts (they must not overlap; touching is what AWS's own examples do).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import Field, ValidationInfo, field_validator, model_validator

from fintech_infra import aws_facts
from fintech_infra._config_base import FrozenSettings
from fintech_infra.errors import ConfigError

__all__ = [
    "MaintenanceSettings",
    "Windows",
    "region_defaults",
    "resolve_windows",
    "window_problem",
    "window_problems",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_BACKUP_LOCAL = 3 * 60
_MAINTENANCE_LOCAL = 4 * 60
_DURATION = 60
_DB_MINIMUM = aws_facts.RDS_WINDOW_MIN_MINUTES.value
_CACHE_MINIMUM = aws_facts.ELASTICACHE_WINDOW_MIN_MINUTES.value


@dataclass(frozen=True)
class Windows:
    """The four windows of one region, in UTC, in the forms AWS takes."""

    backup: str
    """RDS/Aurora ``preferred_backup_window``: ``hh24:mi-hh24:mi``."""
    maintenance: str
    """RDS/Aurora ``preferred_maintenance_window`` (instances and clusters): ``ddd:hh24:mi-ddd:hh24:mi``."""
    cache_snapshot: str
    """ElastiCache ``snapshot_window``: ``hh24:mi-hh24:mi``."""
    cache_maintenance: str
    """ElastiCache ``maintenance_window``: ``ddd:hh24:mi-ddd:hh24:mi``."""


def _clock(minutes: int) -> str:
    minutes %= _DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _daily(start: int) -> str:
    return f"{_clock(start)}-{_clock(start + _DURATION)}"


def _weekly(start: int) -> str:
    start %= _WEEK_MINUTES
    end = (start + _DURATION) % _WEEK_MINUTES
    return f"{_DAYS[start // _DAY_MINUTES]}:{_clock(start)}-{_DAYS[end // _DAY_MINUTES]}:{_clock(end)}"


def region_defaults(region: str) -> Windows:
    """``region``'s night windows (see the module docstring); a ConfigError for a region with no known clock."""
    clock = aws_facts.REGION_CLOCKS.get(region)
    if clock is None:
        raise ConfigError(
            f"region: {region!r} has no default maintenance windows; allowed: pass the windows explicitly, or one of "
            f"{', '.join(sorted(aws_facts.REGION_CLOCKS))}"
        )
    summer = clock.daylight_offset
    backup = _BACKUP_LOCAL - summer
    monday = _MAINTENANCE_LOCAL - summer  # minutes into the week, Monday 00:00 UTC = 0
    return Windows(
        backup=_daily(backup),
        maintenance=_weekly(monday),
        cache_snapshot=_daily(backup),
        cache_maintenance=_weekly(monday + _DAY_MINUTES),
    )


# -- parsing and checking ---------------------------------------------------------------------------------------


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _span(window: str) -> tuple[int, int]:
    """(start, length) in minutes into the week; a daily window starts on Monday."""
    start_text, end_text = window.split("-")
    if ":" in start_text and start_text[:3] in _DAYS:
        start = _DAYS.index(start_text[:3]) * _DAY_MINUTES + _minutes(start_text[4:])
        end = _DAYS.index(end_text[:3]) * _DAY_MINUTES + _minutes(end_text[4:])
        return start, (end - start) % _WEEK_MINUTES
    start, end = _minutes(start_text), _minutes(end_text)
    return start, (end - start) % _DAY_MINUTES


def _occurrences(window: str) -> Iterator[tuple[int, int]]:
    """Every (start, end) of the window in one week (seven for a daily window), in minutes into the week."""
    start, length = _span(window)
    days = range(7) if window[:3] not in _DAYS else range(1)
    for day in days:
        begin = start + day * _DAY_MINUTES
        yield begin, begin + length


def _overlap(first: str, second: str) -> bool:
    for a_start, a_end in _occurrences(first):
        for b_start, b_end in _occurrences(second):
            for shift in (-_WEEK_MINUTES, 0, _WEEK_MINUTES):  # a window may run past Sunday midnight
                if a_start < b_end + shift and b_start + shift < a_end:
                    return True
    return False


_FORMS = {
    "daily": (aws_facts.RDS_BACKUP_WINDOW_FORMAT, "hh24:mi-hh24:mi in UTC, e.g. '01:00-02:00'"),
    "weekly": (aws_facts.RDS_MAINTENANCE_WINDOW_FORMAT, "ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. 'mon:02:00-mon:03:00'"),
}
_FIELDS = {
    "backup_window": ("daily", _DB_MINIMUM),
    "maintenance_window": ("weekly", _DB_MINIMUM),
    "cache_snapshot_window": ("daily", _CACHE_MINIMUM),
    "cache_maintenance_window": ("weekly", _CACHE_MINIMUM),
}


def window_problem(field: str, value: str) -> str | None:
    """Why ``value`` is not a window AWS takes for ``field`` (form, minimum length), or None."""
    form, minimum = _FIELDS[field]
    pattern, shown = _FORMS[form]
    if not re.fullmatch(pattern, value):
        return f"is not a window; allowed: {shown} (days mon-sun, lower case)"
    length = _span(value)[1]
    if length < minimum:
        return f"lasts {length} minutes; allowed: at least {minimum} minutes"
    return None


def window_problems(windows: Windows) -> list[str]:
    """Pairs AWS (or this library) refuses together: backup during maintenance, a snapshot during cache maintenance.

    RDS documents the first ("Must not conflict with the preferred maintenance window"); for ElastiCache no
    such rule was found, and the library refuses it anyway so a snapshot never meets a failover.
    """
    problems = []
    if _overlap(windows.backup, windows.maintenance):
        problems.append(
            f"backup_window {windows.backup!r} overlaps maintenance_window {windows.maintenance!r}; allowed: "
            "windows that do not overlap (RDS refuses it)"
        )
    if _overlap(windows.cache_snapshot, windows.cache_maintenance):
        problems.append(
            f"cache_snapshot_window {windows.cache_snapshot!r} overlaps cache_maintenance_window "
            f"{windows.cache_maintenance!r}; allowed: windows that do not overlap"
        )
    return problems


# -- settings ----------------------------------------------------------------------------------------------------


class MaintenanceSettings(FrozenSettings):
    """One region's backup, snapshot and maintenance windows, in UTC; unset ones take the region's night."""

    backup_window: str | None = Field(
        None,
        description="RDS/Aurora daily backup window, hh24:mi-hh24:mi UTC, at least 30 minutes. Defaults to 03:00-04:00 "
        "local summer time (Frankfurt: 01:00-02:00).",
    )
    maintenance_window: str | None = Field(
        None,
        description="RDS/Aurora weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC, at least 30 minutes. Defaults "
        "to Monday 04:00-05:00 local summer time (Frankfurt: mon:02:00-mon:03:00).",
    )
    cache_snapshot_window: str | None = Field(
        None,
        description="ElastiCache daily snapshot window, hh24:mi-hh24:mi UTC, at least 60 minutes. Defaults to the "
        "backup window's local hour.",
    )
    cache_maintenance_window: str | None = Field(
        None,
        description="ElastiCache weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC, at least 60 minutes. "
        "Defaults to Tuesday 04:00-05:00 local summer time (Frankfurt: tue:02:00-tue:03:00).",
    )

    @field_validator("backup_window", "maintenance_window", "cache_snapshot_window", "cache_maintenance_window")
    @classmethod
    def _aws_form(cls, value: str | None, info: ValidationInfo) -> str | None:
        problem = None if value is None or info.field_name is None else window_problem(info.field_name, value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _given_pairs(self) -> MaintenanceSettings:
        # Pairs that are both given are checked here; a pair with a default is checked against the region.
        pairs = (("backup_window", "maintenance_window"), ("cache_snapshot_window", "cache_maintenance_window"))
        for first, second in pairs:
            a, b = getattr(self, first), getattr(self, second)
            if a is not None and b is not None and _overlap(a, b):
                raise ValueError(f"{first} {a!r} overlaps {second} {b!r}; allowed: windows that do not overlap")
        return self


def resolve_windows(settings: MaintenanceSettings, region: str) -> Windows:
    """``settings`` with each unset window taken from ``region``'s defaults."""
    defaults = region_defaults(region)
    return Windows(
        backup=settings.backup_window or defaults.backup,
        maintenance=settings.maintenance_window or defaults.maintenance,
        cache_snapshot=settings.cache_snapshot_window or defaults.cache_snapshot,
        cache_maintenance=settings.cache_maintenance_window or defaults.cache_maintenance,
    )
