"""AWS facts about ECS gradual deployments (canary, linear) and deployment alarms, with sources.

Kept beside :mod:`fintech_infra.aws_facts` (same :class:`~fintech_infra.aws_facts.Source` records, checked
the same day); the config models read the ranges, the Fargate component the strategy names.
"""

from __future__ import annotations

from dataclasses import dataclass

from fintech_infra.aws_facts import Source

__all__ = [
    "BAKE_MINUTES",
    "CANARY_PERCENT",
    "DEPLOYMENT_ALARMS_SOURCE",
    "GRADUAL_LAYOUT_SOURCE",
    "LINEAR_STEP_PERCENT",
    "STRATEGIES",
    "Range",
]


@dataclass(frozen=True)
class Range:
    """An allowed numeric range (inclusive), its step, and AWS's own default."""

    low: float
    high: float
    step: float
    aws_default: float
    source: Source

    def allows(self, value: float) -> bool:
        steps = round((value - self.low) / self.step, 6)
        return self.low <= value <= self.high and steps == int(steps)

    def words(self) -> str:
        step = f" in steps of {self.step:g}" if self.step != 1 else ""
        return f"{self.low:g} to {self.high:g}{step}"


_CANARY = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html",
    quote="canaryBakeTimeInMinutes ... Valid values are 0 to 1440 minutes (24 hours). The default value is 10. "
    "canaryPercent ... Valid values are multiples of 0.1 from 0.1 to 100.0. The default value is 5.0.",
)
_LINEAR = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html",
    quote="stepBakeTimeInMinutes ... Valid values are 0 to 1440 minutes (24 hours). The default value is 6. "
    "stepPercent ... Valid values are multiples of 0.1 from 3.0 to 100.0. The default value is 10.0.",
)
CANARY_PERCENT = Range(0.1, 100.0, 0.1, 5.0, _CANARY)
LINEAR_STEP_PERCENT = Range(3.0, 100.0, 0.1, 10.0, _LINEAR)
BAKE_MINUTES = Range(0, 1440, 1, 10, _CANARY)
"""Canary bake, linear step bake and the deployment bake time (both revisions up after the last shift)."""

GRADUAL_LAYOUT_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment-implementation.html",
    quote="Application Load Balancer - For more information, see Application Load Balancer resources for "
    "blue/green, linear, and canary deployments. ... Set the service deployment controller to ECS. ... "
    "CloudWatch alarms for automatic rollback",
)
"""Canary and linear deployments use the ALB layout of ECS blue/green (an alternate target group on the
production rule, an infrastructure role): :data:`fintech_infra.aws_facts.ECS_BLUE_GREEN_LISTENER_SOURCE`."""

DEPLOYMENT_ALARMS_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html",
    quote="You can configure Amazon ECS to set the deployment to failed when it detects that a specified CloudWatch "
    "alarm has gone into the ALARM state. You can optionally set the configuration to roll back a failed "
    "deployment to the last completed deployment.",
)

STRATEGIES = {"rolling": "ROLLING", "blue_green": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
"""Config value to ``deploymentConfiguration.strategy`` (ECS API, DeploymentConfiguration.strategy)."""
