"""Engine and Kubernetes versions against AWS's support calendars, judged on the day the program runs.

The calendars are data (:mod:`fintech_infra.aws_facts`); these functions read them for a given ``today``, so a
version that leaves standard support is refused from that day on without a code change. Each ``*_problem``
function returns why a value is refused (the text after the key path and value in a ConfigError), or None.

PostgreSQL (RDS and Aurora):

- a major past its end of RDS standard support is refused. AWS would still create it and enrol it in RDS
  Extended Support, billed per vCPU-hour (``engine_lifecycle_support`` defaults to enrolment); with Extended
  Support disabled, AWS refuses the create and, for a running database, forces a major upgrade at the end date.
  Neither is a default a regulated platform should get silently, so there is no opt-in here: upgrade the major.
- a major alone (``"16"``) is the default: RDS picks the newest default minor and upgrades minors in the
  maintenance window, and the provider reports no drift while the actual version starts with ``16.``.
- a pinned RDS minor older than the oldest one RDS still creates is refused (AWS deprecates minors).
- an Aurora global cluster takes a full version (the provider stores the actual one on every read):
  :func:`aurora_global_version` is the pinned one given, or the long-term-support minor known for the major.

EKS: the cluster sets ``upgradePolicy.supportType = STANDARD`` (:class:`~fintech_infra.eks.EksCluster`), so a
version must be in standard support today; one in extended support, or past it, is refused.
"""

from __future__ import annotations

import datetime as dt
import re

from fintech_infra import aws_facts
from fintech_infra.aws_facts import SupportWindow, support_status

__all__ = [
    "aurora_global_version",
    "aurora_global_version_problem",
    "eks_version_problem",
    "postgres_major",
    "postgres_version_problem",
    "standard_eks_versions",
    "standard_postgres_majors",
]

_CALENDAR_RAN_OUT = "none in standard support in the calendar (add newer versions to fintech_infra.aws_facts.{})"
_POSTGRES = re.compile(r"^(?P<major>\d{2})(\.(?P<minor>\d+))?$")


def postgres_major(version: str) -> int:
    """The major of ``"16"`` or ``"16.8"``; -1 for anything else."""
    match = _POSTGRES.fullmatch(version)
    return int(match["major"]) if match else -1


def standard_postgres_majors(today: dt.date) -> list[int]:
    """PostgreSQL majors in RDS standard support on ``today``."""
    return [
        major for major, window in aws_facts.POSTGRES_VERSIONS.items() if support_status(window, today) == "standard"
    ]


def _left(service: str, window: SupportWindow, today: dt.date) -> str:
    left = f"left {service} standard support on {window.end_of_standard_support.isoformat()}"
    if support_status(window, today) == "extended" or window.end_of_extended_support is None:
        return left
    return f"{left} and extended support on {window.end_of_extended_support.isoformat()}"


def postgres_version_problem(engine: str, version: str, *, today: dt.date) -> str | None:
    """Why RDS (``engine`` ``rds-instance``) or Aurora (``aurora``) should not get ``version`` on ``today``."""
    match = _POSTGRES.fullmatch(version)
    majors = ", ".join(map(str, standard_postgres_majors(today))) or _CALENDAR_RAN_OUT.format("POSTGRES_VERSIONS")
    if match is None:
        return f"is not a PostgreSQL version; allowed: a major ({majors}) or major.minor"
    major = int(match["major"])
    window = aws_facts.POSTGRES_VERSIONS.get(major)
    if window is None:
        return f"is not a PostgreSQL major in the RDS release calendar; allowed majors: {majors}"
    status = support_status(window, today)
    if status != "standard":
        billed = " (RDS would bill Extended Support for it)" if status == "extended" else ""
        return f"{_left('RDS', window, today)}{billed}; allowed majors: {majors}"
    oldest = aws_facts.POSTGRES_MIN_CREATABLE_MINOR.get(major)
    minor = match["minor"]
    if engine == "rds-instance" and minor is not None and oldest is not None and int(minor) < int(oldest.split(".")[1]):
        return (
            f"is a minor RDS no longer creates instances on; allowed: {major!s} (RDS picks and upgrades the "
            f"minor) or {oldest} and newer"
        )
    return None


def aurora_global_version(version: str) -> str:
    """The full version an Aurora global cluster is created on: ``version`` if pinned, else the major's known one."""
    match = _POSTGRES.fullmatch(version)
    if match is not None and match["minor"] is not None:
        return version
    return aws_facts.AURORA_GLOBAL_ENGINE_VERSIONS[postgres_major(version)]


def aurora_global_version_problem(version: str) -> str | None:
    """Why ``version`` cannot start an Aurora global cluster (a major with no known full version), or None."""
    if postgres_major(version) in aws_facts.AURORA_GLOBAL_ENGINE_VERSIONS or "." in version:
        return None
    known = ", ".join(f"{major} ({full})" for major, full in aws_facts.AURORA_GLOBAL_ENGINE_VERSIONS.items())
    return (
        "has no known full version for an Aurora global cluster (engine aurora with a dr_region), which needs one; "
        f"allowed: a full version such as '{aws_facts.AURORA_GLOBAL_ENGINE_VERSION}', or a major with a known one: "
        f"{known}"
    )


def standard_eks_versions(today: dt.date) -> list[str]:
    """EKS Kubernetes versions in standard support on ``today``."""
    return [
        version for version, window in aws_facts.EKS_VERSIONS.items() if support_status(window, today) == "standard"
    ]


def eks_version_problem(version: str, *, today: dt.date) -> str | None:
    """Why an EKS cluster with ``upgradePolicy.supportType = STANDARD`` should not run ``version`` on ``today``."""
    versions = ", ".join(standard_eks_versions(today)) or _CALENDAR_RAN_OUT.format("EKS_VERSIONS")
    window = aws_facts.EKS_VERSIONS.get(version)
    if window is None:
        return f"is not in the EKS release calendar; allowed: {versions}"
    status = support_status(window, today)
    if status == "standard":
        return None
    if status == "extended":
        return (
            f"{_left('EKS', window, today)}; EksCluster sets upgradePolicy.supportType STANDARD, which AWS does not "
            f"allow for a version in extended support; allowed: {versions}"
        )
    return f"{_left('EKS', window, today)}; allowed: {versions}"
