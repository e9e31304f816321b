"""What makes an ECS deployment roll back by itself: its strategy's settings and its deployment alarms.

Each target group the service's traffic can run through gets two alarms, read by ECS during a deployment
(``deploymentConfiguration.alarms`` with ``rollback``; :data:`~fintech_infra.rollout_facts.DEPLOYMENT_ALARMS_SOURCE`):
the share of 5xx responses its targets return and their p95 response time, both over one-minute periods, two
of three breaching. With traffic shifting (blue/green, canary, linear) the new revision runs behind whichever
group is idle before the deployment, so both groups are watched: a divergence on either fails the deployment
and ECS moves the production rule back. The alarms notify the cell region's warning topic as well, so a
rollback is seen (ECS has already acted; nobody needs waking).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.alert_tiers import AlertRoute, Evaluation, tiered_alarm
from fintech_infra.compute_config import EcsServiceSettings
from fintech_infra.rollout_facts import STRATEGIES

__all__ = ["PERIOD_SECONDS", "deployment_configuration", "rollback_alarms"]

PERIOD_SECONDS = 60
EVALUATION_PERIODS = 3
DATAPOINTS_TO_ALARM = 2
"""Two breaching minutes out of three: a sustained divergence, not one slow request."""
ROLLBACK_EVALUATION = Evaluation(PERIOD_SECONDS, EVALUATION_PERIODS, DATAPOINTS_TO_ALARM)


def deployment_configuration(settings: EcsServiceSettings) -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """The service's ``deploymentConfiguration`` for its strategy (rolling when the settings name none)."""
    rollout = settings.rollout
    shifting = settings.shifts_traffic
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=STRATEGIES[settings.deployment or "rolling"],
        bake_time_in_minutes=str(rollout.bake_minutes) if shifting else None,
        canary_configuration=aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
            canary_percent=rollout.canary_percent,
            canary_bake_time_in_minutes=str(rollout.canary_bake_minutes),
        )
        if settings.deployment == "canary"
        else None,
        linear_configuration=aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
            step_percent=rollout.linear_step_percent,
            step_bake_time_in_minutes=str(rollout.linear_step_bake_minutes),
        )
        if settings.deployment == "linear"
        else None,
    )


def rollback_alarms(
    name: str,
    settings: EcsServiceSettings,
    *,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]],
    route: AlertRoute,
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.MetricAlarm]:
    """Two alarms per target group (``target_group_arn_suffixes``: role, such as ``primary``, to arn suffix)."""
    rollout = settings.rollout
    alarms = []
    for role, target_group in target_group_arn_suffixes.items():
        dimensions = {"LoadBalancer": load_balancer_arn_suffix, "TargetGroup": target_group}

        def metric(
            metric_id: str, metric_name: str, stat: str, dimensions: Mapping[str, pulumi.Input[str]] = dimensions
        ) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=metric_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric_name,
                    dimensions=dict(dimensions),
                    period=PERIOD_SECONDS,
                    stat=stat,
                ),
            )

        alarms.append(
            _alarm(
                child(name, f"rollback-5xx-{role}"),
                f"{settings.name} ({role} target group): more than {rollout.rollback_error_rate_pct:g} % of "
                "responses are 5xx; fails and rolls back a deployment in progress",
                rollout.rollback_error_rate_pct,
                route,
                parent,
                metric_queries=[
                    metric("errors", "HTTPCode_Target_5XX_Count", "Sum"),
                    metric("requests", "RequestCount", "Sum"),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="error_rate",
                        expression="100 * FILL(errors, 0) / requests",
                        label="5xx share of responses (%)",
                        return_data=True,
                    ),
                ],
            )
        )
        alarms.append(
            _alarm(
                child(name, f"rollback-latency-{role}"),
                f"{settings.name} ({role} target group): p95 response time above "
                f"{rollout.rollback_latency_p95_seconds:g} s; fails and rolls back a deployment in progress",
                rollout.rollback_latency_p95_seconds,
                route,
                parent,
                namespace="AWS/ApplicationELB",
                metric_name="TargetResponseTime",
                dimensions=dimensions,
                extended_statistic="p95",
            )
        )
    return alarms


def _alarm(
    resource_name: str,
    description: str,
    threshold: float,
    route: AlertRoute,
    parent: pulumi.Resource,
    **metric: Any,
) -> aws.cloudwatch.MetricAlarm:
    # Warning tier: ECS rolls the revision back by itself; the team reads why in working hours.
    return tiered_alarm(
        resource_name,
        tier="warning",
        route=route,
        description=description,
        threshold=threshold,
        evaluation=ROLLBACK_EVALUATION,
        # No requests in a minute is no evidence of a broken revision (the idle group before a shift).
        treat_missing_data="notBreaching",
        opts=pulumi.ResourceOptions(parent=parent),
        **metric,
    )
