"""The tag convention, applied once to every taggable AWS resource through an in-process transformation.

Keys: Environment, ManagedBy, ComplianceScope, Jurisdiction, DataConcern (where one applies), CostCenter,
Owner. Stack-wide values come from the stack config; Jurisdiction and DataConcern come from the parent
component's :class:`TagScope`, which every :class:`~fintech_infra._component.FintechComponent` resolves once
from its own parent (a cell sets Jurisdiction, a concern's database or key adds DataConcern).

The transformation runs inside the Pulumi SDK, so it behaves the same under ``pulumi up`` and under the
mock engine, and the tags show in every preview diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import pulumi

__all__ = [
    "DATA_CONCERNS_TAG",
    "MANAGED_BY",
    "REQUIRED_TAG_KEYS",
    "TagScope",
    "apply_tag_convention",
    "data_concerns_tag",
    "scoped_tags",
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


def tag_convention(
    *, environment: str, owner: str, cost_center: str, compliance_scope: str
) -> pulumi.ResourceTransformation:
    """A transformation that stamps the convention onto every AWS resource that takes ``tags``."""
    stack_tags = {
        "Environment": environment,
        "ManagedBy": MANAGED_BY,
        "ComplianceScope": compliance_scope,
        "CostCenter": cost_center,
        "Owner": owner,
    }

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


def apply_tag_convention(*, environment: str, owner: str, cost_center: str, compliance_scope: str) -> None:
    """Register the convention for the whole stack; call once, before creating resources."""
    pulumi.runtime.register_stack_transformation(
        tag_convention(environment=environment, owner=owner, cost_center=cost_center, compliance_scope=compliance_scope)
    )
