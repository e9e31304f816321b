"""Backup, snapshot and maintenance windows: explicit, in each region's local night all year, in UTC."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from fintech_infra import aws_facts
from fintech_infra.errors import ConfigError
from fintech_infra.maintenance import (
    MaintenanceSettings,
    Windows,
    region_defaults,
    resolve_windows,
    window_problem,
    window_problems,
)
from fintech_infra.validation import load_stack_config

NIGHT = (60, 6 * 60)  # 01:00-06:00 local
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _occurrences(window: str, year: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every start and end of ``window`` (UTC) in ``year``."""
    start_text, end_text = window.split("-")
    weekly = start_text[:3] in _DAYS
    found = []
    day = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    while day.year == year:
        if not weekly or _DAYS[day.weekday()] == start_text[:3]:
            clock = start_text[4:] if weekly else start_text
            start = day + dt.timedelta(hours=int(clock[:2]), minutes=int(clock[3:]))
            end_clock = end_text[4:] if weekly else end_text
            end = day + dt.timedelta(hours=int(end_clock[:2]), minutes=int(end_clock[3:]))
            if weekly:
                end += dt.timedelta(days=(_DAYS.index(end_text[:3]) - _DAYS.index(start_text[:3])) % 7)
            elif end <= start:
                end += dt.timedelta(days=1)
            found.append((start, end))
        day += dt.timedelta(days=1)
    return found


@pytest.mark.parametrize("region", sorted(aws_facts.REGION_CLOCKS))
def test_defaults_stay_in_the_local_night_every_day_of_the_year(region: str) -> None:
    """Daylight saving moves local time, not the UTC windows: both stay within 01:00-06:00 local all year."""
    zone = zoneinfo.ZoneInfo(aws_facts.REGION_CLOCKS[region].zone)
    windows = region_defaults(region)
    for field in ("backup", "maintenance", "cache_snapshot", "cache_maintenance"):
        for year in (2026, 2027):
            for start, end in _occurrences(getattr(windows, field), year):
                local_start, local_end = start.astimezone(zone), end.astimezone(zone)
                minutes = local_start.hour * 60 + local_start.minute
                assert NIGHT[0] <= minutes and minutes + (end - start).seconds // 60 <= NIGHT[1], (field, start)
                assert local_start.date() == local_end.date(), (field, start)


@pytest.mark.parametrize("region", sorted(aws_facts.REGION_CLOCKS))
def test_defaults_are_windows_aws_takes_and_do_not_overlap(region: str) -> None:
    windows = region_defaults(region)
    assert window_problem("backup_window", windows.backup) is None
    assert window_problem("maintenance_window", windows.maintenance) is None
    assert window_problem("cache_snapshot_window", windows.cache_snapshot) is None
    assert window_problem("cache_maintenance_window", windows.cache_maintenance) is None
    assert window_problems(windows) == []
    # The database and the cache are never patched in the same window.
    assert windows.maintenance[:3] != windows.cache_maintenance[:3]


def test_frankfurt_and_sydney_defaults() -> None:
    assert region_defaults("eu-central-1") == Windows(
        backup="01:00-02:00",
        maintenance="mon:02:00-mon:03:00",
        cache_snapshot="01:00-02:00",
        cache_maintenance="tue:02:00-tue:03:00",
    )
    # Sydney is UTC+11 in its summer: Monday 04:00 local is Sunday 17:00 UTC.
    assert region_defaults("ap-southeast-2").maintenance == "sun:17:00-sun:18:00"
    # Dubai: 03:00 local is 23:00 UTC; the window runs past midnight UTC, as RDS allows.
    assert region_defaults("me-central-1").backup == "23:00-00:00"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("backup_window", "01:00-01:30", None),
        ("backup_window", "01:00-01:20", "lasts 20 minutes; allowed: at least 30 minutes"),
        ("cache_snapshot_window", "01:00-01:30", "lasts 30 minutes; allowed: at least 60 minutes"),
        ("cache_maintenance_window", "sun:23:30-mon:00:30", None),
        (
            "maintenance_window",
            "Mon:02:00-Mon:03:00",
            "is not a window; allowed: ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. 'mon:02:00-mon:03:00' (days mon-sun, "
            "lower case)",
        ),
        (
            "backup_window",
            "1:00-2:00",
            "is not a window; allowed: hh24:mi-hh24:mi in UTC, e.g. '01:00-02:00' (days mon-sun, lower case)",
        ),
    ],
)
def test_window_form_and_length(field: str, value: str, problem: str | None) -> None:
    assert window_problem(field, value) == problem
    assert re.fullmatch(aws_facts.RDS_MAINTENANCE_WINDOW_FORMAT, "sun:23:30-mon:00:30")


def test_overlaps_are_found_across_days_and_the_week_end() -> None:
    backup_over_monday = Windows("02:30-03:30", "mon:02:00-mon:03:00", "01:00-02:00", "tue:02:00-tue:03:00")
    assert window_problems(backup_over_monday) == [
        "backup_window '02:30-03:30' overlaps maintenance_window 'mon:02:00-mon:03:00'; allowed: windows that do not "
        "overlap (RDS refuses it)"
    ]
    across_the_week_end = Windows("00:15-01:00", "sun:23:30-mon:00:30", "01:00-02:00", "tue:01:30-tue:02:30")
    assert len(window_problems(across_the_week_end)) == 2
    touching = Windows("01:00-02:00", "mon:02:00-mon:03:00", "01:00-02:00", "tue:02:00-tue:03:00")
    assert window_problems(touching) == []


def test_a_region_without_a_clock_is_one_clear_error() -> None:
    with pytest.raises(
        ConfigError, match=r"^region: 'us-gov-west-1' has no default maintenance windows; allowed: pass"
    ):
        region_defaults("us-gov-west-1")


def test_settings_override_the_region_default_window_by_window() -> None:
    settings = MaintenanceSettings(maintenance_window="sat:22:00-sat:23:00")
    assert resolve_windows(settings, "eu-central-1") == Windows(
        backup="01:00-02:00",
        maintenance="sat:22:00-sat:23:00",
        cache_snapshot="01:00-02:00",
        cache_maintenance="tue:02:00-tue:03:00",
    )


def _stack(cell: dict) -> dict:
    return {
        "environment": "staging",
        "tags": {"owner": "platform", "cost_center": "cc-1"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": "eu-central-1",
                "entities": [{"name": "cysec-cy", "legal_name": "Example Ltd", "hostname": "api.example.org"}],
                "concerns": [{"concern": "crm"}],
                **cell,
            }
        },
    }


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            {"maintenance": {"cache_snapshot_window": "01:00-01:30"}},
            "cells.eu.maintenance.cache_snapshot_window: '01:00-01:30' lasts 30 minutes; allowed: at least 60 minutes",
        ),
        (
            {"maintenance": {"backup_window": "02:00-03:00", "maintenance_window": "mon:02:30-mon:03:30"}},
            "cells.eu.maintenance: backup_window '02:00-03:00' overlaps maintenance_window 'mon:02:30-mon:03:30'",
        ),
        (
            # Overlapping the region's default maintenance window (mon:02:00-mon:03:00 in Frankfurt).
            {"maintenance": {"backup_window": "02:30-03:30"}},
            "cells.eu.maintenance: backup_window '02:30-03:30' overlaps maintenance_window 'mon:02:00-mon:03:00'",
        ),
        (
            {"dr_maintenance": {"backup_window": "03:00-04:00"}},
            "cells.eu.dr_maintenance: is set without a dr_region; allowed: a dr_region, or remove it",
        ),
    ],
)
def test_stack_config_refuses_windows_with_the_key_path(cell: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_stack(cell))
    assert str(caught.value).startswith(f"invalid stack config: {message}")
