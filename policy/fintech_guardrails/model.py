"""What a rule sees: one resource (:class:`Resource`) or the whole stack (:class:`Stack`), as plain data.

Both are built from the SDK's arguments in one place, so every rule reads properties through
:func:`~fintech_guardrails.preview.dig` and meets unknowns as :data:`~fintech_guardrails.preview.UNKNOWN`.
A stack's joins (URN index, property references, parents, jurisdictions) are computed lazily and once per
:class:`Stack`.

Nothing here is cached across calls: :func:`props_of` copies a proxy each time and :func:`index_of` builds a
new index for each :class:`Stack`. :mod:`fintech_guardrails.speedups`, which makes every policy of a request
receive the same SDK objects, puts memoised versions of these two functions in their place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from fintech_guardrails.evidence import PathNote
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown, plain
from fintech_guardrails.settings import Settings

__all__ = ["Findings", "Node", "Resource", "Stack", "expect", "index_of", "props_of", "region_in", "tags_of"]

JURISDICTION_TAG = "Jurisdiction"
GLOBAL = "global"
"""The Jurisdiction tag of global (non-regional) resources that serve every cell, e.g. the routing zone."""
CONCERN_TAG = "DataConcern"


def tags_of(props: Mapping[str, Any]) -> Mapping[str, Any] | Any:
    """A resource's tags (``tags``, else ``tagsAll``): a mapping, or UNKNOWN."""
    tags = props.get("tags")
    if tags is None:
        tags = props.get("tagsAll")
    if tags is UNKNOWN:
        return UNKNOWN
    return tags if isinstance(tags, Mapping) else {}


def region_in(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> Any:
    """The region a resource deploys to: its own ``region`` input, else its provider's; None if neither."""
    own = props.get("region")
    if own is not None and own != "":
        return own
    if provider_props is None:
        return None
    return provider_props.get("region")


def props_of(proxy: Any) -> dict[str, Any]:
    """The properties in an SDK props proxy, copied out as plain data (:func:`~fintech_guardrails.preview.plain`)."""
    copied: dict[str, Any] = plain(proxy)
    return copied


@dataclass
class Findings:
    """What a rule found: violations (message, optional URN), inputs it could not judge yet, and the paths a
    functional guardrail proved or found broken (:mod:`fintech_guardrails.evidence`)."""

    violations: list[tuple[str, str | None]] = field(default_factory=list)
    pending: list[tuple[str, str | None]] = field(default_factory=list)
    paths: list[PathNote] = field(default_factory=list)

    def fail(self, message: str, urn: str | None = None) -> None:
        self.violations.append((message, urn))

    def wait(self, what: str, urn: str | None = None) -> None:
        self.pending.append((what, urn))

    def prove(self, note: PathNote) -> None:
        """A path that exists, every link named."""
        self.paths.append(note)

    def broke(self, note: PathNote, message: str, urn: str | None = None) -> None:
        """A path that stops at a link: the violation ``message`` on ``urn``, and the note that repeats it."""
        self.fail(message, urn)
        self.paths.append(replace(note, broken=message, urn=urn))


def expect(
    out: Findings, value: Any, ok: Callable[[Any], bool], message: str, *, what: str, urn: str | None = None
) -> None:
    """The common tri-state check: pending if ``value`` is unknown, a violation if ``ok(value)`` is false.

    ``ok`` receives the value with None for "not set", so each rule states its provider default there.
    """
    if is_unknown(value) or (isinstance(value, (list, dict)) and _has_unknown(value)):
        out.wait(what, urn)
    elif not ok(value):
        out.fail(message, urn)


def _has_unknown(value: Any) -> bool:
    from fintech_guardrails.preview import contains_unknown

    return contains_unknown(value)


@dataclass
class Resource:
    """One resource as a resource policy sees it (its inputs)."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool
    provider_props: dict[str, Any] | None
    settings: Settings
    stack_tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, args: Any, settings: Settings) -> Resource:
        """The resource the SDK's ``ResourceValidationArgs`` describe, its properties copied out of the proxies."""
        provider = args.provider
        return cls(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=props_of(args.props),
            protect=bool(args.opts.protect) if args.opts is not None else False,
            provider_props=None if provider is None else props_of(provider.props),
            settings=settings,
            stack_tags=args.stack_tags,
        )

    def get(self, *path: str | int) -> Any:
        return dig(self.props, *path)

    @property
    def tags(self) -> Mapping[str, Any] | Any:
        return tags_of(self.props)

    @property
    def region(self) -> Any:
        return region_in(self.props, self.provider_props)


class Node:
    """One resource of the stack (its outputs), with lazy plain props and resolved references."""

    def __init__(self, source: Any, stack: _Index) -> None:
        self._source = source
        self._stack = stack
        self.type: str = source.resource_type
        self.name: str = source.name
        self.urn: str = source.urn
        self.protect: bool = bool(getattr(source.opts, "protect", False))

    @cached_property
    def props(self) -> dict[str, Any]:
        return props_of(self._source.props)

    @cached_property
    def provider_props(self) -> dict[str, Any] | None:
        provider = self._source.provider
        return None if provider is None else plain(provider.props)

    @cached_property
    def parent(self) -> Node | None:
        parent = self._source.parent
        return None if parent is None else self._stack.by_urn.get(parent.urn)

    @cached_property
    def property_dependencies(self) -> dict[str, list[str]]:
        deps = self._source.property_dependencies or {}
        return {key: [resource.urn for resource in value] for key, value in deps.items()}

    @property
    def provider_urn(self) -> str | None:
        """The URN of the provider the resource uses (a Kubernetes provider leads to its cluster)."""
        provider = self._source.provider
        urn = getattr(provider, "urn", None) if provider is not None else None
        return urn if isinstance(urn, str) and urn else None

    @property
    def custom(self) -> bool:
        return self.type.startswith(("aws:", "kubernetes:")) and not self.type.startswith("pulumi:providers:")

    def get(self, *path: str | int) -> Any:
        return dig(self.props, *path)

    @property
    def tags(self) -> Mapping[str, Any] | Any:
        return tags_of(self.props)

    def tag(self, key: str) -> str | None:
        tags = self.tags
        value = None if tags is UNKNOWN else tags.get(key)
        return value if isinstance(value, str) and not is_unknown(value) else None

    @property
    def region(self) -> Any:
        return region_in(self.props, self.provider_props)

    def __repr__(self) -> str:
        return f"Node({self.type}, {self.name})"


class _Index:
    """The part of a :class:`Stack` that no policy setting changes: its nodes and the joins over them."""

    def __init__(self, resources: list[Any], stack_tags: Mapping[str, str]) -> None:
        self.stack_tags = dict(stack_tags)
        self.shared: dict[str, Any] = {}
        """Joins several stack rules build from this index (:meth:`Stack.shared`), built once per index."""
        self.nodes = [Node(resource, self) for resource in resources]
        self.by_urn = {node.urn: node for node in self.nodes}
        self.by_type: dict[str, list[Node]] = defaultdict(list)
        for node in self.nodes:
            self.by_type[node.type].append(node)

    @cached_property
    def identifiers(self) -> dict[str, list[Node]]:
        """Known identifier values (id, arn, name, bucket) of every resource, for joins by value."""
        index: dict[str, list[Node]] = defaultdict(list)
        for node in self.nodes:
            if not node.custom:
                continue
            for key in ("id", "arn", "name", "bucket", "keyId"):
                value = node.props.get(key)
                if isinstance(value, str) and value and not is_unknown(value):
                    index[value].append(node)
        return index

    @cached_property
    def descendant_jurisdictions(self) -> dict[str, set[str]]:
        below: dict[str, set[str]] = defaultdict(set)
        for node in self.nodes:
            code = node.tag(JURISDICTION_TAG)
            if code is None or code == GLOBAL:
                continue
            current = node.parent
            while current is not None:
                below[current.urn].add(code)
                current = current.parent
        return below

    @cached_property
    def jurisdictions(self) -> set[str]:
        found = {code for node in self.nodes if (code := node.tag(JURISDICTION_TAG)) not in (None, GLOBAL)}
        if self.stack_tags.get(JURISDICTION_TAG):
            found.add(self.stack_tags[JURISDICTION_TAG])
        return found


def index_of(resources: Iterable[Any], stack_tags: Mapping[str, str]) -> _Index:
    """The nodes of ``resources`` and the joins over them, for one :class:`Stack`."""
    return _Index(list(resources), stack_tags)


class Stack:
    """Every resource of one ``AnalyzeStack`` call, with the joins the stack rules share."""

    def __init__(self, resources: Iterable[Any], settings: Settings, stack_tags: Mapping[str, str]) -> None:
        self.settings = settings
        self._index = index_of(resources, stack_tags)
        self.stack_tags = self._index.stack_tags
        self.nodes = self._index.nodes
        self.by_urn = self._index.by_urn

    def of_type(self, *types: str) -> list[Node]:
        return [node for type_ in types for node in self._index.by_type.get(type_, [])]

    def shared(self, key: str, build: Callable[[Stack], Any]) -> Any:
        """``build(self)``, once per index: the stack rules of one ``AnalyzeStack`` share the index (with the
        speed-ups), so a join several rules need (the path topology) is built once, not once per rule.

        ``build`` must read only the index (nodes and their properties), never the policy settings, which
        differ between the rules that share it.
        """
        found = self._index.shared.get(key)
        if found is None:
            found = self._index.shared[key] = build(self)
        return found

    def refs(self, node: Node, prop: str, *types: str) -> list[Node]:
        """Resources ``node.prop`` refers to: its property dependencies, else a match on known identifiers."""
        found: list[Node] = []
        for urn in node.property_dependencies.get(prop, []):
            target = self.by_urn.get(urn)
            if target is not None and (not types or target.type in types):
                found.append(target)
        if found:
            return found
        values = as_list(node.props.get(prop))
        if values is UNKNOWN:
            return []
        for value in values:
            if isinstance(value, str):
                for target in self._index.identifiers.get(value, []):
                    if (not types or target.type in types) and target not in found:
                        found.append(target)
        return found

    def identified(self, value: str) -> list[Node]:
        """Resources one of whose known identifiers (id, arn, name, bucket, keyId) is ``value``."""
        return self._index.identifiers.get(value, [])

    def referrers(self, target: Node, *types: str, prop: str | None = None) -> list[Node]:
        """Resources of ``types`` whose ``prop`` (any prop when None) refers to ``target``."""
        found: list[Node] = []
        for node in self.of_type(*types) if types else self.nodes:
            props = [prop] if prop else list(node.property_dependencies) or list(node.props)
            if any(target in self.refs(node, name) for name in props):
                found.append(node)
        return found

    @property
    def jurisdictions(self) -> set[str]:
        """Every jurisdiction a resource of this stack is tagged with."""
        return self._index.jurisdictions

    @property
    def descendant_jurisdictions(self) -> dict[str, set[str]]:
        """Component URN -> the jurisdictions tagged on the resources below it."""
        return self._index.descendant_jurisdictions

    def jurisdiction(self, node: Node) -> str | None:
        """The jurisdiction governing ``node``.

        Its own ``Jurisdiction`` tag; else (untaggable resources) the one jurisdiction tagged under its
        nearest ancestor component that has tagged descendants, e.g. the cell; else the stack's
        ``Jurisdiction`` stack tag; else the stack's only jurisdiction. None when it stays ambiguous.
        """
        own = node.tag(JURISDICTION_TAG)
        if own is not None and own != GLOBAL:
            return own
        current = node.parent
        while current is not None:
            codes = self._index.descendant_jurisdictions.get(current.urn)
            if codes:
                return next(iter(codes)) if len(codes) == 1 else None
            current = current.parent
        if self.stack_tags.get(JURISDICTION_TAG):
            return self.stack_tags[JURISDICTION_TAG]
        return next(iter(self.jurisdictions)) if len(self.jurisdictions) == 1 else None

    def concern(self, node: Node) -> str | None:
        return node.tag(CONCERN_TAG)
