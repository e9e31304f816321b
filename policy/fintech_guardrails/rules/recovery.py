"""Recovery objectives: each concern's declared RPO/RTO is achievable with the DR mechanisms deployed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import as_list, dig, is_unknown
from fintech_guardrails.registry import dora, stack_rule
from fintech_guardrails.rules.databases import primaries

_RECOVERY = facts.load("recovery")

# The library's mechanism names (data/recovery.json, with each figure's AWS source). A point-in-time
# restore from automated backups is what the library calls a single-AZ instance's mechanism.
MULTI_AZ = "multi-az-instance"
AURORA_MULTI_AZ = "aurora-multi-az-cluster"
POINT_IN_TIME_RESTORE = "single-az-instance"
AURORA_GLOBAL = "aurora-global-database"
CROSS_REGION_REPLICA = "cross-region-read-replica"
BACKUP_REPLICATION = "automated-backups-replication"
BACKUP_COPY = "aws-backup-cross-region-copy"

MECHANISMS: dict[str, dict[str, int | None]] = {
    name: {"rpo": entry["rpoSeconds"], "rto": entry["rtoSeconds"]} for name, entry in _RECOVERY["mechanisms"].items()
}
"""Planning RPO/RTO in seconds per mechanism; None where AWS documents no bound (never meets an objective)."""
ZONE_MECHANISMS = frozenset(name for name, entry in _RECOVERY["mechanisms"].items() if entry["scope"] == "zone")
CONCERNS = frozenset(_RECOVERY["concerns"])
INFINITE = math.inf


@dataclass(frozen=True)
class Capability:
    mechanism: str
    rpo: float
    rto: float


def _other_region(a: Node, b: Node) -> bool | None:
    ra, rb = a.region, b.region
    if is_unknown(ra) or is_unknown(rb) or not ra or not rb:
        return None
    return bool(ra != rb)


def _replica_lag_bound(stack: Stack, replica: Node) -> float:
    """A cross-region replica's RPO is bounded only by a ReplicaLag alarm that watches it."""
    bound = INFINITE
    for alarm in stack.of_type(t.METRIC_ALARM):
        if alarm.get("metricName") != "ReplicaLag":
            continue
        if replica in stack.refs(alarm, "dimensions") or replica.get("identifier") in (
            dig(alarm.props, "dimensions", "DBInstanceIdentifier"),
        ):
            threshold = alarm.get("threshold")
            if isinstance(threshold, (int, float)):
                bound = min(bound, float(threshold))
    return bound


def _seconds(value: float | None) -> float:
    return INFINITE if value is None else float(value)


def capabilities(stack: Stack, db: Node, figures: dict[str, dict[str, float | None]]) -> tuple[list[Capability], bool]:
    """Recovery mechanisms protecting ``db`` (zone- and region-scoped), and whether some are still unknown."""
    found: list[Capability] = []
    waiting = False

    def add(name: str, rpo: float | None = None) -> None:
        figure = figures[name]
        found.append(Capability(name, rpo if rpo is not None else _seconds(figure["rpo"]), _seconds(figure["rto"])))

    if db.get("multiAz") is True:
        add(MULTI_AZ)
    if db.type == t.RDS_CLUSTER and len(stack.referrers(db, t.RDS_CLUSTER_INSTANCE, prop="clusterIdentifier")) >= 2:
        add(AURORA_MULTI_AZ)
    retention = db.get("backupRetentionPeriod")
    if isinstance(retention, (int, float)) and retention >= 1:
        add(POINT_IN_TIME_RESTORE)
    if db.type == t.RDS_CLUSTER:
        for global_cluster in stack.refs(db, "globalClusterIdentifier", t.RDS_GLOBAL_CLUSTER):
            for member in stack.referrers(global_cluster, t.RDS_CLUSTER, prop="globalClusterIdentifier"):
                other = _other_region(db, member)
                waiting |= other is None
                if other:
                    add(AURORA_GLOBAL)
    for replica in stack.referrers(db, t.RDS_INSTANCE, prop="replicateSourceDb"):
        other = _other_region(db, replica)
        waiting |= other is None
        if other:
            add(CROSS_REGION_REPLICA, _replica_lag_bound(stack, replica))
    for replication in stack.referrers(db, t.RDS_BACKUP_REPLICATION, prop="sourceDbInstanceArn"):
        other = _other_region(db, replication)
        waiting |= other is None
        if other:
            add(BACKUP_REPLICATION)
    for selection in stack.of_type(t.BACKUP_SELECTION):
        if db not in stack.refs(selection, "resources"):
            continue
        for plan in stack.refs(selection, "planId", t.BACKUP_PLAN):
            rules = as_list(plan.get("rules"))
            copies = (
                [copy for rule in rules if isinstance(rule, dict) for copy in as_list(rule.get("copyActions")) or []]
                if isinstance(rules, list)
                else []
            )
            vaults = [vault for vault in stack.refs(plan, "rules", t.BACKUP_VAULT) if _other_region(db, vault)]
            if copies and vaults:
                add(BACKUP_COPY)
    return found, waiting


def default_objectives(environment: str, concern: str, *, has_dr_region: bool) -> dict[str, Any]:
    """The library's objectives for a concern that config declares none for: {rpoSeconds, rtoSeconds, scope}."""
    defaults = _RECOVERY["defaultObjectives"][environment][concern]
    return dict(defaults["withDrRegion" if has_dr_region else "withoutDrRegion"])


def _has_dr_region(stack: Stack, db: Node) -> bool:
    """Whether the database's cell deploys anything outside the database's region (its DR region)."""
    code, region = stack.jurisdiction(db), db.region
    if not isinstance(region, str) or is_unknown(region):
        return True
    return any(
        isinstance(node.region, str) and not is_unknown(node.region) and node.region != region
        for node in stack.nodes
        if node.custom and stack.jurisdiction(node) == code
    )


@stack_rule(
    name="recovery-objectives-achievable",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures and methods"),
    tags=("DORA Art. 11", "PCI DSS 4.0.1 12.10.1", "APRA CPS 230"),
    config={
        "objectives": {
            "type": "object",
            "description": (
                "Declared objectives per concern ({concern: {rpoSeconds, rtoSeconds, scope}}); "
                "default: the library's defaults for the environment and concern (data/recovery.json)."
            ),
        },
        "mechanisms": {
            "type": "object",
            "default": MECHANISMS,
            "description": (
                "RPO/RTO per mechanism in seconds ({mechanism: {rpo, rto}}); null where AWS documents no bound "
                "(a cross-region replica's RPO is then bounded only by a ReplicaLag alarm on it)."
            ),
        },
    },
    remediation=(
        "Choose a DR mode that meets the concern's objectives (Aurora global for sub-minute RPO), or declare "
        "objectives the deployed mechanism can meet."
    ),
)
def recovery_objectives(stack: Stack, out: Findings) -> None:
    """Each database's declared RPO and RTO are achievable with the recovery mechanisms deployed.

    Objectives scoped to the region (prod, or any cell with a DR region) count only cross-region mechanisms:
    an Aurora global database secondary in another region; a cross-region read replica (RPO bounded only by
    a ReplicaLag alarm on it; AWS documents no promotion time, so it meets an RTO only when config gives it
    one); cross-region automated-backup replication; an AWS Backup copy to a vault in another region.
    Zone-scoped objectives (non-prod cells without a DR region) also count Multi-AZ, two or more Aurora
    instances and point-in-time restore. The figures are the library's (``data/recovery.json``), overridable
    in config. Objectives come from config per concern ({rpoSeconds, rtoSeconds, scope}), else the library's
    defaults. Unknown regions are pending.
    """
    figures = {**MECHANISMS, **(stack.settings.value("mechanisms") or {})}
    declared = stack.settings.value("objectives") or {}
    for db in primaries(stack):
        concern = stack.concern(db)
        if concern is None or concern not in CONCERNS:
            continue  # concern-separation reports an untagged database
        override = declared.get(concern) if isinstance(declared, dict) else None
        found, waiting = capabilities(stack, db, figures)
        if isinstance(override, dict):
            rpo, rto = float(override.get("rpoSeconds", INFINITE)), float(override.get("rtoSeconds", INFINITE))
            scope = str(override.get("scope", "region"))
        else:
            has_dr_region = _has_dr_region(stack, db)
            objectives = default_objectives(stack.settings.environment, concern, has_dr_region=has_dr_region)
            rpo, rto = float(objectives["rpoSeconds"]), float(objectives["rtoSeconds"])
            scope = str(objectives["scope"])
        if scope != "zone":
            found = [capability for capability in found if capability.mechanism not in ZONE_MECHANISMS]
        best_rpo = min((c.rpo for c in found), default=INFINITE)
        best_rto = min((c.rto for c in found), default=INFINITE)
        if best_rpo <= rpo and best_rto <= rto:
            continue
        if waiting:
            out.wait("the region of a DR copy", db.urn)
            continue
        if best_rpo > rpo:
            shown = "no bound" if best_rpo == INFINITE else f"{best_rpo:.0f} s"
            out.fail(
                f"the declared RPO of {rpo:.0f} s for {concern} is not achievable (deployed mechanisms: {shown})",
                db.urn,
            )
        if best_rto > rto:
            shown = "no bound" if best_rto == INFINITE else f"{best_rto:.0f} s"
            out.fail(
                f"the declared RTO of {rto:.0f} s for {concern} is not achievable (deployed mechanisms: {shown})",
                db.urn,
            )
