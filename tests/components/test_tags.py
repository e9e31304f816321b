"""The tag convention is applied once and reaches every taggable AWS resource."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra._tags import REQUIRED_TAG_KEYS, TagConvention, apply_tag_convention, stack_convention
from fintech_infra.errors import ConfigError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.kms import KeyRing
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


# -- a program that composes components itself: the convention takes the jurisdiction ------------------


def _standalone(jurisdiction: str | None) -> Callable[[], None]:
    def program() -> None:
        apply_tag_convention(
            environment="staging",
            jurisdiction=jurisdiction,
            owner="payments-team",
            cost_center="cc-42",
            compliance_scope="pci-dss",
        )
        provider = aws.Provider("eu", region="eu-central-1")
        on_eu = pulumi.ResourceOptions(provider=provider)
        aws.ec2.SecurityGroup("app", description="the team's own resource", opts=on_eu)
        KeyRing("cy", cell="cy", purposes=["payments"], opts=on_eu)

    return program


def test_the_conventions_jurisdiction_tags_components_and_the_teams_own_resources() -> None:
    recording = synthesize(_standalone("cysec"))
    for name in ("app", "cy-payments-key"):
        tags = recording.named(name).tags
        assert tags["Jurisdiction"] == "cysec", name
        assert set(REQUIRED_TAG_KEYS) <= set(tags), name
    assert recording.named("cy-payments-key").tags["DataConcern"] == "payments"


def test_a_component_without_any_jurisdiction_is_refused_before_it_registers() -> None:
    caught: list[str] = []

    def program() -> None:
        try:
            _standalone(None)()
        except ConfigError as error:
            caught.append(str(error))

    recording = synthesize(program)
    assert caught == [
        "KeyRing 'cy': no Jurisdiction tag: apply_tag_convention(jurisdiction=...) is None and no JurisdictionCell "
        "encloses it; allowed: a jurisdiction code for apply_tag_convention (the policy pack requires the tag on "
        "every resource)"
    ]
    assert [r.name for r in recording if r.type.startswith("fintech:")] == []


def _scoped(jurisdiction: str) -> None:
    apply_tag_convention(
        environment="prod", jurisdiction="cysec", owner="platform", cost_center="cc-1", compliance_scope="pci-dss"
    )
    FintechComponent("fintech:test:Backup", "fca-backup", jurisdiction=jurisdiction)


def test_a_component_checked_for_another_jurisdiction_than_the_conventions_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        synthesize(lambda: _scoped("fca"))
    assert str(caught.value) == (
        "Backup 'fca-backup': jurisdiction: 'fca' differs from 'cysec', the jurisdiction of the cell or tag "
        "convention around it; allowed: 'cysec'"
    )
    synthesize(lambda: _scoped("cysec"))  # the same jurisdiction is accepted


def test_a_component_that_knows_its_jurisdiction_tags_its_subtree_when_nothing_around_does() -> None:
    class _Database(FintechComponent):
        def __init__(self, name: str) -> None:
            super().__init__("fintech:test:Database", name, jurisdiction="fca")
            aws.kms.Key(child(name, "key"), opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    def program() -> None:
        apply_tag_convention(environment="prod", owner="platform", cost_center="cc-1", compliance_scope="pci-dss")
        _Database("uk-payments")

    assert synthesize(program).named("uk-payments-key").tags["Jurisdiction"] == "fca"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            {"environment": "production"},
            "apply_tag_convention: environment: 'production' is not known; allowed: dev, staging, prod",
        ),
        (
            {"jurisdiction": "cyprus"},
            "apply_tag_convention: jurisdiction: 'cyprus' is not a registered jurisdiction; "
            f"allowed: {', '.join(DEFAULT_REGISTRY)} (or a Jurisdiction from your own registry)",
        ),
    ],
)
def test_bad_convention_arguments_are_named(argument: dict[str, str], message: str) -> None:
    values = {"environment": "prod", "owner": "o", "cost_center": "c", "compliance_scope": "pci-dss", **argument}
    with pytest.raises(ConfigError) as caught:
        apply_tag_convention(**values)
    assert str(caught.value) == message


def test_a_jurisdiction_of_a_custom_registry_is_taken_by_its_code() -> None:
    custom = DEFAULT_REGISTRY["fca"].model_copy(update={"code": "fca-gibraltar"})
    convention = TagConvention.checked(
        environment="prod", owner="o", cost_center="c", compliance_scope="pci-dss", jurisdiction=custom
    )
    assert convention.stack_tags["Jurisdiction"] == "fca-gibraltar"
    assert stack_convention() is None  # outside a running program
