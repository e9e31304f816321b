"""DrRunbooks: a cell's region-failover and failback runbooks as SSM Automation documents.

The steps come from :mod:`fintech_infra.dr_steps` (generated from what the cell contains); this module
renders them as Automation documents (``documentType: Automation``, ``schemaVersion: 0.3``), gives them
an assume role scoped to the cell's resources, and sends their script output to an encrypted log group.

- **Failover** lives in the DR region (it must run when the primary region is down); **failback** in the
  primary region (it runs once the primary is back).
- **DNS: a Route 53 health-check inversion, not an ARC routing control.** The entity records are already
  PRIMARY/SECONDARY failover records on a health check of the primary ALB (:mod:`fintech_infra.dns`); an
  inverted check (``UpdateHealthCheck Inverted=true``) moves traffic to the warm standby without touching
  the records and is reverted the same way. An ARC cluster would make the flip a data-plane call in five
  regions, at about 2.5 USD per cluster-hour (~1,800 USD a month) for one more moving part; the
  failures rehearsed here are losses of the cell's own region, independent of Route 53's control plane.
  The health checks are the routing stack's, in the zones account, created after this stack: the runbooks find
  them at run time through a role there (:mod:`fintech_infra.dr_dns`), so no id is ever copied into config.
- **Logging.** SSM Automation sends the output of ``aws:executeScript`` steps (only those) to the log
  group set in the account-and-region service setting ``/ssm/automation/customer-script-log-group-name``,
  encrypted when the group is (https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-logging.html,
  checked 2026-12-07). Every verification and publishing step is such a script and prints a JSON record;
  every API call the assume role makes is in CloudTrail (the cell's audit trail).
- **YAML documents**: the verify, publish and DNS steps embed their scripts, which AWS accepts in YAML runbooks only
  (:data:`fintech_infra.dr_steps.SCRIPT_NEEDS_YAML`).
- Every step has ``timeoutSeconds`` (three times its planning figure; an ``aws:executeScript`` attempt at most 600 s,
  with ``maxAttempts`` making up the rest of a longer wait) and ``onFailure``: a mutating call
  is ``Continue`` (a repeat on a resource already in its target state fails harmlessly) and is followed by
  a verifying step that aborts the runbook when the state is not reached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
import yaml

from fintech_infra._component import FintechComponent
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child
from fintech_infra.dr_dns import dns_role_arn
from fintech_infra.dr_steps import CellShape, Step
from fintech_infra.logs import encrypted_log_group
from fintech_infra.runbook_steps import failback_steps, failover_steps
from fintech_infra.wiring import KeyRef

__all__ = ["AUTOMATION_LOG_SETTINGS", "DrRunbooks", "RegionTargets", "render_document"]

AUTOMATION_LOG_SETTINGS = {
    "destination": "/ssm/automation/customer-script-log-destination",
    "group": "/ssm/automation/customer-script-log-group-name",
}
"""The SSM service settings that send aws:executeScript output to CloudWatch Logs (source in the docstring)."""


@dataclass(frozen=True)
class RegionTargets:
    """What a runbook needs from one region that only exists as Outputs."""

    region: str
    provider: pulumi.ProviderResource
    log_key: KeyRef
    cluster_name: pulumi.Input[str]
    nodegroup_name: pulumi.Input[str] | None
    cache_group_id: pulumi.Input[str] | None
    subnet_groups: Mapping[str, pulumi.Input[str]]
    security_groups: Mapping[str, pulumi.Input[str]]
    keys: Mapping[str, pulumi.Input[str]]


def _parameters(shape: CellShape, steps: Sequence[Step], values: Mapping[str, Any], *, mode: bool) -> dict[str, Any]:
    text = json.dumps([step.inputs for step in steps])
    params: dict[str, Any] = {}
    if mode:
        params["Mode"] = {
            "type": "String",
            "allowedValues": ["planned", "unplanned"],
            "description": "planned: Aurora switchover (drills, RPO 0); unplanned: Aurora failover (region lost).",
        }
    for name, value in values.items():
        if "{{ " + name + " }}" in text and value is not None:
            params[name] = {"type": "String", "default": value}
    return params


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line strings (the embedded scripts), so the document reads like the scripts do."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def document_yaml(document: Mapping[str, Any]) -> str:
    """The Automation document as YAML (keys sorted, so the content is stable between runs)."""
    return yaml.dump(dict(document), Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=10_000)


def render_document(
    shape: CellShape,
    steps: Sequence[Step],
    *,
    role_arn: str,
    values: Mapping[str, Any],
    mode: bool,
    description: str,
) -> dict[str, Any]:
    """The Automation document (schema 0.3) of ``steps``; ``values`` are the parameters' defaults."""
    rendered: list[dict[str, Any]] = []
    for index, step in enumerate(steps):
        body: dict[str, Any] = {
            "name": step.name,
            "action": step.action,
            "timeoutSeconds": step.timeout_seconds,
            "onFailure": step.on_failure,
            "inputs": dict(step.inputs),
        }
        if step.max_attempts > 1:
            body["maxAttempts"] = step.max_attempts
        if step.outputs:
            body["outputs"] = [dict(output) for output in step.outputs]
        following = next((later for later in steps[index + 1 :] if later.path != "unplanned"), None)
        if step.path == "planned" and following is not None:
            body["nextStep"] = following.name  # past the unplanned siblings that follow it
        rendered.append(body)
    return {
        "schemaVersion": "0.3",
        "description": description,
        "assumeRole": role_arn,
        "parameters": _parameters(shape, steps, values, mode=mode),
        "mainSteps": rendered,
    }


def _values(shape: CellShape, resolved: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "DnsRoleArn": dns_role_arn(resolved["dns_account"], shape.cell),
        "ClusterName": resolved["cluster"],
        "NodegroupName": resolved["nodegroup"],
        "CacheReplicationGroupId": resolved["cache"],
    }
    for concern in shape.concerns:
        name = concern.concern
        values[f"{name}SubnetGroup"] = resolved["subnets"].get(name)
        values[f"{name}SecurityGroup"] = resolved["groups"].get(name)
        values[f"{name}KeyArn"] = resolved["keys"].get(name)
    return values


class DrRunbooks(FintechComponent):
    """The cell's failover (DR region) and failback (primary region) Automation documents and their role."""

    TYPE: ClassVar[str] = "fintech:dr:DrRunbooks"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "failover_document": "Name of the failover document (in the DR region).",
        "failback_document": "Name of the failback document (in the primary region).",
        "role_arn": "The Automation assume role.",
    }

    def __init__(
        self,
        name: str,
        shape: CellShape,
        *,
        account_id: pulumi.Input[str],
        dns_account_id: pulumi.Input[str],
        primary: RegionTargets,
        dr: RegionTargets,
        log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, opts)
        self.shape = shape
        self._dns_account = dns_account_id
        self.log_group_name = f"/fintech-infra/{shape.cell}/dr-runbooks"
        self.failover = failover_steps(shape)
        self.failback = failback_steps(shape)
        self.log_groups = {target.region: self._log_group(name, target, log_retention_days) for target in (primary, dr)}
        self.role = aws.iam.Role(
            child(name, "role"),
            assume_role_policy=service_trust_policy("ssm.amazonaws.com"),
            description=f"SSM Automation role of cell {shape.cell}'s DR runbooks: only this cell's resources",
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            child(name, "policy"),
            role=self.role.id,
            policy=pulumi.Output.all(
                account=account_id,
                dns_account=dns_account_id,
                clusters={target.region: target.cluster_name for target in (primary, dr)},
                nodegroups={target.region: target.nodegroup_name for target in (primary, dr) if target.nodegroup_name},
                keys=[*primary.keys.values(), *dr.keys.values()],
                groups=[group.arn for group in self.log_groups.values()],
            ).apply(lambda v: json.dumps(runbook_policy(shape, **v))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.failover_document = self._document(
            "failover", dr, self.failover, mode=True, description=f"Fail cell {shape.cell} over to {shape.dr_region}"
        )
        self.failback_document = self._document(
            "failback",
            primary,
            self.failback,
            mode=False,
            description=f"Fail cell {shape.cell} back to {shape.primary_region}",
        )
        self.role_arn = self.role.arn
        self.register_outputs(
            {
                "failover_document": self.failover_document.name,
                "failback_document": self.failback_document.name,
                "role_arn": self.role_arn,
            }
        )

    def _log_group(self, name: str, target: RegionTargets, retention: int) -> aws.cloudwatch.LogGroup:
        opts = pulumi.ResourceOptions(parent=self, provider=target.provider)
        group = encrypted_log_group(
            child(name, f"logs-{target.region}"),
            key=target.log_key,
            retention_days=retention,
            parent=self,
            # A fixed name: the account-level service setting and the operators' queries name it.
            log_group_name=self.log_group_name,
            opts=opts,
        )
        # One setting per account and region: the cell owns its account (as for RDSOSMetrics, cell_region.py).
        aws.ssm.ServiceSetting(
            child(name, f"log-destination-{target.region}"),
            setting_id=AUTOMATION_LOG_SETTINGS["destination"],
            setting_value="CloudWatch",
            opts=opts,
        )
        aws.ssm.ServiceSetting(
            child(name, f"log-group-{target.region}"),
            setting_id=AUTOMATION_LOG_SETTINGS["group"],
            setting_value=self.log_group_name,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[group])),
        )
        return group

    def _document(
        self, role: str, target: RegionTargets, steps: Sequence[Step], *, mode: bool, description: str
    ) -> aws.ssm.Document:
        shape = self.shape
        content = pulumi.Output.all(
            role_arn=self.role.arn,
            dns_account=self._dns_account,
            cluster=target.cluster_name,
            nodegroup=target.nodegroup_name,
            cache=target.cache_group_id,
            subnets=dict(target.subnet_groups),
            groups=dict(target.security_groups),
            keys=dict(target.keys),
        ).apply(
            lambda v: document_yaml(
                render_document(
                    shape,
                    steps,
                    role_arn=v["role_arn"],
                    values=_values(shape, v),
                    mode=mode,
                    description=description,
                )
            )
        )
        return aws.ssm.Document(
            child(self._name, role),
            name=f"fintech-infra-{shape.cell}-{role}",
            document_type="Automation",
            document_format="YAML",  # the steps embed scripts, which JSON runbooks cannot (SCRIPT_NEEDS_YAML)
            content=content,
            opts=pulumi.ResourceOptions(parent=self, provider=target.provider),
        )


def runbook_policy(
    shape: CellShape,
    *,
    account: str,
    dns_account: str,
    clusters: Mapping[str, str],
    nodegroups: Mapping[str, str],
    keys: Sequence[str],
    groups: Sequence[str],
) -> dict[str, Any]:
    """Least privilege: each mutating action on this cell's ARNs only; reads where AWS has no resource scope."""
    regions = (shape.primary_region, shape.dr_region)
    dbs = [
        f"arn:aws:rds:{region}:{account}:db:{identifier}"
        for region in regions
        for c in shape.concerns
        for identifier in (c.identifier, c.dr_identifier, f"{c.identifier}-home")
    ]
    rds_clusters = [
        f"arn:aws:rds:{region}:{account}:cluster:{identifier}"
        for region in regions
        for c in shape.concerns
        if c.kind == "aurora-global"
        for identifier in (c.identifier, c.dr_identifier)
    ]
    global_clusters = [
        f"arn:aws:rds::{account}:global-cluster:{c.global_identifier}" for c in shape.concerns if c.global_identifier
    ]
    parameters = [
        f"arn:aws:ssm:{region}:{account}:parameter/fintech-infra/{shape.cell}/routing/{entity}"
        for region in regions
        for entity in shape.entities
    ]
    statements: list[dict[str, Any]] = [
        # Reads on '*' only where the Service Authorization Reference lists no resource type.
        {"Sid": "Describe", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
        {
            "Sid": "DescribeDatabases",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstances", "rds:DescribeDBInstanceAutomatedBackups"],
            "Resource": [*dbs, *[f"arn:aws:rds:{region}:{account}:auto-backup:*" for region in regions]],
        },
        {
            "Sid": "DescribeCaches",
            "Effect": "Allow",
            "Action": ["elasticache:DescribeReplicationGroups"],
            "Resource": [f"arn:aws:elasticache:{region}:{account}:replicationgroup:*" for region in regions],
        },
        {
            "Sid": "Databases",
            "Effect": "Allow",
            "Action": [
                "rds:PromoteReadReplica",
                "rds:ModifyDBInstance",
                "rds:RestoreDBInstanceToPointInTime",
                "rds:CreateDBInstanceReadReplica",
                "rds:AddTagsToResource",
            ],
            "Resource": [
                *dbs,
                *[f"arn:aws:rds:{region}:{account}:auto-backup:*" for region in regions],
                *[f"arn:aws:rds:{region}:{account}:subgrp:*" for region in regions],
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": list(regions)}},
        },
        {
            "Sid": "RdsManagedSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
            "Resource": [f"arn:aws:secretsmanager:{region}:{account}:secret:rds!*" for region in regions],
        },
        {
            "Sid": "ConcernKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": list(keys),
        },
        {
            "Sid": "RoutingManifests",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Resource": parameters,
        },
        {
            "Sid": "RunbookLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [f"{arn}:*" for arn in groups],
        },
        {
            # The health checks are in the zones account: the role there reads and inverts this cell's only.
            "Sid": "DnsRole",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": dns_role_arn(dns_account, shape.cell),
        },
    ]
    if rds_clusters:
        statements.append(
            {
                "Sid": "GlobalDatabases",
                "Effect": "Allow",
                "Action": [
                    "rds:SwitchoverGlobalCluster",
                    "rds:FailoverGlobalCluster",
                    "rds:DescribeGlobalClusters",
                    "rds:DescribeDBClusters",
                ],
                "Resource": [*global_clusters, *rds_clusters],
            }
        )
    if shape.compute == "ecs":
        statements.append(
            {
                "Sid": "Services",
                "Effect": "Allow",
                "Action": ["ecs:UpdateService", "ecs:DescribeServices"],
                "Resource": [
                    f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"
                    for region, cluster in clusters.items()
                    for service in shape.services
                ],
            }
        )
    else:
        statements.append(
            {
                "Sid": "Nodes",
                "Effect": "Allow",
                "Action": ["eks:UpdateNodegroupConfig", "eks:DescribeNodegroup"],
                "Resource": [
                    f"arn:aws:eks:{region}:{account}:nodegroup/{clusters[region]}/{nodegroup}/*"
                    for region, nodegroup in nodegroups.items()
                ],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
