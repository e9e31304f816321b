"""The tag convention, applied once to every taggable AWS resource through an in-process transformation.

Keys: Environment, ManagedBy, ComplianceScope, Jurisdiction, DataConcern (where one applies), CostCenter,
Owner. Stack-wide values come from :func:`apply_tag_convention`; Jurisdiction and DataConcern come from the
parent component's :class:`TagScope`, which every :class:`~fintech_infra._component.FintechComponent`
resolves once from its own parent (a cell sets Jurisdiction, a concern's database or key adds DataConcern).

A program that composes components itself, outside a :class:`~fintech_infra.cell.JurisdictionCell`, gives
the convention its ``jurisdiction``: every resource then carries it, the team's own resources included. A
component that would otherwise carry no Jurisdiction tag refuses to build (the policy pack requires the tag).

The transformation runs inside the Pulumi SDK, so it behaves the same under ``pulumi up`` and under the
mock engine, and the tags show in every preview diff.
"""

from __future__ import annotations

import typing
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pulumi

from fintech_infra._config_base import Environment
from fintech_infra.errors import ConfigError, allowed
from fintech_infra.jurisdictions import DEFAULT_REGISTRY, Jurisdiction

__all__ = [
    "DATA_CONCERNS_TAG",
    "MANAGED_BY",
    "REQUIRED_TAG_KEYS",
    "TagConvention",
    "TagScope",
    "apply_tag_convention",
    "data_concerns_tag",
    "scoped_tags",
    "stack_convention",
    "tag_convention",
]

MANAGED_BY = "fintech-infra"
REQUIRED_TAG_KEYS: tuple[str, ...] = (
    "Environment",
    "ManagedBy",
    "ComplianceScope",
    "Jurisdiction",
    "CostCenter",
    "Owner",
)
_ENVIRONMENTS: tuple[str, ...] = typing.get_args(Environment)

DATA_CONCERNS_TAG = "DataConcerns"
"""On a data store's client (the security group a service or function wears): the concerns it declares, whose
stores it may reach. The policy pack's data-path guardrail holds the network to exactly these."""


def data_concerns_tag(concerns: Iterable[str]) -> dict[str, str]:
    """``{"DataConcerns": "cache.crm.trading"}``: the declared concerns (``cache`` for the cell's cache), sorted and
    joined with ``.`` as the Kubernetes namespaces' ``data-concerns`` label is; ``none`` when there are none."""
    return {DATA_CONCERNS_TAG: ".".join(sorted(set(concerns))) or "none"}


@runtime_checkable
class TagScope(Protocol):
    """A component whose children carry extra convention tags (Jurisdiction, DataConcern)."""

    @property
    def scope_tags(self) -> Mapping[str, str]: ...


def scoped_tags(resource: pulumi.Resource | None) -> dict[str, str]:
    """Convention tags a resource inherits from its parent component (empty outside our components)."""
    if isinstance(resource, TagScope):
        return dict(resource.scope_tags)
    return {}


@dataclass(frozen=True)
class TagConvention:
    """The stack-wide values of the convention; ``jurisdiction`` None leaves it to the components (cells)."""

    environment: Environment
    owner: str
    cost_center: str
    compliance_scope: str
    jurisdiction: str | None = None

    @classmethod
    def checked(
        cls,
        *,
        environment: str,
        owner: str,
        cost_center: str,
        compliance_scope: str,
        jurisdiction: Jurisdiction | str | None = None,
    ) -> TagConvention:
        """The convention, or a ConfigError naming the bad argument."""
        if environment not in _ENVIRONMENTS:
            raise ConfigError(
                f"apply_tag_convention: environment: {environment!r} is not known; {allowed(_ENVIRONMENTS)}"
            )
        code = jurisdiction.code if isinstance(jurisdiction, Jurisdiction) else jurisdiction
        if isinstance(jurisdiction, str) and jurisdiction not in DEFAULT_REGISTRY:
            raise ConfigError(
                f"apply_tag_convention: jurisdiction: {jurisdiction!r} is not a registered jurisdiction; "
                f"{allowed(DEFAULT_REGISTRY)} (or a Jurisdiction from your own registry)"
            )
        return cls(
            environment=typing.cast(Environment, environment),
            owner=owner,
            cost_center=cost_center,
            compliance_scope=compliance_scope,
            jurisdiction=code,
        )

    @property
    def stack_tags(self) -> dict[str, str]:
        """The tags every taggable resource gets before its components' scope is applied."""
        tags = {"Environment": self.environment, "ManagedBy": MANAGED_BY, "ComplianceScope": self.compliance_scope}
        if self.jurisdiction is not None:
            tags["Jurisdiction"] = self.jurisdiction
        return {**tags, "CostCenter": self.cost_center, "Owner": self.owner}


def tag_convention(
    *,
    environment: str,
    owner: str,
    cost_center: str,
    compliance_scope: str,
    jurisdiction: Jurisdiction | str | None = None,
) -> pulumi.ResourceTransformation:
    """A transformation that stamps the convention onto every AWS resource that takes ``tags``."""
    return _transformation(
        TagConvention.checked(
            environment=environment,
            owner=owner,
            cost_center=cost_center,
            compliance_scope=compliance_scope,
            jurisdiction=jurisdiction,
        )
    )


def _transformation(convention: TagConvention) -> pulumi.ResourceTransformation:
    stack_tags = convention.stack_tags

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("aws:") or "tags" not in args.props:
            return None
        existing: Any = args.props["tags"]
        if existing is not None and not isinstance(existing, Mapping):
            # Tags given as an Output or a list (autoscaling groups) are left as the author wrote them.
            return None
        tags = {**(existing or {}), **stack_tags, **scoped_tags(args.opts.parent)}
        return pulumi.ResourceTransformationResult(props={**args.props, "tags": tags}, opts=args.opts)

    return transform


_REGISTERED: weakref.WeakKeyDictionary[pulumi.Resource, TagConvention] = weakref.WeakKeyDictionary()
"""The convention each running stack registered, keyed by its root Stack resource (one per program run)."""


def apply_tag_convention(
    *,
    environment: str,
    owner: str,
    cost_center: str,
    compliance_scope: str,
    jurisdiction: Jurisdiction | str | None = None,
) -> None:
    """Register the convention for the whole stack; call once, before creating resources.

    ``jurisdiction`` (a registry code such as ``"cysec"``, or a :class:`~fintech_infra.jurisdictions.Jurisdiction`
    from a registry of your own) tags every resource of a program that composes components itself; a
    :class:`~fintech_infra.cell.JurisdictionCell` tags its own subtree, so a stack of cells leaves it unset.
    """
    convention = TagConvention.checked(
        environment=environment,
        owner=owner,
        cost_center=cost_center,
        compliance_scope=compliance_scope,
        jurisdiction=jurisdiction,
    )
    pulumi.runtime.register_stack_transformation(_transformation(convention))
    root = pulumi.runtime.get_root_resource()
    if root is not None:
        _REGISTERED[root] = convention


def stack_convention() -> TagConvention | None:
    """The convention the running stack registered with :func:`apply_tag_convention`; None if it registered none."""
    root = pulumi.runtime.get_root_resource()
    return _REGISTERED.get(root) if root is not None else None
