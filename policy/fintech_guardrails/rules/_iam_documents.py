"""Reading IAM policy documents out of a resource's inputs, once for every IAM guardrail.

A document arrives as a JSON string (what ``pulumi.Output.json_dumps`` and ``json.dumps`` make) or, from some
callers, as an object. One built from outputs the engine does not know yet is a single unknown string during
preview: that is pending, never a pass. A document that is not valid JSON is a violation (AWS refuses it too).
IAM matches action names case-insensitively and accepts a string or a list wherever a list is allowed, so both
are normalised here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list, contains_unknown, is_unknown

__all__ = [
    "IDENTITY_POLICY_TYPES",
    "Statement",
    "allow_statements",
    "grants",
    "permission_documents",
    "read_document",
    "trust_statements",
]

IDENTITY_POLICY_TYPES = (
    t.IAM_POLICY,
    t.IAM_ROLE_POLICY,
    t.IAM_USER_POLICY,
    t.IAM_GROUP_POLICY,
    t.IAM_ROLE,
)
"""Types that carry an identity (permission) policy: ``policy``, or a role's ``inlinePolicies``."""


@dataclass(frozen=True)
class Statement:
    """One statement of a document, with its position for messages (``Sid`` when it has one)."""

    where: str
    body: dict[str, Any]

    @property
    def label(self) -> str:
        sid = self.body.get("Sid")
        return f"{self.where} statement {sid!r}" if isinstance(sid, str) and sid else self.where

    def values(self, key: str) -> list[Any]:
        return list(as_list(self.body.get(key)))

    @property
    def actions(self) -> list[str]:
        return [str(action) for action in self.values("Action")]

    @property
    def resources(self) -> list[str]:
        return [str(resource) for resource in self.values("Resource")]

    @property
    def condition_keys(self) -> set[str]:
        """Every condition key of the statement, lower case (IAM compares condition keys case-insensitively)."""
        condition = self.body.get("Condition")
        if not isinstance(condition, dict):
            return set()
        return {str(key).lower() for block in condition.values() if isinstance(block, dict) for key in block}

    def condition_values(self, key: str) -> list[Any]:
        condition = self.body.get("Condition")
        found: list[Any] = []
        if isinstance(condition, dict):
            for block in condition.values():
                if isinstance(block, dict):
                    for name, value in block.items():
                        if str(name).lower() == key.lower():
                            found.extend(as_list(value))
        return found


def read_document(value: Any, what: str, out: Findings) -> dict[str, Any] | None:
    """The parsed document in ``value``; None (after recording pending or a violation) when it cannot be judged."""
    if value is None or value == "":
        return None
    if is_unknown(value) or contains_unknown(value):
        out.wait(what)
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            out.fail(f"{what} is not valid JSON")
            return None
    if not isinstance(value, dict):
        out.fail(f"{what} is not a JSON policy document")
        return None
    return value


def _statements(document: dict[str, Any], where: str) -> list[Statement]:
    items = as_list(document.get("Statement"))
    return [Statement(f"{where} #{index + 1}", item) for index, item in enumerate(items) if isinstance(item, dict)]


def permission_documents(r: Resource, out: Findings) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, document) for each permission document of ``r``: its ``policy``, or a role's inline policies."""
    if r.type == t.IAM_ROLE:
        inline = r.get("inlinePolicies")
        if is_unknown(inline):
            out.wait("inlinePolicies")
            return
        for index, entry in enumerate(as_list(inline)):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name")
            label = f"inline policy {name!r}" if isinstance(name, str) and name else f"inline policy #{index + 1}"
            document = read_document(entry.get("policy"), label, out)
            if document is not None:
                yield label, document
        return
    document = read_document(r.get("policy"), "policy", out)
    if document is not None:
        yield "policy", document


def allow_statements(r: Resource, out: Findings) -> Iterator[Statement]:
    """Every ``Allow`` statement of ``r``'s permission documents (Deny statements only take access away)."""
    for label, document in permission_documents(r, out):
        for statement in _statements(document, label):
            if statement.body.get("Effect") == "Allow":
                yield statement


def trust_statements(r: Resource, out: Findings) -> Iterator[Statement]:
    """Every ``Allow`` statement of a role's trust policy (``assumeRolePolicy``)."""
    document = read_document(r.get("assumeRolePolicy"), "assumeRolePolicy", out)
    if document is None:
        return
    for statement in _statements(document, "trust policy"):
        if statement.body.get("Effect") == "Allow":
            yield statement


def grants(pattern: str, action: str) -> bool:
    """True when the policy action ``pattern`` (``*`` and ``?`` wildcards, any case) covers ``action``."""
    return fnmatchcase(action.lower(), pattern.lower())
