"""The AWS facts are data with sources, and the calendars answer by date."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo

import pytest

from fintech_infra import aws_facts
from fintech_infra.aws_facts import CHECKED, EKS_VERSIONS, POSTGRES_VERSIONS, SupportWindow, support_status
from fintech_infra.jurisdictions import AWS_REGIONS


def _sources() -> list[aws_facts.Source]:
    found = [value.source for value in vars(aws_facts).values() if isinstance(value, aws_facts.Fact)]
    found += [window.source for window in (*EKS_VERSIONS.values(), *POSTGRES_VERSIONS.values())]
    found += [limit.source for limit in aws_facts.NAME_LIMITS.values()]
    found += [aws_facts.TAG_RULES.source, aws_facts.FARGATE_SOURCE, aws_facts.POSTGRES_MINOR_SOURCE]
    found += [aws_facts.AURORA_GLOBAL_SOURCE, aws_facts.EKS_UPGRADE_POLICY_SOURCE]
    found += [aws_facts.SECURITY_GROUP_RULES_SOURCE, aws_facts.ECS_BLUE_GREEN_LISTENER_SOURCE]
    found += [aws_facts.ECS_BLUE_GREEN_SCALING_SOURCE, aws_facts.TARGET_TRACKING_METRIC_MATH_SOURCE]
    found += [aws_facts.REQUEST_COUNT_PER_TARGET_SOURCE]

    found += [
        aws_facts.RDS_EXTENDED_SUPPORT_SOURCE,
        aws_facts.RDS_LOG_EXPORTS_SOURCE,
        aws_facts.RDS_LOG_GROUP_SOURCE,
        aws_facts.RDS_ENHANCED_MONITORING_SOURCE,
        aws_facts.DB_INSTANCE_CLASS_MEMORY_RESERVE.source,
        aws_facts.WINDOW_FORMAT_SOURCE,
        aws_facts.REGION_CLOCKS_SOURCE,
        aws_facts.CLOUDTRAIL_RECURSIVE_LOGGING_SOURCE,
        aws_facts.CLOUDTRAIL_SELECTORS_SOURCE,
        aws_facts.ACM_DAYS_TO_EXPIRY_SOURCE,
    ]
    return found


def test_every_fact_names_an_https_source_and_a_checked_date_not_in_the_future() -> None:
    sources = _sources()
    assert len(sources) > 20
    for source in sources:
        assert source.url.startswith("https://"), source
        assert source.checked <= CHECKED, source
        # A fact that needs an account says how to check it there.
        assert source.offline or source.verify.startswith("aws "), source


def test_support_status_turns_at_the_published_dates() -> None:
    window = SupportWindow("1.34", dt.date(2026, 12, 2), dt.date(2027, 12, 2), aws_facts.EKS_UPGRADE_POLICY_SOURCE)
    assert support_status(window, dt.date(2026, 12, 2)) == "standard"
    assert support_status(window, dt.date(2026, 12, 3)) == "extended"
    assert support_status(window, dt.date(2027, 12, 3)) == "unsupported"


def test_the_default_eks_version_is_in_standard_support_on_the_day_it_was_checked() -> None:
    assert support_status(EKS_VERSIONS[aws_facts.EKS_DEFAULT_VERSION], CHECKED) == "standard"
    newer = [v for v, w in EKS_VERSIONS.items() if support_status(w, CHECKED) == "standard"]
    assert max(newer, key=lambda v: tuple(map(int, v.split(".")))) == aws_facts.EKS_DEFAULT_VERSION


def test_fargate_sizes_follow_the_aws_table() -> None:
    sizes = aws_facts.FARGATE_TASK_SIZES
    assert sizes[256] == (512, 1024, 2048)
    assert sizes[512] == (1024, 2048, 3072, 4096)
    assert sizes[4096][0] == 8192 and sizes[4096][-1] == 30720 and len(sizes[4096]) == 23
    assert sizes[8192] == tuple(range(16384, 61441, 4096))
    assert sizes[16384] == tuple(range(32768, 122881, 8192))


def test_minimum_creatable_minors_belong_to_known_majors() -> None:
    for major, minor in aws_facts.POSTGRES_MIN_CREATABLE_MINOR.items():
        assert major in POSTGRES_VERSIONS and minor.startswith(f"{major}.")
    assert aws_facts.AURORA_GLOBAL_ENGINE_VERSION.split(".")[0] in {str(m) for m in POSTGRES_VERSIONS}


def test_the_facts_document_is_plain_json_with_every_source() -> None:
    document = aws_facts.facts_document()
    text = json.dumps(document, sort_keys=True)
    parsed = json.loads(text)
    assert parsed == document
    assert document["checked"] == CHECKED.isoformat()
    assert parsed["name_limits"]["aws:lb/targetGroup:TargetGroup"]["max_length"] == 32
    assert parsed["eks_versions"]["1.34"]["end_of_standard_support"] == "2026-12-02"


def test_fargate_windows_sizes_are_in_the_linux_table_and_at_least_one_vcpu() -> None:
    assert set(aws_facts.FARGATE_WINDOWS_CPU_UNITS) <= set(aws_facts.FARGATE_TASK_SIZES)
    assert min(aws_facts.FARGATE_WINDOWS_CPU_UNITS) == 1024


def test_the_eni_quota_starts_at_the_ecs_limit_and_stays_within_its_maximum() -> None:
    assert aws_facts.VPC_SECURITY_GROUPS_PER_ENI.value == aws_facts.ECS_SECURITY_GROUPS_PER_SERVICE.value == 5
    assert aws_facts.VPC_SECURITY_GROUPS_PER_ENI_MAX == 16
    document = aws_facts.facts_document()["vpc_security_groups_per_eni"]
    assert isinstance(document, dict) and document["value"] == 5 and document["max"] == 16


def test_every_region_has_a_clock_and_its_offsets_match_the_tz_database() -> None:
    assert set(aws_facts.REGION_CLOCKS) == AWS_REGIONS
    for region, clock in aws_facts.REGION_CLOCKS.items():
        zone = zoneinfo.ZoneInfo(clock.zone)
        offsets = {
            int(dt.datetime(year, month, 15, 12, tzinfo=zone).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
            for year in (2026, 2027)
            for month in range(1, 13)
        }
        assert offsets == {clock.standard_offset, clock.daylight_offset}, region


def test_the_memory_reserve_estimate_reserves_at_least_what_every_measured_class_implies() -> None:
    reserve = aws_facts.DB_INSTANCE_CLASS_MEMORY_RESERVE
    for nominal_gib, observed in reserve.measured:
        # max_connections = DBInstanceClassMemory // 9531392: the real reserve is at most this much.
        implied = nominal_gib * 1024**3 - observed * 9531392
        assert reserve.reserved_bytes(nominal_gib) >= implied, nominal_gib
        # ... and not wildly more: the estimate stays within 100 MiB of the measurement.
        assert reserve.reserved_bytes(nominal_gib) - implied < 100 * 1024**2, nominal_gib


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (aws_facts.RDS_BACKUP_WINDOW_FORMAT, ["03:00-04:00", "23:30-23:59"], ["3:00-4:00", "24:00-01:00", "mon:03:00"]),
        (
            aws_facts.RDS_MAINTENANCE_WINDOW_FORMAT,
            ["mon:03:00-mon:04:00", "sun:23:00-mon:01:30"],
            ["Mon:03:00-Mon:04:00", "mon:03:00-04:00", "xyz:03:00-mon:04:00"],
        ),
    ],
)
def test_window_formats_accept_what_aws_documents(pattern: str, good: list[str], bad: list[str]) -> None:
    assert all(re.fullmatch(pattern, value) for value in good)
    assert not any(re.fullmatch(pattern, value) for value in bad)


def test_the_library_exports_only_log_types_the_engines_offer() -> None:
    from fintech_infra.aurora import LOG_EXPORTS as AURORA_EXPORTS
    from fintech_infra.rds_instance import LOG_EXPORTS

    assert set(LOG_EXPORTS) <= set(aws_facts.RDS_LOG_EXPORTS["postgres"])
    assert set(AURORA_EXPORTS) <= set(aws_facts.RDS_LOG_EXPORTS["aurora-postgresql"])
