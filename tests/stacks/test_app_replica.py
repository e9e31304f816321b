"""prod-eu's reporting reads: crm's same-region read replica and trading's Aurora reader endpoint are the routing
manifests' ``reader`` of those concerns, and the writer stays the writer."""

from __future__ import annotations

import json

from fintech_infra.testing import Recording

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
