"""Deployability: engine and Kubernetes versions against AWS's support calendars, on the day the pack runs.

The calendars come from ``data/aws_facts.json`` (generated from the library's ``aws_facts``, each date with its
source). "Today" is the pack settings' ``today`` (pinnable in config, the real date otherwise), so a version
turns from compliant to advisory (within ``warnDays`` of its end of standard support: the
``*-support-ending`` rules, advisory by design) to mandatory (past it: the ``*-supported`` rules) without a
code change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule

__all__ = ["postgres_window", "support_end"]

_FACTS = facts.load("aws_facts")
_POSTGRES: dict[str, dict[str, Any]] = _FACTS["postgres_versions"]
_MIN_MINOR: dict[str, str] = _FACTS["postgres_min_creatable_minor"]["minors"]
_EKS: dict[str, dict[str, Any]] = _FACTS["eks_versions"]
_POSTGRES_ENGINES = ("postgres", "aurora-postgresql")
_VERSION = re.compile(r"^(?P<major>\d+)(\.(?P<minor>\d+))?")
DATABASES = (t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_GLOBAL_CLUSTER)

_WARN_DAYS = {
    "warnDays": {
        "type": "integer",
        "minimum": 1,
        "maximum": 730,
        "default": 90,
        "description": "Days before the end of standard support from which the version is reported; default 90.",
    }
}
_PATCHES = pci("6.3.3", "Security vulnerabilities are addressed by installing applicable security patches")


def support_end(window: dict[str, Any], which: str = "end_of_standard_support") -> dt.date | None:
    value = window.get(which)
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def postgres_window(r: Resource, out: Findings) -> tuple[dict[str, Any], str | None] | None:
    """The calendar window of a PostgreSQL database's major, and its pinned minor; None when not judged.

    Not judged: another engine, no ``engineVersion`` (the engine's current default), a replica (no engine: it
    runs its source's version). A version the calendar does not list is a violation here.
    """
    engine, version = r.get("engine"), r.get("engineVersion")
    if is_unknown(engine) or is_unknown(version):
        out.wait("engine" if is_unknown(engine) else "engineVersion")
        return None
    if engine not in _POSTGRES_ENGINES or not isinstance(version, str):
        return None
    match = _VERSION.match(version)
    window = _POSTGRES.get(match["major"]) if match else None
    if match is None or window is None:
        out.fail("engineVersion must be a PostgreSQL major in the RDS release calendar")
        return None
    return window, match["minor"]


@resource_rule(
    types=DATABASES,
    name="rds-engine-version-supported",
    severity=Severity.HIGH,
    framework=_PATCHES,
    tags=("deployability", "DORA Art. 9", "checkov:CKV_AWS_250", "checkov:CKV_AWS_388"),
    remediation="Use DatabaseSettings.engine_version = a major in standard support (the default, '16'); RDS then "
    "picks and upgrades the minor.",
    url=_POSTGRES["16"]["source"]["url"],
)
def rds_engine_version_supported(r: Resource, out: Findings) -> None:
    """PostgreSQL databases run a major in RDS standard support and, on RDS instances, a minor RDS still creates.

    Judged on the pack's `today`: past its major's end of standard support a database is billed RDS Extended
    Support (or, with it disabled, refused at creation and later force-upgraded). `engineVersion` unset means the
    engine's current default and passes; other engines and read replicas (which run their source's version) are
    not judged. Unknown values are pending.
    """
    found = postgres_window(r, out)
    if found is None:
        return
    window, minor = found
    end = support_end(window)
    if end is not None and r.settings.today > end:
        out.fail(f"engineVersion's major left RDS standard support on {end.isoformat()}; upgrade the major")
        return
    major = str(r.get("engineVersion")).split(".")[0]
    oldest = _MIN_MINOR.get(major)
    pinned_rds_minor = r.type == t.RDS_INSTANCE and r.get("engine") == "postgres" and minor is not None
    if pinned_rds_minor and oldest is not None and int(str(minor)) < int(oldest.split(".")[1]):
        out.fail(f"engineVersion pins a minor RDS no longer creates instances on (oldest: {oldest}); give the major")


@resource_rule(
    types=DATABASES,
    name="rds-engine-version-support-ending",
    severity=Severity.MEDIUM,
    framework=_PATCHES,
    tags=("deployability",),
    config=_WARN_DAYS,
    enforcement=EnforcementLevel.ADVISORY,
    remediation="Plan the major upgrade (new parameter group family, allow_major_version_upgrade) before the date.",
    url=_POSTGRES["16"]["source"]["url"],
)
def rds_engine_version_support_ending(r: Resource, out: Findings) -> None:
    """PostgreSQL majors are not within `warnDays` of their end of RDS standard support (advisory).

    Advisory by design (every environment's config keeps it so): the warning before `rds-engine-version-supported`
    turns mandatory. Unset or unjudged versions pass as there; unknown values are pending.
    """
    found = postgres_window(r, Findings())
    if found is None:
        if is_unknown(r.get("engineVersion")) or is_unknown(r.get("engine")):
            out.wait("engineVersion")
        return
    end = support_end(found[0])
    today, warn = r.settings.today, int(r.settings.value("warnDays"))
    if end is not None and today <= end <= today + dt.timedelta(days=warn):
        out.fail(f"engineVersion's major leaves RDS standard support on {end.isoformat()}; plan the major upgrade")


def _eks_window(r: Resource, out: Findings) -> dict[str, Any] | None:
    version = r.get("version")
    if is_unknown(version):
        out.wait("version")
        return None
    if version is None:
        return None  # EKS creates the cluster on its current default version
    window = _EKS.get(str(version))
    if window is None:
        out.fail("version must be a Kubernetes version in the EKS release calendar")
    return window


@resource_rule(
    types=(t.EKS_CLUSTER,),
    name="eks-version-supported",
    severity=Severity.HIGH,
    framework=_PATCHES,
    tags=("deployability", "DORA Art. 9", "checkov:CKV_AWS_339"),
    remediation="Use EksSettings.version in standard support (the default is aws_facts.EKS_DEFAULT_VERSION); "
    "upgrade one minor version at a time.",
    url=_EKS["1.35"]["source"]["url"],
)
def eks_version_supported(r: Resource, out: Findings) -> None:
    """EKS clusters run a Kubernetes version in standard support.

    Judged on the pack's `today`. Past the end of standard support a cluster is in (billed) extended support, and
    `upgradePolicy.supportType` STANDARD cannot be set on it (AWS: extended support cannot be disabled once
    entered); past extended support it is force-upgraded. `version` unset means EKS's default and passes.
    Unknown values are pending.
    """
    window = _eks_window(r, out)
    if window is None:
        return
    today = r.settings.today
    standard, extended = support_end(window), support_end(window, "end_of_extended_support")
    if standard is None or today <= standard:
        return
    if extended is not None and today > extended:
        out.fail(f"version left EKS extended support on {extended.isoformat()}; upgrade the cluster")
        return
    support_type = dig(r.props, "upgradePolicy", "supportType")
    if is_unknown(support_type):
        out.wait("upgradePolicy.supportType")
    elif support_type == "STANDARD":
        out.fail(
            f"version left EKS standard support on {standard.isoformat()} and upgradePolicy.supportType is "
            "STANDARD, which AWS does not allow for a version in extended support; upgrade the cluster"
        )
    else:
        out.fail(f"version left EKS standard support on {standard.isoformat()} (extended support is billed)")


@resource_rule(
    types=(t.EKS_CLUSTER,),
    name="eks-version-support-ending",
    severity=Severity.MEDIUM,
    framework=_PATCHES,
    tags=("deployability",),
    config=_WARN_DAYS,
    enforcement=EnforcementLevel.ADVISORY,
    remediation="Upgrade to the next Kubernetes version (control plane, then add-ons and nodes) before the date.",
    url=_EKS["1.35"]["source"]["url"],
)
def eks_version_support_ending(r: Resource, out: Findings) -> None:
    """EKS Kubernetes versions are not within `warnDays` of their end of standard support (advisory).

    Advisory by design: the warning before `eks-version-supported` turns mandatory. Unset versions pass;
    unknown ones are pending.
    """
    window = _eks_window(r, Findings())
    if window is None:
        if is_unknown(r.get("version")):
            out.wait("version")
        return
    end = support_end(window)
    today, warn = r.settings.today, int(r.settings.value("warnDays"))
    if end is not None and today <= end <= today + dt.timedelta(days=warn):
        out.fail(f"version leaves EKS standard support on {end.isoformat()}; plan the upgrade")
