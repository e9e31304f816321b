"""The paths the policy pack proved or found broken, read from its answers and grouped per regulatory entity.

The analyzer protocol carries violations and one not-applicable reason per policy, nothing else. The pack's
functional guardrails (``ingress-paths-complete``, ``data-paths-least-privilege``, ``key-paths-by-concern``,
``failover-paths-complete``, ``alert-paths-reach-someone``) put one part per path in that reason, beside the
exemption and ``pending:`` parts the reason already carries (parts are joined with ``"; "``):

* ``proved: {json}``: a path that exists, every link named in order;
* ``broken: {json}``: a path that stops at a link; ``broken`` repeats the violation's words (the violation itself
  is reported as usual), ``waived`` names the exemption's ticket when one waives it.

The JSON object holds ``family`` (ingress, data, keys, failover, alerts), ``subject`` (a hostname, a service, a
concern...), ``region`` (or null), ``entities`` (the regulatory entities it serves, possibly none) and ``links``.
A ``;`` inside it is written ``\\u003b``. The pack writes this format in ``fintech_guardrails/evidence.py``; the gate
cannot import the pack, so the format is written in both places and a test runs the real pack process against this
reader (``tests/gate/test_paths.py``).

A path of the routing stack names a hostname but no entity (the routing stack holds no routing manifests); when the
cell stack that serves the hostname is in the same run, its entity is taken from there.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BROKEN_PREFIX",
    "FAMILIES",
    "PROVED_PREFIX",
    "PathNote",
    "entity_paths",
    "is_path_part",
    "parse_reason",
    "reason_without_paths",
]

PROVED_PREFIX = "proved: "
BROKEN_PREFIX = "broken: "
FAMILIES = ("ingress", "data", "keys", "failover", "alerts")
NO_ENTITY = "(no entity)"


@dataclass(frozen=True)
class PathNote:
    """One path a guardrail reported, with the policy that reported it."""

    policy: str
    family: str
    subject: str
    region: str | None
    entities: tuple[str, ...]
    links: tuple[str, ...]
    broken: str | None = None
    waived: str | None = None

    @property
    def proved(self) -> bool:
        return self.broken is None

    def sort_key(self) -> tuple[Any, ...]:
        family = FAMILIES.index(self.family) if self.family in FAMILIES else len(FAMILIES)
        return (family, self.subject, self.region or "", self.broken or "", self.links)

    def chain(self) -> str:
        """The links joined by arrows: ``internet -> waf ... -> container api:8080``."""
        return " -> ".join(self.links)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "policy": self.policy,
            "family": self.family,
            "subject": self.subject,
            "region": self.region,
            "entities": list(self.entities),
            "links": list(self.links),
            "proved": self.proved,
        }
        if self.broken is not None:
            data["broken"] = self.broken
        if self.waived is not None:
            data["waived"] = self.waived
        return data


def is_path_part(part: str) -> bool:
    text = part.strip()
    return text.startswith((PROVED_PREFIX, BROKEN_PREFIX))


def parse_reason(policy: str, reason: str) -> list[PathNote]:
    """The path notes among a not-applicable reason's parts; a malformed part is skipped, never fatal."""
    notes: list[PathNote] = []
    for part in reason.split("; "):
        text = part.strip()
        if not is_path_part(text):
            continue
        try:
            data = json.loads(text.split(": ", 1)[1])
        except (ValueError, IndexError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("family"), str):
            continue
        notes.append(
            PathNote(
                policy=policy,
                family=data["family"],
                subject=str(data.get("subject", "")),
                region=data.get("region") if isinstance(data.get("region"), str) else None,
                entities=tuple(str(e) for e in data.get("entities") or ()),
                links=tuple(str(link) for link in data.get("links") or ()),
                broken=str(data["broken"]) if data.get("broken") is not None else None,
                waived=str(data["waived"]) if data.get("waived") is not None else None,
            )
        )
    return notes


def reason_without_paths(reason: str) -> str:
    """The reason's other parts (exemptions, pending checks), joined as the pack joins them."""
    return "; ".join(part for part in reason.split("; ") if not is_path_part(part))


def entity_paths(
    notes: Iterable[PathNote], hosts: dict[str, tuple[str, ...]] | None = None
) -> dict[str, list[PathNote]]:
    """Entity name -> its paths, sorted; a path serving several entities is listed under each.

    ``hosts`` maps a hostname to the entities it serves (from ingress paths of the same run) for paths that name
    none; a path that stays without one is listed under :data:`NO_ENTITY`.
    """
    grouped: dict[str, list[PathNote]] = defaultdict(list)
    for note in notes:
        entities = note.entities or (hosts or {}).get(note.subject, ()) or (NO_ENTITY,)
        for entity in entities:
            grouped[entity].append(note)
    return {entity: sorted(grouped[entity], key=PathNote.sort_key) for entity in sorted(grouped)}


def host_entities(notes: Sequence[PathNote]) -> dict[str, tuple[str, ...]]:
    """Hostname -> the entities its ingress paths name."""
    found: dict[str, set[str]] = defaultdict(set)
    for note in notes:
        if note.family == "ingress" and note.entities:
            found[note.subject].update(note.entities)
    return {host: tuple(sorted(entities)) for host, entities in found.items()}
