"""Queue paths, least privilege by concern: each ECS service reaches exactly the SQS queues its task role is granted,
and each of those holds data of a concern the service declares.

The walk, per role policy that allows an ``sqs:`` action::

    ecs service -> task definition -> task role -> role policy -> queue (its ``DataConcern`` tag) -> its key

A grant on ``*`` (every queue), a queue of a concern the service does not declare (``DataConcerns`` tag of its
security groups) and a queue with no dead-letter queue (no ``redrivePolicy``, and no queue's redrive policy names
it) are violations. A dead-letter queue is recognised by another queue's ``redrivePolicy.deadLetterTargetArn``.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.topology import topology

__all__ = ["queue_paths_least_privilege"]

CONCERNS_TAG = "DataConcerns"
CONCERN_TAG = "DataConcern"
SQS_DOCS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"


def _document(value: Any) -> Any:
    if isinstance(value, str) and not is_unknown(value):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _sqs_resources(policy: Any) -> list[Any]:
    """Resources of the statements that allow an ``sqs:`` action."""
    found: list[Any] = []
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    for statement in _listed(statements) if statements is not None else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = [a for a in _listed(statement.get("Action")) if isinstance(a, str)]
        if any(action.lower().startswith("sqs:") or action == "*" for action in actions):
            found += _listed(statement.get("Resource"))
    return found


class QueueWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out, self.topo = stack, out, topology(stack)

    def dead_letter_targets(self) -> set[str]:
        targets: set[str] = set()
        for queue in self.stack.of_type(t.SQS_QUEUE):
            redrive = _document(queue.get("redrivePolicy"))
            if isinstance(redrive, dict) and isinstance(redrive.get("deadLetterTargetArn"), str):
                targets.update(n.urn for n in self.topo.find(redrive["deadLetterTargetArn"], t.SQS_QUEUE))
            elif redrive is not None and not isinstance(redrive, dict):
                targets.update(n.urn for n in self.stack.refs(queue, "redrivePolicy", t.SQS_QUEUE))
        return targets

    def run(self) -> None:
        dead_letter = self.dead_letter_targets()
        for queue in self.stack.of_type(t.SQS_QUEUE):
            redrive = queue.get("redrivePolicy")
            if is_unknown(redrive):
                self.out.wait("redrivePolicy", queue.urn)
            elif not redrive and queue.urn not in dead_letter:
                self.out.fail(
                    f"queue {queue.name} has no dead-letter queue: a message that fails every receive is retried "
                    "until it expires, and no alarm sees it",
                    queue.urn,
                )
        for policy in self.stack.of_type(t.IAM_ROLE_POLICY):
            self.role_policy(policy)

    def role_policy(self, policy: Node) -> None:
        document = _document(policy.get("policy"))
        if is_unknown(document):
            self.out.wait("policy", policy.urn)
            return
        resources = _sqs_resources(document)
        if not resources:
            return
        roles = self.topo.find(policy.get("role"), t.IAM_ROLE) or self.stack.refs(policy, "role", t.IAM_ROLE)
        services = [
            service
            for role in roles
            for task in self.topo.referrers(role, (t.ECS_TASK_DEFINITION,), "taskRoleArn")
            for service in self.topo.referrers(task, (t.ECS_SERVICE,), "taskDefinition")
        ]
        for resource in resources:
            if resource == "*" or (isinstance(resource, str) and resource.endswith(":*")):
                self.out.fail(f"role policy {policy.name} grants SQS actions on every queue ({resource})", policy.urn)
                return
        queues = [
            q for r in resources if isinstance(r, str) and not is_unknown(r) for q in self.topo.find(r, t.SQS_QUEUE)
        ]
        if any(is_unknown(r) for r in resources):
            queues += [q for q in self.stack.refs(policy, "policy", t.SQS_QUEUE) if q not in queues]
        for service in services:
            declared = self.declared(service)
            for queue in queues:
                self.path(service, roles[0], policy, queue, declared)

    def declared(self, service: Node) -> frozenset[str]:
        groups = self.stack.refs(service, "networkConfiguration", t.SECURITY_GROUP)
        found: set[str] = set()
        for node in [service, *groups]:
            tag = node.tag(CONCERNS_TAG)
            if tag:
                found.update(part for part in tag.split(".") if part and part != "none")
        return frozenset(found)

    def path(self, service: Node, role: Node, policy: Node, queue: Node, declared: frozenset[str]) -> None:
        concern = queue.tag(CONCERN_TAG)
        keys = self.topo.find(queue.get("kmsMasterKeyId"), t.KMS_KEY) or self.stack.refs(
            queue, "kmsMasterKeyId", t.KMS_KEY
        )
        links = [
            f"ecs service {service.name}",
            f"task role {role.name}",
            f"role policy {policy.name}",
            f"sqs {queue.name} ({concern or 'no concern'})",
            *(f"key {key.name}" for key in keys[:1]),
        ]
        note = PathNote(
            "data", f"ecs service {service.name}", service.region, tuple(links), self.topo.entities(service)
        )
        if concern is None:
            self.out.broke(
                note, f"ecs service {service.name} -> queue {queue.name}: the queue has no DataConcern tag", queue.urn
            )
        elif concern not in declared:
            self.out.broke(
                note,
                f"ecs service {service.name} -> queue {queue.name}: holds {concern} data, which the service does not "
                f"declare (it declares {', '.join(sorted(declared)) or 'none'})",
                policy.urn,
            )
        elif not keys:
            self.out.broke(
                note, f"ecs service {service.name} -> queue {queue.name}: no customer-managed key", queue.urn
            )
        else:
            self.out.prove(note)


@stack_rule(
    name="queue-paths-least-privilege",
    severity=Severity.HIGH,
    framework=pci("7.2.1", "access to system components and data is limited to what each role needs"),
    url=SQS_DOCS,
    tags=("functional-path", "data-separation", "cdk-nag:AwsSolutions-SQS3"),
    remediation=(
        "Declare queues in the cell's `queues` (each gets a dead-letter queue and its concern's key) and list them in "
        "the services that use them; a service may use only queues of concerns it declares."
    ),
)
def queue_paths_least_privilege(stack: Stack, out: Findings) -> None:
    """Each ECS service reaches only SQS queues of the concerns it declares, and every queue has a dead-letter queue.

    Walks each role policy that allows an `sqs:` action to the ECS services whose task role it is attached to and
    to the queues it names: a grant on every queue (`*`), a queue of a concern the service does not declare or
    without a DataConcern tag or customer-managed key, and a queue with no dead-letter queue are violations.
    Values unknown during preview are pending.
    """
    QueueWalk(stack, out).run()
