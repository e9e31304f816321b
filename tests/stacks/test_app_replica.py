"""prod-eu's reporting reads: crm's same-region read replica and trading's Aurora reader endpoint are the routing
manifests' ``reader`` of those concerns, and the writer stays the writer."""

from __future__ import annotations

import json
from collections.abc import Callable

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict

STACK = "prod-eu"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
PARAMETER = "aws:ssm/parameter:Parameter"


def _primary_manifests(recording: Recording) -> list[dict[str, object]]:
    documents = [
        json.loads(p.inputs["value"]["value"])  # a SecureString: the recording keeps the secret wrapper
        for p in recording.of_type(PARAMETER)
        if p.inputs["name"].startswith("/fintech-infra/eu/routing/") and p.region == "eu-central-1"
    ]
    assert documents
    return documents


def test_crm_reader_is_its_read_replica(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    replica = recording.named("eu-crm-replica-1", INSTANCE)
    writer = recording.named("eu-crm-db", INSTANCE)
    assert replica.inputs["replicateSourceDb"] == writer.inputs["identifier"]
    assert replica.inputs["kmsKeyId"] == writer.inputs["kmsKeyId"]
    assert replica.inputs["vpcSecurityGroupIds"] == writer.inputs["vpcSecurityGroupIds"]
    assert replica.region == writer.region == "eu-central-1"
    for document in _primary_manifests(recording):
        crm = document["databases"]["crm"]  # type: ignore[index]
        assert crm["reader"] == replica.outputs["address"] != writer.outputs["address"]
        assert crm["writer"] == writer.outputs["address"]


def test_trading_reader_is_the_aurora_reader_endpoint(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    cluster = recording.named("eu-trading-cluster", CLUSTER)
    assert not [r for r in recording.of_type(INSTANCE) if r.name.startswith("eu-trading-replica")]
    for document in _primary_manifests(recording):
        trading = document["databases"]["trading"]  # type: ignore[index]
        assert trading["reader"] == cluster.outputs["readerEndpoint"] != cluster.outputs["endpoint"]


def test_the_pack_proves_the_data_path_to_the_replica(
    recordings: dict[str, Recording], shipped_verdict: Callable[[str], Verdict]
) -> None:
    """The replica sets no port and no subnet group (it has its source's): the data-path guardrail reads them from
    the source, so it proves api -> crm replica on 5432 instead of waiting on values AWS would never report."""
    replica = recordings[STACK].named("eu-crm-replica-1", INSTANCE)
    assert "port" not in replica.inputs and "dbSubnetGroupName" not in replica.inputs
    verdict = shipped_verdict(STACK)  # judge_policy(recordings[STACK], policy_pack=ROOT / "policy", stack_config=...)
    policy = "data-paths-least-privilege"
    assert not [f for f in verdict.findings if f.policy == policy]
    reasons = [entry.reason for entry in verdict.not_applicable if entry.policy == policy]
    assert not [reason for reason in reasons if "pending" in reason or "unknown" in reason]
    proved = [json.loads(part) for reason in reasons for part in reason.removeprefix("proved: ").split("; proved: ")]
    api = next(path for path in proved if path["subject"] == "ecs service eu-api-service")
    assert "crm: eu-crm-replica-1:5432" in api["links"]
