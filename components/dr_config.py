"""What a stack file can say about a cell's fault-injection drills (``cells.<name>.drills``)."""

from __future__ import annotations

from pydantic import Field

from fintech_infra._config_base import Environment, FrozenSettings

__all__ = ["DrillSettings", "drills_enabled"]


class DrillSettings(FrozenSettings):
    """The cell's fault-injection drills."""

    fault_injection: bool | None = Field(
        None,
        description=(
            "Create the cell's in-region AWS FIS experiment templates (database failover, task or node kill, "
            "network disruption of one AZ's application subnets, AZ power interruption). Defaults to true "
            "outside prod and false in prod (switch on per stack)."
        ),
    )


def drills_enabled(settings: DrillSettings, environment: Environment) -> bool:
    """Whether the cell gets its fault-injection templates: the stack's choice, else on outside prod."""
    return settings.fault_injection if settings.fault_injection is not None else environment != "prod"
