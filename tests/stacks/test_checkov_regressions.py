"""The pack flags each defect checkov found on the shipped stacks (issue 15) when it is put back into one.

Each case synthesizes a shipped stack with one in-process transformation that undoes what the library now does
(as a team bypassing it would), judges it with the real pack over its analyzer protocol, and expects the rule for
that defect to report it; the shipped stacks as committed must not be reported by any of these rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pulumi
import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.defects import Change, Props, judged, synthesize_with
from tests.stacks.test_policy_verdict import STACKS

POLICIES = (
    "s3-audit-replicated-to-dr",
    "lb-port-80-only-for-redirect",
    "lambda-reserved-concurrency",
    "lambda-xray-tracing",
    "cloudtrail-sns-notifications",
    "ssm-parameter-securestring-cmk",
    "sqs-queue-encrypted-cmk",
    "sqs-queue-policy-tls-only",
)


def _replication_disabled(args: pulumi.ResourceTransformationArgs) -> Props | None:
    if args.type_ != "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        return None
    rules = cast(list[Any], args.props["rules"])  # the component passes a list of rule Args
    for rule in rules:
        pulumi.set(rule, "status", "Disabled")
    return dict(args.props)


def _port_80_without_redirect(args: pulumi.ResourceTransformationArgs) -> Props | None:
    # The pre-issue-15 rule on an ALB that has no redirect listener (edge.http_redirect is false).
    if args.type_ != "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" or "alb-in-443-ipv6" not in args.name:
        return None
    return {**args.props, "from_port": 80, "to_port": 80}


def _function(change: Props) -> Change:
    def apply(args: pulumi.ResourceTransformationArgs) -> Props | None:
        return {**args.props, **change} if args.type_ == "aws:lambda/function:Function" else None

    return apply


def _trail_without_topic(args: pulumi.ResourceTransformationArgs) -> Props | None:
    return {**args.props, "sns_topic_name": None} if args.type_ == "aws:cloudtrail/trail:Trail" else None


def _manifest_as_plain_string(args: pulumi.ResourceTransformationArgs) -> Props | None:
    if args.type_ != "aws:ssm/parameter:Parameter":
        return None
    return {**args.props, "type": "String", "key_id": None, "insecure_value": args.props["value"], "value": None}


def _queue_on_sqs_managed_keys(args: pulumi.ResourceTransformationArgs) -> Props | None:
    if args.type_ != "aws:sqs/queue:Queue":
        return None
    return {**args.props, "kms_master_key_id": None, "sqs_managed_sse_enabled": True}


def _queue_policy_public(args: pulumi.ResourceTransformationArgs) -> Props | None:
    if args.type_ != "aws:sqs/queuePolicy:QueuePolicy":
        return None
    document = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]}
    return {**args.props, "policy": pulumi.Output.json_dumps(document)}


DEFECTS: dict[str, tuple[str, str, Change]] = {
    "a queue on SQS-managed keys instead of its concern's": (
        "staging",
        "sqs-queue-encrypted-cmk",
        _queue_on_sqs_managed_keys,
    ),
    "a queue policy open to everyone, without the TLS deny": (
        "staging",
        "sqs-queue-policy-tls-only",
        _queue_policy_public,
    ),
    "a routing manifest as a plain String": ("dev", "ssm-parameter-securestring-cmk", _manifest_as_plain_string),
    "the audit trail not replicated to the DR region": ("staging", "s3-audit-replicated-to-dr", _replication_disabled),
    "port 80 open to the world with no redirect listener": (
        "dev",
        "lb-port-80-only-for-redirect",
        _port_80_without_redirect,
    ),
    "a rotation function without reserved concurrency": (
        "dev",
        "lambda-reserved-concurrency",
        _function({"reserved_concurrent_executions": None}),
    ),
    "a rotation function without active tracing": ("dev", "lambda-xray-tracing", _function({"tracing_config": None})),
    "a trail without its SNS topic": ("dev", "cloudtrail-sns-notifications", _trail_without_topic),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_pack_flags_the_defect_put_back_into_a_shipped_stack(
    judge_policy: Callable[..., Verdict], recordings: dict[str, Recording], defect: str
) -> None:
    stack, policy, change = DEFECTS[defect]
    verdict = judged(judge_policy, synthesize_with(change, stack, recordings), stack)
    flagged = [finding for finding in verdict.mandatory if finding.policy == policy]
    assert flagged, f"{policy} did not flag: {defect}"


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_are_not_flagged_by_these_rules(
    shipped_verdict: Callable[[str], Verdict], stack: str
) -> None:
    verdict = shipped_verdict(stack)  # judged(judge_policy, recordings[stack], stack), once per worker
    assert [f"{f.policy}: {f.message}" for f in verdict.findings if f.policy in POLICIES] == []
    assert set(POLICIES) <= {info.name for info in verdict.policies}


def test_a_cell_without_a_dr_region_has_no_replica(recordings: dict[str, Recording]) -> None:
    """dev has no dr_region: one trail bucket, no replication, and the rule does not ask for one there."""
    dev, staging = recordings["dev"], recordings["staging"]
    replication = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
    assert not dev.of_type(replication)
    assert len(staging.of_type(replication)) == 1
