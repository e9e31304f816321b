"""The tag convention is applied once and reaches every taggable AWS resource."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra._tags import REQUIRED_TAG_KEYS, apply_tag_convention
from fintech_infra.testing import synthesize


class _Concern(FintechComponent):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("fintech:test:Concern", name, opts, scope={"DataConcern": "payments"})
        aws.kms.Key(child(name, "key"), opts=pulumi.ResourceOptions(parent=self))
        aws.kms.Alias(child(name, "alias"), target_key_id="k", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class _Cell(FintechComponent):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("fintech:test:Cell", name, opts, scope={"Jurisdiction": "cysec"})
        aws.s3.Bucket(
            child(name, "bucket"), tags={"Name": "kept", "Owner": "spoofed"}, opts=pulumi.ResourceOptions(parent=self)
        )
        _Concern(child(name, "payments"), pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _program() -> None:
    apply_tag_convention(environment="prod", owner="platform", cost_center="cc-1", compliance_scope="pci-dss")
    provider = aws.Provider("eu", region="eu-central-1")
    _Cell("cy", pulumi.ResourceOptions(providers={"aws": provider}))


def test_every_taggable_resource_carries_the_convention() -> None:
    recording = synthesize(_program)
    taggable = [r for r in recording.custom_resources() if "tags" in r.inputs]
    assert {r.name for r in taggable} == {"cy-bucket", "cy-payments-key"}
    for resource in taggable:
        assert set(REQUIRED_TAG_KEYS) <= set(resource.tags), resource.name
        assert resource.tags["Jurisdiction"] == "cysec"
        assert resource.tags["ManagedBy"] == "fintech-infra"
    assert recording.named("cy-payments-key").tags["DataConcern"] == "payments"
    assert "DataConcern" not in recording.named("cy-bucket").tags


def test_convention_wins_over_hand_written_tags_but_keeps_the_rest() -> None:
    bucket = synthesize(_program).named("cy-bucket")
    assert bucket.tags["Owner"] == "platform"
    assert bucket.tags["Name"] == "kept"


def test_untaggable_resources_are_left_alone() -> None:
    alias = synthesize(_program).named("cy-payments-alias")
    assert "tags" not in alias.inputs


def test_child_names_and_physical_names_are_stable() -> None:
    assert child("cy-payments", "db-params") == "cy-payments-db-params"
    assert physical("cy", "payments", "final") == "cy-payments-final"
    assert physical("9lives", "Final Snapshot!") == "x-9lives-final-snapshot"
    try:
        child("cy", "Bad Role")
    except ValueError as error:
        assert str(error) == "role 'Bad Role' must be kebab-case letters and digits"
    else:
        raise AssertionError("a non-kebab role must be refused")
