"""FintechComponent: the base of every component here, carrying the tag scope down the tree."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from fintech_infra._tags import scoped_tags, stack_convention
from fintech_infra.errors import ConfigError

__all__ = ["FintechComponent"]

JURISDICTION_TAG = "Jurisdiction"


class FintechComponent(pulumi.ComponentResource):
    """A ComponentResource whose children inherit convention tags (Jurisdiction, DataConcern).

    ``scope`` adds tags for this subtree; the parent's scope is inherited, the nearest value wins.
    ``jurisdiction`` is the code a component's settings were checked against (a database's residency, a
    backup's retention): it must agree with the Jurisdiction around it (the enclosing cell's, else the
    stack's tag convention), and tags the subtree when nothing around sets one.

    Every resource must carry a Jurisdiction tag (the policy pack's ``required-tags``). So when the stack's
    tag convention names none, a component outside any scope that sets one is refused before it registers,
    with a ConfigError naming ``apply_tag_convention(jurisdiction=...)``.
    """

    def __init__(
        self,
        type_token: str,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        scope: Mapping[str, str] | None = None,
        jurisdiction: str | None = None,
    ) -> None:
        parent = opts.parent if opts is not None else None
        tags: dict[str, str] = {**scoped_tags(parent), **(scope or {})}
        convention = stack_convention()
        around = tags.get(JURISDICTION_TAG) or (convention.jurisdiction if convention is not None else None)
        label = f"{type_token.rsplit(':', 1)[-1]} {name!r}"
        if jurisdiction is not None and around is not None and around != jurisdiction:
            raise ConfigError(
                f"{label}: jurisdiction: {jurisdiction!r} differs from {around!r}, the jurisdiction of the cell or "
                f"tag convention around it; allowed: {around!r}"
            )
        if jurisdiction is not None and around is None:
            tags[JURISDICTION_TAG] = jurisdiction
        elif around is None and convention is not None:
            raise ConfigError(
                f"{label}: no Jurisdiction tag: apply_tag_convention(jurisdiction=...) is None and no "
                "JurisdictionCell encloses it; allowed: a jurisdiction code for apply_tag_convention "
                "(the policy pack requires the tag on every resource)"
            )
        self._scope_tags = tags
        super().__init__(type_token, name, None, opts)

    @property
    def scope_tags(self) -> Mapping[str, str]:
        """Convention tags this component's children receive."""
        return self._scope_tags
