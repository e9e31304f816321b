"""What a stack file can say about a cell's data: recovery objectives, the databases and the cache.

One database per data concern (:class:`DatabaseSettings`), the Redis cache (:class:`RedisSettings`), and the
recovery objectives each concern declares or inherits (:func:`default_objectives`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from fintech_infra import aws_limits, versions
from fintech_infra._config_base import DatabaseEngine, DataConcern, Environment, FrozenSettings
from fintech_infra.errors import allowed

__all__ = ["DatabaseSettings", "RecoveryObjectives", "RedisSettings", "default_dr_read_replica", "default_objectives"]


class RecoveryObjectives(FrozenSettings):
    """Declared recovery objectives of one data concern, upper bounds in seconds."""

    rpo_seconds: int = Field(ge=0, le=7 * 86400, description="Most data loss tolerated on region loss.")
    rto_seconds: int = Field(ge=60, le=7 * 86400, description="Longest outage tolerated on region loss.")
    scope: Literal["region", "zone"] = Field(
        "region",
        description=(
            "Failure the objectives must survive: `region` (default; needs the cell's dr_region) or `zone` "
            "(instance/AZ failure only: an explicit choice to accept losing the data with the region)."
        ),
    )


def default_dr_read_replica(environment: Environment, engine: DatabaseEngine, *, has_dr_region: bool) -> bool:
    """Whether an rds-instance concern keeps a promotable DR replica when the stack file does not say."""
    return environment == "prod" and engine == "rds-instance" and has_dr_region


def default_objectives(
    environment: Environment, concern: DataConcern, *, has_dr_region: bool = True
) -> RecoveryObjectives:
    """Objectives a concern gets when the stack file declares none.

    Production defaults survive the loss of the region. Outside production a cell without a DR region
    defaults to surviving an instance or AZ failure only, which is all such a cell can promise.
    """
    if environment == "prod" and concern in (DataConcern.TRADING, DataConcern.PAYMENTS):
        return RecoveryObjectives(rpo_seconds=60, rto_seconds=900)
    if environment == "prod":
        # RTO 15 min for every concern: a promotable DR copy (dr_read_replica or aurora), not a restore.
        return RecoveryObjectives(rpo_seconds=900, rto_seconds=900)
    scope: Literal["region", "zone"] = "region" if has_dr_region else "zone"
    return RecoveryObjectives(rpo_seconds=86400, rto_seconds=86400, scope=scope)


class DatabaseSettings(FrozenSettings):
    """One PostgreSQL database for exactly one data concern."""

    concern: DataConcern = Field(description="crm, trading, payments or audit. Required; once per cell.")
    engine: DatabaseEngine = Field(
        "rds-instance", description="`rds-instance` (Multi-AZ instance) or `aurora`. Defaults to `rds-instance`."
    )
    engine_version: str = Field(
        "16",
        pattern=r"^\d{2}(\.\d+)?$",
        description=(
            "PostgreSQL major (RDS picks the minor and upgrades it in the maintenance window) or major.minor. The "
            "major must be in RDS standard support on the day the program runs; a pinned RDS minor must be one RDS "
            "still creates. An Aurora global cluster (aurora with a dr_region) runs the major's known full version "
            "unless one is pinned. Defaults to 16."
        ),
    )
    instance_class: str = Field(
        "db.r6g.large",
        pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$",
        description="Instance class the engine mode offers. Defaults to db.r6g.large.",
    )
    allocated_storage_gb: int = Field(
        100, ge=20, le=65536, description="Initial storage (instance mode). Defaults to 100."
    )
    max_allocated_storage_gb: int = Field(
        1000, ge=20, le=65536, description="Storage autoscaling ceiling. Defaults to 1000."
    )
    multi_az: bool = Field(True, description="Standby in a second AZ. Defaults to true; false only outside prod.")
    backup_retention_days: int = Field(
        35,
        ge=1,
        le=35,
        description="RDS automated backups, defaults to 35 (AWS maximum); longer comes from AWS Backup.",
    )
    read_replicas: int = Field(
        0,
        ge=0,
        le=5,
        description=(
            "In-region read replicas of an `rds-instance` for reporting and dashboards; the first one is the "
            "concern's `reader` in the routing manifest. Same subnet group, security group and key as the source; "
            "no backups of their own (the source's cover them). Not for `aurora`, whose reader endpoint already "
            "serves reads (add readers with aurora_instances). Defaults to 0."
        ),
    )
    aurora_instances: int = Field(2, ge=2, le=15, description="Aurora writer + readers across AZs. Defaults to 2.")
    objectives: RecoveryObjectives | None = Field(
        None, description="RPO/RTO. Defaults: prod trading/payments 60 s/900 s, prod others 900 s/900 s."
    )
    dr_read_replica: bool | None = Field(
        None,
        description=(
            "Also keep a promotable cross-region read replica (rds-instance with a dr_region): the failover runbook "
            "promotes it in minutes instead of restoring backups for hours. Its RPO is bounded by the ReplicaLag "
            "alarm on it. Defaults to true in prod (rds-instance with a dr_region), false elsewhere."
        ),
    )
    log_statement: Literal["none", "ddl", "mod", "all"] | None = Field(
        None, description="PostgreSQL log_statement. Defaults to `all` for the audit concern, `ddl` otherwise."
    )
    log_min_duration_ms: int = Field(
        1000, ge=-1, le=3_600_000, description="Log statements slower than this (ms; -1 off). Defaults to 1000."
    )
    performance_insights_retention_days: int = Field(
        7, description="Performance Insights retention: 7 or 31 x months up to 731. Defaults to 7 (free tier)."
    )
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        60, description="Enhanced monitoring interval in seconds. Defaults to 60."
    )

    @field_validator("instance_class")
    @classmethod
    def _class_offered(cls, value: str, info: ValidationInfo) -> str:
        problem = aws_limits.instance_class_problem(info.data.get("engine", "rds-instance"), value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("engine_version")
    @classmethod
    def _supported_version(cls, value: str, info: ValidationInfo) -> str:
        # Judged on the day the program runs: a major that leaves standard support is refused from then on.
        problem = versions.postgres_version_problem(
            info.data.get("engine", "rds-instance"), value, today=dt.date.today()
        )
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("read_replicas")
    @classmethod
    def _replicas_of_instances(cls, value: int, info: ValidationInfo) -> int:
        # CreateDBInstanceReadReplica is for RDS instances: "Amazon Aurora doesn't support this action"
        # (aws_facts.RDS_READ_REPLICAS); an Aurora cluster reads through its reader endpoint.
        engine = info.data.get("engine", "rds-instance")
        if value and engine == "aurora":
            raise ValueError(
                "engine 'aurora' has no read replicas: its reader endpoint already serves reads; allowed: 0 "
                "with aurora (add readers with aurora_instances) or engine 'rds-instance'"
            )
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in aws_limits.PERFORMANCE_INSIGHTS_RETENTION_DAYS:
            raise ValueError(aws_limits.PERFORMANCE_INSIGHTS_PROBLEM)
        return value

    @model_validator(mode="after")
    def _storage_ceiling(self) -> DatabaseSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise ValueError("max_allocated_storage_gb must be at least allocated_storage_gb")
        return self


class RedisSettings(FrozenSettings):
    """The cell's ElastiCache replication group."""

    engine: Literal["redis", "valkey"] = Field("valkey", description="Cache engine. Defaults to `valkey`.")
    engine_version: str = Field("8.0", pattern=r"^\d+\.\d+$", description="Engine version. Defaults to 8.0.")
    node_type: str = Field(
        "cache.r7g.large",
        pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$",
        description="Node type. Defaults to cache.r7g.large.",
    )
    nodes: int = Field(2, ge=2, le=6, description="Primary plus replicas across AZs; at least 2. Defaults to 2.")
    snapshot_retention_days: int = Field(7, ge=1, le=35, description="Daily snapshots kept. Defaults to 7.")
    dr_nodes: int = Field(
        2,
        ge=0,
        le=6,
        description=(
            "Nodes of the warm-standby replication group in the cell's DR region (empty, filled by the "
            "application on failover); 0 for none, refused in prod. Ignored without a dr_region. Defaults to 2."
        ),
    )

    @field_validator("dr_nodes")
    @classmethod
    def _standby_nodes(cls, value: int) -> int:
        if value == 1:
            raise ValueError("allowed: 0 (no DR cache) or 2 to 6 (a primary and replicas across AZs, as nodes)")
        return value

    @field_validator("node_type")
    @classmethod
    def _node_type_known(cls, value: str) -> str:
        if value not in aws_limits.CACHE_NODE_TYPES:
            raise ValueError(f"is not an ElastiCache node type; {allowed(sorted(aws_limits.CACHE_NODE_TYPES))}")
        return value
