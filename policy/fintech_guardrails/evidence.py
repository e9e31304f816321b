"""Path evidence: how a functional guardrail reports each path it proved and each one it found broken.

The analyzer protocol has two answers per policy: violations (diagnostics) and one not-applicable reason. The
pack already puts positive evidence in that reason (an exemption's ticket, ``pending: ...``), as parts joined
with ``"; "``. A path guardrail adds one part per path:

* ``proved: {json}``: the path exists, every link named in order;
* ``broken: {json}``: the path stops at a link; ``broken`` holds the same words as the violation the guardrail
  reports for it (``waived`` names the exemption's ticket when one waives that violation).

The JSON object (compact, keys sorted) is::

    {"family": "ingress" | "data" | "keys" | "failover" | "alerts",
     "subject": "api.cy.fintech.example.com",      # what the path is of: a hostname, service, concern, topic
     "region": "eu-central-1",                     # or null (Route 53 is global)
     "entities": ["cysec-cy"],                     # the regulatory entities it serves (may be empty)
     "links": ["internet", "waf eu-edge-web-acl", "alb eu-edge-alb", ...],
     "broken": "...", "waived": "..."}             # broken notes only

Every ``;`` inside the JSON is written ``\\u003b`` so the reason still splits on ``"; "``; a JSON reader turns it
back into ``;``. The gate (``fintech_infra_gate.paths``) reads these parts into each entity's paths section; it
cannot import this module (the pack imports nothing of the project and the gate nothing of the pack), so the
format is written in both places and an end-to-end test runs the real pack process against the gate's reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = ["BROKEN_PREFIX", "FAMILIES", "PROVED_PREFIX", "Family", "PathNote"]

PROVED_PREFIX = "proved: "
BROKEN_PREFIX = "broken: "
Family = Literal["ingress", "data", "keys", "failover", "alerts"]
FAMILIES: tuple[Family, ...] = ("ingress", "data", "keys", "failover", "alerts")


@dataclass(frozen=True)
class PathNote:
    """One path of one family: proved (``broken`` is None) or stopped at the link ``broken`` names."""

    family: Family
    subject: str
    region: str | None
    links: tuple[str, ...]
    entities: tuple[str, ...] = ()
    broken: str | None = None
    waived: str | None = None
    urn: str | None = field(default=None, compare=False)
    """The resource whose violation ``broken`` repeats (the registry marks the note when it is waived)."""

    def waive(self, ticket: str) -> PathNote:
        return replace(self, waived=ticket)

    def text(self) -> str:
        """The reason part: ``proved: {...}`` or ``broken: {...}``."""
        data: dict[str, object] = {
            "family": self.family,
            "subject": self.subject,
            "region": self.region,
            "entities": sorted(self.entities),
            "links": list(self.links),
        }
        if self.broken is not None:
            data["broken"] = self.broken
        if self.waived is not None:
            data["waived"] = self.waived
        encoded = json.dumps(data, sort_keys=True, separators=(",", ":")).replace(";", "\\u003b")
        return (PROVED_PREFIX if self.broken is None else BROKEN_PREFIX) + encoded
