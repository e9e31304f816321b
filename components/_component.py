"""FintechComponent: the base of every component here, carrying the tag scope down the tree."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from fintech_infra._tags import scoped_tags

__all__ = ["FintechComponent"]


class FintechComponent(pulumi.ComponentResource):
    """A ComponentResource whose children inherit convention tags (Jurisdiction, DataConcern).

    ``scope`` adds tags for this subtree; the parent's scope is inherited, the nearest value wins.
    """

    def __init__(
        self,
        type_token: str,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        scope: Mapping[str, str] | None = None,
    ) -> None:
        parent = opts.parent if opts is not None else None
        self._scope_tags: dict[str, str] = {**scoped_tags(parent), **(scope or {})}
        super().__init__(type_token, name, None, opts)

    @property
    def scope_tags(self) -> Mapping[str, str]:
        """Convention tags this component's children receive."""
        return self._scope_tags
