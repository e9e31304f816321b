"""CellBackup: long-term, immutable backups of a cell's databases with AWS Backup.

RDS keeps automated backups for at most 35 days; regulators ask for more (the jurisdiction's
``min_backup_retention_days``). One vault per cell, encrypted with a customer-managed key, is locked with
Vault Lock in *compliance* mode: once ``changeable_for_days`` (3, the AWS minimum) has passed, nobody, the
root user and AWS included, can delete a recovery point before its retention ends or remove the lock,
which is what makes the backups ransomware-proof. A daily plan keeps recovery points for the
jurisdiction's minimum and copies each one to a vault in the jurisdiction's DR region (its own key and
lock, created with the DR provider). The selection names every database of the cell by ARN.

The databases' DR copies (Aurora secondary clusters, cross-region read replicas) live in the DR region,
where a plan of the primary region cannot select them: ``dr_resource_arns`` get a second daily plan and
selection in the DR region, into the same locked DR vault at the same retention. They hold the same data
as their sources, so these recovery points matter once a DR copy has been promoted and takes writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_limits
from fintech_infra._component import FintechComponent
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.errors import ConfigError, ResidencyError, allowed
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.wiring import DrPlacement, KeyRef

__all__ = ["BACKUP_SCHEDULE", "CellBackup"]

BACKUP_SCHEDULE = "cron(0 3 * * ? *)"
"""Daily at 03:00 UTC."""
_SERVICE_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")


def _daily_rule(
    vault_name: pulumi.Input[str],
    lifecycle: aws.backup.PlanRuleLifecycleArgs,
    *,
    copy_actions: list[aws.backup.PlanRuleCopyActionArgs] | None = None,
) -> aws.backup.PlanRuleArgs:
    """The one backup rule both regions run: same schedule, windows and retention, so they never drift apart."""
    return aws.backup.PlanRuleArgs(
        rule_name="daily",
        target_vault_name=vault_name,
        schedule=BACKUP_SCHEDULE,
        start_window=60,
        completion_window=360,
        lifecycle=lifecycle,
        copy_actions=copy_actions,
    )


class CellBackup(FintechComponent):
    """A locked backup vault per cell, a plan at the jurisdiction's retention and a DR-region copy."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "vault_arn": "The cell's locked backup vault.",
        "dr_vault_arn": "The locked vault in the DR region receiving copies; None without DR.",
        "plan_id": "The AWS Backup plan.",
        "dr_plan_id": "The DR-region plan backing up the databases' DR copies; None without any.",
        "retention_days": "Days every recovery point is kept (the jurisdiction's minimum unless raised).",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        jurisdiction: Jurisdiction,
        key: KeyRef,
        dr: DrPlacement | None,
        resource_arns: Sequence[pulumi.Input[str]],
        dr_resource_arns: Sequence[pulumi.Input[str]] = (),
        retention_days: int | None = None,
        changeable_for_days: int = aws_limits.VAULT_LOCK_MIN_CHANGEABLE_DAYS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        retention = self._validate(cell, jurisdiction, dr, resource_arns, retention_days, changeable_for_days)
        if dr_resource_arns and dr is None:
            raise ConfigError(
                f"cells.{cell}.dr_region: None but {len(dr_resource_arns)} DR database(s) to back up; "
                "allowed: a DR region whenever a database has a DR copy"
            )
        super().__init__("fintech:backup:CellBackup", name, opts, jurisdiction=jurisdiction.code)
        self.retention_days = retention
        self.vault = self._locked_vault(name, "vault", key, retention, changeable_for_days, None)
        self.dr_vault = (
            self._locked_vault(name, "dr-vault", dr.key, retention, changeable_for_days, dr.provider) if dr else None
        )
        lifecycle = aws.backup.PlanRuleLifecycleArgs(delete_after=retention)
        self.plan = aws.backup.Plan(
            child(name, "plan"),
            name=physical(name, "daily"),
            rules=[
                _daily_rule(
                    self.vault.name,
                    lifecycle,
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=self.dr_vault.arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=retention),
                        )
                    ]
                    if self.dr_vault is not None
                    else None,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = self._service_role(name)
        self.service_role_arn = role.arn
        aws.backup.Selection(
            child(name, "selection"),
            name=physical(name, "databases"),
            plan_id=self.plan.id,
            iam_role_arn=role.arn,
            resources=list(resource_arns),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dr_plan: aws.backup.Plan | None = None
        if dr_resource_arns and dr is not None and self.dr_vault is not None:
            dr_opts = pulumi.ResourceOptions(parent=self, provider=dr.provider)
            self.dr_plan = aws.backup.Plan(
                child(name, "dr-plan"),
                name=physical(name, "dr-daily"),
                rules=[_daily_rule(self.dr_vault.name, lifecycle)],
                opts=dr_opts,
            )
            # IAM is global: the same service role serves the DR region's selection.
            aws.backup.Selection(
                child(name, "dr-selection"),
                name=physical(name, "dr-databases"),
                plan_id=self.dr_plan.id,
                iam_role_arn=role.arn,
                resources=list(dr_resource_arns),
                opts=dr_opts,
            )
        self.vault_arn = self.vault.arn
        self.dr_vault_arn = self.dr_vault.arn if self.dr_vault is not None else None
        self.plan_id = self.plan.id
        self.dr_plan_id = self.dr_plan.id if self.dr_plan is not None else None
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def _validate(
        cell: str,
        jurisdiction: Jurisdiction,
        dr: DrPlacement | None,
        resource_arns: Sequence[pulumi.Input[str]],
        retention_days: int | None,
        changeable_for_days: int,
    ) -> int:
        if dr is not None and dr.region not in jurisdiction.dr_regions:
            raise ResidencyError(
                f"cells.{cell}.dr_region: {dr.region!r} is not permitted for {jurisdiction.code}; "
                f"{allowed(jurisdiction.dr_regions)}"
            )
        minimum = jurisdiction.min_backup_retention_days
        retention = minimum if retention_days is None else retention_days
        if retention < minimum:
            raise ConfigError(
                f"cells.{cell}.backup.retention_days: {retention!r} is below {jurisdiction.code}'s minimum; "
                f"allowed: at least {minimum}"
            )
        if changeable_for_days < aws_limits.VAULT_LOCK_MIN_CHANGEABLE_DAYS:
            raise ConfigError(
                f"cells.{cell}.backup.changeable_for_days: {changeable_for_days!r} is below what Vault Lock accepts; "
                f"allowed: at least {aws_limits.VAULT_LOCK_MIN_CHANGEABLE_DAYS}"
            )
        if not resource_arns:
            raise ConfigError(f"cells.{cell}.concerns: [] has no database to back up; allowed: at least one concern")
        return retention

    def _locked_vault(
        self,
        name: str,
        role: str,
        key: KeyRef,
        retention: int,
        changeable_for_days: int,
        provider: pulumi.ProviderResource | None,
    ) -> aws.backup.Vault:
        opts = pulumi.ResourceOptions(parent=self, provider=provider, protect=True)
        vault = aws.backup.Vault(child(name, role), name=physical(name, role), kms_key_arn=key.arn, opts=opts)
        # Setting changeable_for_days is what selects compliance mode: the lock becomes immutable after it.
        aws.backup.VaultLockConfiguration(
            child(name, f"{role}-lock"),
            backup_vault_name=vault.name,
            changeable_for_days=changeable_for_days,
            min_retention_days=retention,
            opts=opts,
        )
        return vault

    def _service_role(self, name: str) -> aws.iam.Role:
        role = aws.iam.Role(
            child(name, "role"),
            description="AWS Backup creates, copies and restores the cell's recovery points",
            assume_role_policy=service_trust_policy("backup.amazonaws.com"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        for policy in _SERVICE_POLICIES:
            aws.iam.RolePolicyAttachment(
                child(name, policy.removeprefix("AWSBackupServiceRolePolicyFor").lower()),
                role=role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/service-role/", policy),
                opts=pulumi.ResourceOptions(parent=role),
            )
        return role
