"""DrSchedules: EventBridge Scheduler runs a cell's drills and its region-failover rehearsal on a calendar.

Each FIS drill template is started on its day (``fis:StartExperiment``, a universal target), the failover runbook
in the DR region and, hours later, the failback runbook in the primary region (``ssm:StartAutomationExecution``
with ``Mode=planned``: an Aurora switchover, no data lost). The calendar and its time zone come from
:class:`fintech_infra.dr_config.DrillSettings`.

Results land in the audit trail without anything more: Scheduler's, FIS's and Systems Manager's API calls are
CloudTrail management events (the trail records them), FIS writes each experiment's log to the cell's encrypted
``/fintech-infra/<cell>/fis`` group, and every runbook step logs to the encrypted runbook log group.

The one role Scheduler assumes (trust ``scheduler.amazonaws.com`` with ``aws:SourceAccount``) may start this
cell's templates and runbooks only, and pass the runbooks' automation role to Systems Manager only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.dr_config import DrillSettings, ScheduledRun
from fintech_infra.wiring import KeyRef

__all__ = ["SCHEDULER_FACTS", "DrSchedules", "ScheduleRegion", "scheduler_policy"]

SCHEDULER_FACTS: dict[str, dict[str, str]] = {
    "universal_target": {
        "fact": "A universal target is arn:aws:scheduler:::aws-sdk:<service>:<apiAction>; Input is the API's "
        "request as JSON; <aws.scheduler.execution-id> is a context attribute Scheduler fills in.",
        "url": "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html",
        "checked": "2026-12-07",
    },
    "execution_role": {
        "fact": "The execution role trusts scheduler.amazonaws.com; the guide's trust policy adds aws:SourceAccount.",
        "url": "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role",
        "checked": "2026-12-07",
    },
    "customer_managed_key": {
        "fact": "A schedule's KmsKeyArn encrypts its target input; the execution role needs kms:Decrypt on it.",
        "url": "https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html",
        "checked": "2026-12-07",
    },
}
"""What the schedules rely on, each with the AWS page that states it."""


@dataclass(frozen=True)
class ScheduleRegion:
    """One region's share of the schedules: where they live and the key that encrypts their inputs."""

    region: str
    provider: pulumi.ProviderResource
    key: KeyRef


def scheduler_policy(
    *,
    account: str,
    templates: Mapping[str, str],
    template_region: str,
    automations: Mapping[str, str],
    automation_role: str | None,
    keys: list[str],
) -> dict[str, Any]:
    """Least privilege: start this cell's templates and runbooks, pass its automation role to SSM, decrypt inputs.

    ``automations`` maps region to document name.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "DecryptInputs", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": keys},
    ]
    if templates:
        statements.append(
            {
                "Sid": "StartDrills",
                "Effect": "Allow",
                "Action": ["fis:StartExperiment"],
                "Resource": [
                    *[
                        f"arn:aws:fis:{template_region}:{account}:experiment-template/{template}"
                        for template in templates.values()
                    ],
                    f"arn:aws:fis:{template_region}:{account}:experiment/*",
                ],
            }
        )
    if automations and automation_role is not None:
        statements.append(
            {
                "Sid": "StartRehearsal",
                "Effect": "Allow",
                "Action": ["ssm:StartAutomationExecution"],
                "Resource": [
                    f"arn:aws:ssm:{region}:{account}:automation-definition/{document}:*"
                    for region, document in automations.items()
                ],
            }
        )
        statements.append(
            {
                "Sid": "PassAutomationRole",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": automation_role,
                "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class DrSchedules(FintechComponent):
    """The cell's drill and rehearsal schedules, their groups (one per region) and the role they run as."""

    TYPE: ClassVar[str] = "fintech:dr:DrSchedules"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "schedules": "Run name to schedule name.",
        "role_arn": "The role EventBridge Scheduler assumes.",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        settings: DrillSettings,
        timezone: str,
        account_id: pulumi.Input[str],
        primary: ScheduleRegion,
        dr: ScheduleRegion | None,
        templates: Mapping[str, pulumi.Input[str]],
        failover_document: pulumi.Input[str] | None,
        failback_document: pulumi.Input[str] | None,
        automation_role_arn: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, opts)
        self._name, self._cell, self._settings, self._timezone = name, cell, settings, timezone
        rehearsal = (
            dr is not None
            and failover_document is not None
            and failback_document is not None
            and automation_role_arn is not None
        )
        self.role = aws.iam.Role(
            child(name, "role"),
            assume_role_policy=service_trust_policy("scheduler.amazonaws.com", source_account=account_id),
            description=f"EventBridge Scheduler: cell {cell}'s drills and failover rehearsal",
            opts=pulumi.ResourceOptions(parent=self),
        )
        automations: dict[str, pulumi.Input[str]] = {}
        if rehearsal:
            assert dr is not None and failover_document is not None and failback_document is not None
            automations = {dr.region: failover_document, primary.region: failback_document}
        keys = [primary.key.arn, *([dr.key.arn] if rehearsal and dr is not None else [])]
        aws.iam.RolePolicy(
            child(name, "policy"),
            role=self.role.id,
            policy=pulumi.Output.all(
                account=account_id,
                templates=dict(templates),
                automations=automations,
                automation_role=automation_role_arn if rehearsal else None,
                keys=keys,
            ).apply(lambda v: json.dumps(scheduler_policy(template_region=primary.region, **v))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        groups = {primary.region: self._group(primary)}
        if rehearsal and dr is not None:
            groups[dr.region] = self._group(dr)
        schedules: dict[str, aws.scheduler.Schedule] = {}
        for drill, template in templates.items():
            input_ = pulumi.Output.from_input(template).apply(
                lambda t: json.dumps({"ExperimentTemplateId": t, "ClientToken": "<aws.scheduler.execution-id>"})
            )
            schedules[drill] = self._schedule(
                drill, primary, groups[primary.region], "arn:aws:scheduler:::aws-sdk:fis:startExperiment", input_
            )
        if rehearsal and dr is not None:
            for run, region, document in (
                ("failover-rehearsal", dr, failover_document),
                ("failback-rehearsal", primary, failback_document),
            ):
                # The runbooks resolve the health checks themselves (fintech_infra.dr_dns): only the mode is given.
                request: dict[str, Any] = {"DocumentName": document}
                if run == "failover-rehearsal":
                    request["Parameters"] = {"Mode": ["planned"]}
                input_ = pulumi.Output.json_dumps(request)
                schedules[run] = self._schedule(
                    run,
                    region,
                    groups[region.region],
                    "arn:aws:scheduler:::aws-sdk:ssm:startAutomationExecution",
                    input_,
                )
        self.schedules = schedules
        self.role_arn = self.role.arn
        self.register_outputs({"schedules": {run: s.name for run, s in schedules.items()}, "role_arn": self.role_arn})

    def _group(self, region: ScheduleRegion) -> aws.scheduler.ScheduleGroup:
        return aws.scheduler.ScheduleGroup(
            child(self._name, f"group-{region.region}"),
            name=physical("fintech-infra", self._cell, "dr"),
            opts=pulumi.ResourceOptions(parent=self, provider=region.provider),
        )

    def _schedule(
        self,
        run: str,
        region: ScheduleRegion,
        group: aws.scheduler.ScheduleGroup,
        target_arn: str,
        input_: pulumi.Input[str],
    ) -> aws.scheduler.Schedule:
        scheduled: ScheduledRun = run  # type: ignore[assignment]
        return aws.scheduler.Schedule(
            child(self._name, run),
            name=physical("fintech-infra", self._cell, run),
            group_name=group.name,
            description=f"Cell {self._cell}: {run}",
            schedule_expression=self._settings.expression(scheduled),
            schedule_expression_timezone=self._timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            kms_key_arn=region.key.arn,
            target=aws.scheduler.ScheduleTargetArgs(
                arn=target_arn,
                role_arn=self.role.arn,
                input=input_,
                # A drill that did not start is not retried later in the day: someone reads why first.
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=region.provider),
        )
