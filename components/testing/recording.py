"""What a synthesis records: each registration as a :class:`RecordedResource`, all of them as a :class:`Recording`.

Plain data, read by tests and by the gate; nothing here runs a program.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

__all__ = ["PROVIDER_PREFIX", "UNKNOWN", "RecordedResource", "Recording", "is_unknown"]

UNKNOWN = rpc.UNKNOWN
"""The sentinel string for a value unknown during preview in ``raw_inputs``; use :func:`is_unknown`."""

PROVIDER_PREFIX = "pulumi:providers:"


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (a preview's computed output)."""
    return isinstance(value, pulumi.output.Unknown) or value == UNKNOWN


@dataclass(frozen=True)
class RecordedResource:
    """One resource as the engine saw it register."""

    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    parent: str | None
    provider: str | None
    inputs: Mapping[str, Any]
    raw_inputs: struct_pb2.Struct = field(repr=False)
    outputs: Mapping[str, Any] = field(repr=False)
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    depends_on: tuple[str, ...]
    ignore_changes: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    aliases: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    region: str | None
    """Region the resource deploys to: its own ``region`` input, else its provider's; None for global types."""

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_PREFIX)

    @property
    def tags(self) -> Mapping[str, str]:
        tags = self.inputs.get("tags")
        return tags if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class Recording:
    """Everything one synthesis registered, in registration order."""

    project: str
    stack: str
    preview: bool
    resources: tuple[RecordedResource, ...]
    exports: Mapping[str, Any]

    def __iter__(self) -> Iterator[RecordedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def of_type(self, *types: str) -> list[RecordedResource]:
        """Resources of any of the given type tokens."""
        return [resource for resource in self.resources if resource.type in types]

    def named(self, name: str, type_: str | None = None) -> RecordedResource:
        """The one resource with this logical name (and type, when names repeat across types)."""
        found = [r for r in self.resources if r.name == name and (type_ is None or r.type == type_)]
        if len(found) != 1:
            raise KeyError(f"expected one resource named {name!r}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def children_of(self, urn: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.parent == urn]

    def descendants_of(self, urn: str) -> list[RecordedResource]:
        """Every resource below the component with this URN, at any depth."""
        below: list[RecordedResource] = []
        frontier = [urn]
        while frontier:
            current = frontier.pop()
            for resource in self.children_of(current):
                below.append(resource)
                frontier.append(resource.urn)
        return below

    def referencing(self, value: str) -> list[RecordedResource]:
        """Resources with any input equal to (or containing) ``value``, e.g. an ARN or id."""
        return [r for r in self.resources if value in json.dumps(r.inputs, default=str)]

    def custom_resources(self) -> list[RecordedResource]:
        """Cloud resources: not components, not providers, not the stack."""
        return [r for r in self.resources if r.custom and not r.is_provider]

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.custom_resources():
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return dict(sorted(counts.items()))
