"""Recovery objectives as code: which disaster-recovery mechanism can meet a declared RPO and RTO.

Every data concern declares its objectives (:class:`~fintech_infra.config.RecoveryObjectives`). This module
holds, as data, what each mechanism AWS offers for PostgreSQL can promise, with the AWS-documented figure
and its source, and picks the mechanism for a concern from what is configured (engine mode and whether
the cell has a DR region). It never downgrades silently: objectives no configured mechanism meets are a
:class:`~fintech_infra.errors.ConfigError` that names the objectives key, the value and what would meet it.

Rules the figures encode (sources in :data:`MECHANISMS`):

- A figure of ``None`` means AWS documents no bound, so it cannot satisfy any objective. A cross-region
  read replica's replication is asynchronous and AWS bounds its lag nowhere: its RPO is bounded only by the
  ReplicaLag alarm on it (the database's, at ``alarms.replica_lag_seconds`` or the declared RPO), the way the
  policy pack judges it; without that alarm (``replica_lag_alarm_seconds=None``) it never meets an RPO. Its
  RTO is the planning figure of the runbook's promotion step (:data:`fintech_infra.dr_steps.FIGURES`).
- ``scope: region`` objectives need a mechanism that survives loss of the primary region, so a DR region.
  ``scope: zone`` objectives are met by the in-region mechanism (Multi-AZ instance or Aurora cluster).
- Where AWS gives a typical figure, the planning figure here is that figure's upper end; where AWS gives
  none (the time to restore a database), the figure is a conservative planning value and says so.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from fintech_infra.config import DatabaseEngine, RecoveryObjectives
from fintech_infra.dr_steps import FIGURES
from fintech_infra.errors import ConfigError

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "MechanismFacts",
    "RecoveryPlan",
    "available_mechanisms",
    "lag_alarm_seconds",
    "plan_recovery",
]

Scope = Literal["zone", "region"]
DrWriter = Literal["promote", "restore"]


class Mechanism(enum.StrEnum):
    """The recovery mechanisms a FinancialDatabase can run."""

    SINGLE_AZ_INSTANCE = "single-az-instance"
    MULTI_AZ_INSTANCE = "multi-az-instance"
    AURORA_MULTI_AZ = "aurora-multi-az-cluster"
    CROSS_REGION_REPLICA = "cross-region-read-replica"
    AUTOMATED_BACKUPS_REPLICATION = "automated-backups-replication"
    AURORA_GLOBAL = "aurora-global-database"
    AWS_BACKUP_COPY = "aws-backup-cross-region-copy"
    """Built by the cell's CellBackup, not by the database: listed so the policy pack judges it with the
    same figures. :func:`plan_recovery` never chooses it (automated-backups replication, which every
    rds-instance with a DR region runs, meets whatever it meets)."""


@dataclass(frozen=True)
class MechanismFacts:
    """What a mechanism promises, and on what evidence."""

    mechanism: Mechanism
    engines: tuple[DatabaseEngine, ...]
    """The engine modes that can run it."""
    scope: Scope
    """The failure it survives: ``zone`` (instance/AZ) or ``region``."""
    rpo_seconds: int | None
    """Planning RPO; None when AWS documents no bound."""
    rto_seconds: int | None
    """Planning RTO; None when AWS documents no bound."""
    figure: str
    """The AWS-documented figure (or the absence of one) this relies on."""
    source: str
    configure: str
    """What a stack file sets to get it, for error messages."""
    dr_writer: DrWriter | None = None
    """How the DR region gets a writer (region-scoped mechanisms): its copy is ``promote``-d in place (it keeps an
    endpoint the DR routing manifest names), or a new database is ``restore``-d from the copy (the manifest names no
    writer until then). None for zone-scoped mechanisms."""
    failover_step: str = ""
    """The documented step that makes the DR region's writer; the policy pack's failover guardrail quotes it."""
    dr_credentials: Literal["created"] | None = None
    """``created``: the DR region has no copy of the credentials until the failover step creates them (an
    RDS-managed secret, which Secrets Manager cannot replicate); the DR manifest names none before."""

    @property
    def evidence(self) -> str:
        return f"{self.figure} ({self.source})"


_FAILOVER = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.Failover.html"
_MULTI_AZ_CLUSTER = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/multi-az-db-clusters-concepts-failover.html"
_PROMOTE = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html"
_REPLICATE_BACKUPS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html"
_PITR = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html"
_GLOBAL = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html"
_BACKUP_COPY = "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html"

_RESTORE_PLANNING_SECONDS = 4 * 3600
"""A point-in-time restore builds a new instance; AWS gives no duration. Planned at 4 hours (inference)."""

_BACKUP_PLAN_INTERVAL_SECONDS = 24 * 3600
"""CellBackup's plan takes one recovery point a day (``fintech_infra.backup.BACKUP_SCHEDULE``)."""

MECHANISMS: Mapping[Mechanism, MechanismFacts] = {
    facts.mechanism: facts
    for facts in (
        MechanismFacts(
            Mechanism.SINGLE_AZ_INSTANCE,
            ("rds-instance",),
            "zone",
            rpo_seconds=300,
            rto_seconds=_RESTORE_PLANNING_SECONDS,
            figure=(
                "point-in-time restore from automated backups; transaction logs are uploaded every 5 minutes; "
                "no documented restore duration, planned at 4 h"
            ),
            source=_PITR,
            configure="multi_az: false",
        ),
        MechanismFacts(
            Mechanism.MULTI_AZ_INSTANCE,
            ("rds-instance",),
            "zone",
            rpo_seconds=0,
            rto_seconds=120,
            figure="synchronous standby; failover typically 60-120 seconds",
            source=_FAILOVER,
            configure="engine: rds-instance with multi_az: true",
        ),
        MechanismFacts(
            Mechanism.AURORA_MULTI_AZ,
            ("aurora",),
            "zone",
            rpo_seconds=0,
            rto_seconds=120,
            figure=(
                "shared multi-AZ storage, a reader in another AZ is promoted; AWS documents 'typically under "
                "35 seconds' for Multi-AZ DB clusters, planned at the instance figure of 120 s"
            ),
            source=_MULTI_AZ_CLUSTER,
            configure="engine: aurora",
        ),
        MechanismFacts(
            Mechanism.CROSS_REGION_REPLICA,
            ("rds-instance",),
            "region",
            rpo_seconds=None,
            rto_seconds=FIGURES["replica-promotion"].seconds,
            figure=(
                "asynchronous replication with no documented lag bound (RPO bounded by the ReplicaLag alarm on "
                "the replica); promotion 'can take several minutes or longer' depending on size, planned at "
                f"{FIGURES['replica-promotion'].seconds} s"
            ),
            source=_PROMOTE,
            configure="engine: rds-instance with a dr_region and dr_read_replica: true",
            dr_writer="promote",
            failover_step=(
                "promote the cross-region read replica (aws rds promote-read-replica); it keeps its endpoint and "
                "becomes a standalone writer; then aws rds modify-db-instance --manage-master-user-password with the "
                "DR region's concern key creates its RDS-managed secret there (the failover runbook does both)"
            ),
            dr_credentials="created",
        ),
        MechanismFacts(
            Mechanism.AUTOMATED_BACKUPS_REPLICATION,
            ("rds-instance",),
            "region",
            rpo_seconds=300,
            rto_seconds=_RESTORE_PLANNING_SECONDS,
            figure=(
                "snapshots and transaction logs replicated to the DR region as soon as ready (logs every "
                "5 minutes); recovery is a point-in-time restore to a new instance, planned at 4 h"
            ),
            source=_REPLICATE_BACKUPS,
            configure="engine: rds-instance with a dr_region (automated-backups replication)",
            dr_writer="restore",
            failover_step=(
                "restore the replicated automated backups to a new instance in the DR region (aws rds "
                "restore-db-instance-to-point-in-time --source-db-instance-automated-backups-arn); RDS creates its "
                "managed master secret there"
            ),
        ),
        MechanismFacts(
            Mechanism.AURORA_GLOBAL,
            ("aurora",),
            "region",
            rpo_seconds=1,
            rto_seconds=60,
            figure="replication to the secondary region typically under 1 second; promotion in under a minute",
            source=_GLOBAL,
            configure="engine: aurora with a dr_region (Aurora Global Database)",
            dr_writer="promote",
            failover_step=(
                "switch over or fail over the global database to the secondary cluster (aws rds "
                "switchover-global-cluster / failover-global-cluster); the secondary becomes the writer"
            ),
        ),
        MechanismFacts(
            Mechanism.AWS_BACKUP_COPY,
            ("rds-instance", "aurora"),
            "region",
            rpo_seconds=_BACKUP_PLAN_INTERVAL_SECONDS,
            rto_seconds=_RESTORE_PLANNING_SECONDS,
            figure=(
                "each recovery point of the cell's daily AWS Backup plan is copied to a vault in the DR region "
                "once the backup completes; RPO planned at the plan's 24 h interval (the copy's own duration "
                "is not documented), recovery (a restore to a new database, no documented duration) at 4 h"
            ),
            source=_BACKUP_COPY,
            configure="a dr_region (the cell's CellBackup copies every recovery point to the DR vault)",
            dr_writer="restore",
            failover_step=(
                "start a restore job from the copied recovery point in the DR region's vault (aws backup "
                "start-restore-job); the restored database is the writer"
            ),
        ),
    )
}


@dataclass(frozen=True)
class RecoveryPlan:
    """The mechanism chosen for one concern, and the DR mechanism built (if any)."""

    mechanism: Mechanism
    """The mechanism judged against the objectives."""
    dr_mechanisms: tuple[Mechanism, ...]
    """Everything built in the DR region (empty without one)."""
    expected_rpo_seconds: int
    expected_rto_seconds: int
    evidence: str

    @property
    def facts(self) -> MechanismFacts:
        return MECHANISMS[self.mechanism]


def available_mechanisms(
    engine: DatabaseEngine, *, multi_az: bool, has_dr: bool, dr_read_replica: bool = False
) -> tuple[Mechanism, ...]:
    """The mechanisms a configuration runs: the in-region one first, then those in the DR region."""
    if engine == "aurora":
        return (Mechanism.AURORA_MULTI_AZ, Mechanism.AURORA_GLOBAL) if has_dr else (Mechanism.AURORA_MULTI_AZ,)
    local = Mechanism.MULTI_AZ_INSTANCE if multi_az else Mechanism.SINGLE_AZ_INSTANCE
    if not has_dr:
        return (local,)
    dr = (Mechanism.AUTOMATED_BACKUPS_REPLICATION,)
    return (local, *dr, Mechanism.CROSS_REGION_REPLICA) if dr_read_replica else (local, *dr)


def _meets(facts: MechanismFacts, objectives: RecoveryObjectives) -> bool:
    return (
        facts.rpo_seconds is not None
        and facts.rto_seconds is not None
        and facts.rpo_seconds <= objectives.rpo_seconds
        and facts.rto_seconds <= objectives.rto_seconds
    )


def lag_alarm_seconds(objectives: RecoveryObjectives | None, configured: int | None) -> int | None:
    """The ReplicaLag alarm's threshold on a database's replicas (``alarms.replica_lag_seconds``, else the RPO)."""
    if objectives is None:
        return None
    return max(1, configured or objectives.rpo_seconds)


def _bounded(facts: MechanismFacts, lag_alarm_seconds: int | None) -> MechanismFacts:
    """A cross-region replica with a ReplicaLag alarm has the alarm's threshold as its RPO bound."""
    if facts.mechanism != Mechanism.CROSS_REGION_REPLICA or lag_alarm_seconds is None:
        return facts
    return dataclasses.replace(
        facts,
        rpo_seconds=lag_alarm_seconds,
        figure=f"{facts.figure}; ReplicaLag alarm at {lag_alarm_seconds} s",
    )


def _describe(facts: MechanismFacts) -> str:
    rpo = "no documented bound" if facts.rpo_seconds is None else f"~{facts.rpo_seconds} s"
    rto = "no documented bound" if facts.rto_seconds is None else f"~{facts.rto_seconds} s"
    return f"{facts.mechanism.value} (RPO {rpo}, RTO {rto})"


def plan_recovery(
    objectives: RecoveryObjectives | None,
    *,
    engine: DatabaseEngine,
    multi_az: bool,
    has_dr: bool,
    dr_read_replica: bool = False,
    path: str = "concern",
    dr_path: str = "dr_region",
    replica_lag_alarm_seconds: int | None = None,
) -> RecoveryPlan:
    """The mechanism that meets ``objectives`` with this configuration, or one ConfigError saying why not.

    ``path`` is the concern's key path (``cells.eu.concerns[1]``); messages name ``<path>.objectives.*``.
    ``replica_lag_alarm_seconds`` is the threshold of the ReplicaLag alarm on a cross-region replica: the
    replica's RPO bound (None: no alarm, no bound).
    """
    if objectives is None:
        raise ConfigError(
            f"{path}.objectives: None is not allowed; declare rpo_seconds and rto_seconds "
            "(load_stack_config fills in the environment's defaults)"
        )
    if dr_read_replica and (engine != "rds-instance" or not has_dr):
        raise ConfigError(
            f"{path}.dr_read_replica: True needs engine: rds-instance and a {dr_path}; "
            "Aurora uses a Global Database instead"
        )
    running = available_mechanisms(engine, multi_az=multi_az, has_dr=has_dr, dr_read_replica=dr_read_replica)
    dr_mechanisms = tuple(m for m in running if MECHANISMS[m].scope == "region")
    in_scope = [
        _bounded(MECHANISMS[m], replica_lag_alarm_seconds) for m in running if MECHANISMS[m].scope == objectives.scope
    ]
    # The fastest mechanism that meets both: the one the failover runbook uses (fintech_infra.dr_steps).
    for facts in sorted((f for f in in_scope if _meets(f, objectives)), key=lambda f: f.rto_seconds or 0)[:1]:
        if _meets(facts, objectives):
            return RecoveryPlan(
                mechanism=facts.mechanism,
                dr_mechanisms=dr_mechanisms,
                expected_rpo_seconds=int(facts.rpo_seconds or 0),
                expected_rto_seconds=int(facts.rto_seconds or 0),
                evidence=facts.evidence,
            )
    raise _unmet(objectives, in_scope, engine=engine, has_dr=has_dr, path=path, dr_path=dr_path)


def _unmet(
    objectives: RecoveryObjectives,
    in_scope: list[MechanismFacts],
    *,
    engine: DatabaseEngine,
    has_dr: bool,
    path: str,
    dr_path: str,
) -> ConfigError:
    if objectives.scope == "region" and not has_dr:
        return ConfigError(
            f"{path}.objectives.scope: 'region' needs a DR region, and {dr_path} is not set; set {dr_path} "
            "to a region the jurisdiction permits, or set objectives.scope: zone to accept losing the data "
            "with the region"
        )
    configured = "; ".join(_describe(facts) for facts in in_scope) or "none"
    failing = [
        (key, value)
        for key, value, limit in (
            ("rpo_seconds", objectives.rpo_seconds, [f.rpo_seconds for f in in_scope]),
            ("rto_seconds", objectives.rto_seconds, [f.rto_seconds for f in in_scope]),
        )
        if not any(bound is not None and bound <= value for bound in limit)
    ] or [("rpo_seconds", objectives.rpo_seconds)]
    key, value = failing[0]
    better = [
        facts
        for facts in MECHANISMS.values()
        if facts.scope == objectives.scope and _meets(facts, objectives) and facts not in in_scope
    ]
    bounds = [getattr(f, key) for f in MECHANISMS.values() if f.scope == objectives.scope]
    tightest = min((bound for bound in bounds if bound is not None), default=0)
    would = "; ".join(f"{facts.configure} -> {_describe(facts)}" for facts in better) or (
        f"no AWS mechanism documents a bound this tight for scope {objectives.scope!r}; "
        f"allowed: {key} of at least {tightest}"
    )
    return ConfigError(
        f"{path}.objectives.{key}: {value!r} cannot be met by engine: {engine}"
        f"{' with a dr_region' if has_dr else ''} ({configured}); would meet it: {would}"
    )
