"""The walk the grant-path rules share: from a role policy that allows a service's actions (``sqs:``, ``s3:``) to the
ECS services whose task role it is, and to the concern-tagged resources it names.

    ecs service -> task definition -> task role -> role policy -> resource (its ``DataConcern`` tag) -> its key

A grant on every resource of the service (``*``, or an ARN ending in ``*`` with no resource name), a resource of a
concern the service does not declare (``DataConcerns`` tag of the service or its security groups), a resource
without a ``DataConcern`` tag and one without a customer-managed key are broken paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.topology import Topology, topology

__all__ = ["GrantKind", "GrantWalk", "document", "listed"]

CONCERNS_TAG = "DataConcerns"
CONCERN_TAG = "DataConcern"


def document(value: Any) -> Any:
    """A policy document from its JSON text (None when it is not JSON), or the value as it is."""
    if isinstance(value, str) and not is_unknown(value):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class GrantKind:
    """One family of concern-tagged resources a task role may be granted."""

    prefix: str
    """The actions' service prefix, e.g. ``sqs:``."""
    type: str
    """The resource's type token."""
    noun: str
    """How a path names the resource (``sqs``, ``s3``)."""
    label: str
    """How a message names the service (``SQS``, ``S3``)."""
    singular: str
    """How a message names one resource (``queue``, ``bucket``)."""
    name: Callable[[str], str]
    """The resource identifier a grant's ``Resource`` names (e.g. a bucket ARN without ``/*``)."""
    keys: Callable[[Topology, Stack, Node], list[Node]]
    """The customer-managed keys the resource is encrypted with."""
    every: Callable[[str], bool]
    """Whether a ``Resource`` value grants every resource of the family."""


class GrantWalk:
    def __init__(self, stack: Stack, out: Findings, kind: GrantKind) -> None:
        self.stack, self.out, self.kind, self.topo = stack, out, kind, topology(stack)

    def run(self) -> None:
        for policy in self.stack.of_type(t.IAM_ROLE_POLICY):
            self.role_policy(policy)

    def resources(self, policy: Any) -> list[Any]:
        """Resources of the statements that allow an action of the family."""
        found: list[Any] = []
        statements = policy.get("Statement") if isinstance(policy, dict) else None
        for statement in listed(statements) if statements is not None else []:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = [a for a in listed(statement.get("Action")) if isinstance(a, str)]
            if any(action.lower().startswith(self.kind.prefix) or action == "*" for action in actions):
                found += listed(statement.get("Resource"))
        return found

    def role_policy(self, policy: Node) -> None:
        parsed = document(policy.get("policy"))
        if is_unknown(parsed):
            self.out.wait("policy", policy.urn)
            return
        resources = self.resources(parsed)
        if not resources:
            return
        roles = self.topo.find(policy.get("role"), t.IAM_ROLE) or self.stack.refs(policy, "role", t.IAM_ROLE)
        services = [
            service
            for role in roles
            for task in self.topo.referrers(role, (t.ECS_TASK_DEFINITION,), "taskRoleArn")
            for service in self.topo.referrers(task, (t.ECS_SERVICE,), "taskDefinition")
        ]
        kind = self.kind
        for resource in resources:
            if isinstance(resource, str) and not is_unknown(resource) and kind.every(resource):
                self.out.fail(
                    f"role policy {policy.name} grants {kind.label} actions on every {kind.singular} ({resource})",
                    policy.urn,
                )
                return
        targets = [
            node
            for r in resources
            if isinstance(r, str) and not is_unknown(r)
            for node in self.topo.find(kind.name(r), kind.type)
        ]
        if any(is_unknown(r) for r in resources):
            targets += [node for node in self.stack.refs(policy, "policy", kind.type) if node not in targets]
        for service in services:
            declared = self.declared(service)
            for target in targets:
                self.path(service, roles[0], policy, target, declared)

    def declared(self, service: Node) -> frozenset[str]:
        groups = self.stack.refs(service, "networkConfiguration", t.SECURITY_GROUP)
        found: set[str] = set()
        for node in [service, *groups]:
            tag = node.tag(CONCERNS_TAG)
            if tag:
                found.update(part for part in tag.split(".") if part and part != "none")
        return frozenset(found)

    def path(self, service: Node, role: Node, policy: Node, target: Node, declared: frozenset[str]) -> None:
        kind, concern = self.kind, target.tag(CONCERN_TAG)
        keys = kind.keys(self.topo, self.stack, target)
        links = [
            f"ecs service {service.name}",
            f"task role {role.name}",
            f"role policy {policy.name}",
            f"{kind.noun} {target.name} ({concern or 'no concern'})",
            *(f"key {key.name}" for key in keys[:1]),
        ]
        note = PathNote(
            "data", f"ecs service {service.name}", service.region, tuple(links), self.topo.entities(service)
        )
        what = f"ecs service {service.name} -> {kind.singular} {target.name}"
        if concern is None:
            self.out.broke(note, f"{what}: the {kind.singular} has no DataConcern tag", target.urn)
        elif concern not in declared:
            self.out.broke(
                note,
                f"{what}: holds {concern} data, which the service does not declare (it declares "
                f"{', '.join(sorted(declared)) or 'none'})",
                policy.urn,
            )
        elif not keys:
            self.out.broke(note, f"{what}: no customer-managed key", target.urn)
        else:
            self.out.prove(note)
