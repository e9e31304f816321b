"""AWS limits enforced at plan time: each check refuses what AWS would reject at `pulumi up`."""

from __future__ import annotations

import pytest

from fintech_infra import aws_facts, aws_limits
from fintech_infra.config import DatabaseSettings, RedisSettings
from fintech_infra.errors import ConfigError
from fintech_infra.validation import load_stack_config


@pytest.mark.parametrize(
    ("instance_class", "estimate", "nominal"),
    [
        # The classes the shipped stacks use, then the smallest and a capped one.
        ("db.t4g.small", 187, 225),
        ("db.t4g.medium", 408, 450),
        ("db.r6g.large", 1733, 1802),
        ("db.r6g.xlarge", 3499, 3604),
        ("db.t4g.micro", 77, 112),
        ("db.r6g.16xlarge", 5000, 5000),
    ],
)
def test_max_connections_is_estimated_below_the_nominal_formula(
    instance_class: str, estimate: int, nominal: int
) -> None:
    """LEAST(DBInstanceClassMemory/9531392, 5000) with RDS's reserve estimated conservatively (aws_facts)."""
    assert aws_limits.max_connections(instance_class) == estimate
    memory = aws_limits.INSTANCE_MEMORY_GIB[instance_class] * 1024**3
    assert min(int(memory) // 9531392, 5000) == nominal


def test_the_estimate_is_never_above_a_measured_max_connections() -> None:
    reserve = aws_facts.DB_INSTANCE_CLASS_MEMORY_RESERVE
    for nominal_gib, observed in reserve.measured:
        estimated = (int(nominal_gib * 1024**3) - reserve.reserved_bytes(nominal_gib)) // 9531392
        assert observed * 0.9 <= estimated <= observed, nominal_gib


def test_max_connections_refuses_an_unknown_class() -> None:
    with pytest.raises(ConfigError, match=r"^instance_class: 'db\.z9\.large' has no memory figure; allowed: "):
        aws_limits.max_connections("db.z9.large")


def test_aurora_offers_no_m_classes_and_instances_do() -> None:
    assert "db.m6g.large" in aws_limits.RDS_POSTGRES_CLASSES
    assert "db.m6g.large" not in aws_limits.AURORA_POSTGRES_CLASSES
    assert "db.t4g.micro" not in aws_limits.AURORA_POSTGRES_CLASSES
    assert {"db.r6g.large", "db.t4g.medium"} <= aws_limits.AURORA_POSTGRES_CLASSES
    assert aws_limits.check_instance_class("aurora", "db.r7g.xlarge") == "db.r7g.xlarge"
    with pytest.raises(ConfigError) as caught:
        aws_limits.check_instance_class("aurora", "db.m6g.large", path="cells.eu.concerns[0].instance_class")
    assert str(caught.value).startswith(
        "cells.eu.concerns[0].instance_class: 'db.m6g.large' is not offered by Aurora PostgreSQL; "
        "allowed: db.r5.12xlarge"
    )


def test_parameter_group_family_per_mode() -> None:
    assert aws_limits.parameter_group_family("rds-instance", "16.6") == "postgres16"
    assert aws_limits.parameter_group_family("aurora", "15") == "aurora-postgresql15"
    with pytest.raises(
        ConfigError,
        match=r"^engine_version: '11\.2' is not a supported PostgreSQL version; allowed majors: 13, 14, 15, 16, 17$",
    ):
        aws_limits.parameter_group_family("rds-instance", "11.2")


@pytest.mark.parametrize(
    ("check", "good", "bad", "message"),
    [
        (
            aws_limits.check_backup_retention,
            35,
            36,
            "backup_retention_days: 36 is outside what RDS accepts; allowed: 1-35",
        ),
        (
            aws_limits.check_backup_retention,
            1,
            0,
            "backup_retention_days: 0 is outside what RDS accepts; allowed: 1-35",
        ),
        (
            aws_limits.check_kms_deletion_window,
            7,
            6,
            "key_deletion_window_days: 6 is outside what KMS accepts; allowed: 7-30",
        ),
        (
            aws_limits.check_kms_deletion_window,
            30,
            31,
            "key_deletion_window_days: 31 is outside what KMS accepts; allowed: 7-30",
        ),
        (aws_limits.check_secret_recovery_window, 30, 0, "recovery_window_days: 0 is not allowed; allowed: 7-30"),
        (
            aws_limits.check_cache_snapshot_retention,
            35,
            36,
            "snapshot_retention_days: 36 is outside what ElastiCache accepts; allowed: 1-35",
        ),
        (
            aws_limits.check_performance_insights_retention,
            731,
            730,
            "performance_insights_retention_days: 730 is not a Performance Insights retention period",
        ),
        (
            aws_limits.check_performance_insights_retention,
            62,
            60,
            "performance_insights_retention_days: 60 is not a Performance Insights retention period",
        ),
        (
            aws_limits.check_cache_node_type,
            "cache.r7g.large",
            "cache.x9.large",
            "node_type: 'cache.x9.large' is not an ElastiCache node type; allowed: ",
        ),
    ],
)
def test_range_checks(check, good, bad, message) -> None:
    assert check(good) == good
    with pytest.raises(ConfigError) as caught:
        check(bad)
    assert str(caught.value).startswith(message)


def test_performance_insights_values_are_seven_and_months_of_31_up_to_731() -> None:
    values = aws_limits.PERFORMANCE_INSIGHTS_RETENTION_DAYS
    assert min(values) == 7 and max(values) == 731 and 713 in values and 744 not in values and len(values) == 25


def _stack(concern: dict[str, object]) -> dict[str, object]:
    return {
        "environment": "dev",
        "tags": {"owner": "data-team", "cost_center": "cc-42"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": "eu-central-1",
                "entities": [{"name": "cysec-cy", "legal_name": "Example CY Ltd", "hostname": "api.example.com"}],
                "concerns": [concern],
            }
        },
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"concern": "crm", "engine": "aurora", "instance_class": "db.m6g.large"},
            "cells.eu.concerns[0].instance_class: 'db.m6g.large' is not offered by Aurora PostgreSQL; allowed: ",
        ),
        (
            {"concern": "crm", "backup_retention_days": 40},
            "cells.eu.concerns[0].backup_retention_days: 40 is out of range; allowed: 1 to 35",
        ),
        (
            {"concern": "crm", "performance_insights_retention_days": 30},
            "cells.eu.concerns[0].performance_insights_retention_days: 30 is not a Performance Insights retention",
        ),
        (
            {"concern": "crm", "engine_version": "12.4"},
            "cells.eu.concerns[0].engine_version: '12.4' is not a PostgreSQL major in the RDS release calendar; "
            "allowed majors: 14, 15, 16, 17",
        ),
    ],
)
def test_stack_config_refuses_aws_limits_with_the_key_path(settings, message) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_stack(settings))
    assert str(caught.value).startswith(f"invalid stack config: {message}")


def test_settings_models_accept_the_defaults() -> None:
    assert DatabaseSettings(concern="crm").instance_class in aws_limits.RDS_POSTGRES_CLASSES
    assert RedisSettings().node_type in aws_limits.CACHE_NODE_TYPES
    with pytest.raises(ValueError, match="is not an ElastiCache node type"):
        RedisSettings(node_type="cache.q1.large")
