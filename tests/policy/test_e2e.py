"""The pack as the engine runs it: a real plugin process speaking gRPC, shut down cleanly afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.policy.harness import U, struct

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # Exactly what the CLI's pulumi-analyzer-policy-python shim runs: python -u -m pulumi.policy <engine> <pack>.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "policy"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        assert line.isdigit(), (
            f"expected a port, got {line!r}; stderr: {process.stderr.read().decode() if process.stderr else ''}"
        )
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.send_signal(signal.SIGINT)  # the SDK stops its server on KeyboardInterrupt
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.poll() is not None, "the pack process is still running"


def test_analyzer_info_lists_every_policy_with_metadata(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = pack.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "fintech-guardrails" and info.supportsConfig
    names = {policy.name for policy in info.policies}
    assert len(names) >= 70 and "data-residency-region" in names
    rds = next(policy for policy in info.policies if policy.name == "rds-storage-encrypted-cmk")
    assert (rds.framework.name, rds.framework.version, rds.framework.reference) == ("PCI DSS", "4.0.1", "3.5.1")
    assert rds.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL and rds.remediation_steps
    assert rds.policy_type == analyzer_pb2.POLICY_TYPE_RESOURCE


def test_analyze_over_grpc_reports_violations_and_pending_values(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    request.policyConfig["rds-storage-encrypted-cmk"].CopyFrom(
        analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=struct({"today": "2025-06-01"}))
    )
    pack.Configure(request, timeout=30)
    bad = pack.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:rds/instance:Instance", urn="urn:x", name="db", properties=struct({"storageEncrypted": False})
        ),
        timeout=30,
    )
    mine = [d for d in bad.diagnostics if d.policyName == "rds-storage-encrypted-cmk"]
    assert mine and mine[0].enforcementLevel == analyzer_pb2.MANDATORY
    assert "storageEncrypted must be true" in mine[0].message
    pending = pack.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:rds/instance:Instance",
            urn="urn:x",
            name="db",
            properties=struct({"storageEncrypted": True, "kmsKeyId": U}),
        ),
        timeout=30,
    )
    assert not [d for d in pending.diagnostics if d.policyName == "rds-storage-encrypted-cmk"]
    assert any(
        n.policy_name == "rds-storage-encrypted-cmk" and n.reason.startswith("pending: kmsKeyId")
        for n in pending.not_applicable
    )
