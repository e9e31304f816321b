"""GlobalRouting (the routing stack): per-entity health check and failover records in the zones stack's zones."""

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

ZONES_STACK = "organization/fintech-infra/global"
ROUTING = RoutingConfig(
    zones_stack=ZONES_STACK,
    cell_stacks={"eu": "organization/fintech-infra/prod-eu", "dev": "organization/fintech-infra/dev"},
)
ZONES = {"fintech.example.com": "ZAPEX", "dev.fintech.example.com": "ZDEV"}
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
RUNBOOK_ROLE = "arn:aws:iam::333333333333:role/eu-runbooks-role-1a2b3c4"
ROLE = "aws:iam/role:Role"
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
                "runbook_role_arn": RUNBOOK_ROLE,
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
    ZONES_STACK: {"zones": ZONES},
}


def _program() -> None:
    routing = GlobalRouting("routing", ROUTING, deployment=IDENTITY)
    pulumi.export("entities", routing.entities)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program, stack="routing", stack_outputs=STACK_OUTPUTS)


def test_no_zone_of_its_own_and_no_validation_records(recording: Recording) -> None:
    # The zones stack owns the zones; the cells write their own ACM records.
    assert recording.of_type(ZONE) == []
    assert [r for r in recording.of_type(RECORD) if r.inputs["type"] == "CNAME"] == []


def test_route53_goes_through_the_deploy_role_provider(recording: Recording) -> None:
    (provider,) = recording.of_type(PROVIDER)
    assert provider.inputs["region"] == ROUTE53_CONTROL_REGION
    # Provider inputs travel JSON-encoded.
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["666666666666"]
    (role,) = json.loads(provider.inputs["assumeRoles"])
    assert role["roleArn"] == "arn:aws:iam::666666666666:role/deploy"
    assert role["sessionName"] == "fintech-infra-deploy"
    assert provider.inputs["skipMetadataApiCheck"] in (True, "true")
    for resource in recording.of_type(RECORD, HEALTH):
        assert resource.provider is not None and resource.provider.endswith("::routing-aws-us-east-1")


def test_health_check_targets_the_primary_alb_directly(recording: Recording) -> None:
    checks = {r.name: r for r in recording.of_type(HEALTH)}
    assert sorted(checks) == ["routing-cysec-cy-health", "routing-eu-nl-health"]
    check = checks["routing-cysec-cy-health"].inputs
    assert check["type"] == "HTTPS"
    assert check["fqdn"] == "alb-eu-central-1.eu-central-1.elb.amazonaws.com"
    assert check["port"] == 443
    assert check["resourcePath"] == "/healthz"
    assert check["requestInterval"] == 10
    assert check["failureThreshold"] == 3


def test_failover_records_point_primary_and_dr_albs_inside_the_jurisdiction(recording: Recording) -> None:
    primary = recording.named("routing-cysec-cy-primary", RECORD).inputs
    secondary = recording.named("routing-cysec-cy-secondary", RECORD).inputs
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
    assert primary["zoneId"] == secondary["zoneId"] == "ZAPEX"
    assert primary["allowOverwrite"] is True and secondary["allowOverwrite"] is True
    assert primary["setIdentifier"] == "cysec-cy-primary-eu-central-1"
    assert secondary["setIdentifier"] == "cysec-cy-secondary-eu-west-1"


def test_cell_without_dr_gets_one_plain_alias(recording: Recording) -> None:
    record = recording.named("routing-dev-cy-record", RECORD).inputs
    assert record["name"] == "api.dev.fintech.example.com"
    assert record["zoneId"] == "ZDEV", "the most specific zone holding the hostname"
    assert "failoverRoutingPolicies" not in record or not record["failoverRoutingPolicies"]
    assert not [r for r in recording.of_type(HEALTH) if "dev-cy" in r.name]


def test_record_counts(recording: Recording) -> None:
    assert len(recording.of_type(RECORD)) == 2 * 2 + 1
    assert len(recording.of_type(HEALTH)) == 2


def test_health_checks_stay_within_route53s_tag_limit(recording: Recording) -> None:
    from fintech_infra.aws_facts import ROUTE53_TAGS_PER_RESOURCE

    for check in recording.of_type(HEALTH):
        assert 0 < len(check.tags) <= ROUTE53_TAGS_PER_RESOURCE.value, check.tags


def test_hostname_outside_every_zone_is_refused() -> None:
    export = STACK_OUTPUTS["organization/fintech-infra/dev"]["cells"]["dev"]
    with pytest.raises(ConfigError) as raised:
        entity_record_plan("dev", export, zones={"other.example.org": "Z1"}, stack="organization/fintech-infra/dev")
    assert str(raised.value) == (
        "routing.cell_stacks.dev: entity 'dev-cy' hostname 'api.dev.fintech.example.com' is outside every zone; "
        "allowed: names under other.example.org"
    )


def _route(routing: RoutingConfig) -> None:
    GlobalRouting("routing", routing, deployment=None)


def test_stack_without_the_cell_fails_with_the_cells_it_has() -> None:
    routing = RoutingConfig(zones_stack=ZONES_STACK, cell_stacks={"uk": "organization/fintech-infra/prod-eu"})
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


def test_the_dr_runbooks_get_a_role_tagged_with_their_cells_health_checks(recording: Recording) -> None:
    # Only the cell with DR runbooks (eu): dev has neither health checks nor runbooks.
    (role,) = recording.of_type(ROLE)
    assert role.name == "routing-eu-dr-dns" and role.inputs["name"] == "fintech-infra-dr-dns-eu"
    assert role.provider is not None and role.provider.endswith("::routing-aws-us-east-1")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    assert trust["Condition"] == {"StringEquals": {"aws:PrincipalArn": RUNBOOK_ROLE}}
    checks = {r.name: r.outputs["id"] for r in recording.of_type(HEALTH)}
    assert {k: v for k, v in role.tags.items() if k.startswith("fintech-infra:health-check:")} == {
        "fintech-infra:health-check:cysec-cy": checks["routing-cysec-cy-health"],
        "fintech-infra:health-check:eu-nl": checks["routing-eu-nl-health"],
    }
    # The component's scope tag too (the convention's transformation leaves tags given as an Output alone).
    assert role.tags["Jurisdiction"] == "global"
    policy = json.loads(recording.named("routing-eu-dr-dns-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert statements["HealthCheckIds"] == {
        "Sid": "HealthCheckIds",
        "Effect": "Allow",
        "Action": ["iam:ListRoleTags"],
        "Resource": role.outputs["arn"],
    }
    assert sorted(statements["HealthChecks"]["Resource"]) == sorted(
        f"arn:aws:route53:::healthcheck/{check}" for check in checks.values()
    )


def test_a_cell_export_without_runbooks_gets_no_dns_role() -> None:
    outputs = json.loads(json.dumps(STACK_OUTPUTS))
    del outputs["organization/fintech-infra/prod-eu"]["cells"]["eu"]["runbook_role_arn"]
    recording = synthesize(_program, stack="routing", stack_outputs=outputs)
    assert recording.of_type(ROLE) == [] and len(recording.of_type(HEALTH)) == 2
