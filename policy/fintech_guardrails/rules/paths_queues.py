"""Queue paths, least privilege by concern: each ECS service reaches exactly the SQS queues its task role is granted,
and each of those holds data of a concern the service declares.

The walk, per role policy that allows an ``sqs:`` action (:mod:`fintech_guardrails.rules._grants`)::

    ecs service -> task definition -> task role -> role policy -> queue (its ``DataConcern`` tag) -> its key

A grant on ``*`` (every queue), a queue of a concern the service does not declare (``DataConcerns`` tag of its
security groups) and a queue with no dead-letter queue (no ``redrivePolicy``, and no queue's redrive policy names
it) are violations. A dead-letter queue is recognised by another queue's ``redrivePolicy.deadLetterTargetArn``.
"""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.rules._grants import GrantKind, GrantWalk, document
from fintech_guardrails.topology import Topology, topology

__all__ = ["QUEUES", "queue_paths_least_privilege"]

SQS_DOCS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"


def _queue_keys(topo: Topology, stack: Stack, queue: Node) -> list[Node]:
    return topo.find(queue.get("kmsMasterKeyId"), t.KMS_KEY) or stack.refs(queue, "kmsMasterKeyId", t.KMS_KEY)


QUEUES = GrantKind(
    prefix="sqs:",
    type=t.SQS_QUEUE,
    noun="sqs",
    label="SQS",
    singular="queue",
    name=lambda resource: resource,
    keys=_queue_keys,
    every=lambda resource: resource == "*" or resource.endswith(":*"),
)


def _dead_letter_targets(stack: Stack, topo: Topology) -> set[str]:
    targets: set[str] = set()
    for queue in stack.of_type(t.SQS_QUEUE):
        redrive = document(queue.get("redrivePolicy"))
        if isinstance(redrive, dict) and isinstance(redrive.get("deadLetterTargetArn"), str):
            targets.update(n.urn for n in topo.find(redrive["deadLetterTargetArn"], t.SQS_QUEUE))
        elif redrive is not None and not isinstance(redrive, dict):
            targets.update(n.urn for n in stack.refs(queue, "redrivePolicy", t.SQS_QUEUE))
    return targets


def _dead_letter_queues(stack: Stack, out: Findings) -> None:
    dead_letter = _dead_letter_targets(stack, topology(stack))
    for queue in stack.of_type(t.SQS_QUEUE):
        redrive = queue.get("redrivePolicy")
        if is_unknown(redrive):
            out.wait("redrivePolicy", queue.urn)
        elif not redrive and queue.urn not in dead_letter:
            out.fail(
                f"queue {queue.name} has no dead-letter queue: a message that fails every receive is retried "
                "until it expires, and no alarm sees it",
                queue.urn,
            )


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
    _dead_letter_queues(stack, out)
    GrantWalk(stack, out, QUEUES).run()
