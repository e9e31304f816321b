"""CellBackup: a locked vault at the jurisdiction's retention, every database selected, copies to DR."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.backup import CellBackup
from fintech_infra.errors import ConfigError, ResidencyError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.testing import synthesize
from fintech_infra.wiring import DrPlacement, KeyRef

ASIC = DEFAULT_REGISTRY["asic"]
DB_ARNS = [f"arn:aws:rds:ap-southeast-2:123456789012:db:au-{c}" for c in ("crm", "trading", "payments", "audit")]
DR_ARNS = [
    "arn:aws:rds:ap-southeast-4:123456789012:cluster:au-trading-dr",
    "arn:aws:rds:ap-southeast-4:123456789012:db:au-crm-dr",
]


def program() -> None:
    dr_provider = aws.Provider("dr", region="ap-southeast-4")
    key = aws.kms.Key("backup-key", description="backup")
    dr_key = aws.kms.Key("dr-backup-key", description="backup", opts=pulumi.ResourceOptions(provider=dr_provider))
    backup = CellBackup(
        "au-backup",
        cell="au",
        jurisdiction=ASIC,
        key=KeyRef(arn=key.arn, alias="alias/au/backup"),
        dr=DrPlacement(
            region="ap-southeast-4", provider=dr_provider, key=KeyRef(arn=dr_key.arn, alias="alias/au/backup")
        ),
        resource_arns=DB_ARNS,
        dr_resource_arns=DR_ARNS,
    )
    pulumi.export("backup", {k: getattr(backup, k) for k in CellBackup.OUTPUTS})


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "ap-southeast-2"})


def test_vaults_are_encrypted_and_locked_in_compliance_mode(rec) -> None:
    vault, dr_vault = rec.named("au-backup-vault"), rec.named("au-backup-dr-vault")
    assert vault.inputs["kmsKeyArn"] == rec.named("backup-key").outputs["arn"] and vault.region == "ap-southeast-2"
    assert dr_vault.inputs["kmsKeyArn"] == rec.named("dr-backup-key").outputs["arn"]
    assert dr_vault.region == "ap-southeast-4"
    assert vault.protect and dr_vault.protect
    for name, vault_name, region in (
        ("au-backup-vault-lock", "au-backup-vault", "ap-southeast-2"),
        ("au-backup-dr-vault-lock", "au-backup-dr-vault", "ap-southeast-4"),
    ):
        lock = rec.named(name)
        assert lock.inputs["changeableForDays"] == 3  # set => compliance mode
        assert lock.inputs["minRetentionDays"] == 90 and lock.inputs["backupVaultName"] == vault_name
        assert lock.region == region and lock.protect


def test_plan_keeps_the_jurisdiction_minimum_and_copies_to_dr(rec) -> None:
    (rule,) = rec.named("au-backup-plan").inputs["rules"]
    assert rule["lifecycle"]["deleteAfter"] == 90 and rule["targetVaultName"] == "au-backup-vault"
    (copy,) = rule["copyActions"]
    assert copy["destinationVaultArn"] == rec.named("au-backup-dr-vault").outputs["arn"]
    assert copy["lifecycle"]["deleteAfter"] == 90
    assert rec.exports["backup"]["retention_days"] == 90
    assert rec.exports["backup"]["dr_vault_arn"] == rec.named("au-backup-dr-vault").outputs["arn"]


def test_selection_covers_every_database_with_the_backup_role(rec) -> None:
    selection = rec.named("au-backup-selection")
    assert selection.inputs["resources"] == DB_ARNS
    role = rec.named("au-backup-role")
    assert selection.inputs["iamRoleArn"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    arns = {r.inputs["policyArn"] for r in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert arns == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }


def _refused(**overrides) -> str:
    caught: list[str] = []

    def build() -> None:
        args = {
            "cell": "au",
            "jurisdiction": ASIC,
            "key": KeyRef(arn="arn:aws:kms:ap-southeast-2:123456789012:key/k", alias="alias/k"),
            "dr": None,
            "resource_arns": DB_ARNS,
        }
        try:
            CellBackup("au-backup", **{**args, **overrides})
        except ConfigError as error:
            caught.append(str(error))

    recording = synthesize(build)
    assert recording.custom_resources() == [] and not [r for r in recording if r.type.startswith("fintech:")]
    return caught[0]


def test_dr_copies_are_backed_up_in_the_dr_region_into_the_locked_dr_vault(rec) -> None:
    plan = rec.named("au-backup-dr-plan")
    assert plan.region == "ap-southeast-4"
    (rule,) = plan.inputs["rules"]
    assert rule["targetVaultName"] == "au-backup-dr-vault" and rule["lifecycle"]["deleteAfter"] == 90
    assert rule["schedule"] == "cron(0 3 * * ? *)" and "copyActions" not in rule
    assert rec.named("au-backup-dr-vault").urn in plan.property_dependencies["rules"]
    selection = rec.named("au-backup-dr-selection")
    assert selection.region == "ap-southeast-4" and selection.inputs["resources"] == DR_ARNS
    assert selection.inputs["planId"] == plan.outputs["id"]
    assert selection.inputs["iamRoleArn"] == rec.named("au-backup-role").outputs["arn"]
    assert rec.exports["backup"]["dr_plan_id"] == plan.outputs["id"]
    # The primary plan still selects only the primary databases.
    assert rec.named("au-backup-selection").inputs["resources"] == DB_ARNS


def test_dr_copies_without_a_dr_region_are_refused() -> None:
    assert _refused(dr_resource_arns=DR_ARNS) == (
        "cells.au.dr_region: None but 2 DR database(s) to back up; "
        "allowed: a DR region whenever a database has a DR copy"
    )


def test_retention_below_the_jurisdiction_minimum_is_refused() -> None:
    assert (
        _refused(retention_days=35)
        == "cells.au.backup.retention_days: 35 is below asic's minimum; allowed: at least 90"
    )
    assert _refused(changeable_for_days=1).startswith("cells.au.backup.changeable_for_days: 1 is below")
    assert _refused(resource_arns=[]).startswith("cells.au.concerns: [] has no database")


def test_dr_region_outside_the_jurisdiction_is_refused() -> None:
    def program() -> None:
        CellBackup(
            "au-backup",
            cell="au",
            jurisdiction=ASIC,
            key=KeyRef(arn="arn:aws:kms:ap-southeast-2:123456789012:key/k", alias="alias/k"),
            dr=DrPlacement(
                region="us-west-2",
                provider=aws.Provider("dr", region="us-west-2"),
                key=KeyRef(arn="arn:aws:kms:us-west-2:123456789012:key/k", alias="alias/k"),
            ),
            resource_arns=DB_ARNS,
        )

    with pytest.raises(ResidencyError) as caught:
        synthesize(program)
    assert (
        str(caught.value)
        == "cells.au.dr_region: 'us-west-2' is not permitted for asic; allowed: ap-southeast-2, ap-southeast-4"
    )
