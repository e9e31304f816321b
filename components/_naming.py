"""Child resource names: one pattern, so a logical name never depends on a value that may change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["AUTONAMED", "DerivedName", "NamePattern", "cell_autonamed", "child", "physical"]

_ROLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def child(name: str, role: str) -> str:
    """The logical name of a component's child: ``f"{name}-{role}"`` with a kebab-case role.

    Per-AZ children use the AZ name as (part of) the role, never a list index, so that adding an AZ
    replaces nothing.
    """
    if not _ROLE.match(role):
        raise ValueError(f"role {role!r} must be kebab-case letters and digits")
    return f"{name}-{role}"


def physical(*parts: str, limit: int = 63) -> str:
    """A deterministic physical name (snapshot ids, aliases) from stable parts; no timestamps, no randomness."""
    text = "-".join(part.strip("-") for part in parts if part)
    text = re.sub(r"[^a-zA-Z0-9-]+", "-", text).strip("-").lower()
    if not text or not text[0].isalpha():
        text = f"x-{text}"
    return text[:limit].rstrip("-")


# -- Physical names Pulumi derives from logical names --------------------------------------------------------
#
# For an auto-named resource AWS sees the logical name plus Pulumi's random suffix, so a cell or service name
# that is too long fails at `pulumi up`, after other resources were created. The patterns below are the
# logical names the components give every auto-named resource whose name contains a config value; the
# validation pass checks them against the limits in fintech_infra.aws_facts.NAME_LIMITS before anything is
# registered. tests/components/test_naming.py synthesizes stacks of every shape and fails if a component
# registers an auto-named resource these patterns do not predict, so the two cannot drift apart.


@dataclass(frozen=True)
class NamePattern:
    """One auto-named child: its type token, its logical name, and when a cell has it."""

    type_token: str
    template: str
    """``{cell}``, ``{region}`` (the cell, or ``<cell>-dr`` in the DR region), ``{service}``, ``{concern}``."""
    scope: Literal["cell", "region", "service", "concern", "queue", "bucket", "migration"]
    """What it repeats over: once per cell, per region of the cell, per service and region, per concern, per queue
    or bucket (``{queue}``, ``{bucket}``; the primary region only), per concern with a migration task
    (``{concern}``; the primary region only)."""
    when: Literal["always", "ecs", "eks", "blue_green", "gitops", "dr", "dr_cache", "drills", "schedules"] = "always"
    """``gitops``: an EKS cell with Argo CD (``compute.gitops`` set); ``dr``: a cell with a DR region; ``dr_cache``: one
    with a warm-standby cache there (``redis.dr_nodes`` > 0); ``drills``, ``schedules``: a cell with FIS drills,
    with their schedules (:func:`fintech_infra.dr_config.rehearsals`)."""


_IAM_ROLE, _BUCKET, _TOPIC = "aws:iam/role:Role", "aws:s3/bucket:Bucket", "aws:sns/topic:Topic"
_ALB, _TG = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"
_QUEUE = "aws:sqs/queue:Queue"

AUTONAMED: tuple[NamePattern, ...] = (
    NamePattern(_TOPIC, "{region}-alarms-critical-topic", "region"),
    NamePattern(_TOPIC, "{region}-alarms-warning-topic", "region"),
    NamePattern(_IAM_ROLE, "{region}-vpc-flow-logs-role", "region"),
    NamePattern(_ALB, "{region}-edge-alb", "region"),
    NamePattern(_BUCKET, "{region}-edge-access-logs-bucket", "region"),
    NamePattern(_BUCKET, "{cell}-access-logs-bucket", "cell"),
    NamePattern(_BUCKET, "{cell}-audit-bucket-bucket", "cell"),
    NamePattern(_BUCKET, "{cell}-config-bucket", "cell"),
    NamePattern(_IAM_ROLE, "{region}-security-config-role", "region"),
    NamePattern("aws:cloudwatch/eventRule:EventRule", "{region}-security-high-findings", "region"),
    NamePattern(_IAM_ROLE, "{cell}-audit-logs-role", "cell"),
    NamePattern(_TOPIC, "{cell}-audit-notifications", "cell"),
    NamePattern(_BUCKET, "{cell}-dr-access-logs-bucket", "cell", "dr"),
    NamePattern(_BUCKET, "{cell}-audit-replica-bucket-bucket", "cell", "dr"),
    NamePattern(_IAM_ROLE, "{cell}-audit-replica-role", "cell", "dr"),
    NamePattern(_IAM_ROLE, "{cell}-backup-role", "cell"),
    NamePattern(_IAM_ROLE, "{cell}-cache-rotation-role", "cell"),
    NamePattern(_IAM_ROLE, "{cell}-{concern}-monitoring", "concern"),
    NamePattern(_TG, "{region}-edge-{service}-tg", "service"),
    NamePattern(_TG, "{region}-edge-{service}-tg-alt", "service", "blue_green"),
    NamePattern(_IAM_ROLE, "{region}-{service}-execution-role", "service", "ecs"),
    NamePattern(_IAM_ROLE, "{region}-{service}-task-role", "service", "ecs"),
    NamePattern(_IAM_ROLE, "{region}-{service}-infrastructure-role", "service", "blue_green"),
    NamePattern(_IAM_ROLE, "{region}-eks-platform-{service}-app-role", "service", "eks"),
    NamePattern(_IAM_ROLE, "{region}-eks-platform-lbc-role", "region", "eks"),
    NamePattern(_IAM_ROLE, "{region}-eks-platform-argocd-repo-role", "region", "gitops"),
    NamePattern(_IAM_ROLE, "{region}-eks-cluster-role", "region", "eks"),
    NamePattern(_IAM_ROLE, "{region}-eks-node-role", "region", "eks"),
    NamePattern(_IAM_ROLE, "{region}-eks-cni-role", "region", "eks"),
    NamePattern(_QUEUE, "{cell}-{queue}-queue-sqs", "queue"),
    NamePattern(_QUEUE, "{cell}-{queue}-queue-dlq", "queue"),
    NamePattern(_BUCKET, "{cell}-{bucket}-bucket-data-bucket", "bucket"),
    NamePattern(_BUCKET, "{cell}-{bucket}-bucket-dr-bucket", "bucket", "dr"),
    NamePattern(_IAM_ROLE, "{cell}-{bucket}-bucket-replication", "bucket", "dr"),
    NamePattern(_IAM_ROLE, "{cell}-migrate-{concern}-execution-role", "migration"),
    NamePattern(_IAM_ROLE, "{cell}-migrate-{concern}-task-role", "migration"),
    NamePattern(_IAM_ROLE, "{cell}-{concern}-role-bootstrap-role", "migration"),
    NamePattern(_IAM_ROLE, "{cell}-runbooks-role", "cell", "dr"),
    NamePattern(_IAM_ROLE, "{cell}-dr-cache-rotation-role", "cell", "dr_cache"),
    NamePattern(_IAM_ROLE, "{cell}-drills-role", "cell", "drills"),
    NamePattern(_IAM_ROLE, "{cell}-schedules-role", "cell", "schedules"),
)
"""Every auto-named child whose logical name carries a config value (cell, service or concern name)."""


@dataclass(frozen=True)
class DerivedName:
    """A logical name one cell's config gives an auto-named resource, and the config values in it."""

    type_token: str
    logical: str
    service: str | None = None
    """The service whose name is in it, if any (the cell's name always is)."""


def cell_autonamed(
    cell: str,
    *,
    has_dr: bool,
    compute: Literal["ecs", "eks"],
    services: Sequence[tuple[str, bool]] = (),
    concerns: Sequence[str] = (),
    gitops: bool = False,
    queues: Sequence[str] = (),
    buckets: Sequence[str] = (),
    migrations: Sequence[str] = (),
    dr_cache: bool = False,
    rehearsals: Sequence[Literal["drills", "schedules", "restore_tests"]] = (),
) -> list[DerivedName]:
    """The logical names of cell ``cell``'s auto-named children.

    ``services`` are ``(name, blue_green)``; ``concerns`` the cell's data concerns; ``gitops`` whether an EKS
    cell runs Argo CD; ``queues`` and ``buckets`` the names of its queues and application-data buckets;
    ``migrations`` the concerns with a migration task; ``dr_cache`` whether it runs a warm-standby cache in its DR
    region; ``rehearsals`` which of FIS drills, their schedules and restore tests it has.
    """
    regions = [cell, f"{cell}-dr"] if has_dr else [cell]
    names: list[DerivedName] = []
    for pattern in AUTONAMED:
        if pattern.when in ("ecs", "eks") and pattern.when != compute:
            continue
        if pattern.when == "gitops" and not (compute == "eks" and gitops):
            continue
        if pattern.when == "dr" and not has_dr:
            continue
        if pattern.when == "dr_cache" and not (has_dr and dr_cache):
            continue
        if pattern.when in ("drills", "schedules") and pattern.when not in rehearsals:
            continue
        if pattern.scope == "cell":
            names.append(DerivedName(pattern.type_token, pattern.template.format(cell=cell)))
        elif pattern.scope == "region":
            names += [DerivedName(pattern.type_token, pattern.template.format(region=r)) for r in regions]
        elif pattern.scope == "queue":
            names += [DerivedName(pattern.type_token, pattern.template.format(cell=cell, queue=q)) for q in queues]
        elif pattern.scope == "bucket":
            names += [DerivedName(pattern.type_token, pattern.template.format(cell=cell, bucket=b)) for b in buckets]
        elif pattern.scope == "migration":
            names += [
                DerivedName(pattern.type_token, pattern.template.format(cell=cell, concern=c)) for c in migrations
            ]
        elif pattern.scope == "concern":
            for concern in concerns:
                names.append(DerivedName(pattern.type_token, pattern.template.format(cell=cell, concern=concern)))
        else:
            for service, blue_green in services:
                if pattern.when == "blue_green" and not blue_green:
                    continue
                names += [
                    DerivedName(pattern.type_token, pattern.template.format(region=r, service=service), service)
                    for r in regions
                ]
    return names
