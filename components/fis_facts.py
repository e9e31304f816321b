"""AWS FIS facts the drills rely on: the published action ids, the target each acts on, and its parameters.

Source: the AWS FIS actions reference (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html)
and the list ``aws fis list-actions`` prints (https://docs.aws.amazon.com/fis/latest/userguide/fis-list-actions.html);
the AZ power interruption scenario's composition from
https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html. Checked 2026-12-07.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["AZ_POWER_SCENARIO", "FIS_ACTIONS", "FIS_SOURCE", "FisAction"]

FIS_SOURCE = "https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html"
AZ_POWER_SCENARIO = "https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html"


@dataclass(frozen=True)
class FisAction:
    """One published FIS action: the target resource type it takes, under which key, and its parameters."""

    id: str
    resource_type: str
    target_key: str
    parameters: tuple[str, ...] = ()
    in_az_power_scenario: bool = False
    """Part of the AZ Availability: Power Interruption scenario."""


FIS_ACTIONS: Mapping[str, FisAction] = {
    action.id: action
    for action in (
        FisAction("aws:rds:failover-db-cluster", "aws:rds:cluster", "Clusters", in_az_power_scenario=True),
        FisAction(
            "aws:rds:reboot-db-instances", "aws:rds:db", "DBInstances", ("forceFailover",), in_az_power_scenario=True
        ),
        FisAction("aws:ecs:stop-task", "aws:ecs:task", "Tasks"),
        FisAction(
            "aws:eks:terminate-nodegroup-instances",
            "aws:eks:nodegroup",
            "Nodegroups",
            ("instanceTerminationPercentage",),
        ),
        FisAction(
            "aws:network:disrupt-connectivity",
            "aws:ec2:subnet",
            "Subnets",
            ("duration", "scope"),
            in_az_power_scenario=True,
        ),
    )
}
"""The actions the drills use (a subset of the published list)."""
