"""The recording harness: what it records is what the gate and every test rely on."""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.testing import UNKNOWN, Recording, is_unknown, synthesize


def _program() -> None:
    provider = aws.Provider("syd", region="ap-southeast-2")
    key = aws.kms.Key(
        "key",
        enable_key_rotation=True,
        opts=pulumi.ResourceOptions(provider=provider, protect=True, retain_on_delete=True),
    )
    alias = aws.kms.Alias(
        "alias",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[key], ignore_changes=["name"]),
    )
    aws.s3.Bucket("elsewhere", region="ap-southeast-4", opts=pulumi.ResourceOptions(provider=provider))
    zones = aws.get_availability_zones_output(opts=pulumi.InvokeOptions(provider=provider))
    pulumi.export("zones", zones.names)
    pulumi.export("alias_target", alias.target_key_id)
    pulumi.export("remote", pulumi.StackReference("acme/fintech-infra/prod-au").get_output("answer"))


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program, stack_outputs={"acme/fintech-infra/prod-au": {"answer": 42}})


def test_options_are_recorded(recording: Recording) -> None:
    key = recording.named("key")
    assert key.protect and key.retain_on_delete
    alias = recording.named("alias")
    assert alias.depends_on == (key.urn,)
    assert alias.ignore_changes == ("name",)
    assert alias.property_dependencies["targetKeyId"] == (key.urn,)


def test_region_comes_from_the_provider_or_the_resource(recording: Recording) -> None:
    assert recording.named("key").region == "ap-southeast-2"
    assert recording.named("elsewhere").region == "ap-southeast-4"
    assert recording.named("key").provider == recording.named("syd").urn


def test_invokes_use_the_callers_provider(recording: Recording) -> None:
    assert recording.exports["zones"] == ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"]


def test_computed_outputs_are_plausible(recording: Recording) -> None:
    assert recording.exports["alias_target"] == recording.named("key").outputs["keyId"]
    assert recording.named("key").outputs["arn"].startswith("arn:aws:kms:ap-southeast-2:123456789012:")


def test_stack_references_are_answered(recording: Recording) -> None:
    assert recording.exports["remote"] == 42


def test_counts_skip_providers_and_components(recording: Recording) -> None:
    assert recording.counts_by_type() == {
        "aws:kms/alias:Alias": 1,
        "aws:kms/key:Key": 1,
        "aws:s3/bucket:Bucket": 1,
    }  # a StackReference is a read, not a registration


def test_preview_leaves_provider_computed_values_unknown() -> None:
    preview = synthesize(_program, preview=True, stack_outputs={"acme/fintech-infra/prod-au": {"answer": 42}})
    assert is_unknown(preview.named("alias").inputs["targetKeyId"])
    assert preview.named("key").inputs["enableKeyRotation"] is True


def test_unknown_stack_reference_is_an_error() -> None:
    with pytest.raises(KeyError, match="no outputs recorded for that stack"):
        synthesize(_program)


def _topic_program() -> None:
    key = aws.kms.Key("key", opts=pulumi.ResourceOptions(protect=True))
    aws.sns.Topic("topic", kms_master_key_id=key.arn)


def test_engine_urns_without_the_root_stack_type() -> None:
    recording = synthesize(_topic_program, stack="s")
    assert recording.named("topic").urn == "urn:pulumi:s::fintech-infra::aws:sns/topic:Topic::topic"


def test_preview_outputs_leave_provider_computed_values_unknown() -> None:
    topic = synthesize(_topic_program, preview=True).named("topic")
    assert topic.outputs["arn"] == UNKNOWN
    assert topic.outputs["kmsMasterKeyId"] == UNKNOWN  # an unknown input stays unknown
    known = synthesize(_topic_program).named("topic")
    assert known.outputs["arn"].startswith("arn:aws:sns:us-east-1:123456789012:")


@pytest.mark.parametrize("preview", [False, True])
def test_secret_config_reaches_the_program_as_a_secret(preview: bool) -> None:
    def run() -> None:
        token = pulumi.Config("fintech-infra").require_secret("token")
        aws.ssm.Parameter("token", type="SecureString", value=token)

    recording = synthesize(
        run, config={"fintech-infra:token": "x"}, secret_keys=["fintech-infra:token"], preview=preview
    )
    wire = recording.named("token").raw_inputs["value"]
    assert wire["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"


def test_the_harness_runs_a_program_as_the_sdk_does() -> None:
    """No SDK function swapped and the collector left as the caller had it: speed-ups are the gate's."""
    import gc

    from pulumi.runtime import resource as sdk_resource

    original = sdk_resource._get_stack_trace
    seen: list[tuple[bool, bool]] = []

    def run() -> None:
        seen.append((sdk_resource._get_stack_trace is original, gc.isenabled()))
        _topic_program()

    assert gc.isenabled()
    synthesize(run)
    assert seen == [(True, True)]


def test_the_harness_and_its_plugin_import_nothing_of_the_gate() -> None:
    """Dependencies point one way: library <- harness <- gate."""
    code = (
        "import sys, fintech_infra.testing, fintech_infra.testing.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'fintech_infra_gate'))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
