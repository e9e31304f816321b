"""The analyzer relay: the same verdict as calls made in-process, errors named, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from fintech_infra.testing import Recording, synthesize
from fintech_infra_gate.analyzer import PolicyPackError, PolicyPackProcess
from fintech_infra_gate.judge import StreamingJudge, judge_recording
from fintech_infra_gate.relay_client import LocalRelay, Relay, RelayError
from tests.gate.conftest import PACK

CONFIG = {"fintech-infra:environment": "dev"}


def _streamed(recording: Recording, relay: Relay | LocalRelay, policy_config: Mapping[str, Any]):
    with PolicyPackProcess(PACK, project=recording.project, stack=recording.stack) as process, relay:
        judge = StreamingJudge(process, relay, policy_config=policy_config, stack_config=CONFIG).start()
        for resource in recording.resources:  # as the recorder hands them over while the program runs
            judge.submit(resource)
        return judge.finish(recording)


def _facts(verdict):
    return (
        verdict.analyzed,
        sorted((f.policy, f.urn, f.enforcement, f.message) for f in verdict.findings),
        sorted((n.policy, n.urn, n.reason) for n in verdict.not_applicable),
        sorted((p.name, p.enforcement) for p in verdict.policies),
    )


@pytest.mark.parametrize("relay_kind", [Relay, LocalRelay])
@pytest.mark.parametrize("policy_config", [{}, {"all": "advisory"}])
def test_streamed_through_a_relay_the_verdict_is_the_in_process_one(dev, pack, relay_kind, policy_config, no_pack_left):
    expected = judge_recording(dev, pack, policy_config=policy_config, stack_config=CONFIG)
    streamed = _streamed(dev, relay_kind(), policy_config)
    assert _facts(streamed) == _facts(expected)
    assert streamed.analyzed == len(dev.resources) + 1  # the stack too, as the engine does


def test_violations_found_through_the_relay_are_the_in_process_ones(no_pack_left):
    def unencrypted_topics() -> None:
        for name in ("orders", "fills"):
            aws.sns.Topic(name)

    recording = synthesize(unencrypted_topics)
    strict = {"topics-have-arns": {"maxTopics": 1}}
    streamed = _streamed(recording, Relay(), strict)
    with PolicyPackProcess(PACK, project=recording.project, stack=recording.stack) as process:
        in_process = judge_recording(recording, process, policy_config=strict, stack_config=CONFIG)
    assert _facts(streamed) == _facts(in_process)
    found = {(finding.policy, finding.urn.rsplit("::", 1)[-1]) for finding in streamed.findings}
    assert found == {("topic-encrypted", "orders"), ("topic-encrypted", "fills"), ("topics-have-arns", "")}


def test_relay_answers_calls_and_reports_errors_by_method(no_pack_left):
    with PolicyPackProcess(PACK, project="fintech-infra", stack="dev") as process, Relay() as relay:
        relay.connect(process.port())
        info = analyzer_pb2.AnalyzerInfo.FromString(
            relay.call("GetAnalyzerInfo", empty_pb2.Empty().SerializeToString())
        )
        assert info.name == "fixture-guardrails"
        with pytest.raises(RelayError, match="failed in NoSuchMethod"):
            relay.call("NoSuchMethod", b"")
        relay.analyze(b"\xff not a request")  # the pack can't parse it: reported at finish
        with pytest.raises(RelayError, match="failed in Analyze"):
            relay.finish()
        pid = relay.pid
    assert pid is not None and not _alive(pid)


def test_relay_before_connect_reports_not_connected():
    with Relay() as relay:
        with pytest.raises(RelayError, match="failed in Configure: not connected to the pack"):
            relay.call("Configure", b"")
        relay.analyze(b"")
        with pytest.raises(RelayError, match="not connected"):
            relay.finish()


def test_a_relay_that_dies_is_reported_as_a_pack_error(dev, no_pack_left):
    relay = Relay().start()
    assert relay.pid is not None
    os.kill(relay.pid, signal.SIGKILL)
    time.sleep(0.2)
    with pytest.raises(PolicyPackError, match="the analyzer relay exited"):
        _streamed(dev, relay, {})


def test_a_pack_that_fails_behind_a_relay_reports_its_stderr(tmp_path: Path, dev, no_pack_left):
    (tmp_path / "__main__.py").write_text("raise RuntimeError('pack is broken')\n")
    with PolicyPackProcess(tmp_path, project="p", stack="s") as process, Relay() as relay:
        judge = StreamingJudge(process, relay).start()
        judge.submit(dev.resources[0])
        with pytest.raises(PolicyPackError, match="pack is broken"):
            judge.finish(dev)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("relay_kind", [Relay, LocalRelay])
def test_more_calls_than_the_in_flight_limit_are_all_answered_in_order(dev, relay_kind, no_pack_left):
    from fintech_infra_gate.relay import IN_FLIGHT
    from fintech_infra_gate.requests import Providers, analyze_request

    providers = Providers(dev.project, dev.stack, CONFIG)
    requests = [analyze_request(resource, providers) for resource in dev.resources]
    burst = requests * (2 * IN_FLIGHT // len(requests) + 1)
    assert len(burst) > 2 * IN_FLIGHT
    with PolicyPackProcess(PACK, project=dev.project, stack=dev.stack) as process, relay_kind() as relay:
        relay.connect(process.port())
        one_by_one = [relay.call("Analyze", request.SerializeToString()) for request in requests]
        for request in burst:
            relay.analyze(request.SerializeToString())
        answers = relay.finish()
    assert len(set(one_by_one)) > 1  # the resources get different answers, so the order is visible
    assert answers == one_by_one * (len(burst) // len(requests))


@pytest.mark.parametrize("relay_kind", [None, Relay, LocalRelay])
def test_policy_config_is_checked_against_the_packs_schemas_wherever_the_calls_are_made(relay_kind):
    from fintech_infra.errors import ConfigError

    real_pack = Path(__file__).resolve().parents[2] / "policy"
    given = {"rds-backup-retention": {"environment": "qa"}}
    with PolicyPackProcess(real_pack, project="fintech-infra", stack="dev") as process:
        relay = relay_kind() if relay_kind is not None else None
        if relay is not None:
            process.use_relay(relay.start())
        try:
            with pytest.raises(ConfigError) as error:
                process.configure(given, source="policy/config/pulumi/dev.json")
            assert "policy/config/pulumi/dev.json: rds-backup-retention.environment: 'qa' is not one of" in str(
                error.value
            )
            levels = process.configure({"rds-backup-retention": {"environment": "dev"}})
            assert levels["rds-backup-retention"] in {"advisory", "mandatory"}
        finally:
            if relay is not None:
                relay.close()


def test_schema_problems_name_the_policy_and_the_property():
    from fintech_infra_gate.policyschema import schema_problems

    schema = {"properties": {"days": {"type": "integer", "minimum": 7}}, "required": ["days"]}
    assert schema_problems([("backups", schema, {"days": 30})], "cfg") == []
    assert schema_problems([("backups", schema, {"days": 3})], "cfg") == [
        "cfg: backups.days: 3 is less than the minimum of 7"
    ]
    assert schema_problems([("backups", schema, {})], "cfg") == [
        "cfg: backups.(properties): 'days' is a required property"
    ]


def test_the_relay_process_imports_nothing_of_the_library():
    """The relay starts beside every pack: it must not pay for ``fintech_infra`` (which imports its components)."""
    code = (
        "import sys, fintech_infra_gate.relay\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fintech_infra', 'pulumi', 'pydantic')))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
