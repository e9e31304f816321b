"""AWS service limits, enforced at plan time.

The mock engine accepts any value, and so does ``pulumi preview``: AWS only rejects a retention of 40
days or an instance class Aurora does not offer at ``pulumi up``, half-way through a deployment. Each
check here raises one :class:`~fintech_infra.errors.ConfigError` naming the key path, the bad value and
what AWS allows, so the same mistake fails before a single resource is registered.

The tables are data, not guesses at run time: RDS for PostgreSQL / Aurora PostgreSQL instance classes
(RDS User Guide "DB instance classes" and "Supported DB engines for DB instance classes"), their nominal memory
(for the ``max_connections`` estimate, with the reserve from :mod:`fintech_infra.aws_facts`), and ElastiCache
node types. A class missing here is refused until it is added,
which is the safe direction: the error says which classes are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from fintech_infra import aws_facts
from fintech_infra.errors import ConfigError, allowed

__all__ = [
    "AURORA_POSTGRES_CLASSES",
    "BACKUP_RETENTION_DAYS",
    "CACHE_NODE_TYPES",
    "CACHE_SNAPSHOT_RETENTION_DAYS",
    "INSTANCE_MEMORY_GIB",
    "KMS_DELETION_WINDOW_DAYS",
    "MAX_CONNECTIONS_CAP",
    "PERFORMANCE_INSIGHTS_PROBLEM",
    "PERFORMANCE_INSIGHTS_RETENTION_DAYS",
    "POSTGRES_MAJOR_VERSIONS",
    "RDS_POSTGRES_CLASSES",
    "SECRET_RECOVERY_WINDOW_DAYS",
    "VAULT_LOCK_MIN_CHANGEABLE_DAYS",
    "check_backup_retention",
    "check_cache_node_type",
    "check_cache_snapshot_retention",
    "check_instance_class",
    "check_kms_deletion_window",
    "check_performance_insights_retention",
    "check_secret_recovery_window",
    "instance_class_problem",
    "max_connections",
    "parameter_group_family",
]

EngineMode = Literal["rds-instance", "aurora"]

_SIZE_MULTIPLIER: dict[str, int] = {
    "large": 8,
    "xlarge": 16,
    "2xlarge": 32,
    "4xlarge": 64,
    "8xlarge": 128,
    "12xlarge": 192,
    "16xlarge": 256,
    "24xlarge": 384,
    "32xlarge": 512,
}
_BIG = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")


def _family(prefix: str, sizes: tuple[str, ...], gib_per_large: int) -> dict[str, float]:
    # Within a family memory doubles with each size step from `large`; m = 8 GiB, r = 16 GiB at large.
    return {f"{prefix}.{size}": _SIZE_MULTIPLIER[size] / 8 * gib_per_large for size in sizes}


_BURSTABLE: dict[str, float] = {
    f"db.{family}.{size}": gib
    for family in ("t3", "t4g")
    for size, gib in (("micro", 1), ("small", 2), ("medium", 4), ("large", 8), ("xlarge", 16), ("2xlarge", 32))
}

INSTANCE_MEMORY_GIB: Mapping[str, float] = {
    **_BURSTABLE,
    **_family("db.m5", (*_BIG, "24xlarge"), 8),
    **_family("db.m6g", _BIG, 8),
    **_family("db.m6i", (*_BIG, "24xlarge", "32xlarge"), 8),
    **_family("db.m7g", _BIG, 8),
    **_family("db.m7i", (*_BIG, "24xlarge"), 8),
    **_family("db.m8g", (*_BIG, "24xlarge"), 8),
    **_family("db.r5", (*_BIG, "24xlarge"), 16),
    **_family("db.r6g", _BIG, 16),
    **_family("db.r6i", (*_BIG, "24xlarge", "32xlarge"), 16),
    **_family("db.r7g", _BIG, 16),
    **_family("db.r7i", (*_BIG, "24xlarge"), 16),
    **_family("db.r8g", (*_BIG, "24xlarge"), 16),
}
"""Nominal memory (GiB) per DB instance class known to this library."""

RDS_POSTGRES_CLASSES: frozenset[str] = frozenset(INSTANCE_MEMORY_GIB)
"""Classes RDS for PostgreSQL offers for a (Multi-AZ) DB instance."""

AURORA_POSTGRES_CLASSES: frozenset[str] = frozenset(
    name
    for name in INSTANCE_MEMORY_GIB
    # Aurora PostgreSQL offers the memory-optimized r classes and only the larger burstable sizes; no m classes.
    if name.split(".")[1].startswith("r") or name in {"db.t3.medium", "db.t4g.medium", "db.t4g.large"}
)
"""Classes Aurora PostgreSQL offers for provisioned cluster instances."""

_CLASSES_BY_MODE: dict[str, frozenset[str]] = {"rds-instance": RDS_POSTGRES_CLASSES, "aurora": AURORA_POSTGRES_CLASSES}

MAX_CONNECTIONS_CAP = 5000
_BYTES_PER_CONNECTION = 9531392
"""RDS/Aurora PostgreSQL default: max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000)."""

POSTGRES_MAJOR_VERSIONS: frozenset[int] = frozenset({13, 14, 15, 16, 17})
"""PostgreSQL majors under RDS standard support that this library builds parameter groups for."""

BACKUP_RETENTION_DAYS = range(1, 36)
"""RDS automated backups: 1-35 days (0 would disable backups and point-in-time recovery)."""

PERFORMANCE_INSIGHTS_RETENTION_DAYS: frozenset[int] = frozenset({7, 731} | {31 * month for month in range(1, 24)})
"""Performance Insights: 7 (free tier), 31 x months (1-23) or 731."""

KMS_DELETION_WINDOW_DAYS = range(7, 31)
"""KMS ScheduleKeyDeletion PendingWindowInDays: 7-30."""

SECRET_RECOVERY_WINDOW_DAYS = range(7, 31)
"""Secrets Manager DeleteSecret RecoveryWindowInDays: 7-30 (0, force delete, is refused here)."""

CACHE_SNAPSHOT_RETENTION_DAYS = range(1, 36)
"""ElastiCache SnapshotRetentionLimit: at most 35 days (0 disables snapshots and is refused here)."""

VAULT_LOCK_MIN_CHANGEABLE_DAYS = 3
"""AWS Backup Vault Lock: ChangeableForDays (the grace time before compliance mode locks) is at least 3."""

CACHE_NODE_TYPES: frozenset[str] = frozenset(
    {f"cache.{family}.{size}" for family in ("t3", "t4g") for size in ("micro", "small", "medium")}
    | {
        f"cache.{family}.{size}"
        for family in ("m5", "m6g", "m7g", "r5", "r6g", "r7g")
        for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
    }
)
"""ElastiCache node types for Redis OSS / Valkey replication groups known to this library."""


def _range_text(values: range) -> str:
    return f"allowed: {values.start}-{values.stop - 1}"


def instance_class_problem(mode: EngineMode, instance_class: str) -> str | None:
    """Why the engine mode does not offer ``instance_class`` (for pydantic validators), or None."""
    offered = _CLASSES_BY_MODE[mode]
    if instance_class in offered:
        return None
    kind = "Aurora PostgreSQL" if mode == "aurora" else "RDS for PostgreSQL"
    return f"is not offered by {kind}; {allowed(sorted(offered))}"


def check_instance_class(mode: EngineMode, instance_class: str, *, path: str = "instance_class") -> str:
    """``instance_class`` if the engine mode offers it, else a ConfigError listing the offered classes."""
    problem = instance_class_problem(mode, instance_class)
    if problem:
        raise ConfigError(f"{path}: {instance_class!r} {problem}")
    return instance_class


def max_connections(instance_class: str) -> int:
    """PostgreSQL's default ``max_connections`` on this class, estimated from below.

    RDS sets ``LEAST({DBInstanceClassMemory/9531392}, 5000)``, where ``DBInstanceClassMemory`` is the class's
    memory less what RDS keeps for the OS and its own processes. AWS publishes no formula for that reserve, so it
    is :data:`~fintech_infra.aws_facts.DB_INSTANCE_CLASS_MEMORY_RESERVE`'s estimate, which reserves more than any
    measured class: the figure is a little below the engine's real value, never above it, and an alarm at a share
    of it fires at or before that share of the real limit (db.r6g.large: 1733 against 1802 from nominal memory).
    """
    if instance_class not in INSTANCE_MEMORY_GIB:
        raise ConfigError(
            f"instance_class: {instance_class!r} has no memory figure; {allowed(sorted(INSTANCE_MEMORY_GIB))}"
        )
    nominal_gib = INSTANCE_MEMORY_GIB[instance_class]
    class_memory = int(nominal_gib * 1024**3) - aws_facts.DB_INSTANCE_CLASS_MEMORY_RESERVE.reserved_bytes(nominal_gib)
    return min(class_memory // _BYTES_PER_CONNECTION, MAX_CONNECTIONS_CAP)


def parameter_group_family(mode: EngineMode, engine_version: str, *, path: str = "engine_version") -> str:
    """The parameter group family for a version: ``postgres16`` or ``aurora-postgresql16``."""
    match = re.fullmatch(r"(\d+)(\.\d+)?", engine_version)
    major = int(match.group(1)) if match else -1
    if major not in POSTGRES_MAJOR_VERSIONS:
        raise ConfigError(
            f"{path}: {engine_version!r} is not a supported PostgreSQL version; "
            f"allowed majors: {', '.join(map(str, sorted(POSTGRES_MAJOR_VERSIONS)))}"
        )
    return f"aurora-postgresql{major}" if mode == "aurora" else f"postgres{major}"


def check_backup_retention(days: int, *, path: str = "backup_retention_days") -> int:
    if days not in BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{path}: {days!r} is outside what RDS accepts; {_range_text(BACKUP_RETENTION_DAYS)} "
            "(longer retention comes from the cell's AWS Backup plan)"
        )
    return days


PERFORMANCE_INSIGHTS_PROBLEM = (
    "is not a Performance Insights retention period; allowed: 7, 31 x months (31, 62, ... 713) or 731"
)


def check_performance_insights_retention(days: int, *, path: str = "performance_insights_retention_days") -> int:
    if days not in PERFORMANCE_INSIGHTS_RETENTION_DAYS:
        raise ConfigError(f"{path}: {days!r} {PERFORMANCE_INSIGHTS_PROBLEM}")
    return days


def check_kms_deletion_window(days: int, *, path: str = "key_deletion_window_days") -> int:
    if days not in KMS_DELETION_WINDOW_DAYS:
        raise ConfigError(f"{path}: {days!r} is outside what KMS accepts; {_range_text(KMS_DELETION_WINDOW_DAYS)}")
    return days


def check_secret_recovery_window(days: int, *, path: str = "recovery_window_days") -> int:
    if days not in SECRET_RECOVERY_WINDOW_DAYS:
        raise ConfigError(
            f"{path}: {days!r} is not allowed; {_range_text(SECRET_RECOVERY_WINDOW_DAYS)} "
            "(0 would delete the secret without a recovery window)"
        )
    return days


def check_cache_node_type(node_type: str, *, path: str = "node_type") -> str:
    if node_type not in CACHE_NODE_TYPES:
        raise ConfigError(f"{path}: {node_type!r} is not an ElastiCache node type; {allowed(sorted(CACHE_NODE_TYPES))}")
    return node_type


def check_cache_snapshot_retention(days: int, *, path: str = "snapshot_retention_days") -> int:
    if days not in CACHE_SNAPSHOT_RETENTION_DAYS:
        raise ConfigError(
            f"{path}: {days!r} is outside what ElastiCache accepts; {_range_text(CACHE_SNAPSHOT_RETENTION_DAYS)}"
        )
    return days
