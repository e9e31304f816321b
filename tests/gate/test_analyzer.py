"""The analyzer client: the protocol against a real pack process, config resolution, and process hygiene."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fintech_infra.errors import ConfigError
from fintech_infra.testing import UNKNOWN
from fintech_infra_gate.analyzer import PolicyPackError, PolicyPackProcess
from fintech_infra_gate.judge import judge_recording
from fintech_infra_gate.requests import analyze_requests, stack_request, stack_urn
from fintech_infra_gate.runner import synthesize_stack
from tests.gate.conftest import PACK, pack_processes

TOPIC = "aws:sns/topic:Topic"


def test_analyzer_info_carries_policy_metadata(pack):
    info = pack.info()
    assert info.name == "fixture-guardrails"
    by_name = {policy.name: policy for policy in info.policies}
    assert set(by_name) == {"topic-encrypted", "topics-have-arns"}
    assert by_name["topic-encrypted"].framework.reference == "3.5.1"


def test_known_values_pass_with_the_exemption_reported(pack, dev):
    verdict = judge_recording(dev, pack, stack_config={"fintech-infra:environment": "dev"})
    assert verdict.passed
    assert verdict.findings == ()
    # Every resource is analyzed, the stack included, as the engine does.
    assert verdict.analyzed == len(dev.resources) + 1
    (exemption,) = verdict.exemptions
    assert exemption.policy == "topic-encrypted"
    assert exemption.urn.endswith("aws:sns/topic:Topic::eu-audit")
    assert exemption.reason == "exempt: RISK-12 until 2099-01-01"
    not_applicable = {item.urn for item in verdict.not_applicable if not item.exemption}
    assert stack_urn(dev) in not_applicable
    info = verdict.policy("topic-encrypted")
    assert info is not None
    assert (info.severity, info.enforcement, info.framework) == ("high", "mandatory", "PCI DSS 4.0.1 3.5.1")
    assert info.remediation == "Pass a KMS key to the topic."
    assert verdict.pack_version == "0.1.0"  # PulumiPolicy.yaml's version, as the CLI reports it


def test_preview_unknowns_become_undeterminable_advisories(pack, dev_preview):
    verdict = judge_recording(dev_preview, pack)
    assert verdict.passed
    pending = {(f.policy, f.urn.rsplit("::", 1)[-1]) for f in verdict.undeterminable}
    # kmsMasterKeyId comes from a key created in the same run (resource policy); the ARN output (stack policy).
    assert pending == {("topic-encrypted", "eu-alerts"), ("topics-have-arns", "")}
    assert verdict.violations == []


def test_policy_config_changes_enforcement_and_properties(pack, dev):
    config = {"all": "advisory", "topics-have-arns": {"enforcementLevel": "mandatory", "maxTopics": 1}}
    verdict = judge_recording(dev, pack, policy_config=config)
    (finding,) = verdict.findings
    assert (finding.policy, finding.enforcement, finding.urn) == ("topics-have-arns", "mandatory", "")
    # Config travels as a protobuf Struct, so integers arrive as floats: the engine does the same.
    assert finding.detail == "at most 1.0 topics per stack."
    assert not verdict.passed
    info = verdict.policy("topic-encrypted")
    assert info is not None and info.enforcement == "advisory"
    # Configure replaces the previous settings: the next judgement is back to the defaults.
    assert judge_recording(dev, pack).passed


def test_violation_is_mandatory_with_resource_urn(pack, project):
    bad = synthesize_stack(project, project.stack("bad"), preview=False)
    verdict = judge_recording(bad, pack)
    (finding,) = verdict.mandatory
    assert finding.policy == "topic-encrypted"
    assert finding.urn == bad.named("eu-alerts").urn
    assert finding.severity == "high"
    assert finding.detail == "kmsMasterKeyId must name a customer-managed key."


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"no-such-policy": "mandatory"}, "policy config: 'no-such-policy' is not a policy in the pack; allowed: "),
        ({"topic-encrypted": "blocking"}, "policy config: topic-encrypted.enforcementLevel: 'blocking' is not an"),
        ({"topic-encrypted": 3}, "policy config: topic-encrypted: 3 is not an enforcement level or an object"),
    ],
)
def test_bad_policy_config_is_a_config_error(pack, dev, config, message):
    with pytest.raises(ConfigError) as error:
        judge_recording(dev, pack, policy_config=config)
    assert str(error.value).startswith(message)


def test_requests_mirror_the_engine(dev, dev_preview):
    requests = analyze_requests(dev, provider_config={"aws:region": "eu-west-1"})
    assert requests[0].type == "pulumi:pulumi:Stack"
    topic = next(r for r in requests if r.name == "eu-alerts")
    assert topic.provider.type == "pulumi:providers:aws"
    assert topic.provider.name == "eu-aws"
    assert topic.provider.properties["region"] == "eu-west-1"
    assert topic.options.ignoreChanges == ["tags"]
    key = next(r for r in requests if r.name == "eu-key")
    assert key.options.protect is True
    # A resource registered without a provider gets the default provider the engine would create.
    secret = next(r for r in requests if r.name == "webhook")
    assert secret.provider.name.startswith("default_7_")
    assert secret.provider.properties["region"] == "eu-west-1"
    # The secure config value reaches the inputs as a secret (the placeholder, never ciphertext).
    version = next(r for r in requests if r.name == "webhook-v1")
    assert version.properties["secretString"]["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    stack = {r.name: r for r in stack_request(dev).resources}
    assert stack["eu-alerts"].properties["arn"].startswith("arn:aws:sns:eu-west-1:")
    assert stack["eu-alerts"].parent == dev.named("eu").urn
    assert stack["eu-alerts"].propertyDependencies["kmsMasterKeyId"].urns == [dev.named("eu-key").urn]
    preview = {r.name: r for r in stack_request(dev_preview).resources}
    assert preview["eu-alerts"].properties["arn"] == UNKNOWN
    assert preview["eu-alerts"].properties["kmsMasterKeyId"] == UNKNOWN


def test_process_is_stopped_on_close_and_on_error(dev, no_pack_left):
    with PolicyPackProcess(PACK, project="fintech-infra", stack="dev") as process:
        judge_recording(dev, process)
        pid = process.pid
        assert process.running and pid in pack_processes()
    assert not process.running
    assert pid not in pack_processes()
    with pytest.raises(ConfigError), PolicyPackProcess(PACK, project="fintech-infra", stack="dev") as process:
        judge_recording(dev, process, policy_config={"nope": "advisory"})
    assert not process.running


def test_a_pack_that_fails_to_start_reports_its_stderr(tmp_path: Path, no_pack_left):
    (tmp_path / "__main__.py").write_text("raise RuntimeError('pack is broken')\n")
    process = PolicyPackProcess(tmp_path, project="p", stack="s", start_timeout=30)
    with pytest.raises(PolicyPackError) as error, process:
        process.connect()
    assert "exited with code 1 before it printed its port" in str(error.value)
    assert "pack is broken" in str(error.value)
    assert not process.running


def test_a_pack_that_hangs_is_killed(tmp_path: Path):
    (tmp_path / "__main__.py").write_text(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(600)\n"
    )
    process = PolicyPackProcess(tmp_path, project="p", stack="s", start_timeout=1, stop_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(PolicyPackError, match="printed no port within 1 s"), process:
        process.connect()
    assert not process.running  # SIGTERM ignored: killed after stop_timeout
    assert time.monotonic() - started < 20


def test_missing_pack_directory_is_reported():
    with pytest.raises(PolicyPackError, match=r"no __main__\.py; pass --policy-pack"):
        PolicyPackProcess(Path("/nonexistent/pack"), project="p", stack="s")


def test_a_pack_dropped_without_close_is_stopped_when_collected(no_pack_left):
    import gc

    process = PolicyPackProcess(PACK, project="fintech-infra", stack="dev").start()
    pid = process.pid
    process.connect()
    assert pid in pack_processes()
    del process
    gc.collect()
    assert pid not in pack_processes()
