"""MigrationTask: one concern's schema migrations as a one-off ECS task, apart from the services' deploys.

A task definition that no ECS service runs: the pipeline (and an operator) starts it with ``aws ecs run-task``
before the services roll to a new image, and the deploy stops when its container exits non-zero
(docs/deployment.md). What it always has:

- **Its own credentials.** A Secrets Manager secret for the concern's migration role
  (:func:`~fintech_infra.migration_config.migration_username`, which owns the schema), apart from the master
  secret the services read: generated at deploy time (Secrets Manager ``GetRandomPassword``), written once as a
  write-only ``SecretVersion``, encrypted with the concern's key and rotated by the concern's PostgreSQL
  single-user rotation function (the role changes its own password; no master credentials involved). Only this
  task's execution role may read it: ECS injects ``PGUSER``/``PGPASSWORD``/``PGHOST``/``PGDATABASE`` from its
  JSON keys (libpq's variables), so the container's own role reads no secret at all.
- **Its own security group**, allowed out to the concern database's group on PostgreSQL and to HTTPS (ECR, Secrets
  Manager, CloudWatch Logs through the interface endpoints or NAT), tagged with the concern (``DataConcerns``).
  The task definition names its launch network in tags (:data:`RUN_TASK_GROUPS_TAG`), so the policy pack's
  data-path guardrail judges the task like a service. The database admits it under the label ``migrations``.
  One group: the launch passes one, far below ECS's five per task.
- The services' container hardening (non-root, read-only root filesystem, no capabilities, a writable ``/tmp``)
  and ``awslogs`` to a log group with the jurisdiction's retention, encrypted with the concern's key (like the
  database's log exports: migration output may quote the concern's data).

The role itself is created during the same ``pulumi up``, between the secret's first version and its rotation, by
the concern's :class:`~fintech_infra.migration_bootstrap.MigrationRoleBootstrap`: no AWS API creates a PostgreSQL
role, and Secrets Manager tests the rotation function (a login as the role) when rotation is attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra._tags import data_concerns_tag
from fintech_infra.ecs import EcsCluster
from fintech_infra.fargate_task import CONTAINER_USER, execution_statements, task_roles
from fintech_infra.logs import encrypted_log_group
from fintech_infra.migration_bootstrap import MigrationRoleBootstrap
from fintech_infra.migration_config import MIGRATION_CONTAINER, MigrationPlan
from fintech_infra.rotation import RotationFunction
from fintech_infra.secrets import AppSecret
from fintech_infra.wiring import KeyRef

__all__ = [
    "PASSWORD_VERSION",
    "RUN_TASK_GROUPS_TAG",
    "RUN_TASK_SUBNETS_TAG",
    "MigrationTarget",
    "MigrationTask",
    "migration_group",
]

PASSWORD_VERSION = 1
"""Version of the generated first password of every migration role; bump to reset it (the bootstrap runs again
and sets the role's password to the new value)."""

RUN_TASK_GROUPS_TAG = "RunTaskSecurityGroups"
RUN_TASK_SUBNETS_TAG = "RunTaskSubnets"
"""Tags on a task definition no service runs: the security group and the subnets (space-separated ids) it is
launched with, the same values as the stack outputs the pipeline passes to ``run-task``. The policy pack's
``data-paths-least-privilege`` judges the task in that network, as it judges a service in its own."""

_INJECTED = {"PGUSER": "username", "PGPASSWORD": "password", "PGHOST": "host", "PGDATABASE": "dbname"}
"""libpq's environment variables, each from a JSON key of the migration secret (ECS ``valueFrom`` with a json-key)."""


@dataclass(frozen=True)
class MigrationTarget:
    """A concern's database as its migration task sees it."""

    host: pulumi.Input[str]
    port: int
    dbname: str
    security_group_id: pulumi.Input[str]
    rotation: RotationFunction
    """The concern's PostgreSQL single-user rotation function (it must reach the database)."""
    bootstrap: MigrationRoleBootstrap
    """The concern's role-bootstrap function: creates the migration role before rotation is attached."""
    ready: Sequence[pulumi.Resource]
    """What must exist before the bootstrap runs and rotation is attached: the database's instances."""


def migration_group(
    name: str, *, concern: str, vpc_id: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """The migration task's own group, made before the databases (which admit it); its egress comes with the task."""
    return aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=f"Schema migrations of {concern}: egress to its database only",
        tags=data_concerns_tag([concern]),
        opts=opts,
    )


class MigrationTask(FintechComponent):
    """One concern's migration task definition, its credentials, roles, security group rules and logs."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "task_definition_arn": "ARN of the task definition revision (what `aws ecs run-task` starts).",
        "task_definition_urn": "The task definition's Pulumi URN (what the pipeline's targeted `pulumi up` names).",
        "cluster_name": "The cell's ECS cluster, where the task runs.",
        "family": "The task definition family (run-task with the family starts its latest ACTIVE revision).",
        "security_group_id": "The task's own security group (pass it in the awsvpc configuration).",
        "subnet_ids": "The private subnets to launch it in (the awsvpc configuration; no public IP).",
        "secret_arn": "The migration role's credentials secret (never the value); only the execution role reads it.",
        "username": "The PostgreSQL role the migrations log in as (`<concern>_migrator`).",
        "log_group_name": "KMS-encrypted log group the container logs to.",
        "execution_role_arn": "Role ECS uses to start the task (image pull, logs, the migration secret).",
        "task_role_arn": "The migration container's own identity (no permissions).",
    }

    def __init__(
        self,
        name: str,
        plan: MigrationPlan,
        *,
        cluster: EcsCluster,
        target: MigrationTarget,
        security_group: aws.ec2.SecurityGroup,
        subnet_ids: Sequence[pulumi.Input[str]],
        key: KeyRef,
        log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``key`` is the concern's key (the secret's and the log group's); ``security_group`` comes from
        :func:`migration_group`."""
        if plan.image is None:
            raise ValueError(f"{name}: the plan for {plan.concern!r} has no image (the config validation refuses it)")
        super().__init__("fintech:ecs:MigrationTask", name, opts, scope={"DataConcern": plan.concern})
        here = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        self.family = physical(name)
        self.username = plan.username

        password = cast(
            "pulumi.Output[str]",
            pulumi.Output.secret(
                aws.secretsmanager.get_random_password_output(
                    password_length=40,
                    exclude_punctuation=True,  # the rotation function and libpq URLs take it unquoted
                    require_each_included_type=True,
                    opts=pulumi.InvokeOutputOptions(parent=self),
                ).random_password
            ),
        )
        rotation = target.rotation
        # The shape AWS's PostgreSQL rotation functions read (engine, host, username, password, dbname, port).
        value = pulumi.Output.json_dumps(
            {
                "engine": "postgres",
                "host": target.host,
                "port": target.port,
                "dbname": target.dbname,
                "username": plan.username,
                "password": password,
            }
        )
        self.secret = AppSecret(
            child(name, "credentials"),
            key=key,
            description=f"{plan.concern} migration role {plan.username} (schema owner; not the services' login)",
            value_wo=value,
            value_wo_version=PASSWORD_VERSION,
            rotation_lambda_arn=rotation.function_arn,
            rotation_days=rotation.rotation_days,
            rotation_after=[*target.ready, *rotation.ready],
            before_rotation=lambda arn, after: target.bootstrap.ensure_role(
                child(name, "role"), secret_arn=arn, version=PASSWORD_VERSION, after=after, parent=self
            ),
            opts=here,
        )

        def egress(role: str, **rule: Any) -> None:
            aws.vpc.SecurityGroupEgressRule(
                child(name, role), security_group_id=security_group.id, ip_protocol="tcp", tags={}, opts=here, **rule
            )

        egress(
            "to-database",
            from_port=target.port,
            to_port=target.port,
            referenced_security_group_id=target.security_group_id,
            description=f"PostgreSQL to the {plan.concern} database only",
        )
        egress(
            "https-out",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS out (ECR, Secrets Manager, CloudWatch Logs through NAT or interface endpoints)",
        )

        # Under the concern's key, like its database's log exports: migration output may quote the concern's data.
        self.log_group = encrypted_log_group(
            child(name, "logs"),
            key=key,
            retention_days=log_retention_days,
            parent=self,
            log_group_name=f"/ecs/{pulumi.get_stack()}/{cluster.cell}/{MIGRATION_CONTAINER}-{plan.concern}",
        )
        self.execution_role, self.task_role = task_roles(
            name,
            account=account,
            execution=f"ECS execution role of {name}: image pull, logs, the migration secret",
            task=f"Identity of the {plan.concern} migration container (no permissions)",
            opts=here,
        )
        secrets = {env: pulumi.Output.concat(self.secret.arn, f":{field}::") for env, field in _INJECTED.items()}
        statements = execution_statements(
            plan.image, secrets, [key], log_group_arn=self.log_group.arn, partition=partition, region=region
        )
        aws.iam.RolePolicy(
            child(name, "execution-policy"),
            role=self.execution_role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=here,
        )
        container: dict[str, Any] = {
            "name": MIGRATION_CONTAINER,
            "image": plan.image,
            "command": list(plan.command),
            "essential": True,
            "user": CONTAINER_USER,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],  # noqa: S108
            "secrets": [{"name": env, "valueFrom": ref} for env, ref in sorted(secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": MIGRATION_CONTAINER,
                },
            },
        }
        self.task_definition = aws.ecs.TaskDefinition(
            child(name, "task"),
            family=self.family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(plan.cpu),
            memory=str(plan.memory_mb),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps([container]),
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name="tmp")],
            tags={
                RUN_TASK_GROUPS_TAG: security_group.id,
                RUN_TASK_SUBNETS_TAG: pulumi.Output.all(*subnet_ids).apply(" ".join),
            },
            opts=here,
        )
        self.task_definition_arn: pulumi.Output[str] = self.task_definition.arn
        self.task_definition_urn: pulumi.Output[str] = self.task_definition.urn
        self.cluster_name: pulumi.Output[str] = cluster.cluster_name
        self.security_group_id: pulumi.Output[str] = security_group.id
        self.subnet_ids: pulumi.Output[list[str]] = pulumi.Output.all(*subnet_ids)
        self.secret_arn: pulumi.Output[str] = self.secret.arn
        self.log_group_name: pulumi.Output[str] = self.log_group.name
        self.execution_role_arn: pulumi.Output[str] = self.execution_role.arn
        self.task_role_arn: pulumi.Output[str] = self.task_role.arn
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @property
    def launch(self) -> dict[str, Any]:
        """What ``aws ecs run-task`` needs, for the stack's ``cells`` output (ids and names only, no secret)."""
        return {
            "cluster": self.cluster_name,
            "task_definition_arn": self.task_definition_arn,
            "task_definition_urn": self.task_definition_urn,
            "family": self.family,
            "container": MIGRATION_CONTAINER,
            "subnets": self.subnet_ids,
            "security_group": self.security_group_id,
            "log_group": self.log_group_name,
        }
