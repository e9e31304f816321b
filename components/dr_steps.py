"""The steps of a cell's region-failover and failback runbooks, with the AWS-documented duration of each.

The runbooks (:mod:`fintech_infra.runbook`) are SSM Automation documents generated from what a cell
contains (:mod:`fintech_infra.runbook_steps` builds the steps from a :class:`CellShape`): a concern gets steps
for its DR mechanism, a cell without a concern gets none for it. This module holds what a step is, the
figures and the timing model, so the same step list gives the document, the computed RTO per concern
(:func:`computed_rto`, checked at plan time by :mod:`fintech_infra.config_checks`) and ``docs/dr.md``.

How the RTO is computed: the runbook starts every database's recovery first (each start is one API call),
then waits for each, so the long operations overlap; then it publishes the DR routing manifest, redeploys
the DR services at production capacity (they read the manifest at task start), and flips DNS. A step has a
*kind*: ``start`` (an asynchronous AWS operation; the step takes one API call, the operation runs on for
its figure), ``wait`` (blocks until the started operation is done) or ``sync`` (blocks for its figure).
A concern is recovered at the end of the last step that *serves* it. The durations come from
:data:`FIGURES`: where AWS documents a typical figure, the planning value is its upper end; where AWS
documents none, the value is a planning inference, marked as such, and the staging drills measure it.
Facts checked 2026-12-07.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fintech_infra._naming import child, physical
from fintech_infra.aws_facts import Fact, Source
from fintech_infra.config import CellConfig

__all__ = [
    "EXECUTE_SCRIPT_MAX_SECONDS",
    "FIGURES",
    "SCRIPT_NEEDS_YAML",
    "STEP_MAX_ATTEMPTS",
    "CellShape",
    "ConcernShape",
    "FailoverKind",
    "Step",
    "StepFigure",
    "cell_shape",
    "computed_rto",
    "recovery_figure",
]

EXECUTE_SCRIPT_MAX_SECONDS = Fact(
    600,
    "seconds one aws:executeScript attempt may run",
    Source(
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeScript.html",
        quote="Each aws:executeScript action can run up to a maximum duration of 600 seconds (10 minutes). You can "
        "limit the timeout by specifying the timeoutSeconds parameter for an aws:executeScript step.",
    ),
)
"""A verify script that may wait longer (a replica promotion's budget is 900 s) runs as several attempts."""

STEP_MAX_ATTEMPTS = Source(
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html",
    quote="maxAttempts: The number of times the step should be retried in case of failure. If the value is greater "
    "than 1, the step is not considered to have failed until all retry attempts have failed. The default value is 1. "
    "timeoutSeconds: The execution timeout value for the step. If the timeout is reached and the value of "
    "maxAttempts is greater than 1, then the step is not considered to have timed out until all retries have been "
    "attempted.",
)
"""Why a split wait keeps its whole budget: an attempt that times out is a failure, and the step is retried."""

SCRIPT_NEEDS_YAML = Source(
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeScript.html",
    quote="Script: An embedded script that you want to run during the automation. This parameter is not supported "
    "for JSON runbooks. JSON runbooks must provide script content using the Attachment input parameter.",
)
"""Why the runbooks are YAML documents: their verify, publish and DNS steps embed their scripts."""

FailoverKind = Literal["aurora-global", "promote-replica", "restore-backups"]
StepKind = Literal["start", "wait", "sync"]
Path = Literal["planned", "unplanned"]


@dataclass(frozen=True)
class StepFigure:
    """How long one kind of step takes, and on what evidence."""

    seconds: int
    figure: str
    source: str
    inference: bool = False
    """True when AWS documents no duration and the value is a planning estimate."""


_GLOBAL_FAILOVER = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html"
)
_PROMOTE = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html"
_PITR = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html"
_AUTOMATION = "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html"
_ECS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-options.html"
_EKS = "https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html"
_HEALTH = "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html"
_ELASTICACHE = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.html"

FIGURES: Mapping[str, StepFigure] = {
    "api-call": StepFigure(
        10,
        "one control-plane call by an aws:executeAwsApi step; AWS documents no latency, planned at 10 s",
        _AUTOMATION,
        inference=True,
    ),
    "aurora-global-failover": StepFigure(
        60,
        "managed failover of an Aurora global database promotes the secondary cluster, typically in about a "
        "minute (RTO in minutes; RPO the replication lag, typically under 1 second)",
        _GLOBAL_FAILOVER,
    ),
    "aurora-global-switchover": StepFigure(
        300,
        "switchover (planned) waits for the secondary to synchronise before promoting it: RPO 0, takes longer "
        "than a failover; AWS gives no figure, planned at 5 minutes",
        _GLOBAL_FAILOVER,
        inference=True,
    ),
    "replica-promotion": StepFigure(
        300,
        "promoting a read replica 'can take several minutes or longer' depending on its size and pending "
        "replication; planned at 5 minutes, measured by every staging rehearsal",
        _PROMOTE,
        inference=True,
    ),
    "pitr-restore": StepFigure(
        4 * 3600,
        "a point-in-time restore from replicated automated backups builds a new instance; no documented "
        "duration, planned at 4 h (as fintech_infra.recovery)",
        _PITR,
        inference=True,
    ),
    "ecs-redeploy": StepFigure(
        240,
        "UpdateService with forceNewDeployment and the production desiredCount; tasks start, pass the target "
        "group health check and the deployment completes; AWS gives no figure, planned at 4 minutes",
        _ECS,
        inference=True,
    ),
    "eks-scale": StepFigure(
        300,
        "UpdateNodegroupConfig to the production size; new nodes launch and join, then the workloads' pods "
        "(scaled by their autoscalers) schedule; AWS gives no figure, planned at 5 minutes",
        _EKS,
        inference=True,
    ),
    "cache-standby-check": StepFigure(
        10,
        "the DR region's replication group is already running (warm standby): one describe call",
        _ELASTICACHE,
    ),
    "dns-failover": StepFigure(
        150,
        "an inverted health check is reported unhealthy after failure_threshold x request_interval (3 x 30 s "
        "by default) and resolvers follow the SECONDARY alias after its 60 s TTL",
        _HEALTH,
    ),
}


@dataclass(frozen=True)
class ConcernShape:
    """One concern's database as the runbooks see it (plain values, known before anything is registered)."""

    concern: str
    kind: FailoverKind
    identifier: str
    """The primary instance or cluster identifier."""
    dr_identifier: str
    """The DR replica's or secondary cluster's identifier; for a restore, the instance the restore creates."""
    global_identifier: str | None = None


@dataclass(frozen=True)
class CellShape:
    """What a cell contains, for its runbooks."""

    cell: str
    primary_region: str
    dr_region: str
    concerns: tuple[ConcernShape, ...]
    compute: Literal["ecs", "eks"]
    services: Mapping[str, int]
    """ECS service name to production task count (EKS: node group's production size under ``nodes``)."""
    cache_standby: bool
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One runbook step: the Automation step's body without name/timeout/onFailure, plus its timing."""

    name: str
    action: str
    inputs: Mapping[str, Any]
    figure: str
    kind: StepKind = "sync"
    operation: str | None = None
    """What a ``start`` step starts and a ``wait`` step waits for."""
    serves: tuple[str, ...] = ()
    """Concerns recovered once this step completes (with the steps before it)."""
    path: Path | None = None
    """Only on the planned (switchover) or unplanned (failover) path; None: both."""
    idempotent: str = ""
    """Why running it twice is harmless."""
    on_failure: str = "Abort"
    outputs: tuple[Mapping[str, str], ...] = field(default=())

    @property
    def budget_seconds(self) -> int:
        """Three times the planning figure: a slow step is tolerated, a stuck one stops the runbook."""
        return max(60, 3 * FIGURES[self.figure].seconds)

    @property
    def timeout_seconds(self) -> int:
        """One attempt's ``timeoutSeconds``: the budget, except that AWS stops an ``aws:executeScript`` attempt at
        :data:`EXECUTE_SCRIPT_MAX_SECONDS`, so a longer wait is split into attempts of that length."""
        if self.action == "aws:executeScript":
            return min(self.budget_seconds, EXECUTE_SCRIPT_MAX_SECONDS.value)
        return self.budget_seconds

    @property
    def max_attempts(self) -> int:
        """``maxAttempts``: as many attempts of :attr:`timeout_seconds` as the budget needs (1 for most steps). Only
        read-only polls run long (the verify scripts), so a repeated attempt repeats a read."""
        return -(-self.budget_seconds // self.timeout_seconds)


def recovery_figure(concern: ConcernShape) -> str:
    """The figure of the step that makes ``concern``'s DR copy the writer."""
    return {
        "aurora-global": "aurora-global-failover",
        "promote-replica": "replica-promotion",
        "restore-backups": "pitr-restore",
    }[concern.kind]


def computed_rto(steps: Sequence[Step], *, path: Path = "unplanned") -> dict[str, int]:
    """Seconds until each served concern is recovered, walking the steps on one path in document order."""
    now = 0
    done: dict[str, int] = {}
    recovered: dict[str, int] = {}
    for step in steps:
        if step.path is not None and step.path != path:
            continue
        figure = FIGURES[step.figure].seconds
        if step.kind == "start":
            now += FIGURES["api-call"].seconds
            done[step.operation or step.name] = now + figure
        elif step.kind == "wait":
            now = max(now, done.get(step.operation or step.name, now)) + FIGURES["api-call"].seconds
        else:
            now += figure
        for concern in step.serves:
            recovered[concern] = now
    return recovered


def cell_shape(cell: str, config: CellConfig) -> CellShape | None:
    """The runbooks' view of a cell config (None without a DR region): known before anything is registered."""
    if config.dr_region is None:
        return None
    concerns = []
    for settings in config.concerns:
        name = child(cell, settings.concern.value)
        kind: FailoverKind = (
            "aurora-global"
            if settings.engine == "aurora"
            else "promote-replica"
            if settings.dr_read_replica
            else "restore-backups"
        )
        concerns.append(
            ConcernShape(
                settings.concern.value,
                kind,
                physical(name),
                physical(name, "dr"),
                physical(name, "global") if kind == "aurora-global" else None,
            )
        )
    compute = config.compute
    services = (
        {service.name: service.min_tasks for service in compute.services}
        if compute.kind == "ecs"
        else {"nodes": compute.node_min}
    )
    return CellShape(
        cell=cell,
        primary_region=config.primary_region,
        dr_region=config.dr_region,
        concerns=tuple(concerns),
        compute=compute.kind,
        services=services,
        cache_standby=config.redis.dr_nodes > 0,
        entities=tuple(entity.name for entity in config.entities),
    )
