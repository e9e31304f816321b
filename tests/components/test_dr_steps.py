"""Runbook steps per concern, their figures, the computed RTO, and the refusal of RTOs they cannot meet."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fintech_infra.dr_steps import FIGURES, CellShape, ConcernShape, Step, cell_shape, computed_rto
from fintech_infra.errors import ConfigError
from fintech_infra.runbook_steps import failback_steps, failover_steps
from fintech_infra.validation import load_stack_config

AURORA = ConcernShape("trading", "aurora-global", "eu-trading", "eu-trading-dr", "eu-trading-global")
REPLICA = ConcernShape("crm", "promote-replica", "eu-crm", "eu-crm-dr")
RESTORE = ConcernShape("audit", "restore-backups", "eu-audit", "eu-audit-dr")


def _shape(*concerns: ConcernShape, cache: bool = True, compute: str = "ecs") -> CellShape:
    services = {"api": 3, "reports": 2} if compute == "ecs" else {"nodes": 3}
    return CellShape(
        cell="eu",
        primary_region="eu-central-1",
        dr_region="eu-west-1",
        concerns=concerns,
        compute="ecs" if compute == "ecs" else "eks",
        services=services,
        cache_standby=cache,
        entities=("cysec-cy",),
    )


def _apis(steps: Sequence[Step]) -> list[str]:
    return [f"{s.name}:{s.inputs.get('Api', s.action)}" for s in steps]


def test_figures_are_documented_or_marked_as_planning_inferences() -> None:
    for name, figure in FIGURES.items():
        assert figure.source.startswith("https://docs.aws.amazon.com/"), name
        assert figure.seconds > 0 and figure.figure, name
    # AWS documents these; the others are planning values the staging rehearsal measures.
    assert not FIGURES["aurora-global-failover"].inference and FIGURES["aurora-global-failover"].seconds == 60
    assert not FIGURES["dns-failover"].inference and FIGURES["dns-failover"].seconds == 150
    assert FIGURES["replica-promotion"].inference and FIGURES["pitr-restore"].inference


def test_an_aurora_concern_switches_over_when_planned_and_fails_over_otherwise() -> None:
    everything = failover_steps(_shape(AURORA))
    steps = [s for s in everything if s.name.startswith("trading")]
    assert _apis(steps) == [
        "tradingBranch:aws:branch",
        "tradingSwitchover:SwitchoverGlobalCluster",
        "tradingFailover:FailoverGlobalCluster",
        "tradingVerify:aws:executeScript",
    ]
    branch, switchover, failover, _ = steps
    # A planned run (a rehearsal) checks it can reach the health checks before it switches anything over.
    assert branch.inputs["Choices"][0] == {
        "NextStep": "ResolveDns",
        "Variable": "{{ Mode }}",
        "StringEquals": "planned",
    }
    assert [s.name for s in everything[:4]] == ["tradingBranch", "ResolveDns", "tradingSwitchover", "tradingFailover"]
    assert everything[1].path == "planned"
    assert switchover.path == "planned" and failover.path == "unplanned"
    assert failover.inputs["AllowDataLoss"] is True and "AllowDataLoss" not in switchover.inputs
    assert failover.inputs["GlobalClusterIdentifier"] == "eu-trading-global"
    assert (
        failover.inputs["TargetDbClusterIdentifier"]
        == "arn:aws:rds:eu-west-1:{{global:ACCOUNT_ID}}:cluster:eu-trading-dr"
    )


def test_a_replica_is_promoted_and_a_restore_uses_the_replicated_automated_backups() -> None:
    steps = failover_steps(_shape(REPLICA, RESTORE))
    promote = next(s for s in steps if s.name == "crmPromote")
    assert promote.inputs == {"Service": "rds", "Api": "PromoteReadReplica", "DBInstanceIdentifier": "eu-crm-dr"}
    restore = next(s for s in steps if s.name == "auditRestore")
    assert restore.inputs["Api"] == "RestoreDBInstanceToPointInTime"
    assert restore.inputs["SourceDBInstanceAutomatedBackupsArn"] == "{{ auditFindBackups.Arn }}"
    assert restore.inputs["TargetDBInstanceIdentifier"] == "eu-audit-dr"
    assert restore.inputs["ManageMasterUserPassword"] is True
    assert restore.inputs["MasterUserSecretKmsKeyId"] == "{{ auditKeyArn }}"


def test_a_cell_without_a_concern_gets_no_step_for_it_nor_a_cache_step_without_a_standby() -> None:
    names = [s.name for s in failover_steps(_shape(AURORA, cache=False))]
    assert not [n for n in names if n.startswith(("crm", "audit", "payments"))]
    assert "VerifyCacheStandby" not in names
    assert "VerifyCacheStandby" in [s.name for s in failover_steps(_shape(AURORA))]


def test_the_fastest_concerns_are_served_first_then_dns_flips_once() -> None:
    steps = failover_steps(_shape(AURORA, REPLICA))
    names = [s.name for s in steps]
    # Aurora (60 s) is published, redeployed and behind DNS before the replica (300 s) joins.
    assert names.index("PublishManifest") < names.index("FlipDns") < names.index("crmVerify")
    assert names.index("crmVerify") < names.index("PublishManifestWave2") < names.index("WaitDeployedApiWave2")
    assert names.count("FlipDns") == 1
    assert next(s for s in steps if s.name == "FlipDns").inputs["InputPayload"]["inverted"] is True


def test_the_dns_steps_assume_the_zones_accounts_role_and_find_the_health_checks_at_run_time() -> None:
    steps = {s.name: s for s in failover_steps(_shape(REPLICA, RESTORE))}
    # No Aurora branch: the check runs first on both paths.
    assert next(iter(steps)) == "ResolveDns" and steps["ResolveDns"].path is None
    for name, handler in (("ResolveDns", "resolve"), ("FlipDns", "flip"), ("VerifyDns", "verify")):
        step = steps[name]
        assert step.action == "aws:executeScript" and step.inputs["Handler"] == handler, name
        payload = step.inputs["InputPayload"]
        assert payload["role_arn"] == "{{ DnsRoleArn }}" and payload["tag_prefix"] == "fintech-infra:health-check:"
        assert "{{ HealthCheckId }}" not in str(step.inputs), name  # no hand-set id any more
        assert step.timeout_seconds <= 600, name  # the aws:executeScript maximum (fintech_infra.dr_dns)


def test_the_dns_check_costs_a_real_failover_no_time() -> None:
    steps = failover_steps(_shape(AURORA, REPLICA))
    without = [s for s in steps if s.name != "ResolveDns"]
    assert computed_rto(steps) == computed_rto(without)
    # A rehearsal (planned) pays for it once.
    planned, planned_without = computed_rto(steps, path="planned"), computed_rto(without, path="planned")
    assert planned["trading"] == planned_without["trading"] + FIGURES["api-call"].seconds


def test_every_step_has_a_timeout_an_on_failure_and_says_why_it_is_idempotent() -> None:
    for steps in (failover_steps(_shape(AURORA, REPLICA, RESTORE)), failback_steps(_shape(AURORA, REPLICA))):
        for step in steps:
            assert step.timeout_seconds >= 60 and step.on_failure in ("Abort", "Continue"), step.name
            assert step.idempotent, step.name
            # A call that may already have been made continues to a step that verifies the state.
            if step.on_failure == "Continue":
                assert step.kind == "start" or step.name.endswith("ManageSecret"), step.name


def test_computed_rto_adds_the_figures_with_the_long_operations_overlapping() -> None:
    steps = failover_steps(_shape(AURORA, REPLICA))
    rto = computed_rto(steps)
    call, dns = FIGURES["api-call"].seconds, FIGURES["dns-failover"].seconds
    redeploy = FIGURES["ecs-redeploy"].seconds
    # Branch, failover and promote start (3 calls); Aurora is done 60 s after its start; verify, cache check,
    # publish; two redeploys start (2 calls) and both end one redeploy later; two waits, the flip, and DNS.
    aurora_verified = 2 * call + FIGURES["aurora-global-failover"].seconds + call
    redeployed = aurora_verified + 3 * call + redeploy + 2 * call
    assert rto["trading"] == rto["cache"] == redeployed + call + dns == 540
    # The replica (started at 30 s, done at 330 s) waits for the first wave, gets its RDS-managed secret, then its
    # own publish and redeploy.
    assert rto["crm"] == 540 + call + call + call + 2 * call + redeploy - call + 2 * call == 840
    # The planned path switches over instead (RPO 0, slower).
    assert computed_rto(steps, path="planned")["trading"] > rto["trading"]


def test_an_eks_cell_scales_its_nodes_alongside_the_databases() -> None:
    steps = failover_steps(_shape(AURORA, REPLICA, compute="eks"))
    names = [s.name for s in steps]
    assert names.index("ScaleNodes") < names.index("tradingVerify") < names.index("WaitNodes")
    scale = next(s for s in steps if s.name == "ScaleNodes")
    assert scale.inputs["scalingConfig"] == {"minSize": 3, "desiredSize": 3}
    assert max(computed_rto(steps).values()) <= 900


def test_failback_switches_aurora_back_and_replicates_instances_home() -> None:
    steps = failback_steps(_shape(AURORA, REPLICA))
    apis = _apis(steps)
    assert "tradingSwitchBack:SwitchoverGlobalCluster" in apis
    back = next(s for s in steps if s.name == "crmReplicateBack")
    assert back.inputs["Api"] == "CreateDBInstanceReadReplica"
    assert back.inputs["SourceDBInstanceIdentifier"] == "arn:aws:rds:eu-west-1:{{global:ACCOUNT_ID}}:db:eu-crm-dr"
    assert back.inputs["DBInstanceIdentifier"] == "eu-crm-home"
    assert "crmPromoteBack:PromoteReadReplica" in apis
    assert next(s for s in steps if s.name == "FlipDnsBack").inputs["InputPayload"]["inverted"] is False
    # The failback has no mode: it checks the health checks first, before anything moves.
    assert steps[0].name == "ResolveDnsBack" and steps[0].path is None
    # The standby goes back to its floor.
    assert next(s for s in steps if s.name == "RedeployApiStandby").inputs["desiredCount"] == 1


def _raw(**concern: object) -> dict[str, object]:
    image = "333333333333.dkr.ecr.eu-central-1.amazonaws.com/api@sha256:" + "a" * 64
    return {
        "environment": "prod",
        "tags": {"owner": "platform", "cost_center": "cc-1"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": "eu-central-1",
                "dr_region": "eu-west-1",
                "entities": [{"name": "cysec-cy", "legal_name": "Example Ltd", "hostname": "api.cy.example.com"}],
                "vpc": {"cidr": "10.30.0.0/16", "az_count": 2},
                "concerns": [{"concern": "trading", "engine": "aurora"}, {"concern": "crm", **concern}],
                "compute": {
                    "kind": "ecs",
                    "services": [{"name": "api", "image": image, "concerns": ["crm", "trading"]}],
                },
            }
        },
    }


def test_production_defaults_meet_15_minutes_for_every_concern() -> None:
    config = load_stack_config(_raw())
    shape = cell_shape("eu", config.cells["eu"])
    assert shape is not None
    assert [(c.concern, c.kind) for c in shape.concerns] == [("trading", "aurora-global"), ("crm", "promote-replica")]
    assert max(computed_rto(failover_steps(shape)).values()) <= 900


def test_an_rto_the_steps_cannot_meet_is_refused_naming_key_value_and_allowed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_raw(objectives={"rpo_seconds": 900, "rto_seconds": 600}))
    assert (
        "cells.eu.concerns[1].objectives.rto_seconds: 600 cannot be met by the failover runbook's steps "
        "(computed 820 s for crm, docs/dr.md); allowed: at least 820, or a faster DR mechanism"
    ) in str(caught.value)


def test_restore_from_backups_is_refused_for_the_production_rto() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(_raw(dr_read_replica=False))
    assert "cells.eu.concerns[1].objectives.rto_seconds: 900 cannot be met by the failover runbook's steps" in str(
        caught.value
    )


def test_prod_refuses_a_cell_without_a_dr_cache() -> None:
    raw = _raw()
    raw["cells"]["eu"]["redis"] = {"dr_nodes": 0}  # type: ignore[index]
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert "cells.eu.redis.dr_nodes: 0 is not allowed in prod (no cache in the DR region); allowed: 1 to 6" in str(
        caught.value
    )
