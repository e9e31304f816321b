"""sqs.py: queues under a customer-managed key, TLS-only queue policies, none open to everyone or every action."""

import json
from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case, tags

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = R(t.SQS_QUEUE, "webhooks", {"kmsMasterKeyId": KEY, "tags": tags(DataConcern="payments")})
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sqs:*",
    "Resource": "arn:aws:sqs:eu-central-1:123456789012:webhooks",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def policy(*statements: dict[str, Any], name: str = "webhooks-tls-only") -> R:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return R(t.SQS_QUEUE_POLICY, name, {"queueUrl": U, "policy": document}, deps={"queueUrl": [QUEUE.urn]})


def allow(principal: Any, action: Any = "sqs:SendMessage", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": TLS_ONLY["Resource"], **extra}


CASES = {
    "sqs-queue-encrypted-cmk": [
        rc(t.SQS_QUEUE, {"kmsMasterKeyId": KEY}, "pass", "the concern's key"),
        rc(t.SQS_QUEUE, {"sqsManagedSseEnabled": True}, "fail", "SQS-managed encryption only"),
        rc(t.SQS_QUEUE, {"kmsMasterKeyId": "alias/aws/sqs"}, "fail", "the AWS-managed key"),
        rc(t.SQS_QUEUE, {}, "fail", "no encryption setting"),
        rc(t.SQS_QUEUE, {"kmsMasterKeyId": U}, "pending", "a key of the same update", unknown=True),
    ],
    "sqs-queue-policy-tls-only": [
        Case("a TLS-only queue policy", "pass", [QUEUE, policy(TLS_ONLY)]),
        Case("no queue policy", "fail", [QUEUE]),
        Case(
            "a policy without the TLS deny", "fail", [QUEUE, policy(allow({"AWS": "arn:aws:iam::123456789012:root"}))]
        ),
        Case("public: Principal '*' without a condition", "fail", [QUEUE, policy(TLS_ONLY, allow("*"))]),
        Case(
            "Principal '*' narrowed to a source ARN",
            "pass",
            [
                QUEUE,
                policy(
                    TLS_ONLY,
                    allow(
                        "*",
                        Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-central-1:123456789012:hooks"}},
                    ),
                ),
            ],
        ),
        Case(
            "every SQS action",
            "fail",
            [QUEUE, policy(TLS_ONLY, allow({"AWS": "arn:aws:iam::123456789012:role/api"}, "sqs:*"))],
        ),
        Case(
            "a policy built from unknown ARNs",
            "pending",
            [QUEUE, R(t.SQS_QUEUE_POLICY, "p", {"queueUrl": U, "policy": U}, deps={"queueUrl": [QUEUE.urn]})],
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_sqs_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
