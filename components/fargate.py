"""FargateService: one hardened ECS service on Fargate, private, behind the cell's ALB when given a target.

What it always does (no switch turns these off):

- Runs in the subnets and security groups it is given; both are required, so a service can never land
  in a default VPC or behind an open default security group. ``assign_public_ip`` is False.
- One hardened container (non-root, read-only root filesystem, no capabilities, secrets only by
  reference) with separate execution and task roles: the task half, built in
  :mod:`fintech_infra.fargate_task`; ``awslogs`` to a KMS-encrypted log group with the jurisdiction's
  retention, created here.
- Zero-downtime deployments: circuit breaker with rollback, minimum healthy 100 %, maximum 200 %,
  ``wait_for_steady_state`` so ``pulumi up`` fails when a rollout does.
- Application Auto Scaling between ``min_tasks`` and ``max_tasks`` on average CPU and, behind an ALB, on
  requests per task: the predefined ``ALBRequestCountPerTarget`` for a rolling service; for blue/green, where
  AWS does not support that metric (its label names one target group, and after a shift production runs
  through the other), a customized metric that adds ``RequestCountPerTarget`` of both target groups, each
  ``FILL``-ed with 0 because a group without traffic publishes nothing
  (:data:`fintech_infra.aws_facts.ECS_BLUE_GREEN_SCALING_SOURCE`,
  :data:`~fintech_infra.aws_facts.TARGET_TRACKING_METRIC_MATH_SOURCE`). The idle group's targets count for
  nothing in the sum, so it follows whichever group is live, also during the bake time when both run.
- At most :data:`~fintech_infra.aws_facts.ECS_SECURITY_GROUPS_PER_SERVICE` security groups (AWS's limit per
  ``awsvpcConfiguration``), refused before anything is registered.

Traffic shifting: ``deployment`` ``"blue_green"``, ``"canary"`` or ``"linear"`` uses ECS's own strategies (canary and
linear on the blue/green layout, :data:`fintech_infra.rollout_facts.GRADUAL_LAYOUT_SOURCE`), with deployment
alarms that fail and roll back a diverging revision (:mod:`fintech_infra.rollback_alarms`).
Blue/green is ECS-native (``deployment_configuration.strategy =
BLUE_GREEN``, available in the installed pulumi-aws 7.51), not CodeDeploy: it keeps the deployment in the
ECS service resource, keeps the circuit breaker and needs no CodeDeploy application. It needs the
alternate target group and the production listener rule, which ``Edge.add_service_target(...,
blue_green=True)`` creates, and an infrastructure role ECS assumes to shift the listener rule, created here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.aws_facts import ECS_SECURITY_GROUPS_PER_SERVICE
from fintech_infra.config import EcsServiceSettings
from fintech_infra.ecs import EcsCluster
from fintech_infra.errors import ConfigError, key_path
from fintech_infra.fargate_task import FargateTask
from fintech_infra.logs import encrypted_log_group
from fintech_infra.rollback_alarms import deployment_configuration, rollback_alarms
from fintech_infra.rollout_facts import STRATEGIES
from fintech_infra.wiring import KeyRef

__all__ = ["FargateService"]


def _validate(name: str, settings: EcsServiceSettings, **wiring: Any) -> None:
    problems: list[str] = []
    for key in ("subnet_ids", "security_group_ids"):
        if not list(wiring[key]):
            problems.append(
                f"{key_path(name, key)}: {list(wiring[key])!r} is empty; allowed: one or more ids "
                "(a FargateService never falls back to a default VPC or a default security group)"
            )
    groups = len(list(wiring["security_group_ids"]))
    limit = ECS_SECURITY_GROUPS_PER_SERVICE.value
    if groups > limit:
        problems.append(
            f"{key_path(name, 'security_group_ids')}: {groups} security groups; allowed: 1 to {limit} "
            f"({ECS_SECURITY_GROUPS_PER_SERVICE.what}: {ECS_SECURITY_GROUPS_PER_SERVICE.source.url})"
        )
    behind_alb = wiring["target_group_arn"] is not None
    if behind_alb:
        for key in ("load_balancer_arn_suffix", "target_group_arn_suffix"):
            if wiring[key] is None:
                problems.append(
                    f"{key_path(name, key)}: None with target_group_arn set; allowed: the ALB's and target "
                    "group's arn_suffix (the ALBRequestCountPerTarget scaling policy needs both)"
                )
    if settings.deployment is None:
        problems.append(
            f"{key_path(name, 'deployment')}: None; allowed: {', '.join(map(repr, STRATEGIES))} (a stack config "
            "resolves it per environment: canary in prod, rolling elsewhere; a component used alone says which)"
        )
    if settings.shifts_traffic:
        keys = ["target_group_arn", "alternate_target_group_arn", "production_listener_rule_arn"]
        if behind_alb:
            keys.append("alternate_target_group_arn_suffix")  # the request policy reads both groups
        for key in keys:
            if wiring[key] is None:
                problems.append(
                    f"{key_path(name, 'deployment')}: {settings.deployment!r} needs {key}; allowed: 'rolling', or "
                    "pass the target from Edge.add_service_target(..., blue_green=True) (canary and linear use the "
                    "blue/green layout)"
                )
    if behind_alb and wiring["alarm_topic_arn"] is None:
        problems.append(
            f"{key_path(name, 'alarm_topic_arn')}: None with target_group_arn set; allowed: the cell's alarm topic "
            "(the deployment alarms that roll a bad revision back notify it)"
        )
    if problems:
        message = problems[0] if len(problems) == 1 else "\n".join(problems)
        raise ConfigError(message, problems=problems)


class FargateService(FintechComponent):
    """One Fargate service: task definition, roles, encrypted logs, service and auto scaling."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "service_name": "Name of the ECS service.",
        "task_definition_arn": "ARN of the current task definition revision.",
        "log_group_name": "KMS-encrypted log group the container logs to.",
        "execution_role_arn": "Role ECS uses to start tasks (image pull, logs, injected secrets).",
        "task_role_arn": "The application's own identity inside the task.",
    }

    def __init__(
        self,
        name: str,
        settings: EcsServiceSettings,
        *,
        cluster: EcsCluster,
        subnet_ids: Sequence[pulumi.Input[str]],
        security_group_ids: Sequence[pulumi.Input[str]],
        logs_key: KeyRef,
        log_retention_days: int,
        vpc_id: pulumi.Input[str] | None = None,
        target_group_arn: pulumi.Input[str] | None = None,
        load_balancer_arn_suffix: pulumi.Input[str] | None = None,
        target_group_arn_suffix: pulumi.Input[str] | None = None,
        alternate_target_group_arn: pulumi.Input[str] | None = None,
        alternate_target_group_arn_suffix: pulumi.Input[str] | None = None,
        production_listener_rule_arn: pulumi.Input[str] | None = None,
        alarm_topic_arn: pulumi.Input[str] | None = None,
        injected_secrets: Mapping[str, pulumi.Input[str]] | None = None,
        resource_environment: Mapping[str, pulumi.Input[str]] | None = None,
        secret_arns_readable: Sequence[pulumi.Input[str]] = (),
        secret_keys: Sequence[KeyRef] = (),
        injected_keys: Sequence[KeyRef] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``vpc_id`` is accepted for call-site symmetry; the network is fully given by the subnets and groups.

        ``injected_secrets`` adds env-var-name -> secret ARN pairs known only as Outputs (a database's managed
        master secret, optionally with ``:json-key::``) to ``settings.secrets``; ECS injects both. The
        application may read ``secret_arns_readable`` itself at runtime (rotation-aware clients).
        ``secret_keys`` are the KMS keys those secrets are encrypted with; decrypt is only allowed through
        Secrets Manager / SSM. ``injected_keys`` are further keys only ECS needs to inject ``injected_secrets``
        (the routing manifests' SecureStrings): the execution role may decrypt with them, the task role not.
        ``resource_environment`` adds plain variables known only as Outputs (the URLs of the service's queues,
        the names of its buckets) to ``settings.environment``.
        """
        _validate(
            name,
            settings,
            subnet_ids=subnet_ids,
            security_group_ids=security_group_ids,
            target_group_arn=target_group_arn,
            load_balancer_arn_suffix=load_balancer_arn_suffix,
            target_group_arn_suffix=target_group_arn_suffix,
            alternate_target_group_arn=alternate_target_group_arn,
            alternate_target_group_arn_suffix=alternate_target_group_arn_suffix,
            production_listener_rule_arn=production_listener_rule_arn,
            alarm_topic_arn=alarm_topic_arn,
        )
        injected = dict(injected_secrets or {})
        clash = sorted(set(injected) & (set(settings.secrets) | set(settings.environment)))
        if clash:
            raise ConfigError(
                f"{key_path(name, 'injected_secrets')}: {clash!r} already set in the service settings; "
                "allowed: names not in settings.secrets or settings.environment"
            )
        resources = dict(resource_environment or {})
        taken = sorted(set(resources) & (set(settings.secrets) | set(settings.environment) | set(injected)))
        if taken:
            raise ConfigError(
                f"{key_path(name, 'resource_environment')}: {taken!r} already set in the service settings or "
                "injected secrets; allowed: other names"
            )
        super().__init__("fintech:ecs:FargateService", name, opts)
        self.vpc_id = vpc_id
        child_opts = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id

        self.log_group = encrypted_log_group(
            child(name, "logs"),
            key=logs_key,
            retention_days=log_retention_days,
            parent=self,
            log_group_name=f"/ecs/{pulumi.get_stack()}/{cluster.cell}/{settings.name}",
        )

        task = FargateTask(
            self,
            name,
            settings,
            cluster=cluster,
            secrets={**settings.secrets, **injected},
            environment={**settings.environment, **resources},
            readable=secret_arns_readable,
            secret_keys=secret_keys,
            injected_keys=injected_keys,
            log_group=self.log_group,
            partition=partition,
            region=region,
            account=account,
        )
        self.execution_role, self.task_role = task.execution_role, task.task_role
        self.task_definition = task.task_definition

        blue_green = settings.shifts_traffic
        load_balancers: list[aws.ecs.ServiceLoadBalancerArgs] = []
        if target_group_arn is not None:
            advanced = None
            if blue_green and alternate_target_group_arn is not None and production_listener_rule_arn is not None:
                advanced = aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                    alternate_target_group_arn=alternate_target_group_arn,
                    production_listener_rule=production_listener_rule_arn,
                    role_arn=self._infrastructure_role(name, partition).arn,
                )
            load_balancers.append(
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=target_group_arn,
                    container_name=settings.name,
                    container_port=settings.container_port,
                    advanced_configuration=advanced,
                )
            )
        rollback: list[aws.cloudwatch.MetricAlarm] = []
        if load_balancer_arn_suffix is not None and target_group_arn_suffix is not None and alarm_topic_arn is not None:
            groups = {"primary": target_group_arn_suffix}
            if blue_green and alternate_target_group_arn_suffix is not None:
                groups["alternate"] = alternate_target_group_arn_suffix
            rollback = rollback_alarms(
                name,
                settings,
                load_balancer_arn_suffix=load_balancer_arn_suffix,
                target_group_arn_suffixes=groups,
                topic_arn=alarm_topic_arn,
                parent=self,
            )
        self.rollback_alarms = rollback
        self.service = aws.ecs.Service(
            child(name, "service"),
            # A fixed name: dashboards, alarms and the scaling target's resource id refer to it.
            name=settings.name,
            cluster=cluster.cluster_arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            platform_version="LATEST",
            desired_count=settings.min_tasks,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(subnet_ids), security_groups=list(security_group_ids), assign_public_ip=False
            ),
            load_balancers=load_balancers or None,
            health_check_grace_period_seconds=settings.health_check_grace_seconds if load_balancers else None,
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
            deployment_configuration=deployment_configuration(settings),
            alarms=aws.ecs.ServiceAlarmsArgs(alarm_names=[alarm.name for alarm in rollback], enable=True, rollback=True)
            if rollback
            else None,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=settings.execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            tags={},
            # Auto scaling owns the running count after the first deployment.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"]),
        )

        self.scaling_target = aws.appautoscaling.Target(
            child(name, "scaling"),
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.cluster_name, "/", self.service.name),
            min_capacity=settings.min_tasks,
            max_capacity=settings.max_tasks,
            tags={},
            opts=child_opts,
        )
        self._tracking_policy(name, "cpu", _predefined("ECSServiceAverageCPUUtilization"), settings.cpu_target_pct)
        if (
            target_group_arn is not None
            and load_balancer_arn_suffix is not None
            and target_group_arn_suffix is not None
        ):
            if blue_green and alternate_target_group_arn_suffix is not None:
                metric = _requests_over_both(
                    load_balancer_arn_suffix, (target_group_arn_suffix, alternate_target_group_arn_suffix)
                )
            else:
                label = pulumi.Output.concat(load_balancer_arn_suffix, "/", target_group_arn_suffix)
                metric = _predefined("ALBRequestCountPerTarget", label)
            self._tracking_policy(name, "requests", metric, settings.requests_per_target)

        self.service_name: pulumi.Output[str] = self.service.name
        self.task_definition_arn: pulumi.Output[str] = self.task_definition.arn
        self.log_group_name: pulumi.Output[str] = self.log_group.name
        self.execution_role_arn: pulumi.Output[str] = self.execution_role.arn
        self.task_role_arn: pulumi.Output[str] = self.task_role.arn
        self.register_outputs(
            {
                "service_name": self.service_name,
                "task_definition_arn": self.task_definition_arn,
                "log_group_name": self.log_group_name,
                "execution_role_arn": self.execution_role_arn,
                "task_role_arn": self.task_role_arn,
            }
        )

    def _infrastructure_role(self, name: str, partition: pulumi.Output[str]) -> aws.iam.Role:
        """The role ECS assumes to move the production listener rule between target groups (blue/green)."""
        role = aws.iam.Role(
            child(name, "infrastructure-role"),
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            description=f"ECS blue/green traffic shifting for {name}",
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            child(name, "infrastructure-policy"),
            role=role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", partition, ":iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role

    def _tracking_policy(self, name: str, role: str, metric: _Metric, target: float) -> aws.appautoscaling.Policy:
        return aws.appautoscaling.Policy(
            child(name, f"scale-{role}"),
            policy_type="TargetTrackingScaling",
            service_namespace=self.scaling_target.service_namespace,
            scalable_dimension=self.scaling_target.scalable_dimension,
            resource_id=self.scaling_target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=float(target),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
                **metric,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


_Metric = dict[str, Any]
"""The metric half of a target tracking configuration: a predefined or a customized metric specification."""


def _predefined(metric: str, label: pulumi.Input[str] | None = None) -> _Metric:
    return {"predefined_metric_specification": {"predefined_metric_type": metric, "resource_label": label}}


def _requests_over_both(load_balancer: pulumi.Input[str], target_groups: tuple[pulumi.Input[str], ...]) -> _Metric:
    """Requests per task of whichever target group is live: the sum of both groups' ``RequestCountPerTarget``."""
    queries: list[dict[str, Any]] = [
        {
            "id": query_id,
            "return_data": False,
            "metric_stat": {
                "stat": "Sum",  # the only statistic RequestCountPerTarget has; it is already an average per target
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "RequestCountPerTarget",
                    "dimensions": [
                        {"name": "LoadBalancer", "value": load_balancer},
                        {"name": "TargetGroup", "value": target_group},
                    ],
                },
            },
        }
        for query_id, target_group in zip(("primary", "alternate"), target_groups, strict=True)
    ]
    total = {
        "id": "requests",
        "expression": "FILL(primary, 0) + FILL(alternate, 0)",
        "label": "Requests per task on the live target group",
        "return_data": True,
    }
    return {"customized_metric_specification": {"metrics": [*queries, total]}}
