"""The public harness: preview fidelity of the recorder, judge() and the judge_policy pytest fixture."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.testing import UNKNOWN, judge, synthesize
from tests.gate.conftest import PACK, pack_processes

CONFIG = {"fintech-infra:environment": "prod"}


def program(encrypted: bool = True):
    def run() -> None:
        key = aws.kms.Key("key", opts=pulumi.ResourceOptions(protect=True))
        aws.sns.Topic("topic", kms_master_key_id=key.arn if encrypted else None)

    return run


def test_engine_urns_without_the_root_stack_type():
    recording = synthesize(program(), stack="s")
    assert recording.named("topic").urn == "urn:pulumi:s::fintech-infra::aws:sns/topic:Topic::topic"


def test_preview_outputs_leave_provider_computed_values_unknown():
    recording = synthesize(program(), preview=True)
    topic = recording.named("topic")
    assert topic.outputs["arn"] == UNKNOWN
    assert topic.outputs["kmsMasterKeyId"] == UNKNOWN  # an unknown input stays unknown
    known = synthesize(program()).named("topic")
    assert known.outputs["arn"].startswith("arn:aws:sns:us-east-1:123456789012:")


def test_the_sdks_stack_walk_is_skipped_only_while_a_program_runs():
    from pulumi.runtime import resource as sdk_resource

    original = sdk_resource._get_stack_trace
    seen = []

    def run() -> None:
        seen.append(sdk_resource._get_stack_trace is original)
        program()()

    recording = synthesize(run)
    assert seen == [False] and sdk_resource._get_stack_trace is original
    assert recording.named("topic").inputs["kmsMasterKeyId"]  # the program still registered normally


def test_the_collector_is_paused_only_while_a_program_runs():
    import gc

    seen = []

    def run() -> None:
        seen.append(gc.isenabled())
        program()()

    assert gc.isenabled()
    synthesize(run)
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller that runs with the collector off keeps it off
    try:
        synthesize(run)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_judge_starts_and_stops_its_own_pack(no_pack_left):
    verdict = judge(synthesize(program(encrypted=False)), policy_pack=PACK, stack_config=CONFIG)
    assert [f.policy for f in verdict.mandatory] == ["topic-encrypted"]
    assert not pack_processes()


def test_judge_policy_fixture_gives_the_verdict_in_a_few_lines(judge_policy):
    assert judge_policy(synthesize(program()), policy_pack=PACK).passed
    verdict = judge_policy(synthesize(program(encrypted=False)), policy_pack=PACK)
    assert [f.detail for f in verdict.of_policy("topic-encrypted")] == [
        "kmsMasterKeyId must name a customer-managed key."
    ]


def test_judge_reads_the_environment_policy_config(judge_policy):
    recording = synthesize(program(), config=CONFIG)
    # prod.json makes topics-have-arns mandatory; a policy config object overrides the file.
    verdict = judge_policy(recording, policy_pack=PACK, stack_config=CONFIG)
    assert verdict.policy("topics-have-arns").enforcement == "mandatory"
    relaxed = judge_policy(recording, policy_pack=PACK, policy_config={"all": "advisory"})
    assert {p.enforcement for p in relaxed.policies} == {"advisory"}


@pytest.mark.parametrize("preview", [False, True])
def test_secret_config_reaches_the_program_as_a_secret(preview):
    def run() -> None:
        token = pulumi.Config("fintech-infra").require_secret("token")
        aws.ssm.Parameter("token", type="SecureString", value=token)

    recording = synthesize(
        run, config={"fintech-infra:token": "x"}, secret_keys=["fintech-infra:token"], preview=preview
    )
    wire = recording.named("token").raw_inputs["value"]
    assert wire["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
