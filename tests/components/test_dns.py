"""GlobalRouting: shared zone, per-entity health check and failover records, ACM validation records."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from fintech_infra.config import DeploymentIdentity, RoutingConfig
from fintech_infra.dns import ROUTE53_CONTROL_REGION, GlobalRouting, entity_record_plan
from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording, synthesize

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
HEALTH = "aws:route53/healthCheck:HealthCheck"
PROVIDER = "pulumi:providers:aws"

ROUTING = RoutingConfig(
    zone_name="fintech.example.com",
    cell_stacks={"eu": "organization/fintech-infra/prod-eu", "dev": "organization/fintech-infra/dev"},
)
IDENTITY = DeploymentIdentity(account_id="666666666666", deploy_role_arn="arn:aws:iam::666666666666:role/deploy")


def _edge(region: str, domains: list[str]) -> dict[str, Any]:
    return {
        "region": region,
        "alb_dns_name": f"alb-{region}.{region}.elb.amazonaws.com",
        "alb_zone_id": f"Z-{region}",
        "certificate_validation_records": [
            {"name": f"_x.{domain}.", "type": "CNAME", "value": "_y.acm-validations.aws."} for domain in domains
        ],
    }


EU_DOMAINS = ["api.cy.fintech.example.com", "api.eu.fintech.example.com"]
STACK_OUTPUTS: dict[str, dict[str, Any]] = {
    "organization/fintech-infra/prod-eu": {
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "entities": [
                    {"name": "cysec-cy", "legal_name": "Cy", "hostname": EU_DOMAINS[0]},
                    {"name": "eu-nl", "legal_name": "Nl", "hostname": EU_DOMAINS[1]},
                ],
                "primary": _edge("eu-central-1", EU_DOMAINS),
                "dr": _edge("eu-west-1", EU_DOMAINS),
            }
        }
    },
    "organization/fintech-infra/dev": {
        "cells": {
            "dev": {
                "jurisdiction": "cysec",
                "entities": [{"name": "dev-cy", "legal_name": "Dev", "hostname": "api.dev.fintech.example.com"}],
                "primary": _edge("eu-central-1", ["api.dev.fintech.example.com"]),
                "dr": None,
            }
        }
    },
}


def _program() -> None:
    routing = GlobalRouting("global", ROUTING, deployment=IDENTITY)
    pulumi.export("entities", routing.entities)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program, stack="global", stack_outputs=STACK_OUTPUTS)


def test_zone_is_shared_protected_and_kept(recording: Recording) -> None:
    (zone,) = recording.of_type(ZONE)
    assert zone.inputs["name"] == "fintech.example.com"
    assert zone.inputs["forceDestroy"] is False
    assert zone.protect is True


def test_route53_goes_through_the_deploy_role_provider(recording: Recording) -> None:
    (provider,) = recording.of_type(PROVIDER)
    assert provider.inputs["region"] == ROUTE53_CONTROL_REGION
    # Provider inputs travel JSON-encoded.
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["666666666666"]
    (role,) = json.loads(provider.inputs["assumeRoles"])
    assert role["roleArn"] == "arn:aws:iam::666666666666:role/deploy"
    assert role["sessionName"] == "fintech-infra-deploy"
    assert provider.inputs["skipMetadataApiCheck"] in (True, "true")
    for resource in recording.of_type(ZONE, RECORD, HEALTH):
        assert resource.provider is not None and resource.provider.endswith("::global-aws-us-east-1")


def test_health_check_targets_the_primary_alb_directly(recording: Recording) -> None:
    checks = {r.name: r for r in recording.of_type(HEALTH)}
    assert sorted(checks) == ["global-cysec-cy-health", "global-eu-nl-health"]
    check = checks["global-cysec-cy-health"].inputs
    assert check["type"] == "HTTPS"
    assert check["fqdn"] == "alb-eu-central-1.eu-central-1.elb.amazonaws.com"
    assert check["port"] == 443
    assert check["resourcePath"] == "/healthz"
    assert check["requestInterval"] == 10
    assert check["failureThreshold"] == 3


def test_failover_records_point_primary_and_dr_albs_inside_the_jurisdiction(recording: Recording) -> None:
    primary = recording.named("global-cysec-cy-primary", RECORD).inputs
    secondary = recording.named("global-cysec-cy-secondary", RECORD).inputs
    for record in (primary, secondary):
        assert record["name"] == "api.cy.fintech.example.com"
        assert record["type"] == "A"
        assert record["aliases"][0]["evaluateTargetHealth"] is True
    assert primary["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert secondary["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert primary["aliases"][0]["name"] == "alb-eu-central-1.eu-central-1.elb.amazonaws.com"
    assert primary["aliases"][0]["zoneId"] == "Z-eu-central-1"
    assert secondary["aliases"][0]["name"] == "alb-eu-west-1.eu-west-1.elb.amazonaws.com"
    assert primary["healthCheckId"]
    assert "healthCheckId" not in secondary or not secondary["healthCheckId"]
    assert primary["setIdentifier"] == "cysec-cy-primary-eu-central-1"
    assert secondary["setIdentifier"] == "cysec-cy-secondary-eu-west-1"


def test_cell_without_dr_gets_one_plain_alias(recording: Recording) -> None:
    record = recording.named("global-dev-cy-record", RECORD).inputs
    assert record["name"] == "api.dev.fintech.example.com"
    assert "failoverRoutingPolicies" not in record or not record["failoverRoutingPolicies"]
    assert not [r for r in recording.of_type(HEALTH) if "dev-cy" in r.name]


def test_validation_records_created_once_per_name(recording: Recording) -> None:
    validation = [r for r in recording.of_type(RECORD) if "-acm-" in r.name]
    assert sorted(r.inputs["name"] for r in validation) == [
        "_x.api.cy.fintech.example.com.",
        "_x.api.dev.fintech.example.com.",
        "_x.api.eu.fintech.example.com.",
    ]
    record = recording.named("global-eu-acm-x-api-cy-fintech-example-com", RECORD).inputs
    assert record["type"] == "CNAME"
    assert record["records"] == ["_y.acm-validations.aws."]
    assert record["ttl"] == 300
    assert record["allowOverwrite"] is True


def test_record_counts(recording: Recording) -> None:
    assert len(recording.of_type(RECORD)) == 2 * 2 + 1 + 3
    assert len(recording.of_type(HEALTH)) == 2


def test_hostname_outside_the_zone_is_refused() -> None:
    export = STACK_OUTPUTS["organization/fintech-infra/dev"]["cells"]["dev"]
    with pytest.raises(ConfigError) as raised:
        entity_record_plan("dev", export, zone_name="other.example.org", stack="organization/fintech-infra/dev")
    assert str(raised.value) == (
        "routing.cell_stacks.dev: entity 'dev-cy' hostname 'api.dev.fintech.example.com' is outside the zone; "
        "allowed: names under other.example.org"
    )


def _route(routing: RoutingConfig) -> None:
    GlobalRouting("global", routing, deployment=None)


def test_stack_without_the_cell_fails_with_the_cells_it_has() -> None:
    routing = RoutingConfig(zone_name="fintech.example.com", cell_stacks={"uk": "organization/fintech-infra/prod-eu"})
    with pytest.raises(ValueError) as raised:
        synthesize(lambda: _route(routing), stack_outputs=STACK_OUTPUTS)
    assert str(raised.value).endswith(
        "routing.cell_stacks.uk: stack 'organization/fintech-infra/prod-eu' exports no cell 'uk' in its "
        "'cells' output; allowed: eu"
    )


def test_entities_output_maps_each_entity_to_its_cell(recording: Recording) -> None:
    entities = recording.exports["entities"]
    assert sorted(entities) == ["cysec-cy", "dev-cy", "eu-nl"]
    assert entities["eu-nl"] == {
        "cell": "eu",
        "entity": "eu-nl",
        "hostname": "api.eu.fintech.example.com",
        "primary_alb": "alb-eu-central-1.eu-central-1.elb.amazonaws.com",
        "dr_alb": "alb-eu-west-1.eu-west-1.elb.amazonaws.com",
    }
    assert entities["dev-cy"]["dr_alb"] is None
