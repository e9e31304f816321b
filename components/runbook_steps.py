"""The steps of a cell's failover and failback runbooks, generated from what the cell contains.

A concern gets the steps of its DR mechanism (Aurora global switchover/failover, replica promotion, restore
from replicated automated backups); a cell without a concern gets none for it. The timing model and the
figures are :mod:`fintech_infra.dr_steps`; the rendering into an SSM Automation document is
:mod:`fintech_infra.runbook`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fintech_infra.dr_dns import DNS_SESSION, HEALTH_CHECK_TAG_PREFIX
from fintech_infra.dr_steps import FIGURES, CellShape, ConcernShape, Step, recovery_figure
from fintech_infra.runbook_scripts import DNS_SCRIPT, PUBLISH_MANIFEST_SCRIPT, VERIFY_WRITER_SCRIPT

__all__ = ["failback_steps", "failover_steps"]


_RETRY = (
    "a repeat of the call on a resource already in the target state fails harmlessly (onFailure: Continue) "
    "and the verifying step that follows is what decides"
)


def _database_steps(shape: CellShape, concern: ConcernShape) -> list[Step]:
    name, dr = concern.concern, shape.dr_region
    cluster_arn = f"arn:aws:rds:{dr}:{{{{global:ACCOUNT_ID}}}}:cluster:{concern.dr_identifier}"
    if concern.kind == "aurora-global":
        return [
            Step(
                f"{name}Branch",
                "aws:branch",
                {
                    "Choices": [{"NextStep": f"{name}Switchover", "Variable": "{{ Mode }}", "StringEquals": "planned"}],
                    "Default": f"{name}Failover",
                },
                "api-call",
                idempotent="reads a parameter only",
            ),
            Step(
                f"{name}Switchover",
                "aws:executeAwsApi",
                {
                    "Service": "rds",
                    "Api": "SwitchoverGlobalCluster",
                    "GlobalClusterIdentifier": concern.global_identifier,
                    "TargetDbClusterIdentifier": cluster_arn,
                },
                "aurora-global-switchover",
                kind="start",
                operation=name,
                path="planned",
                idempotent=_RETRY,
                on_failure="Continue",
            ),
            Step(
                f"{name}Failover",
                "aws:executeAwsApi",
                {
                    "Service": "rds",
                    "Api": "FailoverGlobalCluster",
                    "GlobalClusterIdentifier": concern.global_identifier,
                    "TargetDbClusterIdentifier": cluster_arn,
                    "AllowDataLoss": True,
                },
                "aurora-global-failover",
                kind="start",
                operation=name,
                path="unplanned",
                idempotent=_RETRY,
                on_failure="Continue",
            ),
        ]
    if concern.kind == "promote-replica":
        return [
            Step(
                f"{name}Promote",
                "aws:executeAwsApi",
                {"Service": "rds", "Api": "PromoteReadReplica", "DBInstanceIdentifier": concern.dr_identifier},
                "replica-promotion",
                kind="start",
                operation=name,
                idempotent=_RETRY,
                on_failure="Continue",
            )
        ]
    return [
        Step(
            f"{name}FindBackups",
            "aws:executeAwsApi",
            {"Service": "rds", "Api": "DescribeDBInstanceAutomatedBackups", "DBInstanceIdentifier": concern.identifier},
            "api-call",
            idempotent="a read",
            outputs=(
                {
                    "Name": "Arn",
                    "Selector": "$.DBInstanceAutomatedBackups[0].DBInstanceAutomatedBackupsArn",
                    "Type": "String",
                },
            ),
        ),
        Step(
            f"{name}Restore",
            "aws:executeAwsApi",
            {
                "Service": "rds",
                "Api": "RestoreDBInstanceToPointInTime",
                "SourceDBInstanceAutomatedBackupsArn": f"{{{{ {name}FindBackups.Arn }}}}",
                "TargetDBInstanceIdentifier": concern.dr_identifier,
                "UseLatestRestorableTime": True,
                "DBSubnetGroupName": f"{{{{ {name}SubnetGroup }}}}",
                "VpcSecurityGroupIds": [f"{{{{ {name}SecurityGroup }}}}"],
                "MultiAZ": True,
                "ManageMasterUserPassword": True,
                "MasterUserSecretKmsKeyId": f"{{{{ {name}KeyArn }}}}",
                "DeletionProtection": True,
            },
            "pitr-restore",
            kind="start",
            operation=name,
            idempotent="TargetDBInstanceIdentifier is fixed: a second restore fails with DBInstanceAlreadyExists",
            on_failure="Continue",
        ),
    ]


def _manage_secret(concern: ConcernShape) -> Step:
    """A promoted replica is standalone with the source's password: give it an RDS-managed secret in its region."""
    return Step(
        f"{concern.concern}ManageSecret",
        "aws:executeAwsApi",
        {
            "Service": "rds",
            "Api": "ModifyDBInstance",
            "DBInstanceIdentifier": concern.dr_identifier,
            "ManageMasterUserPassword": True,
            "MasterUserSecretKmsKeyId": f"{{{{ {concern.concern}KeyArn }}}}",
            "ApplyImmediately": True,
        },
        "api-call",
        idempotent=(
            "a repeat on an instance whose password RDS already manages fails harmlessly (onFailure: Continue); the "
            "publishing step reads MasterUserSecret and fails without one"
        ),
        on_failure="Continue",
    )


def _verify_database(shape: CellShape, concern: ConcernShape, figure: str) -> Step:
    return Step(
        f"{concern.concern}Verify",
        "aws:executeScript",
        {
            "Runtime": "python3.11",
            "Handler": "verify_writer",
            "Script": VERIFY_WRITER_SCRIPT,
            "InputPayload": {
                "kind": concern.kind,
                "identifier": concern.dr_identifier,
                "global_identifier": concern.global_identifier or "",
                "region": shape.dr_region,
            },
        },
        figure,
        kind="wait",
        operation=concern.concern,
        idempotent="a read: polls until the DR copy is a writable, available writer, and logs what it found",
    )


def _publish(shape: CellShape, concerns: Sequence[ConcernShape], region: str, role: str, suffix: str) -> Step:
    return Step(
        f"PublishManifest{suffix}",
        "aws:executeScript",
        {
            "Runtime": "python3.11",
            "Handler": "publish",
            "Script": PUBLISH_MANIFEST_SCRIPT,
            "InputPayload": {
                "region": region,
                "role": role,
                "parameters": [f"/fintech-infra/{shape.cell}/routing/{entity}" for entity in shape.entities],
                # dr_identifier: where the writer is once the steps before have run.
                "databases": {c.concern: [c.kind, c.dr_identifier] for c in concerns},
            },
        },
        "api-call",
        idempotent="writes the same endpoints again (PutParameter Overwrite)",
    )


def _scale(shape: CellShape, concerns: Sequence[str], suffix: str, *, desired: str = "production") -> list[Step]:
    if shape.compute == "eks":
        size = shape.services.get("nodes", 1) if desired == "production" else 1
        return [
            Step(
                f"ScaleNodes{suffix}",
                "aws:executeAwsApi",
                {
                    "Service": "eks",
                    "Api": "UpdateNodegroupConfig",
                    "clusterName": "{{ ClusterName }}",
                    "nodegroupName": "{{ NodegroupName }}",
                    "scalingConfig": {"minSize": size, "desiredSize": size},
                },
                "eks-scale",
                kind="start",
                operation=f"nodes{suffix}",
                idempotent="sets absolute sizes; repeating sets the same sizes",
            ),
            Step(
                f"WaitNodes{suffix}",
                "aws:waitForAwsResourceProperty",
                {
                    "Service": "eks",
                    "Api": "DescribeNodegroup",
                    "clusterName": "{{ ClusterName }}",
                    "nodegroupName": "{{ NodegroupName }}",
                    "PropertySelector": "$.nodegroup.status",
                    "DesiredValues": ["ACTIVE"],
                },
                "eks-scale",
                kind="wait",
                operation=f"nodes{suffix}",
                serves=tuple(concerns),
                idempotent="a read",
            ),
        ]
    steps: list[Step] = []
    for service, count in shape.services.items():
        tag = service.replace("-", "").capitalize()
        steps.append(
            Step(
                f"Redeploy{tag}{suffix}",
                "aws:executeAwsApi",
                {
                    "Service": "ecs",
                    "Api": "UpdateService",
                    "cluster": "{{ ClusterName }}",
                    "service": service,
                    "desiredCount": count if desired == "production" else 1,
                    "forceNewDeployment": True,
                },
                "ecs-redeploy",
                kind="start",
                operation=f"deploy-{service}{suffix}",
                idempotent="sets an absolute desiredCount; a repeated forced deployment only restarts tasks",
            )
        )
    for service in shape.services:
        tag = service.replace("-", "").capitalize()
        steps.append(
            Step(
                f"WaitDeployed{tag}{suffix}",
                "aws:waitForAwsResourceProperty",
                {
                    "Service": "ecs",
                    "Api": "DescribeServices",
                    "cluster": "{{ ClusterName }}",
                    "services": [service],
                    "PropertySelector": "$.services[0].deployments[0].rolloutState",
                    "DesiredValues": ["COMPLETED"],
                },
                "ecs-redeploy",
                kind="wait",
                operation=f"deploy-{service}{suffix}",
                serves=tuple(concerns),
                idempotent="a read",
            )
        )
    return steps


def _dns_payload(handler: str, **extra: object) -> dict[str, object]:
    return {
        "Runtime": "python3.11",
        "Handler": handler,
        "Script": DNS_SCRIPT,
        "InputPayload": {
            # A fixed name in the zones stack's account: nothing here waits for the routing stack.
            "role_arn": "{{ DnsRoleArn }}",
            "session": DNS_SESSION,
            "tag_prefix": HEALTH_CHECK_TAG_PREFIX,
            **extra,
        },
    }


def _resolve_dns(suffix: str = "") -> Step:
    """First of all: reach the zones account's role and find every health check, so a runbook that could not flip
    DNS (the routing stack not deployed, or not covering the cell) stops before it changes anything."""
    return Step(
        f"ResolveDns{suffix}",
        "aws:executeScript",
        _dns_payload("resolve"),
        "api-call",
        idempotent="a read: assumes the DNS role, reads the health check ids (its tags) and each check's Inverted",
    )


def _with_dns_check(steps: list[Step]) -> list[Step]:
    """``steps`` with the DNS check before any change. Behind the first Aurora concern's ``Mode`` branch it runs on
    the planned path only (a rehearsal stops before it fails anything over, a real failover loses no time to it);
    a cell without that branch checks first on both paths."""
    if steps and steps[0].action == "aws:branch":
        branch = steps[0]
        choices = [{**choice, "NextStep": "ResolveDns"} for choice in branch.inputs["Choices"]]
        first = dataclasses.replace(branch, inputs={**branch.inputs, "Choices": choices})
        return [first, dataclasses.replace(_resolve_dns(), path="planned"), *steps[1:]]
    return [_resolve_dns(), *steps]


def _dns(concerns: Sequence[str], *, inverted: bool, suffix: str = "") -> list[Step]:
    return [
        Step(
            f"FlipDns{suffix}",
            "aws:executeScript",
            _dns_payload("flip", inverted=inverted),
            "api-call",
            idempotent="sets Inverted to an absolute value on every health check of the cell",
        ),
        Step(
            f"VerifyDns{suffix}",
            "aws:executeScript",
            _dns_payload("verify", inverted=inverted),
            "dns-failover",
            serves=tuple(concerns),
            idempotent="a read; its figure is the time Route 53 and resolvers take to follow",
        ),
    ]


def _cache(shape: CellShape) -> list[Step]:
    if not shape.cache_standby:
        return []
    return [
        Step(
            "VerifyCacheStandby",
            "aws:assertAwsResourceProperty",
            {
                "Service": "elasticache",
                "Api": "DescribeReplicationGroups",
                "ReplicationGroupId": "{{ CacheReplicationGroupId }}",
                "PropertySelector": "$.ReplicationGroups[0].Status",
                "DesiredValues": ["available"],
            },
            "cache-standby-check",
            idempotent="a read",
        )
    ]


def failover_steps(shape: CellShape) -> list[Step]:
    """The DR-region runbook: start every concern's recovery, then serve the concerns in waves, fastest first.

    A wave is the concerns whose recovery takes the same time (Aurora failover, replica promotion, restore):
    verify their writers, publish the manifest with every writer recovered so far, redeploy the ECS services
    (they read it at task start). DNS flips after the first wave, with the standby cache, so a slower
    mechanism never delays a faster concern's recovery. An EKS node group starts scaling with the databases
    (nodes do not read the manifest); its pods read the routing ConfigMap, which the stack writes (docs/dr.md).
    """
    waves: dict[int, list[ConcernShape]] = {}
    for concern in shape.concerns:
        waves.setdefault(FIGURES[recovery_figure(concern)].seconds, []).append(concern)
    ordered = [waves[seconds] for seconds in sorted(waves)]
    steps = [step for wave in ordered for concern in wave for step in _database_steps(shape, concern)]
    steps = _with_dns_check(steps)
    eks = shape.compute == "eks"
    nodes = _scale(shape, (), "") if eks else []
    steps += nodes[:1]
    published: list[ConcernShape] = []
    for index, wave in enumerate(ordered):
        steps += [_verify_database(shape, c, recovery_figure(c)) for c in wave]
        steps += [_manage_secret(c) for c in wave if c.kind == "promote-replica"]
        first = index == 0
        if first:
            steps += _cache(shape)
        published += wave
        served = tuple(c.concern for c in wave) + (("cache",) if first and shape.cache_standby else ())
        suffix = "" if first else f"Wave{index + 1}"
        steps.append(dataclasses.replace(_publish(shape, published, shape.dr_region, "dr", suffix), serves=served))
        if not eks:
            steps += _scale(shape, served, suffix)
        elif first:
            steps.append(dataclasses.replace(nodes[1], serves=served))
        if first:
            steps += _dns(served, inverted=True)
    if not ordered and shape.cache_standby:
        steps += _cache(shape)
        steps += _dns(("cache",), inverted=True)
    return steps


def failback_steps(shape: CellShape) -> list[Step]:
    """The primary-region runbook, after the primary region is back: writers home, DNS back, standby down.

    An Aurora global database switches back over (planned, RPO 0). A promoted replica or restored instance
    is standalone: the way home is a cross-region replica of it in the primary region, promoted once in
    sync; the stack's next ``pulumi up`` then re-creates the DR copy (docs/dr.md).
    """
    steps: list[Step] = [_resolve_dns("Back")]
    for concern in shape.concerns:
        name = concern.concern
        if concern.kind == "aurora-global":
            steps.append(
                Step(
                    f"{name}SwitchBack",
                    "aws:executeAwsApi",
                    {
                        "Service": "rds",
                        "Api": "SwitchoverGlobalCluster",
                        "GlobalClusterIdentifier": concern.global_identifier,
                        "TargetDbClusterIdentifier": (
                            f"arn:aws:rds:{shape.primary_region}:{{{{global:ACCOUNT_ID}}}}:cluster:{concern.identifier}"
                        ),
                    },
                    "aurora-global-switchover",
                    kind="start",
                    operation=name,
                    idempotent=_RETRY,
                    on_failure="Continue",
                )
            )
        else:
            steps.append(
                Step(
                    f"{name}ReplicateBack",
                    "aws:executeAwsApi",
                    {
                        "Service": "rds",
                        "Api": "CreateDBInstanceReadReplica",
                        "DBInstanceIdentifier": f"{concern.identifier}-home",
                        "SourceDBInstanceIdentifier": (
                            f"arn:aws:rds:{shape.dr_region}:{{{{global:ACCOUNT_ID}}}}:db:{concern.dr_identifier}"
                        ),
                        "SourceRegion": shape.dr_region,
                        "KmsKeyId": f"{{{{ {name}KeyArn }}}}",
                        "DBSubnetGroupName": f"{{{{ {name}SubnetGroup }}}}",
                        "VpcSecurityGroupIds": [f"{{{{ {name}SecurityGroup }}}}"],
                        "MultiAZ": True,
                        "DeletionProtection": True,
                    },
                    "replica-promotion",
                    kind="start",
                    operation=name,
                    idempotent="the replica's identifier is fixed: a repeat fails with DBInstanceAlreadyExists",
                    on_failure="Continue",
                )
            )
    # Seen from the primary region: the writer comes home to the primary cluster, or to the "-home" replica.
    home = [
        ConcernShape(
            c.concern,
            c.kind,
            c.identifier,
            c.identifier if c.kind == "aurora-global" else f"{c.identifier}-home",
            c.global_identifier,
        )
        for c in shape.concerns
    ]
    primary = CellShape(
        shape.cell,
        shape.dr_region,
        shape.primary_region,
        tuple(home),
        shape.compute,
        shape.services,
        shape.cache_standby,
        shape.entities,
    )
    for concern, original in zip(home, shape.concerns, strict=True):
        if original.kind != "aurora-global":
            steps.append(
                Step(
                    f"{concern.concern}WaitReplicaBack",
                    "aws:waitForAwsResourceProperty",
                    {
                        "Service": "rds",
                        "Api": "DescribeDBInstances",
                        "DBInstanceIdentifier": concern.dr_identifier,
                        "PropertySelector": "$.DBInstances[0].DBInstanceStatus",
                        "DesiredValues": ["available"],
                    },
                    "replica-promotion",
                    idempotent="a read",
                )
            )
            steps.append(
                Step(
                    f"{concern.concern}PromoteBack",
                    "aws:executeAwsApi",
                    {"Service": "rds", "Api": "PromoteReadReplica", "DBInstanceIdentifier": concern.dr_identifier},
                    "replica-promotion",
                    kind="start",
                    operation=concern.concern,
                    idempotent=_RETRY,
                    on_failure="Continue",
                )
            )
    back = [
        ConcernShape(
            c.concern,
            "aurora-global" if c.kind == "aurora-global" else "promote-replica",
            c.identifier,
            c.dr_identifier,
            c.global_identifier,
        )
        for c in home
    ]
    steps += [_verify_database(primary, c, recovery_figure(c)) for c in back]
    concerns = tuple(c.concern for c in shape.concerns)
    steps.append(_publish(primary, back, shape.primary_region, "primary", "Home"))
    steps += _dns(concerns, inverted=False, suffix="Back")
    steps += _scale(shape, concerns, "Standby", desired="floor")
    return steps
