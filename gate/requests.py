"""Turn a :class:`~fintech_infra.testing.Recording` into the analyzer requests the Pulumi engine would send.

``Analyze`` gets each resource's inputs exactly as registered (the recorded wire ``Struct``: secrets and
preview unknowns intact), its options and its provider (an explicit provider's inputs, or the default
provider the engine would create from the stack's ``<package>:*`` config). ``AnalyzeStack`` gets every
resource's outputs with parent, dependencies and property dependencies. The root ``pulumi:pulumi:Stack``
resource is included in both, as the engine includes it.

``AnalyzeStack`` lists the resources in :func:`engine_order`, not in the order they happened to register:
that order varies between runs under the SDK's asynchronous engine, and a stack policy that joins what it
found into one message (the pack's pending and exemption evidence) would word it differently each run.
"""

from __future__ import annotations

import functools
import heapq
import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from fintech_infra.testing import UNKNOWN, RecordedResource, Recording, engine_config

__all__ = [
    "Providers",
    "analyze_request",
    "analyze_requests",
    "engine_order",
    "stack_analyze_request",
    "stack_request",
    "stack_urn",
    "to_struct",
]

STACK_TYPE = "pulumi:pulumi:Stack"


def stack_urn(recording: Recording) -> str:
    name = f"{recording.project}-{recording.stack}"
    return f"urn:pulumi:{recording.stack}::{recording.project}::{STACK_TYPE}::{name}"


def _plain(value: Any) -> Any:
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A wire ``Struct`` from plain data; unknowns become the engine's unknown sentinel."""
    struct = struct_pb2.Struct()
    struct.update(_plain(values))
    return struct


@functools.cache
def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(f"pulumi-{package}")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _default_provider(
    project: str, stack: str, package: str, provider_config: Mapping[str, Any]
) -> analyzer_pb2.AnalyzerProviderResource:
    """The provider the engine creates for a resource registered without one."""
    version = _package_version(package)
    name = "default" + (f"_{version.replace('.', '_').replace('-', '_')}" if version else "")
    prefix = f"{package}:"
    properties: dict[str, Any] = {
        key[len(prefix) :]: value for key, value in engine_config(provider_config).items() if key.startswith(prefix)
    }
    if version:
        properties["version"] = version
    return analyzer_pb2.AnalyzerProviderResource(
        type=f"pulumi:providers:{package}",
        name=name,
        urn=f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::{name}",
        properties=to_struct(properties),
    )


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=resource.delete_before_replace,
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        aliases=list(resource.aliases),
        parent=resource.parent or "",
    )


class Providers:
    """Provider resources by URN, learnt as they register; default providers made on first use."""

    def __init__(
        self, project: str, stack: str, provider_config: Mapping[str, Any], resources: Iterable[RecordedResource] = ()
    ) -> None:
        self.project, self.stack = project, stack
        self.config = provider_config
        self.explicit = {r.urn: r for r in resources if r.is_provider}
        self.defaults: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}
        self.cache: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}

    def add(self, resource: RecordedResource) -> None:
        if resource.is_provider:
            self.explicit[resource.urn] = resource

    def of(self, resource: RecordedResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        if resource.provider:
            cached = self.cache.get(resource.provider)
            if cached is None and resource.provider in self.explicit:
                provider = self.explicit[resource.provider]
                cached = analyzer_pb2.AnalyzerProviderResource(
                    type=provider.type, name=provider.name, urn=provider.urn, properties=provider.raw_inputs
                )
                self.cache[resource.provider] = cached
            return cached
        if not resource.custom or resource.is_provider:
            return None
        package = resource.type.split(":", 1)[0]
        if package not in self.defaults:
            self.defaults[package] = _default_provider(self.project, self.stack, package, self.config)
        return self.defaults[package]


def stack_analyze_request(project: str, stack: str) -> analyzer_pb2.AnalyzeRequest:
    """``Analyze`` for the root stack resource (no inputs)."""
    return analyzer_pb2.AnalyzeRequest(
        type=STACK_TYPE,
        urn=f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}",
        name=f"{project}-{stack}",
        properties=struct_pb2.Struct(),
        options=analyzer_pb2.AnalyzerResourceOptions(),
    )


def analyze_request(resource: RecordedResource, providers: Providers) -> analyzer_pb2.AnalyzeRequest:
    """``Analyze`` for one resource: its registered inputs, options and provider."""
    providers.add(resource)
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=resource.raw_inputs,
        options=_options(resource),
    )
    provider = providers.of(resource)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def analyze_requests(
    recording: Recording, *, provider_config: Mapping[str, Any] | None = None
) -> list[analyzer_pb2.AnalyzeRequest]:
    """One ``AnalyzeRequest`` per resource, the stack first, in registration order."""
    providers = Providers(recording.project, recording.stack, provider_config or {}, recording.resources)
    return [
        stack_analyze_request(recording.project, recording.stack),
        *(analyze_request(resource, providers) for resource in recording.resources),
    ]


def engine_order(resources: Sequence[RecordedResource]) -> list[RecordedResource]:
    """``resources`` in an order the engine could have registered them in, the same on every run.

    The engine registers a resource only after its parent, its provider and what it depends on; among the
    resources that are ready, the smallest URN comes first.
    """
    by_urn = {resource.urn: resource for resource in resources}
    waiting_on: dict[str, set[str]] = {}
    unblocks: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for resource in resources:
        needs = {resource.parent, resource.provider, *resource.depends_on}
        needs.update(urn for urns in resource.property_dependencies.values() for urn in urns)
        waiting_on[resource.urn] = {urn for urn in needs if urn in by_urn and urn != resource.urn}
        for urn in waiting_on[resource.urn]:
            unblocks[urn].append(resource.urn)
    ready = [urn for urn, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    ordered: list[RecordedResource] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for waiter in unblocks[urn]:
            waiting_on[waiter].discard(urn)
            if not waiting_on[waiter]:
                heapq.heappush(ready, waiter)
    if len(ordered) < len(by_urn):  # a dependency cycle, which the engine would have refused: keep them all
        placed = {resource.urn for resource in ordered}
        ordered.extend(sorted((r for r in resources if r.urn not in placed), key=lambda r: r.urn))
    return ordered


def stack_request(
    recording: Recording, *, provider_config: Mapping[str, Any] | None = None
) -> analyzer_pb2.AnalyzeStackRequest:
    """The ``AnalyzeStackRequest``: every resource's outputs, parents and dependencies."""
    providers = Providers(recording.project, recording.stack, provider_config or {}, recording.resources)
    request = analyzer_pb2.AnalyzeStackRequest()
    root = request.resources.add()
    root.type, root.urn, root.name = STACK_TYPE, stack_urn(recording), f"{recording.project}-{recording.stack}"
    root.properties.CopyFrom(to_struct(dict(recording.exports)))
    for resource in engine_order(recording.resources):
        entry = request.resources.add()
        entry.type, entry.urn, entry.name = resource.type, resource.urn, resource.name
        entry.parent = resource.parent or ""
        entry.properties.CopyFrom(to_struct(dict(resource.outputs)))
        entry.options.CopyFrom(_options(resource))
        entry.dependencies.extend(sorted(resource.depends_on))
        for key, urns in resource.property_dependencies.items():
            entry.propertyDependencies[key].urns.extend(sorted(urns))
        provider = providers.of(resource)
        if provider is not None:
            entry.provider.CopyFrom(provider)
    return request
