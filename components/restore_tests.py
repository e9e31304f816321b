"""RestoreTests: AWS Backup restores each concern's latest recovery point on a schedule, somewhere harmless.

One restore testing plan per cell (its vault's latest snapshot within a week, monthly by default) and one
selection per concern naming that concern's database (``RDS`` for an RDS instance, ``Aurora`` for a cluster).
Each restore lands in the cell's isolated subnet tier (no route out of the VPC) through a subnet group of its
own and a security group without a single rule: nothing reaches the restored copy and it reaches nothing. AWS
Backup keeps it for ``validation_window_hours``, then deletes it.

Each restore job's result (``Restore Job State Change``: COMPLETED, FAILED or ABORTED) goes to a topic through an
EventBridge rule; :func:`restore_test_report_topic` chooses which topic, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._config_base import DatabaseEngine
from fintech_infra._naming import child, physical
from fintech_infra.alert_tiers import AlertRoute

__all__ = ["PROTECTED_RESOURCE_TYPES", "RESTORE_TESTING_FACTS", "RestoreTests", "restore_test_report_topic"]

PROTECTED_RESOURCE_TYPES: dict[DatabaseEngine, str] = {"rds-instance": "RDS", "aurora": "Aurora"}
"""The restore testing selection's ProtectedResourceType per engine."""

RESTORE_TESTING_FACTS: dict[str, dict[str, str]] = {
    "protected_resource_type": {
        "fact": "ProtectedResourceType takes Aurora for Amazon Aurora and RDS for Amazon RDS; up to 30 ARNs.",
        "url": "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingSelectionForCreate.html",
        "checked": "2026-12-07",
    },
    "validation_window": {
        "fact": "ValidationWindowHours (0-168) keeps the restored resource for validation; AWS Backup then deletes it.",
        "url": "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html",
        "checked": "2026-12-07",
    },
    "metadata_overrides": {
        "fact": "RestoreMetadataOverrides keys are case-insensitive; RDS and Aurora take dbsubnetgroupname and "
        "vpcsecuritygroupids (a JSON list).",
        "url": "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-inferred-metadata.html",
        "checked": "2026-12-07",
    },
    "recovery_point_selection": {
        "fact": "Algorithm LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW; RecoveryPointTypes SNAPSHOT or CONTINUOUS; "
        "names of plans and selections take letters, digits and underscores.",
        "url": "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingPlanForCreate.html",
        "checked": "2026-12-07",
    },
    "restore_job_event": {
        "fact": "AWS Backup sends 'Restore Job State Change' events (source aws.backup) to EventBridge, best effort.",
        "url": "https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-backup.html",
        "checked": "2026-12-07",
    },
}
"""What the restore tests rely on, each with the AWS page that states it."""

FINAL_STATES = ("COMPLETED", "FAILED", "ABORTED")


def restore_test_report_topic(alerts: AlertRoute) -> pulumi.Input[str]:
    """The topic restore-test results go to: the cell's warning tier (read in working hours; a failed restore test
    is a finding to fix, not an outage)."""
    return alerts.warning


def _underscored(*parts: str) -> str:
    return physical(*parts, limit=50).replace("-", "_")


class RestoreTests(FintechComponent):
    """A cell's restore testing plan, one selection per concern, the isolated landing place and the report rule."""

    TYPE: ClassVar[str] = "fintech:dr:RestoreTests"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "plan_name": "The restore testing plan.",
        "selections": "Concern to restore testing selection name.",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        vault_arn: pulumi.Input[str],
        role_arn: pulumi.Input[str],
        databases: Mapping[str, tuple[DatabaseEngine, pulumi.Input[str]]],
        vpc_id: pulumi.Input[str],
        isolated_subnet_ids: Sequence[pulumi.Input[str]],
        schedule: str,
        timezone: str,
        validation_window_hours: int,
        report_topic_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, opts)
        here = pulumi.ResourceOptions(parent=self)
        self.subnet_group = aws.rds.SubnetGroup(
            child(name, "subnets"),
            name=physical(name),
            subnet_ids=list(isolated_subnet_ids),
            description=f"Cell {cell}: restore tests, isolated subnets (no route out)",
            opts=here,
        )
        # No ingress and no egress rule: the provider removes AWS's default allow-all egress on create.
        self.security_group = aws.ec2.SecurityGroup(
            child(name, "sg"),
            vpc_id=vpc_id,
            description=f"Cell {cell}: restored databases under test; nothing in, nothing out",
            opts=here,
        )
        self.plan = aws.backup.RestoreTestingPlan(
            child(name, "plan"),
            name=_underscored("fintech", cell, "restore", "tests"),
            schedule_expression=schedule,
            schedule_expression_timezone=timezone,
            start_window_hours=4,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault_arn],
                recovery_point_types=["SNAPSHOT"],
                selection_window_days=7,
            ),
            opts=here,
        )
        overrides = pulumi.Output.all(self.subnet_group.name, self.security_group.id).apply(
            lambda v: {"dbsubnetgroupname": v[0], "vpcsecuritygroupids": json.dumps([v[1]])}
        )
        self.selections = {
            concern: aws.backup.RestoreTestingSelection(
                child(name, concern),
                name=_underscored(concern),
                restore_testing_plan_name=self.plan.name,
                protected_resource_type=PROTECTED_RESOURCE_TYPES[engine],
                protected_resource_arns=[arn],
                iam_role_arn=role_arn,
                restore_metadata_overrides=overrides,
                validation_window_hours=validation_window_hours,
                opts=here,
            )
            for concern, (engine, arn) in databases.items()
        }
        rule = aws.cloudwatch.EventRule(
            child(name, "results"),
            name=physical(name, "results"),
            description=f"Cell {cell}: restore job results (restore tests included) to the report topic",
            event_pattern=json.dumps(
                {
                    "source": ["aws.backup"],
                    "detail-type": ["Restore Job State Change"],
                    "detail": {"status": list(FINAL_STATES)},
                }
            ),
            opts=here,
        )
        aws.cloudwatch.EventTarget(
            child(name, "results-topic"), rule=rule.name, arn=report_topic_arn, opts=pulumi.ResourceOptions(parent=rule)
        )
        self.plan_name = self.plan.name
        self.register_outputs(
            {"plan_name": self.plan_name, "selections": {c: s.name for c, s in self.selections.items()}}
        )
