"""The task half of a FargateService: the task definition, its one hardened container and its two roles.

- One container, non-root (:data:`CONTAINER_USER`), read-only root filesystem (a writable ``/tmp`` volume,
  and ECS Exec's agent paths when Exec is on), not privileged, all Linux capabilities dropped; secrets
  injected by ECS from Secrets Manager / SSM ARNs (``valueFrom``), never as plaintext environment values;
  ``awslogs`` to the service's KMS-encrypted log group.
- Separate roles: the *execution* role (used by ECS to start the task) may pull the image, write the
  task's log group and read exactly the listed secrets; the *task* role (the application's identity)
  gets nothing unless asked for (runtime secret reads, ECS Exec).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.config import EcsServiceSettings
from fintech_infra.ecs import EcsCluster
from fintech_infra.tracing import collector_container, tracing_environment, xray_statement
from fintech_infra.wiring import KeyRef

__all__ = ["CONTAINER_USER", "FargateTask", "execution_statements", "task_roles", "task_trust_policy"]

CONTAINER_USER = "1000:1000"
"""The non-root uid:gid every container runs as."""

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
)
# ECS Exec's agent writes here; mounting them writable keeps the root filesystem read-only
# (workaround documented in aws/containers-roadmap#1359).
_EXEC_AGENT_PATHS = {
    "exec-agents": "/managed-agents",
    "exec-ssm-lib": "/var/lib/amazon/ssm",
    "exec-ssm-log": "/var/log/amazon/ssm",
}


def _iam_resource(reference: str) -> str:
    """The IAM resource for a secret reference: a Secrets Manager ARN without its ``:json-key:stage:version``."""
    if ":secretsmanager:" in reference:
        return ":".join(reference.split(":")[:7])
    return reference


class FargateTask:
    """Builds a FargateService's roles and task definition (not a component: its parent is the service).

    ``secrets`` are env-var-name -> secret ARN pairs ECS injects; ``environment`` the plain variables (the
    settings' and those known only as Outputs, e.g. queue URLs); the application may read ``readable``
    itself at runtime; ``secret_keys`` are the KMS keys those secrets are encrypted with (decrypt only
    through Secrets Manager / SSM).
    """

    def __init__(
        self,
        parent: pulumi.Resource,
        name: str,
        settings: EcsServiceSettings,
        *,
        cluster: EcsCluster,
        secrets: Mapping[str, pulumi.Input[str]],
        environment: Mapping[str, pulumi.Input[str]],
        readable: Sequence[pulumi.Input[str]],
        secret_keys: Sequence[KeyRef],
        injected_keys: Sequence[KeyRef] = (),
        log_group: aws.cloudwatch.LogGroup,
        partition: pulumi.Output[str],
        region: pulumi.Output[str],
        account: pulumi.Output[str],
    ) -> None:
        child_opts = pulumi.ResourceOptions(parent=parent)
        self.execution_role, self.task_role = task_roles(
            name,
            account=account,
            execution=f"ECS execution role of {name}: image pull, logs, injected secrets",
            task=f"Application identity of {name}",
            opts=child_opts,
        )
        statements = execution_statements(
            settings.image,
            secrets,
            [*secret_keys, *injected_keys],
            log_group_arn=log_group.arn,
            partition=partition,
            region=region,
        )
        aws.iam.RolePolicy(
            child(name, "execution-policy"),
            role=self.execution_role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=child_opts,
        )
        task_statements = _task_statements(settings, cluster, readable, secret_keys, region=region)
        if task_statements:
            aws.iam.RolePolicy(
                child(name, "task-policy"),
                role=self.task_role.id,
                policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": task_statements}),
                opts=child_opts,
            )

        mounts = {"tmp": "/tmp"} | (_EXEC_AGENT_PATHS if settings.execute_command else {})  # noqa: S108 (an in-task volume)
        container: dict[str, Any] = {
            "name": settings.name,
            "image": settings.image,
            "essential": True,
            "user": CONTAINER_USER,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
            "portMappings": [{"containerPort": settings.container_port, "protocol": "tcp", "name": "http"}],
            "mountPoints": [
                {"sourceVolume": volume, "containerPath": path, "readOnly": False} for volume, path in mounts.items()
            ],
            "secrets": [{"name": env, "valueFrom": ref} for env, ref in sorted(secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": settings.name,
                },
            },
        }
        environment = {**environment, **(tracing_environment() if settings.tracing else {})}
        if environment:
            # Omitted when empty: scanners (cdk-nag ECS2) flag any `environment` key.
            container["environment"] = [{"name": k, "value": v} for k, v in sorted(environment.items())]
        containers = [container]
        if settings.tracing is not None:
            containers.append(
                collector_container(
                    settings.tracing.collector_image,
                    log_options={"awslogs-group": log_group.name, "awslogs-region": region},
                )
            )
        self.task_definition = aws.ecs.TaskDefinition(
            child(name, "task"),
            family=physical(name),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(settings.cpu),
            memory=str(settings.memory_mb),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps(containers),
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=volume) for volume in mounts],
            tags={},
            opts=child_opts,
        )


def task_trust_policy(account: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust for a task's execution and task roles: ECS tasks of this account only (the confused deputy)."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        }
    )


def task_roles(
    name: str, *, account: pulumi.Input[str], execution: str, task: str, opts: pulumi.ResourceOptions
) -> tuple[aws.iam.Role, aws.iam.Role]:
    """A task's two roles, both trusted by this account's ECS tasks only: the execution role ECS starts it with
    (``<name>-execution-role``, described by ``execution``) and the container's own identity (``<name>-task-role``,
    described by ``task``)."""
    trust = task_trust_policy(account)
    return (
        aws.iam.Role(
            child(name, "execution-role"), assume_role_policy=trust, description=execution, tags={}, opts=opts
        ),
        aws.iam.Role(child(name, "task-role"), assume_role_policy=trust, description=task, tags={}, opts=opts),
    )


def execution_statements(
    image: str,
    secrets: Mapping[str, pulumi.Input[str]],
    secret_keys: Sequence[KeyRef],
    *,
    log_group_arn: pulumi.Output[str],
    partition: pulumi.Output[str],
    region: pulumi.Output[str],
) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": pulumi.Output.concat(log_group_arn, ":log-stream:*"),
        }
    ]
    """What ECS needs to start a task of ``image``: its log group, the image (from ECR), the injected secrets and
    their keys (decrypt through Secrets Manager / SSM only)."""
    ecr = _ECR_IMAGE.match(image)
    if ecr:
        statements += [
            # GetAuthorizationToken has no resource-level permissions.
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullOwnImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": pulumi.Output.concat(
                    "arn:",
                    partition,
                    f":ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repo']}",
                ),
            },
        ]
    references = [ref for _, ref in sorted(secrets.items())]
    if references:
        # Several JSON keys of one secret are one IAM resource: listed once.
        resources = pulumi.Output.all(*references).apply(lambda refs: list(dict.fromkeys(map(_iam_resource, refs))))
        statements.append(
            {
                "Sid": "ReadInjectedSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
                "Resource": resources,
            }
        )
    if references and secret_keys:
        statements.append(_decrypt_via_secret_stores(secret_keys, region))
    return statements


def _task_statements(
    settings: EcsServiceSettings,
    cluster: EcsCluster,
    readable: Sequence[pulumi.Input[str]],
    secret_keys: Sequence[KeyRef],
    *,
    region: pulumi.Output[str],
) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    if readable:
        statements.append(
            {
                "Sid": "ReadRuntimeSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": [pulumi.Output.from_input(ref).apply(_iam_resource) for ref in readable],
            }
        )
        if secret_keys:
            statements.append(_decrypt_via_secret_stores(secret_keys, region))
    if settings.tracing is not None:
        statements.append(xray_statement())  # PutTraceSegments has no resource type: "*" (fintech_infra.tracing)
    if settings.execute_command:
        statements += [
            {
                "Sid": "EcsExecChannels",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
            {"Sid": "EcsExecDecrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": cluster.exec_key.arn},
            {
                "Sid": "EcsExecSessionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": pulumi.Output.concat(cluster.exec_log_group_arn, ":log-stream:*"),
            },
            {"Sid": "EcsExecFindLogGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ]
    return statements


def _decrypt_via_secret_stores(keys: Sequence[KeyRef], region: pulumi.Output[str]) -> dict[str, Any]:
    return {
        "Sid": "DecryptSecretsViaStores",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [key.arn for key in keys],
        "Condition": {
            "StringEquals": {
                "kms:ViaService": [
                    pulumi.Output.concat("secretsmanager.", region, ".amazonaws.com"),
                    pulumi.Output.concat("ssm.", region, ".amazonaws.com"),
                ]
            }
        },
    }
