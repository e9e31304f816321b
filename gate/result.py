"""The gate's result: per stack, what would be created and what the policy pack said; JSON round-trips.

Resources are summarised (type, name, URN, parent, provider, region, options, tags and a few descriptive
inputs) rather than carried whole, so a report never contains an input value a secret could hide in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from fintech_infra.testing import RecordedResource, Recording, is_unknown
from fintech_infra_gate.verdict import Verdict

__all__ = ["DESCRIPTIVE_INPUTS", "PlanResult", "ResourceSummary", "StackResult", "Timings"]

SCHEMA_VERSION = 1

DESCRIPTIVE_INPUTS = (
    "engine",
    "engineVersion",
    "instanceClass",
    "nodeType",
    "cidrBlock",
    "availabilityZone",
    "multiAz",
    "loadBalancerType",
    "launchType",
    "replicateSourceDb",
    "replicationSourceIdentifier",
    "desiredCount",
    "name",
)
"""Inputs a diagram or a reviewer needs that are never secret; everything else stays out of reports."""


@dataclass(frozen=True)
class ResourceSummary:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    region: str | None
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: tuple[str, ...] = ()
    ignore_changes: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @classmethod
    def of(cls, resource: RecordedResource) -> ResourceSummary:
        tags = {str(k): str(v) for k, v in resource.tags.items() if not is_unknown(v)}
        details = {
            key: resource.inputs[key]
            for key in DESCRIPTIVE_INPUTS
            if key in resource.inputs
            and isinstance(resource.inputs[key], str | int | bool | float)
            and not is_unknown(resource.inputs[key])
        }
        return cls(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            custom=resource.custom,
            parent=resource.parent,
            provider=resource.provider,
            region=resource.region,
            protect=resource.protect,
            retain_on_delete=resource.retain_on_delete,
            depends_on=resource.depends_on,
            ignore_changes=resource.ignore_changes,
            tags=tags,
            details=details,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResourceSummary:
        return cls(
            **{
                **data,
                "depends_on": tuple(data.get("depends_on", ())),
                "ignore_changes": tuple(data.get("ignore_changes", ())),
            }
        )


@dataclass(frozen=True)
class Timings:
    """Wall seconds of each phase of one stack's run."""

    synthesis: float = 0.0
    """Running the program; the pack analyzes each resource meanwhile, on the other core."""
    policy: float = 0.0
    """After synthesis: waiting for the outstanding Analyze answers, then AnalyzeStack."""
    pack_start_wait: float = 0.0
    """The pack's start-up (launch to the port it prints), overlapped with synthesis."""
    references: float = 0.0
    """Synthesis of referenced stacks for their exports (single-stack runs only)."""
    total: float = 0.0


@dataclass(frozen=True)
class StackResult:
    stack: str
    project: str
    preview: bool
    environment: str | None
    resources: tuple[ResourceSummary, ...]
    verdict: Verdict
    exports: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Handed to the stacks that reference this one; never written to a report (a secret may be among them)."""
    timings: Timings = field(default_factory=Timings)
    references: Mapping[str, str] = field(default_factory=dict)
    """Cell name to the stack file it reads through StackReference (the global stack)."""
    notices: tuple[str, ...] = field(default=(), compare=False)
    """Lines the policy pack addressed to the person running the gate, not findings (its speed-ups are off,
    and why): the console script prints each once per run on stderr; never written to a report."""

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    def custom_resources(self) -> list[ResourceSummary]:
        return [r for r in self.resources if r.custom and not r.is_provider]

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.custom_resources():
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return dict(sorted(counts.items()))

    def by_urn(self) -> dict[str, ResourceSummary]:
        return {resource.urn: resource for resource in self.resources}

    @classmethod
    def of(
        cls,
        recording: Recording,
        verdict: Verdict,
        *,
        environment: str | None,
        timings: Timings,
        references: Mapping[str, str] | None = None,
        notices: tuple[str, ...] = (),
    ) -> StackResult:
        return cls(
            stack=recording.stack,
            project=recording.project,
            preview=recording.preview,
            environment=environment,
            resources=tuple(ResourceSummary.of(resource) for resource in recording.resources),
            verdict=verdict,
            exports=dict(recording.exports),
            timings=timings,
            references=dict(references or {}),
            notices=notices,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StackResult:
        return cls(
            stack=data["stack"],
            project=data["project"],
            preview=data["preview"],
            environment=data.get("environment"),
            resources=tuple(ResourceSummary.from_dict(item) for item in data["resources"]),
            verdict=Verdict.from_dict(data["verdict"]),
            timings=Timings(**data.get("timings", {})),
            references=data.get("references", {}),
        )


@dataclass(frozen=True)
class PlanResult:
    """Every stack the run planned, in the order they ran."""

    stacks: tuple[StackResult, ...]
    wall_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(stack.passed for stack in self.stacks)

    @property
    def resource_count(self) -> int:
        return sum(len(stack.resources) for stack in self.stacks)

    @property
    def notices(self) -> tuple[str, ...]:
        """Every stack's notices, each once (the packs of every stack say the same)."""
        return tuple(dict.fromkeys(notice for stack in self.stacks for notice in stack.notices))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for stack in data["stacks"]:
            del stack["exports"], stack["notices"]
        return {"version": SCHEMA_VERSION, "passed": self.passed, **data}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanResult:
        return cls(
            stacks=tuple(StackResult.from_dict(item) for item in data["stacks"]),
            wall_seconds=float(data.get("wall_seconds", 0.0)),
        )
