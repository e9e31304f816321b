"""CellDrills: a cell's in-region AWS FIS experiment templates, their role, stop conditions and logs.

Four templates (action ids and targets from :data:`fintech_infra.fis_facts.FIS_ACTIONS`):

- ``database-failover``: each Aurora cluster fails over (``aws:rds:failover-db-cluster``), each RDS instance
  reboots with failover to its standby (``aws:rds:reboot-db-instances``, ``forceFailover``);
- ``compute-kill``: half of each ECS service's tasks stop (``aws:ecs:stop-task``), or a third of the EKS node
  group's instances terminate (``aws:eks:terminate-nodegroup-instances``: no service account in the cluster
  needed, unlike ``aws:eks:pod-delete``);
- ``network-disruption``: the application (private) subnet tier of one AZ loses connectivity for 5 minutes
  (``aws:network:disrupt-connectivity``);
- ``az-power-interruption``: the scenario's actions this cell has targets for (every subnet of one AZ cut off,
  the databases failed over) for 10 minutes.

Every template stops on the alarms :func:`stop_condition_alarms` selects, logs to an encrypted log group, and
runs as a role that can act on this cell's resources only: each mutating action is scoped to the cell's
ARNs (databases, subnets, the ECS cluster or node group) or, for network ACLs FIS creates, to the
``managedByFIS`` tag FIS puts on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.errors import ConfigError
from fintech_infra.fis_facts import FIS_ACTIONS
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import KeyRef

__all__ = ["DRILLS", "CellDrills", "DrillTargets", "drill_policy", "stop_condition_alarms"]

DRILLS = ("database-failover", "compute-kill", "network-disruption", "az-power-interruption")
"""The in-region drills, one experiment template each."""


def stop_condition_alarms(edge_alarms: Sequence[aws.cloudwatch.MetricAlarm]) -> list[pulumi.Output[str]]:
    """The alarms every drill stops on: the cell's critical-tier, user-facing ones (the edge's 5xx rate, which
    pages; :mod:`fintech_infra.alert_tiers`). The one place that chooses them."""
    return [alarm.arn for alarm in edge_alarms]


@dataclass(frozen=True)
class DrillTargets:
    """The cell's resources in one region that the drills act on."""

    region: str
    clusters: Mapping[str, pulumi.Input[str]]
    """Aurora concern to cluster ARN."""
    instances: Mapping[str, pulumi.Input[str]]
    """RDS-instance concern to instance ARN."""
    compute: str
    ecs_cluster_arn: pulumi.Input[str] | None
    ecs_cluster_name: pulumi.Input[str] | None
    services: Sequence[str]
    nodegroup_arn: pulumi.Input[str] | None
    eks_cluster_name: pulumi.Input[str] | None
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Application subnets, in AZ order."""
    isolated_subnet_ids: Sequence[pulumi.Input[str]]
    """Data subnets, in AZ order."""


def _action(name: str, action_id: str, target: str, **parameters: str) -> aws.fis.ExperimentTemplateActionArgs:
    facts = FIS_ACTIONS[action_id]
    return aws.fis.ExperimentTemplateActionArgs(
        name=name,
        action_id=action_id,
        target=aws.fis.ExperimentTemplateActionTargetArgs(key=facts.target_key, value=target),
        parameters=[aws.fis.ExperimentTemplateActionParameterArgs(key=k, value=v) for k, v in parameters.items()]
        or None,
    )


def _target(
    name: str,
    action_id: str,
    *,
    arns: Sequence[pulumi.Input[str]] | None = None,
    mode: str = "ALL",
    parameters: Mapping[str, pulumi.Input[str]] | None = None,
) -> aws.fis.ExperimentTemplateTargetArgs:
    return aws.fis.ExperimentTemplateTargetArgs(
        name=name,
        resource_type=FIS_ACTIONS[action_id].resource_type,
        selection_mode=mode,
        resource_arns=list(arns) if arns is not None else None,
        parameters=dict(parameters) if parameters is not None else None,
    )


def _subnet_arns(region: str, account: pulumi.Input[str], ids: Sequence[pulumi.Input[str]]) -> list[pulumi.Output[str]]:
    return [pulumi.Output.concat("arn:aws:ec2:", region, ":", account, ":subnet/", subnet) for subnet in ids]


def _database_actions(
    targets: DrillTargets,
) -> tuple[list[aws.fis.ExperimentTemplateActionArgs], list[aws.fis.ExperimentTemplateTargetArgs]]:
    actions, found = [], []
    for concern, arn in targets.clusters.items():
        actions.append(_action(f"{concern}-failover", "aws:rds:failover-db-cluster", f"{concern}-cluster"))
        found.append(_target(f"{concern}-cluster", "aws:rds:failover-db-cluster", arns=[arn]))
    for concern, arn in targets.instances.items():
        actions.append(
            _action(f"{concern}-reboot", "aws:rds:reboot-db-instances", f"{concern}-instance", forceFailover="true")
        )
        found.append(_target(f"{concern}-instance", "aws:rds:reboot-db-instances", arns=[arn]))
    return actions, found


def _compute_actions(
    targets: DrillTargets,
) -> tuple[list[aws.fis.ExperimentTemplateActionArgs], list[aws.fis.ExperimentTemplateTargetArgs]]:
    if targets.compute == "eks" and targets.nodegroup_arn is not None:
        action = "aws:eks:terminate-nodegroup-instances"
        return [_action("nodes-terminate", action, "nodes", instanceTerminationPercentage="34")], [
            _target("nodes", action, arns=[targets.nodegroup_arn])
        ]
    action = "aws:ecs:stop-task"
    assert targets.ecs_cluster_name is not None
    return [_action(f"{service}-stop-tasks", action, f"{service}-tasks") for service in targets.services], [
        _target(
            f"{service}-tasks",
            action,
            mode="PERCENT(50)",
            parameters={"cluster": targets.ecs_cluster_name, "service": service},
        )
        for service in targets.services
    ]


def _disrupt(
    name: str, subnets: Sequence[pulumi.Input[str]], duration: str
) -> tuple[aws.fis.ExperimentTemplateActionArgs, aws.fis.ExperimentTemplateTargetArgs]:
    action = "aws:network:disrupt-connectivity"
    return (
        _action(name, action, f"{name}-subnets", duration=duration, scope="all"),
        _target(f"{name}-subnets", action, arns=subnets),
    )


class CellDrills(FintechComponent):
    """The cell's FIS experiment templates in one region, with their role and log group."""

    TYPE: ClassVar[str] = "fintech:dr:CellDrills"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "templates": "Drill name to FIS experiment template id.",
        "role_arn": "The role FIS runs the experiments as.",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        targets: DrillTargets,
        account_id: pulumi.Input[str],
        stop_alarm_arns: Sequence[pulumi.Input[str]],
        logs_key: KeyRef,
        log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not stop_alarm_arns:
            raise ConfigError(
                f"CellDrills {name!r}: stop_alarm_arns: [] would let a drill run on through an outage; "
                "allowed: one or more CloudWatch alarm ARNs (stop_condition_alarms(...))"
            )
        super().__init__(self.TYPE, name, opts)
        here = pulumi.ResourceOptions(parent=self)
        self.log_group = encrypted_log_group(
            child(name, "logs"),
            key=logs_key,
            retention_days=log_retention_days,
            parent=self,
            log_group_name=f"/fintech-infra/{cell}/fis",
        )
        self.role = aws.iam.Role(
            child(name, "role"),
            assume_role_policy=pulumi.Output.from_input(account_id).apply(
                lambda account: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "fis.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                            }
                        ],
                    }
                )
            ),
            description=f"AWS FIS drills of cell {cell}: this cell's resources only",
            opts=here,
        )
        subnets = [*targets.private_subnet_ids, *targets.isolated_subnet_ids]
        aws.iam.RolePolicy(
            child(name, "policy"),
            role=self.role.id,
            policy=pulumi.Output.all(
                account=account_id,
                clusters=list(targets.clusters.values()),
                instances=list(targets.instances.values()),
                ecs_cluster=targets.ecs_cluster_arn,
                nodegroup=targets.nodegroup_arn,
                eks_cluster=targets.eks_cluster_name,
                vpc=targets.vpc_id,
                subnets=subnets,
            ).apply(lambda v: json.dumps(drill_policy(targets.region, **v))),
            opts=here,
        )
        self.templates = {
            drill: self._template(name, cell, drill, targets, account_id, stop_alarm_arns) for drill in DRILLS
        }
        self.role_arn = self.role.arn
        self.register_outputs(
            {"templates": {drill: t.id for drill, t in self.templates.items()}, "role_arn": self.role_arn}
        )

    def _template(
        self,
        name: str,
        cell: str,
        drill: str,
        targets: DrillTargets,
        account: pulumi.Input[str],
        stop_alarm_arns: Sequence[pulumi.Input[str]],
    ) -> aws.fis.ExperimentTemplate:
        zone_private = _subnet_arns(targets.region, account, targets.private_subnet_ids[:1])
        zone_all = _subnet_arns(
            targets.region, account, [*targets.private_subnet_ids[:1], *targets.isolated_subnet_ids[:1]]
        )
        actions: list[aws.fis.ExperimentTemplateActionArgs] = []
        found: list[aws.fis.ExperimentTemplateTargetArgs] = []
        if drill == "database-failover":
            actions, found = _database_actions(targets)
        elif drill == "compute-kill":
            actions, found = _compute_actions(targets)
        elif drill == "network-disruption":
            action, target = _disrupt("app-tier", zone_private, "PT5M")
            actions, found = [action], [target]
        else:
            action, target = _disrupt("zone", zone_all, "PT10M")
            databases, database_targets = _database_actions(targets)
            actions, found = [action, *databases], [target, *database_targets]
        return aws.fis.ExperimentTemplate(
            child(name, drill),
            description=f"{drill} drill of cell {cell}",
            role_arn=self.role.arn,
            stop_conditions=[
                aws.fis.ExperimentTemplateStopConditionArgs(source="aws:cloudwatch:alarm", value=arn)
                for arn in stop_alarm_arns
            ],
            actions=actions,
            targets=found,
            log_configuration=aws.fis.ExperimentTemplateLogConfigurationArgs(
                log_schema_version=2,
                cloudwatch_logs_configuration=aws.fis.ExperimentTemplateLogConfigurationCloudwatchLogsConfigurationArgs(
                    log_group_arn=pulumi.Output.concat(self.log_group.arn, ":*")
                ),
            ),
            tags={"Drill": drill},
            opts=pulumi.ResourceOptions(parent=self),
        )


def drill_policy(
    region: str,
    *,
    account: str,
    clusters: Sequence[str],
    instances: Sequence[str],
    ecs_cluster: str | None,
    nodegroup: str | None,
    eks_cluster: str | None,
    vpc: str,
    subnets: Sequence[str],
) -> dict[str, Any]:
    """Least privilege: every mutating action on this cell's ARNs, or on network ACLs FIS tagged itself."""
    acl = f"arn:aws:ec2:{region}:{account}:network-acl/*"
    fis_tag = {"aws:ResourceTag/managedByFIS": "true"}
    statements: list[dict[str, Any]] = [
        {
            # Only actions the Service Authorization Reference lists without a resource type stay on '*'.
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:DescribeManagedPrefixLists",
            ],
            "Resource": "*",
        },
        {
            # AWS-managed prefix lists (the S3/DynamoDB scopes of aws:network:disrupt-connectivity) are owned by "aws".
            "Sid": "PrefixListEntries",
            "Effect": "Allow",
            "Action": ["ec2:GetManagedPrefixListEntries"],
            "Resource": f"arn:aws:ec2:{region}:aws:prefix-list/*",
        },
        {"Sid": "LogDelivery", "Effect": "Allow", "Action": ["logs:CreateLogDelivery"], "Resource": "*"},
        {
            # CloudWatch Logs asks for these three on log-group:* (not one group) to set up vended log delivery.
            "Sid": "LogGroupPolicy",
            "Effect": "Allow",
            "Action": ["logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
            "Resource": f"arn:aws:logs:{region}:{account}:log-group:*",
        },
        {
            "Sid": "CreateAcl",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkAcl"],
            "Resource": [f"arn:aws:ec2:{region}:{account}:vpc/{vpc}", acl],
        },
        {
            "Sid": "TagAclOnCreate",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": acl,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateNetworkAcl"}},
        },
        {
            "Sid": "OwnAcls",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
            "Resource": acl,
            "Condition": {"StringEquals": fis_tag},
        },
        {
            "Sid": "CellSubnets",
            "Effect": "Allow",
            "Action": ["ec2:ReplaceNetworkAclAssociation"],
            "Resource": [*[f"arn:aws:ec2:{region}:{account}:subnet/{s}" for s in subnets], acl],
        },
    ]
    if clusters:
        statements.append(
            {
                "Sid": "Clusters",
                "Effect": "Allow",
                "Action": ["rds:FailoverDBCluster", "rds:DescribeDBClusters"],
                "Resource": list(clusters),
            }
        )
    if instances:
        statements.append(
            {
                "Sid": "Instances",
                "Effect": "Allow",
                "Action": ["rds:RebootDBInstance", "rds:DescribeDBInstances"],
                "Resource": list(instances),
            }
        )
    if ecs_cluster is not None:
        # arn:aws:ecs:<region>:<account>:cluster/<name>: tasks and container instances live under the name.
        cluster_name = ecs_cluster.rsplit("/", 1)[-1]
        statements.append(
            {
                "Sid": "Tasks",
                "Effect": "Allow",
                "Action": ["ecs:StopTask", "ecs:DescribeTasks"],
                "Resource": f"arn:aws:ecs:{region}:{account}:task/{cluster_name}/*",
                "Condition": {"ArnEquals": {"ecs:cluster": ecs_cluster}},
            }
        )
        statements.append(
            {
                "Sid": "ListTasks",
                "Effect": "Allow",
                "Action": ["ecs:ListTasks"],
                "Resource": f"arn:aws:ecs:{region}:{account}:container-instance/{cluster_name}/*",
                "Condition": {"ArnEquals": {"ecs:cluster": ecs_cluster}},
            }
        )
    if nodegroup is not None and eks_cluster is not None:
        statements.append(
            {"Sid": "Nodegroup", "Effect": "Allow", "Action": ["eks:DescribeNodegroup"], "Resource": nodegroup}
        )
        statements.append(
            {
                "Sid": "Nodes",
                "Effect": "Allow",
                "Action": ["ec2:TerminateInstances"],
                "Resource": f"arn:aws:ec2:{region}:{account}:instance/*",
                "Condition": {"StringEquals": {"aws:ResourceTag/eks:cluster-name": eks_cluster}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
