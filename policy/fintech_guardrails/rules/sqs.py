"""SQS queues: encrypted under a customer-managed key, reachable over TLS only, and never open to everyone.

The queues are the application tier's (:mod:`fintech_infra.queues`: one per declared queue and its dead-letter
queue). Who may use a queue, and that each has a dead-letter queue, is the functional guardrail
``queue-paths-least-privilege`` (:mod:`.paths_queues`).
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import require
from fintech_guardrails.model import Findings, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule
from fintech_guardrails.rules.s3 import denies_insecure_transport
from fintech_guardrails.rules.secrets import customer_managed_key

__all__ = ["sqs_queue_cmk", "sqs_queue_policy_tls_only"]

SQS_ENCRYPTION = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html"
)


@resource_rule(
    types=(t.SQS_QUEUE,),
    name="sqs-queue-encrypted-cmk",
    severity=Severity.HIGH,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=(
        "PCI DSS 4.0.1 3.6.1",
        "checkov:CKV_AWS_27",
        "checkov:CKV2_AWS_73",
        "cdk-nag:AwsSolutions-SQS2",
        "GDPR Art. 32",
    ),
    exemptible=False,
    url=SQS_ENCRYPTION,
    remediation="Declare the queue in the cell's `queues`: ConcernQueue encrypts it with its concern's key.",
)
def sqs_queue_cmk(r: Resource, out: Findings) -> None:
    """Every queue is encrypted with a customer-managed KMS key (`kmsMasterKeyId`), not SQS-managed SSE.

    SQS-managed encryption (`sqsManagedSseEnabled`) and the AWS-managed `alias/aws/sqs` key are not the concern's
    key: its key policy, rotation and separation from the other concerns are what the pack proves elsewhere. A key
    unknown during preview (created in the same update) is pending.
    """
    require(r, out, "kmsMasterKeyId", customer_managed_key)


def _policy_defects(policy: Any) -> Any:
    """What makes a queue policy too open: Allow statements to Principal `*` without a condition, or of every
    action (`*`, `sqs:*`); UNKNOWN when the document is not known yet."""
    if is_unknown(policy):
        return UNKNOWN
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return ["the queue policy is not valid JSON"]
    defects: list[str] = []
    for statement in as_list(document.get("Statement") if isinstance(document, dict) else None):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        named = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
        if "*" in named and not statement.get("Condition"):
            defects.append("allows Principal '*' without a condition (a public queue)")
        if any(str(action).lower() in ("*", "sqs:*") for action in as_list(statement.get("Action"))):
            defects.append("allows every SQS action ('*' or 'sqs:*'); name the actions")
    return defects


@stack_rule(
    name="sqs-queue-policy-tls-only",
    severity=Severity.HIGH,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=("checkov:CKV_AWS_168", "checkov:CKV_AWS_72", "checkov:CKV_AWS_387", "cdk-nag:AwsSolutions-SQS4"),
    exemptible=False,
    url="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html",
    remediation=(
        "ConcernQueue gives each queue and its dead-letter queue a policy that denies aws:SecureTransport false; keep "
        "it, and grant access through the services' task roles, never to Principal '*'."
    ),
)
def sqs_queue_policy_tls_only(stack: Stack, out: Findings) -> None:
    """Every queue has a queue policy that denies requests without TLS; no queue policy allows everyone or every action.

    A queue with no policy (or one without the `aws:SecureTransport` Deny) accepts plain HTTP; an Allow to
    Principal `*` without a condition makes the queue public; an Allow of `*` or `sqs:*` grants more than any
    producer or consumer needs. A policy document unknown during preview is pending.
    """
    for queue in stack.of_type(t.SQS_QUEUE):
        policies = stack.referrers(queue, t.SQS_QUEUE_POLICY, prop="queueUrl")
        verdicts = [denies_insecure_transport(policy.get("policy")) for policy in policies]
        if True not in verdicts:
            if UNKNOWN in verdicts:
                out.wait("queue policy", queue.urn)
            else:
                out.fail("the queue policy must Deny requests with aws:SecureTransport false", queue.urn)
    for policy in stack.of_type(t.SQS_QUEUE_POLICY):
        defects = _policy_defects(policy.get("policy"))
        if defects is UNKNOWN:
            out.wait("policy", policy.urn)
            continue
        for defect in defects:
            out.fail(f"the queue policy {defect}", policy.urn)
