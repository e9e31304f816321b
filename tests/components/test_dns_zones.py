"""SharedZones (the zones stack): the kept public zone, delegated subzones and the validation writer roles."""

from __future__ import annotations

import json

import pulumi
import pytest

from fintech_infra._tags import apply_tag_convention
from fintech_infra.aws_facts import ROUTE53_TAGS_PER_RESOURCE
from fintech_infra.config import DeploymentIdentity, ZonesConfig
from fintech_infra.dns_zones import (
    DELEGATION_TTL_SECONDS,
    SharedZones,
    validation_name_patterns,
    writer_role_name,
    zone_for,
)
from fintech_infra.testing import Recording, synthesize

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
DEV_ROLE = "arn:aws:iam::111111111111:role/fintech-infra-deploy"
ZONES = ZonesConfig.model_validate(
    {
        "zone_name": "fintech.example.com",
        "subzones": ["dev", "staging"],
        "validation_writers": {
            "dev": {"deploy_role_arn": DEV_ROLE, "names": ["dev.fintech.example.com"]},
            "prod-eu": {
                "deploy_role_arn": "arn:aws:iam::333333333333:role/fintech-infra-deploy",
                "names": ["api.cy.fintech.example.com", "api.eu.fintech.example.com"],
            },
        },
    }
)
IDENTITY = DeploymentIdentity(account_id="666666666666", deploy_role_arn="arn:aws:iam::666666666666:role/deploy")


def _program() -> None:
    apply_tag_convention(environment="prod", owner="platform", cost_center="cc-1", compliance_scope="pci-dss")
    zones = SharedZones("global", ZONES, deployment=IDENTITY)
    pulumi.export("zones", zones.zones)
    pulumi.export("writers", zones.validation_writers)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program, stack="global")


def test_the_public_zone_keeps_its_logical_name_and_is_protected(recording: Recording) -> None:
    zone = recording.named("global-zone", ZONE)
    assert zone.inputs["name"] == "fintech.example.com"
    assert zone.inputs["comment"] == "fintech-infra shared zone: one failover hostname per regulatory entity"
    assert zone.inputs["forceDestroy"] is False and zone.protect is True
    # Under its former component type through an alias, so the zone's URN and name servers stay as they were.
    (component,) = recording.of_type(SharedZones.TYPE)
    assert component.name == "global"


def test_each_subzone_is_delegated_from_the_zone_in_the_same_run(recording: Recording) -> None:
    apex = recording.named("global-zone", ZONE)
    for label in ("dev", "staging"):
        subzone = recording.named(f"global-{label}-zone", ZONE)
        assert subzone.inputs["name"] == f"{label}.fintech.example.com" and subzone.protect is True
        delegation = recording.named(f"global-{label}-delegation", RECORD).inputs
        assert delegation["zoneId"] == apex.outputs["zoneId"]
        assert (delegation["name"], delegation["type"], delegation["ttl"]) == (
            f"{label}.fintech.example.com",
            "NS",
            DELEGATION_TTL_SECONDS,
        )
        assert delegation["records"] == subzone.outputs["nameServers"]
    assert set(recording.exports["zones"]) == {
        "fintech.example.com",
        "dev.fintech.example.com",
        "staging.fintech.example.com",
    }


def test_a_writer_role_trusts_only_its_stacks_deploy_role(recording: Recording) -> None:
    role = recording.named("global-acm-dev-role", ROLE)
    assert role.inputs["name"] == writer_role_name("dev") == "fintech-infra-acm-validation-dev"
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": DEV_ROLE}}
    exported = recording.exports["writers"]["dev"]
    assert exported == {"role_arn": role.outputs["arn"], "names": ["dev.fintech.example.com"]}


def test_a_writer_may_write_only_validation_cnames_of_its_names_in_their_zones(recording: Recording) -> None:
    zones = recording.exports["zones"]
    policy = json.loads(recording.named("global-acm-prod-eu-policy", POLICY).inputs["policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    write = statements["WriteAcmValidationRecords"]
    assert write["Action"] == "route53:ChangeResourceRecordSets"
    # Both names live in the public zone, not in a subzone.
    assert write["Resource"] == [f"arn:aws:route53:::hostedzone/{zones['fintech.example.com']}"]
    assert write["Condition"]["ForAllValues:StringLike"] == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
            "_*.api.cy.fintech.example.com",
            "_*.api.eu.fintech.example.com",
        ]
    }
    assert write["Condition"]["ForAllValues:StringEquals"] == {
        "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
        "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
    }
    assert write["Condition"]["Null"] == {"route53:ChangeResourceRecordSetsNormalizedRecordNames": "false"}
    assert statements["ReadTheZone"]["Action"] == ["route53:GetHostedZone", "route53:ListResourceRecordSets"]
    assert statements["WaitForChanges"]["Resource"] == "arn:aws:route53:::change/*"
    dev = json.loads(recording.named("global-acm-dev-policy", POLICY).inputs["policy"])["Statement"][0]
    assert dev["Resource"] == [f"arn:aws:route53:::hostedzone/{zones['dev.fintech.example.com']}"]


def test_zones_stay_within_route53s_tag_limit(recording: Recording) -> None:
    for zone in recording.of_type(ZONE):
        assert zone.tags["Jurisdiction"] == "global"
        assert len(zone.tags) <= ROUTE53_TAGS_PER_RESOURCE.value


def test_zone_for_picks_the_most_specific_zone() -> None:
    zones = ["fintech.example.com", "dev.fintech.example.com"]
    assert zone_for("api.cy.dev.fintech.example.com.", zones) == "dev.fintech.example.com"
    assert zone_for("api.cy.fintech.example.com", zones) == "fintech.example.com"
    assert zone_for("devfintech.example.com", ["fintech.example.com"]) is None
    assert zone_for("api.example.org", zones) is None
    assert validation_name_patterns(["API.Cy.Example.com."]) == ["_*.api.cy.example.com"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"validation_writers": {"dev": {"deploy_role_arn": DEV_ROLE, "names": ["api.example.org"]}}},
            "validation_writers.dev.names[0]: 'api.example.org' is outside the zone; allowed: names under "
            "fintech.example.com",
        ),
        ({"subzones": ["dev", "dev"]}, "subzone 'dev' is listed twice (subzones[1])"),
    ],
)
def test_bad_zone_config_names_the_key(change: dict, message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as raised:
        ZonesConfig.model_validate({"zone_name": "fintech.example.com", **change})
    assert message in str(raised.value)
