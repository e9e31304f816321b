"""Child resource names: one pattern, so a logical name never depends on a value that may change."""

from __future__ import annotations

import re

__all__ = ["child", "physical"]

_ROLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def child(name: str, role: str) -> str:
    """The logical name of a component's child: ``f"{name}-{role}"`` with a kebab-case role.

    Per-AZ children use the AZ name as (part of) the role, never a list index, so that adding an AZ
    replaces nothing.
    """
    if not _ROLE.match(role):
        raise ValueError(f"role {role!r} must be kebab-case letters and digits")
    return f"{name}-{role}"


def physical(*parts: str, limit: int = 63) -> str:
    """A deterministic physical name (snapshot ids, aliases) from stable parts; no timestamps, no randomness."""
    text = "-".join(part.strip("-") for part in parts if part)
    text = re.sub(r"[^a-zA-Z0-9-]+", "-", text).strip("-").lower()
    if not text or not text[0].isalpha():
        text = f"x-{text}"
    return text[:limit].rstrip("-")
