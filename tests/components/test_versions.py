"""Engine and Kubernetes versions are judged against AWS's calendars on the day the program runs."""

from __future__ import annotations

import datetime as dt

import pytest

from fintech_infra import aws_facts
from fintech_infra.config import DatabaseSettings, EksSettings
from fintech_infra.errors import ConfigError
from fintech_infra.validation import load_stack_config
from fintech_infra.versions import (
    aurora_global_version,
    aurora_global_version_problem,
    eks_version_problem,
    postgres_version_problem,
)

CHECKED = aws_facts.CHECKED


@pytest.mark.parametrize(
    ("engine", "version", "today", "problem"),
    [
        ("rds-instance", "16", CHECKED, None),
        ("rds-instance", "16.11", CHECKED, None),
        ("rds-instance", "17.9", CHECKED, None),
        ("aurora", "16", CHECKED, None),
        # Aurora minors are not RDS minors: the RDS creatable list does not apply to them.
        ("aurora", "16.6", CHECKED, None),
        (
            "rds-instance",
            "16.6",
            CHECKED,
            "is a minor RDS no longer creates instances on; allowed: 16 (RDS picks and upgrades the minor) or 16.11 "
            "and newer",
        ),
        (
            "rds-instance",
            "13",
            CHECKED,
            "left RDS standard support on 2026-02-28 (RDS would bill Extended Support for it); allowed majors: 14, "
            "15, 16, 17",
        ),
        (
            "aurora",
            "18",
            CHECKED,
            "is not a PostgreSQL major in the RDS release calendar; allowed majors: 14, 15, 16, 17",
        ),
        # The calendar turns on its own: 14 is refused from the day after its end of standard support.
        ("rds-instance", "14", dt.date(2027, 2, 28), None),
        (
            "rds-instance",
            "14",
            dt.date(2027, 3, 1),
            "left RDS standard support on 2027-02-28 (RDS would bill Extended Support for it); allowed majors: 15, "
            "16, 17",
        ),
        (
            "rds-instance",
            "13",
            dt.date(2029, 3, 1),
            "left RDS standard support on 2026-02-28 and extended support on 2029-02-28; allowed majors: 17",
        ),
    ],
)
def test_postgres_versions(engine: str, version: str, today: dt.date, problem: str | None) -> None:
    assert postgres_version_problem(engine, version, today=today) == problem


@pytest.mark.parametrize(
    ("version", "today", "problem"),
    [
        ("1.35", CHECKED, None),
        (
            "1.34",
            CHECKED,
            "left EKS standard support on 2026-12-02; EksCluster sets upgradePolicy.supportType STANDARD, which AWS "
            "does not allow for a version in extended support; allowed: 1.35",
        ),
        (
            "1.31",
            CHECKED,
            "left EKS standard support on 2025-11-26 and extended support on 2026-11-26; allowed: 1.35",
        ),
        ("1.29", CHECKED, "is not in the EKS release calendar; allowed: 1.35"),
        ("1.35", dt.date(2027, 3, 27), None),
        (
            "1.35",
            dt.date(2027, 3, 28),
            "left EKS standard support on 2027-03-27; EksCluster sets upgradePolicy.supportType STANDARD, which AWS "
            "does not allow for a version in extended support; allowed: none in standard support in the calendar "
            "(add newer versions to fintech_infra.aws_facts.EKS_VERSIONS)",
        ),
    ],
)
def test_eks_versions(version: str, today: dt.date, problem: str | None) -> None:
    assert eks_version_problem(version, today=today) == problem


def test_defaults_are_a_postgres_major_and_the_default_eks_version() -> None:
    assert DatabaseSettings(concern="crm").engine_version == "16"
    assert EksSettings().version == aws_facts.EKS_DEFAULT_VERSION == "1.35"


def test_global_clusters_get_a_full_version() -> None:
    assert aurora_global_version("16") == aws_facts.AURORA_GLOBAL_ENGINE_VERSION == "16.8"
    assert aurora_global_version("16.9") == "16.9"
    assert aurora_global_version_problem("16") is None
    assert aurora_global_version_problem("17.5") is None
    assert aurora_global_version_problem("17") == (
        "has no known full version for an Aurora global cluster (engine aurora with a dr_region), which needs one; "
        "allowed: a full version such as '16.8', or a major with a known one: 16 (16.8)"
    )


def _stack(cell: dict) -> dict:
    return {
        "environment": "staging",
        "tags": {"owner": "platform", "cost_center": "cc-1"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": "eu-central-1",
                "entities": [{"name": "cysec-cy", "legal_name": "Example Ltd", "hostname": "api.example.org"}],
                **cell,
            }
        },
    }


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            {"concerns": [{"concern": "crm", "engine_version": "16.6"}]},
            "cells.eu.concerns[0].engine_version: '16.6' is a minor RDS no longer creates instances on; allowed: 16 "
            "(RDS picks and upgrades the minor) or 16.11 and newer",
        ),
        (
            {"concerns": [{"concern": "crm"}], "compute": {"kind": "eks", "version": "1.33"}},
            "cells.eu.compute.version: '1.33' left EKS standard support on 2026-07-29; EksCluster sets "
            "upgradePolicy.supportType STANDARD, which AWS does not allow for a version in extended support; "
            "allowed: 1.35",
        ),
        (
            {
                "dr_region": "eu-west-1",
                "concerns": [{"concern": "trading", "engine": "aurora", "engine_version": "17"}],
            },
            "cells.eu.concerns[0].engine_version: '17' has no known full version for an Aurora global cluster",
        ),
    ],
)
def test_stack_config_refuses_versions_with_the_key_path(cell: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_stack(cell))
    assert str(caught.value).startswith(f"invalid stack config: {message}")


def test_aurora_without_dr_may_take_any_major_in_standard_support() -> None:
    config = load_stack_config(
        _stack({"concerns": [{"concern": "trading", "engine": "aurora", "engine_version": "17"}]})
    )
    assert config.cells["eu"].concerns[0].engine_version == "17"
