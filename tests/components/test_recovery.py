"""Recovery objectives -> mechanism: the figures are data, the choice never downgrades silently."""

from __future__ import annotations

import pytest

from fintech_infra.config import RecoveryObjectives
from fintech_infra.errors import ConfigError
from fintech_infra.recovery import MECHANISMS, Mechanism, available_mechanisms, plan_recovery

PATH = "cells.eu.concerns[1]"
DR = "cells.eu.dr_region"
TIGHT = RecoveryObjectives(rpo_seconds=60, rto_seconds=900)
LOOSE = RecoveryObjectives(rpo_seconds=900, rto_seconds=4 * 3600)


def test_documented_figures_are_exposed_as_data() -> None:
    assert MECHANISMS[Mechanism.MULTI_AZ_INSTANCE].figure == "synchronous standby; failover typically 60-120 seconds"
    assert MECHANISMS[Mechanism.MULTI_AZ_INSTANCE].rto_seconds == 120
    assert "typically under 1 second" in MECHANISMS[Mechanism.AURORA_GLOBAL].figure
    assert MECHANISMS[Mechanism.AURORA_GLOBAL].rpo_seconds == 1
    assert MECHANISMS[Mechanism.AURORA_GLOBAL].rto_seconds == 60
    assert "under 35 seconds" in MECHANISMS[Mechanism.AURORA_MULTI_AZ].figure
    # A cross-region replica has no documented RPO bound, so it can never satisfy an objective.
    assert MECHANISMS[Mechanism.CROSS_REGION_REPLICA].rpo_seconds is None
    assert MECHANISMS[Mechanism.AUTOMATED_BACKUPS_REPLICATION].rpo_seconds == 300
    assert MECHANISMS[Mechanism.AUTOMATED_BACKUPS_REPLICATION].rto_seconds == 4 * 3600
    for facts in MECHANISMS.values():
        assert facts.source.startswith("https://docs.aws.amazon.com/")
        assert facts.source in facts.evidence


def test_aurora_with_dr_meets_the_production_trading_objectives_with_global_database() -> None:
    plan = plan_recovery(TIGHT, engine="aurora", multi_az=True, has_dr=True, path=PATH)
    assert plan.mechanism is Mechanism.AURORA_GLOBAL
    assert plan.dr_mechanisms == (Mechanism.AURORA_GLOBAL,)
    assert (plan.expected_rpo_seconds, plan.expected_rto_seconds) == (1, 60)
    assert plan.evidence.endswith(
        "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html)"
    )


def test_instance_with_dr_uses_automated_backups_replication_for_looser_objectives() -> None:
    plan = plan_recovery(LOOSE, engine="rds-instance", multi_az=True, has_dr=True, path=PATH)
    assert plan.mechanism is Mechanism.AUTOMATED_BACKUPS_REPLICATION
    assert (plan.expected_rpo_seconds, plan.expected_rto_seconds) == (300, 14400)


def test_a_cross_region_replica_runs_beside_backups_replication_but_is_never_the_chosen_mechanism() -> None:
    plan = plan_recovery(LOOSE, engine="rds-instance", multi_az=True, has_dr=True, dr_read_replica=True, path=PATH)
    assert plan.mechanism is Mechanism.AUTOMATED_BACKUPS_REPLICATION
    assert plan.dr_mechanisms == (Mechanism.AUTOMATED_BACKUPS_REPLICATION, Mechanism.CROSS_REGION_REPLICA)


def test_zone_scope_is_met_in_region() -> None:
    zone = RecoveryObjectives(rpo_seconds=0, rto_seconds=300, scope="zone")
    assert (
        plan_recovery(zone, engine="rds-instance", multi_az=True, has_dr=False).mechanism is Mechanism.MULTI_AZ_INSTANCE
    )
    assert plan_recovery(zone, engine="aurora", multi_az=True, has_dr=False).mechanism is Mechanism.AURORA_MULTI_AZ
    assert available_mechanisms("rds-instance", multi_az=False, has_dr=False) == (Mechanism.SINGLE_AZ_INSTANCE,)


def test_an_impossible_rpo_names_the_key_the_value_and_what_would_meet_it() -> None:
    with pytest.raises(ConfigError) as caught:
        plan_recovery(TIGHT, engine="rds-instance", multi_az=True, has_dr=True, path=PATH, dr_path=DR)
    assert str(caught.value) == (
        "cells.eu.concerns[1].objectives.rpo_seconds: 60 cannot be met by engine: rds-instance with a dr_region "
        "(automated-backups-replication (RPO ~300 s, RTO ~14400 s)); would meet it: engine: aurora with a "
        "dr_region (Aurora Global Database) -> aurora-global-database (RPO ~1 s, RTO ~60 s)"
    )


def test_an_rpo_nothing_documents_is_refused_with_the_tightest_bound() -> None:
    with pytest.raises(ConfigError) as caught:
        plan_recovery(
            RecoveryObjectives(rpo_seconds=0, rto_seconds=900), engine="aurora", multi_az=True, has_dr=True, path=PATH
        )
    assert str(caught.value).endswith(
        "would meet it: no AWS mechanism documents a bound this tight for scope 'region'; "
        "allowed: rpo_seconds of at least 1"
    )


def test_region_objectives_without_a_dr_region_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        plan_recovery(LOOSE, engine="rds-instance", multi_az=True, has_dr=False, path=PATH, dr_path=DR)
    assert str(caught.value) == (
        "cells.eu.concerns[1].objectives.scope: 'region' needs a DR region, and cells.eu.dr_region is not set; "
        "set cells.eu.dr_region to a region the jurisdiction permits, or set objectives.scope: zone to accept "
        "losing the data with the region"
    )


def test_an_rto_a_single_az_instance_cannot_meet_points_at_multi_az() -> None:
    zone = RecoveryObjectives(rpo_seconds=600, rto_seconds=900, scope="zone")
    with pytest.raises(ConfigError) as caught:
        plan_recovery(zone, engine="rds-instance", multi_az=False, has_dr=False, path=PATH)
    assert str(caught.value).startswith(
        "cells.eu.concerns[1].objectives.rto_seconds: 900 cannot be met by engine: rds-instance ("
    )
    assert "would meet it: engine: rds-instance with multi_az: true -> multi-az-instance" in str(caught.value)


def test_missing_objectives_and_a_misplaced_replica_are_errors() -> None:
    with pytest.raises(ConfigError, match=r"^cells\.eu\.concerns\[1\]\.objectives: None is not allowed"):
        plan_recovery(None, engine="aurora", multi_az=True, has_dr=True, path=PATH)
    with pytest.raises(
        ConfigError, match=r"^cells\.eu\.concerns\[1\]\.dr_read_replica: True needs engine: rds-instance"
    ):
        plan_recovery(LOOSE, engine="aurora", multi_az=True, has_dr=True, dr_read_replica=True, path=PATH)
