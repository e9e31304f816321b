"""The gate's result: per stack, what would be created and what the policy pack said; JSON round-trips.

Resources are summarised (type, name, URN, parent, provider, region, options, tags and a few descriptive
inputs) rather than carried whole, so a report never contains an input value a secret could hide in.

Resources are kept in tree order (:func:`tree_order`), not in the order they registered: under the SDK's
asynchronous engine that order differs between two runs of the same program, and every report and diagram
iterates this tuple, so two runs of one stack render byte for byte the same (apart from timings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from fintech_infra.testing import RecordedResource, Recording, is_unknown
from fintech_infra_gate.verdict import Verdict

__all__ = [
    "COUNT_DEFINITION",
    "DESCRIPTIVE_INPUTS",
    "PlanResult",
    "ResourceSummary",
    "StackResult",
    "Timings",
    "count_phrase",
    "tree_order",
]

SCHEMA_VERSION = 1

COUNT_DEFINITION = (
    "cloud_resources: the resources the cloud provider would create (custom resources; providers and "
    "components excluded); registrations: every resource registered with the engine, providers and "
    "components included (the stack itself excluded)"
)
"""What the two counts every report shows mean; the JSON report carries it beside the figures."""

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
    "domainName",
    "setIdentifier",
    "internal",
    "protocol",
    "port",
    "priority",
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
    refs: tuple[str, ...] = ()
    """The URNs its inputs depend on (the union of its property dependencies): the diagram's edges."""

    def __post_init__(self) -> None:
        # Sets to the engine, recorded in whatever order the SDK resolved them (it varies between runs).
        object.__setattr__(self, "depends_on", tuple(sorted(self.depends_on)))
        object.__setattr__(self, "refs", tuple(sorted(set(self.refs))))

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def is_cloud_resource(self) -> bool:
        """A resource the provider would create: custom, and not a provider."""
        return self.custom and not self.is_provider

    def sibling_key(self) -> tuple[str, str, str]:
        """Siblings in the tree sort by name, then type (a cell may hold a component and a database both
        named ``dev-audit``); the URN breaks any remaining tie."""
        return (self.name, self.type, self.urn)

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
        names = resource.inputs.get("subjectAlternativeNames")
        if isinstance(names, list | tuple) and all(isinstance(n, str) and not is_unknown(n) for n in names):
            details["subjectAlternativeNames"] = sorted(names)  # a certificate's other hostnames (the diagram's DNS)
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
            refs=tuple(urn for urns in resource.property_dependencies.values() for urn in urns if urn != resource.urn),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResourceSummary:
        return cls(
            **{
                **data,
                "depends_on": tuple(data.get("depends_on", ())),
                "ignore_changes": tuple(data.get("ignore_changes", ())),
                "refs": tuple(data.get("refs", ())),
            }
        )


def tree_order(resources: Iterable[ResourceSummary]) -> tuple[ResourceSummary, ...]:
    """Parents before their children, depth first, siblings by :meth:`ResourceSummary.sibling_key`.

    It depends only on the URN tree and the names, never on when a resource registered. A resource whose
    parent is not among ``resources`` (the stack, which is not recorded) is a root.
    """
    items = list(resources)
    known = {resource.urn for resource in items}
    children: dict[str | None, list[ResourceSummary]] = defaultdict(list)
    for resource in items:
        children[resource.parent if resource.parent in known else None].append(resource)
    ordered: list[ResourceSummary] = []
    pending = sorted(children[None], key=ResourceSummary.sibling_key, reverse=True)
    while pending:
        resource = pending.pop()
        ordered.append(resource)
        pending.extend(sorted(children.get(resource.urn, ()), key=ResourceSummary.sibling_key, reverse=True))
    if len(ordered) < len(items):  # a parent cycle (only a hand-edited plan could hold one): keep them all
        placed = {resource.urn for resource in ordered}
        ordered.extend(sorted((r for r in items if r.urn not in placed), key=ResourceSummary.sibling_key))
    return tuple(ordered)


def count_phrase(cloud_resources: int, registrations: int) -> str:
    """The one way every human-readable report states the two counts."""
    return (
        f"{cloud_resources} cloud resource{'s' if cloud_resources != 1 else ''}; "
        f"{registrations} registration{'s' if registrations != 1 else ''} incl. providers and components"
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
    """Config key path (``routing.cell_stacks.eu``, ``dns.zones_stack``) to the stack file it reads through
    StackReference."""
    notices: tuple[str, ...] = field(default=(), compare=False)
    """Lines the policy pack addressed to the person running the gate, not findings (its speed-ups are off,
    and why): the console script prints each once per run on stderr; never written to a report."""

    def __post_init__(self) -> None:
        # Canonical order whatever the caller passed (registration order varies between runs); the frozen
        # dataclass's documented way to set a field after __init__.
        object.__setattr__(self, "resources", tree_order(self.resources))

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    def custom_resources(self) -> list[ResourceSummary]:
        """The cloud resources (see :data:`COUNT_DEFINITION`), in tree order."""
        return [r for r in self.resources if r.is_cloud_resource]

    @property
    def cloud_resource_count(self) -> int:
        return sum(1 for resource in self.resources if resource.is_cloud_resource)

    @property
    def registration_count(self) -> int:
        return len(self.resources)

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
    def cloud_resource_count(self) -> int:
        return sum(stack.cloud_resource_count for stack in self.stacks)

    @property
    def registration_count(self) -> int:
        return sum(stack.registration_count for stack in self.stacks)

    @property
    def notices(self) -> tuple[str, ...]:
        """Every stack's notices, each once (the packs of every stack say the same)."""
        return tuple(dict.fromkeys(notice for stack in self.stacks for notice in stack.notices))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for stack, result in zip(data["stacks"], self.stacks, strict=True):
            del stack["exports"], stack["notices"]
            stack["resource_counts"] = _counts(result.cloud_resource_count, result.registration_count)
        totals = {
            **_counts(self.cloud_resource_count, self.registration_count),
            "definition": COUNT_DEFINITION,
        }
        return {"version": SCHEMA_VERSION, "passed": self.passed, "resource_counts": totals, **data}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanResult:
        return cls(
            stacks=tuple(StackResult.from_dict(item) for item in data["stacks"]),
            wall_seconds=float(data.get("wall_seconds", 0.0)),
        )


def _counts(cloud_resources: int, registrations: int) -> dict[str, int]:
    return {"cloud_resources": cloud_resources, "registrations": registrations}
