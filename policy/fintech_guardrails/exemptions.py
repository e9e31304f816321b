"""Exemptions: one resource, one named policy, with a reason, a ticket, an approver and an expiry date.

An exemption is data in the environment's policy config (``policy/config/<env>.json``), reviewed like
code. The rule that owns a policy applies a *valid* exemption by reporting the resource as not applicable
with the ticket, approver and expiry in the reason, so every waiver shows in the analyzer's evidence.
An exemption that is incomplete, expired, names an unknown policy or targets a policy that can never be
exempted is not applied; the ``exemptions-valid`` stack policy (always mandatory) reports it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FIELDS", "MIN_REASON_LENGTH", "Exemption", "parse_exemptions"]

FIELDS: tuple[str, ...] = ("policy", "resource", "reason", "ticket", "approver", "expires")
MIN_REASON_LENGTH = 10  # cdk-nag v2 enforced the same floor on suppression reasons.


@dataclass(frozen=True)
class Exemption:
    """One entry of the ``exemptions`` list, as written (fields may be missing or malformed)."""

    index: int
    policy: str
    resource: str
    reason: str
    ticket: str
    approver: str
    expires: str

    @property
    def label(self) -> str:
        """How messages name the entry: its ticket, else its position in the list."""
        return f"exemption {self.ticket}" if self.ticket else f"exemptions[{self.index}]"

    def expiry(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.expires)
        except ValueError:
            return None

    def problems(self, today: dt.date, exemptible: Mapping[str, bool]) -> list[str]:
        """Why this entry cannot be applied; empty when it is valid on ``today``."""
        found = [f"{self.label}: `{name}` is missing or empty" for name in FIELDS if not getattr(self, name)]
        if self.reason and len(self.reason) < MIN_REASON_LENGTH:
            found.append(f"{self.label}: `reason` must say why in at least {MIN_REASON_LENGTH} characters")
        if self.expires:
            expiry = self.expiry()
            if expiry is None:
                found.append(f"{self.label}: `expires` must be a date written YYYY-MM-DD")
            elif expiry < today:
                found.append(
                    f"{self.label}: expired on {expiry.isoformat()}; renew it through review or fix the resource"
                )
        if self.policy and self.policy not in exemptible:
            found.append(f"{self.label}: `policy` names no policy in this pack")
        elif self.policy and not exemptible[self.policy]:
            found.append(f"{self.label}: policy {self.policy} can never be exempted; the exemption is ignored")
        return found

    def matches(self, urn: str, name: str) -> bool:
        """True when ``resource`` (a URN or logical-name glob) names this resource."""
        return bool(self.resource) and (
            fnmatch.fnmatchcase(urn, self.resource) or fnmatch.fnmatchcase(name, self.resource)
        )

    def evidence(self) -> str:
        """The not-applicable reason an applied exemption leaves behind."""
        return (
            f"exempted by {self.ticket} (approved by {self.approver}, expires {self.expires}) "
            f"for {self.resource}: {self.reason}"
        )


def parse_exemptions(raw: Any) -> tuple[Exemption, ...]:
    """The ``exemptions`` config value as entries; anything that is not a list of objects yields none."""
    if not isinstance(raw, list):
        return ()
    entries: list[Exemption] = []
    for index, item in enumerate(raw):
        fields: Mapping[str, Any] = item if isinstance(item, Mapping) else {}
        values = {name: fields.get(name) for name in FIELDS}
        entries.append(
            Exemption(
                index=index,
                **{name: value.strip() if isinstance(value, str) else "" for name, value in values.items()},
            )
        )
    return tuple(entries)
