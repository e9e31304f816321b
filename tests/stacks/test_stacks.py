"""Every shipped stack file, run through the real program under the mock engine.

Each stack is synthesized once per session and the recordings are shared. For every cell stack: it
synthesizes, every AWS resource is in a permitted region of its cell's jurisdiction (read from the provider
it uses), per-cell counts and key properties hold, and the routing manifests only reference the cell's own
resources. The stacks run in the documented deploy order: the zones stack (``global``) first, the cell stacks
with its exports, the routing stack with the cell stacks' and the zones stack's. A stack that puts a cell in a
forbidden region fails with a clear error and registers nothing.
"""

from __future__ import annotations

import copy
import json
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from fintech_infra.cell import JurisdictionCell
from fintech_infra.errors import ConfigError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.routing import manifest_problems
from fintech_infra.testing import RecordedResource, Recording, synthesize
from fintech_infra_gate.stackfiles import load_project

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "stacks" / "__main__.py"
CELL_STACKS = ("dev", "staging", "prod-eu", "prod-au", "prod-uk")
ORG = "organization/fintech-infra"
AWS_PROVIDER = "pulumi:providers:aws"
K8S_PROVIDER = "pulumi:providers:kubernetes"
KEY = "aws:kms/key:Key"
PARAMETER = "aws:ssm/parameter:Parameter"
SERVICE = "aws:ecs/service:Service"

# Permitted regions per cell, from the registry (cysec cells also answer to eu-gdpr).
CELLS = {
    "dev": ("dev", "cysec", "eu-central-1", None),
    "staging": ("stg", "cysec", "eu-central-1", "eu-west-1"),
    "prod-eu": ("eu", "cysec", "eu-central-1", "eu-west-1"),
    "prod-au": ("au", "asic", "ap-southeast-2", "ap-southeast-4"),
    "prod-uk": ("uk", "fca", "eu-west-2", "eu-west-1"),
}


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's config as the gate reads it: ``secure:`` values as the offline placeholder."""
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return {key: load_project(ROOT).stack(stack).config[key] for key in document["config"]}


def secret_keys(stack: str) -> tuple[str, ...]:
    """The config keys the engine marks secret (those holding a ``secure:`` value)."""
    return load_project(ROOT).stack(stack).secret_keys


def run_stack(stack: str, config: dict[str, Any] | None = None, **options: Any) -> Recording:
    options.setdefault("secret_keys", secret_keys(stack))
    return synthesize(_run_program, stack=stack, config=config or stack_config(stack), **options)


def _run_program() -> None:
    runpy.run_path(str(PROGRAM))


def _cell_of(recording: Recording, resource: RecordedResource) -> RecordedResource | None:
    urns = {r.urn: r for r in recording}
    current: RecordedResource | None = resource
    while current is not None:
        if current.type == JurisdictionCell.TYPE:
            return current
        current = urns.get(current.parent) if current.parent else None
    return None


def _under_cells(recording: Recording) -> Iterator[tuple[RecordedResource, RecordedResource | None]]:
    for resource in recording:
        yield resource, _cell_of(recording, resource)


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_stack_synthesizes_its_cells(recordings: dict[str, Recording], stack: str) -> None:
    recording = recordings[stack]
    cell, code, primary, dr = CELLS[stack]
    assert [c.name for c in recording.of_type(JurisdictionCell.TYPE)] == [cell]
    export = recording.exports["cells"][cell]
    assert (export["jurisdiction"], export["primary_region"], export["dr_region"]) == (code, primary, dr)
    assert recording.exports["environment"] == stack_config(stack)["fintech-infra:environment"]


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_every_aws_resource_is_in_a_permitted_region_of_its_cell(recordings: dict[str, Recording], stack: str) -> None:
    recording = recordings[stack]
    cell_name, code, primary, dr = CELLS[stack]
    permitted = DEFAULT_REGISTRY[code].permitted_regions
    own = {region for region in (primary, dr) if region is not None}
    checked = 0
    for resource, cell in _under_cells(recording):
        if not resource.custom or not (resource.type.startswith("aws:") or resource.type == AWS_PROVIDER):
            continue
        assert cell is not None and cell.name == cell_name, resource.urn
        assert resource.region in own and resource.region in permitted, (resource.urn, resource.region)
        if not resource.is_provider:
            # Explicit providers only: a resource on a default provider would silently use aws:region.
            assert resource.provider is not None and resource.provider.split("::")[-1].startswith(cell_name)
        checked += 1
    assert checked > 100
    providers = {r.name: r.region for r in recording.of_type(AWS_PROVIDER)}
    # One per region, plus the one that writes the certificates' validation records in the zones stack's zones.
    expected = {f"{cell_name}-aws-{region}": region for region in sorted(own)}
    assert providers == {**expected, f"{cell_name}-dns-validation": primary}


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_providers_assume_the_stacks_deploy_role(recordings: dict[str, Recording], stack: str) -> None:
    deployment = stack_config(stack)["fintech-infra:deployment"]
    writers = recordings["global"].exports["validation_writers"]
    for provider in recordings[stack].of_type(AWS_PROVIDER):
        role, *then = json.loads(provider.inputs["assumeRoles"])
        assert role["roleArn"] == deployment["deploy_role_arn"]
        assert provider.inputs["skipMetadataApiCheck"] in (True, "true")
        if provider.name.endswith("-dns-validation"):
            # From the deploy role, the zones stack's writer role for this stack, in the zones account.
            assert [hop["roleArn"] for hop in then] == [writers[stack]["role_arn"]]
            assert json.loads(provider.inputs["allowedAccountIds"]) == [writers[stack]["role_arn"].split(":")[4]]
        else:
            assert then == []
            assert json.loads(provider.inputs["allowedAccountIds"]) == [deployment["account_id"]]


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_tags_carry_the_cells_jurisdiction(recordings: dict[str, Recording], stack: str) -> None:
    _, code, _, _ = CELLS[stack]
    environment = stack_config(stack)["fintech-infra:environment"]
    tagged = [r for r in recordings[stack].custom_resources() if r.tags]
    assert len(tagged) > 50
    for resource in tagged:
        assert resource.tags["Jurisdiction"] == code, resource.urn
        assert resource.tags["Environment"] == environment


def _databases(recording: Recording) -> dict[str, RecordedResource]:
    return {r.name: r for r in recording.of_type("fintech:database:FinancialDatabase")}


def test_prod_eu_four_databases_on_four_keys_and_four_groups(recordings: dict[str, Recording]) -> None:
    recording = recordings["prod-eu"]
    assert sorted(_databases(recording)) == ["eu-audit", "eu-crm", "eu-payments", "eu-trading"]
    keys = {r.name for r in recording.of_type(KEY)}
    for concern in ("crm", "trading", "payments", "audit"):
        assert f"eu-keys-{concern}-key" in keys
        assert f"eu-dr-keys-{concern}-key" in keys
        group = recording.named(f"eu-{concern}-sg", "aws:ec2/securityGroup:SecurityGroup")
        # The services that declare the concern (api all four, ws trading), the concern's migration task, and the
        # rotation function (of the migration secret, and of the Aurora Global master secret for trading, payments).
        users = ["api", "ws"] if concern == "trading" else ["api"]
        expected = [
            recording.named(f"eu-{user}-sg", "aws:ec2/securityGroup:SecurityGroup").outputs["id"]
            for user in [*users, f"migrate-{concern}", f"{concern}-rotation"]
        ]
        rules = [
            rule.inputs
            for rule in recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if rule.inputs.get("securityGroupId") == group.outputs["id"]
        ]
        assert sorted(rule["referencedSecurityGroupId"] for rule in rules) == sorted(expected)
        assert {(rule["fromPort"], rule["toPort"]) for rule in rules} == {(5432, 5432)}
        assert not any(rule.get("cidrIpv4") or rule.get("cidrIpv6") for rule in rules), "never a CIDR source"
        assert "ingress" not in group.inputs and "egress" not in group.inputs, "standalone rules only"
    # Primary: 4 concerns (audit also keys the trail) + logs, platform, cache, backup; DR: the same 8, the audit key
    # encrypting the trail's Object Lock replica and the cache key the warm-standby cache (issue 20).
    assert len(recording.of_type(KEY)) == 8 + 8


def test_prod_eu_trading_and_payments_meet_rpo_under_a_minute_rto_under_15(recordings: dict[str, Recording]) -> None:
    recovery = recordings["prod-eu"].exports["cells"]["eu"]["recovery"]
    for concern in ("trading", "payments"):
        assert recovery[concern]["mechanism"] == "aurora-global-database"
        assert recovery[concern]["expected_rpo_seconds"] < 60
        assert recovery[concern]["expected_rto_seconds"] < 900
    # crm meets the 15-minute RTO with a cross-region replica (issue 20); its backups still replicate.
    assert recovery["crm"]["dr_mechanisms"] == ["automated-backups-replication", "cross-region-read-replica"]
    for concern in ("crm", "trading", "payments", "audit"):
        assert recovery[concern]["expected_rto_seconds"] <= 900
    clusters = recordings["prod-eu"].of_type("aws:rds/cluster:Cluster")
    assert sorted({str(c.region) for c in clusters}) == ["eu-central-1", "eu-west-1"]
    assert len(recordings["prod-eu"].of_type("aws:rds/globalCluster:GlobalCluster")) == 2


def test_prod_eu_serves_both_entities(recordings: dict[str, Recording]) -> None:
    recording = recordings["prod-eu"]
    names = sorted(
        (p.region, p.inputs["name"]) for p in recording.of_type(PARAMETER) if "/routing/" in p.inputs["name"]
    )
    assert names == [
        ("eu-central-1", "/fintech-infra/eu/routing/cysec-cy"),
        ("eu-central-1", "/fintech-infra/eu/routing/eu-nl"),
        ("eu-west-1", "/fintech-infra/eu/routing/cysec-cy"),
        ("eu-west-1", "/fintech-infra/eu/routing/eu-nl"),
    ]
    certificate = recording.named("eu-edge-certificate", "aws:acm/certificate:Certificate").inputs
    assert [certificate["domainName"], *certificate["subjectAlternativeNames"]] == [
        "api.cy.fintech.example.com",
        "app.cy.fintech.example.com",
        "api.eu.fintech.example.com",
        "app.eu.fintech.example.com",
    ]


def test_dev_is_one_small_cell_without_dr(recordings: dict[str, Recording]) -> None:
    recording = recordings["dev"]
    instances = recording.of_type("aws:rds/instance:Instance")
    assert len(instances) == 4
    for instance in instances:
        assert instance.inputs["instanceClass"] == "db.t4g.small"
        assert instance.inputs["multiAz"] is True
        assert instance.inputs["storageEncrypted"] is True
    assert len(recording.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(recording.of_type("aws:lb/loadBalancer:LoadBalancer")) == 1
    assert recording.exports["cells"]["dev"]["dr"] is None


def test_warm_standby_runs_one_task_per_service_behind_a_second_alb(recordings: dict[str, Recording]) -> None:
    for stack in ("staging", "prod-eu", "prod-uk"):
        recording = recordings[stack]
        _, _, primary, dr = CELLS[stack]
        albs = {r.region for r in recording.of_type("aws:lb/loadBalancer:LoadBalancer")}
        assert albs == {primary, dr}
        services = {r.region: r.inputs["desiredCount"] for r in recording.of_type(SERVICE)}
        assert services[dr] == 1
        assert services[primary] >= 2


def test_prod_au_runs_eks_with_routing_config_maps_in_both_regions(recordings: dict[str, Recording]) -> None:
    recording = recordings["prod-au"]
    clusters = recording.of_type("aws:eks/cluster:Cluster")
    assert sorted(str(c.region) for c in clusters) == ["ap-southeast-2", "ap-southeast-4"]
    assert recording.of_type(SERVICE) == []
    maps = recording.of_type("kubernetes:core/v1:ConfigMap")
    routing_maps = [m for m in maps if m.inputs["metadata"]["name"] == "routing-manifest"]
    assert sorted(m.inputs["metadata"]["namespace"] for m in routing_maps) == sorted(
        ["audit", "crm", "payments", "trading"] * 2
    )
    providers = recording.of_type(K8S_PROVIDER)
    live = {r.urn for r in providers if "renderYamlToDirectory" not in r.inputs}
    render = {r.urn: r.inputs["renderYamlToDirectory"] for r in providers if r.urn not in live}
    # One live provider per cluster; one render provider per service and cluster, each writing its own folder.
    assert len(live) == 2
    assert sorted(render.values()) == sorted(
        f"rendered/clusters/prod-au/{cluster}/{service}"
        for cluster in ("au", "au-dr")
        for service in ("orders", "payments", "accounts", "audit-feed")
    )
    for resource in recording.custom_resources():
        if resource.type.startswith("kubernetes:"):
            assert resource.provider in live | set(render)
    node_groups = {r.region: r.inputs["scalingConfig"] for r in recording.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert node_groups["ap-southeast-4"]["minSize"] == 1
    assert node_groups["ap-southeast-2"]["minSize"] == 3


def test_prod_uk_dr_stays_where_uk_rules_permit(recordings: dict[str, Recording]) -> None:
    export = recordings["prod-uk"].exports["cells"]["uk"]
    assert export["dr_region"] in DEFAULT_REGISTRY["fca"].dr_regions
    assert export["dr"]["region"] == "eu-west-1"
    assert export["primary"]["region"] == "eu-west-2"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_routing_manifests_only_reference_their_own_cell(recordings: dict[str, Recording], stack: str) -> None:
    recording = recordings[stack]
    cell_name, _, primary, dr = CELLS[stack]
    own = tuple(r for r in (primary, dr) if r)
    cell = recording.named(cell_name, JurisdictionCell.TYPE)
    own_values = {
        json.dumps(r.outputs, default=str) for r in recording.descendants_of(cell.urn) if r.custom and r.outputs
    }
    own_text = "\n".join(own_values)
    parameters = [p for p in recording.of_type(PARAMETER) if "/routing/" in p.inputs["name"]]
    assert parameters
    for parameter in parameters:
        document = json.loads(parameter.inputs["value"]["value"])
        assert document["cell"] == cell_name
        assert document["region"] == parameter.region
        assert parameter.inputs["name"] == f"/fintech-infra/{cell_name}/routing/{document['entity']['name']}"
        assert manifest_problems(document, permitted_regions=own) == []
        endpoints = [s for s in _strings(document["databases"]) if "." in s]
        assert endpoints
        for value in [*endpoints, *_strings(document["cache"] or {})]:
            if "." in value or value.startswith("arn:"):
                assert value in own_text, (parameter.inputs["name"], value)


ARN_REGION = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


@pytest.mark.parametrize("stack", ("staging", "prod-eu", "prod-uk"))
def test_the_dr_region_depends_on_nothing_in_the_primary_region(recordings: dict[str, Recording], stack: str) -> None:
    """DR manifests, task definitions and the DR tasks' role policies name only DR-region ARNs and endpoints."""
    recording = recordings[stack]
    _, _, primary, dr_region = CELLS[stack]
    assert dr_region is not None
    dr: str = dr_region
    checked = {"manifest": 0, "task": 0, "policy": 0}
    for resource in recording:
        if resource.region != dr:
            continue
        if resource.type == PARAMETER and "/routing/" in resource.inputs["name"]:
            document = json.loads(resource.inputs["value"]["value"])
            assert manifest_problems(document, permitted_regions=(dr,)) == [], resource.name
            checked["manifest"] += 1
        elif resource.type == "aws:ecs/taskDefinition:TaskDefinition":
            (container,) = json.loads(resource.inputs["containerDefinitions"])
            assert f".dkr.ecr.{dr}.amazonaws.com/" in container["image"]
            assert {ARN_REGION.findall(item["valueFrom"])[0] for item in container["secrets"]} == {dr}
            checked["task"] += 1
        elif resource.type == "aws:iam/rolePolicy:RolePolicy" and "-dr-" in resource.name:
            text = resource.inputs["policy"]
            assert {region for region in ARN_REGION.findall(text) if region} <= {dr}, resource.name
            assert f".{primary}.amazonaws.com" not in text, resource.name
            checked["policy"] += 1
    assert all(checked.values()), checked


def test_cells_sharing_a_primary_registry_write_one_replication_configuration() -> None:
    """ECR keeps one replication configuration per registry: the first cell of the region writes it for both."""
    config = copy.deepcopy(stack_config("prod-eu"))
    cells = config["fintech-infra:cells"]
    second = copy.deepcopy(cells["eu"])
    second["entities"] = [{"name": "eu-mt", "legal_name": "Example MT Ltd", "hostname": "api.cy.fintech.example.com"}]
    second["vpc"]["cidr"] = "10.60.0.0/16"
    second["compute"]["services"] = second["compute"]["services"][:1]  # api: no route to a host role
    second["compute"]["services"][0]["image"] = second["compute"]["services"][0]["image"].replace(
        "/fintech-api@", "/fintech-mt-api@"
    )
    cells["mt"] = second
    cells["eu"]["entities"] = cells["eu"]["entities"][1:]  # the hostname moves to the new cell
    zones = run_stack("global")
    recording = run_stack("prod-eu", config, stack_outputs={f"{ORG}/global": dict(zones.exports)})
    (replication,) = recording.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    assert replication.name == "eu-ecr-replication"
    assert replication.inputs["replicationConfiguration"]["rules"] == [
        {
            "destinations": [{"region": "eu-west-1", "registryId": "333333333333"}],
            "repositoryFilters": [
                {"filter": "fintech-api", "filterType": "PREFIX_MATCH"},
                {"filter": "fintech-mt-api", "filterType": "PREFIX_MATCH"},
                {"filter": "fintech-web", "filterType": "PREFIX_MATCH"},
                {"filter": "fintech-ws", "filterType": "PREFIX_MATCH"},
            ],
        }
    ]


def test_routing_stack_routes_every_entity_from_the_cell_exports(recordings: dict[str, Recording]) -> None:
    recording = recordings["routing"]
    entities = recording.exports["entities"]
    assert sorted(entities) == ["asic-au", "cysec-cy", "eu-nl", "fca-uk"]
    checks = recording.of_type("aws:route53/healthCheck:HealthCheck")
    assert len(checks) == 4
    records = recording.of_type("aws:route53/record:Record")
    failover = [r for r in records if r.inputs.get("failoverRoutingPolicies")]
    # Two per hostname: each entity's API hostname, and the app hostnames of prod-eu's two entities and prod-uk's.
    assert len(failover) == 14 == len(records), "failover records only: the cells validate their own certificates"
    apex = recordings["global"].exports["zones"]["fintech.example.com"]
    assert {r.inputs["zoneId"] for r in records} == {apex}
    cells = {stack: recordings[stack].exports["cells"][CELLS[stack][0]] for stack in ("prod-eu", "prod-au", "prod-uk")}
    for stack, export in cells.items():
        for entity in export["entities"]:
            primary = recording.named(f"routing-{entity['name']}-primary", "aws:route53/record:Record")
            secondary = recording.named(f"routing-{entity['name']}-secondary", "aws:route53/record:Record")
            assert primary.inputs["aliases"][0]["name"] == export["primary"]["alb_dns_name"], stack
            assert secondary.inputs["aliases"][0]["name"] == export["dr"]["alb_dns_name"], stack
            for role, hostname in entity.get("hostnames", {}).items():
                record = recording.named(f"routing-{entity['name']}-{role}-primary", "aws:route53/record:Record")
                assert record.inputs["name"] == hostname
                assert record.inputs["healthCheckId"] == primary.inputs["healthCheckId"], "one check per entity"
    assert recording.of_type("aws:route53/zone:Zone") == []


def test_staging_rehearses_a_full_failover_with_dns_through_routing_staging(recordings: dict[str, Recording]) -> None:
    """The shipped staging stack schedules both halves of the region rehearsal with no health check id in its
    config; routing-staging, deployed after it, writes the health checks and the role the runbooks flip them with."""
    staging, routing = recordings["staging"], recordings["routing-staging"]
    schedules = {r.name: r for r in staging.of_type("aws:scheduler/schedule:Schedule")}
    failover, failback = schedules["stg-schedules-failover-rehearsal"], schedules["stg-schedules-failback-rehearsal"]
    assert (failover.region, failback.region) == ("eu-west-1", "eu-central-1")
    documents = {r.name: r for r in staging.of_type("aws:ssm/document:Document")}
    for schedule, document in ((failover, "stg-runbooks-failover"), (failback, "stg-runbooks-failback")):
        target = schedule.inputs["target"]
        assert target["arn"] == "arn:aws:scheduler:::aws-sdk:ssm:startAutomationExecution"
        assert target["roleArn"] == staging.named("stg-schedules-role", "aws:iam/role:Role").outputs["arn"]
        request = json.loads(target["input"])
        assert request["DocumentName"] == documents[document].inputs["name"]
        assert documents[document].region == schedule.region
    assert json.loads(failover.inputs["target"]["input"])["Parameters"] == {"Mode": ["planned"]}
    assert "Parameters" not in json.loads(failback.inputs["target"]["input"])
    assert failover.inputs["scheduleExpression"] == "cron(0 8 ? 1,4,7,10 WED#3 *)"
    assert failback.inputs["scheduleExpression"] == "cron(0 14 ? 1,4,7,10 WED#3 *)"
    # A full rehearsal: database promotion, manifest, scaling, cache and the DNS flip, the DNS role in the zones
    # account (global's, the account that holds the zones) named before routing-staging exists.
    content = yaml.safe_load(documents["stg-runbooks-failover"].inputs["content"])
    names = [step["name"] for step in content["mainSteps"]]
    for step in ("ResolveDns", "tradingSwitchover", "crmPromote", "PublishManifest", "VerifyCacheStandby"):
        assert step in names, step
    assert [n for n in names if n.startswith("RedeployApi")] and names.index("FlipDns") < names.index("VerifyDns")
    writer = recordings["global"].exports["validation_writers"]["staging"]["role_arn"]
    role_arn = f"arn:aws:iam::{writer.split(':')[4]}:role/fintech-infra-dr-dns-stg"
    assert content["parameters"]["DnsRoleArn"]["default"] == role_arn
    assert "HealthCheckId" not in content["parameters"]
    # routing-staging: staging's health checks, failover records in the staging subzone, and the DNS role.
    checks = {r.name: r.outputs["id"] for r in routing.of_type("aws:route53/healthCheck:HealthCheck")}
    assert sorted(checks) == ["routing-cysec-cy-health", "routing-eu-nl-health"]
    records = routing.of_type("aws:route53/record:Record")
    assert len(records) == 8 and all(r.inputs.get("failoverRoutingPolicies") for r in records)
    assert {r.inputs["zoneId"] for r in records} == {
        recordings["global"].exports["zones"]["staging.fintech.example.com"]
    }
    (role,) = routing.of_type("aws:iam/role:Role")
    assert role_arn.endswith(f":role/{role.inputs['name']}")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    runbook_role = staging.named("stg-runbooks-role", "aws:iam/role:Role").outputs["arn"]
    assert trust["Condition"] == {"StringEquals": {"aws:PrincipalArn": runbook_role}}
    assert role.tags["fintech-infra:health-check:cysec-cy"] == checks["routing-cysec-cy-health"]
    assert role.tags["fintech-infra:health-check:eu-nl"] == checks["routing-eu-nl-health"]
    # The staging runbook role may assume exactly that role.
    policy = json.loads(staging.named("stg-runbooks-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert {"Sid": "DnsRole", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": role_arn} in policy[
        "Statement"
    ]


def test_zones_stack_owns_the_zones_and_a_writer_per_cell_stack(recordings: dict[str, Recording]) -> None:
    recording = recordings["global"]
    zones = recording.of_type("aws:route53/zone:Zone")
    assert sorted(z.inputs["name"] for z in zones) == [
        "dev.fintech.example.com",
        "fintech.example.com",
        "staging.fintech.example.com",
    ]
    assert all(zone.protect for zone in zones)
    assert sorted(recording.exports["validation_writers"]) == sorted(CELL_STACKS)


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_every_certificate_validates_within_its_own_stack(recordings: dict[str, Recording], stack: str) -> None:
    """Each CertificateValidation waits on records this stack writes, in the zone holding each hostname."""
    recording = recordings[stack]
    zones = recordings["global"].exports["zones"]
    validations = recording.of_type("aws:acm/certificateValidation:CertificateValidation")
    assert validations
    records = {r.urn: r for r in recording.of_type("aws:route53/record:Record")}
    for validation in validations:
        written = [records[urn] for urn in validation.property_dependencies["validationRecordFqdns"]]
        certificate = recording.by_urn(validation.property_dependencies["certificateArn"][0])
        hostnames = [certificate.inputs["domainName"], *(certificate.inputs.get("subjectAlternativeNames") or [])]
        assert sorted(r.inputs["name"] for r in written) == sorted(f"_x.{h}." for h in hostnames)
        for record in written:
            hostname = record.inputs["name"].removeprefix("_x.").rstrip(".")
            zone = max((z for z in zones if hostname.endswith(f".{z}")), key=len)
            assert record.inputs["zoneId"] == zones[zone], (record.name, zone)
            assert record.provider is not None and record.provider.split("::")[-1].endswith("-dns-validation")


def _forbidden(stack: str, edit: Any) -> tuple[list[Exception], Recording]:
    config = copy.deepcopy(stack_config(stack))
    edit(config)
    errors: list[Exception] = []

    def program() -> None:
        try:
            runpy.run_path(str(PROGRAM))
        except (ConfigError, pulumi.RunError) as error:  # RunError: the program's refusal, shown without a traceback
            errors.append(error)

    return errors, synthesize(program, stack=stack, config=config, secret_keys=secret_keys(stack))


def test_forbidden_dr_region_fails_and_registers_nothing() -> None:
    errors, recording = _forbidden("prod-uk", lambda c: c["fintech-infra:cells"]["uk"].update(dr_region="us-east-1"))
    assert [str(e) for e in errors] == [
        "invalid stack config: cells.uk.dr_region: 'us-east-1' is not permitted for fca; "
        "allowed: eu-west-1, eu-central-1"
    ]
    assert list(recording) == []


def test_zone_outside_the_primary_region_fails_and_registers_nothing() -> None:
    def edit(config: dict[str, Any]) -> None:
        config["fintech-infra:cells"]["eu"]["vpc"]["availability_zones"] = [
            "eu-central-1a",
            "eu-west-1b",
            "eu-central-1c",
        ]
        del config["fintech-infra:cells"]["eu"]["vpc"]["az_count"]

    errors, recording = _forbidden("prod-eu", edit)
    assert [str(e) for e in errors] == [
        "invalid stack config: cells.eu.vpc.availability_zones[1]: 'eu-west-1b' is outside the cell's primary "
        "region 'eu-central-1'; allowed: availability zones of eu-central-1"
    ]
    assert list(recording) == []


def test_also_regulated_by_narrows_the_regions() -> None:
    # eu-south-2 is an EU GDPR region but not a CySEC one: a cell held to both may not use it.
    errors, recording = _forbidden(
        "prod-eu",
        lambda c: c["fintech-infra:cells"]["eu"].update(
            jurisdiction="eu-gdpr", also_regulated_by=["cysec"], dr_region="eu-south-2"
        ),
    )
    assert [str(e) for e in errors] == [
        "invalid stack config: cells.eu.dr_region: 'eu-south-2' is not permitted for eu-gdpr and cysec; "
        "allowed: eu-central-1, eu-west-1, eu-south-1"
    ]
    assert list(recording) == []


def test_synthesis_times(recordings: dict[str, Recording], timings: dict[str, float]) -> None:
    counts = {stack: len(recording) for stack, recording in recordings.items()}
    assert set(timings) == {*CELL_STACKS, "global", "routing", "routing-staging", "repo"}
    assert all(seconds < 60 for seconds in timings.values()), timings
    assert all(count > 10 for stack, count in counts.items() if stack != "repo"), counts
    assert counts["repo"] >= 4  # the component, its provider, the branch protection, the environment


@pytest.mark.parametrize("stack", (*CELL_STACKS, "global", "routing", "routing-staging"))
def test_every_taggable_resource_carries_the_whole_convention(recordings: dict[str, Recording], stack: str) -> None:
    """Walks every resource: a taggable type (per the installed SDK) with any convention key missing fails."""
    from fintech_guardrails.awstypes import is_taggable
    from fintech_infra._tags import REQUIRED_TAG_KEYS

    recording = recordings[stack]
    taggable = [r for r in recording.custom_resources() if r.type.startswith("aws:") and is_taggable(r.type)]
    assert taggable, "the stack has taggable resources"
    for resource in taggable:
        missing = [key for key in REQUIRED_TAG_KEYS if not resource.tags.get(key)]
        assert missing == [], f"{resource.urn} lacks {missing}"
    concern_scoped = [r for r in taggable if "fintech:database:FinancialDatabase" in r.urn]
    assert all(r.tags.get("DataConcern") for r in concern_scoped), "database children carry DataConcern"
    if stack in CELL_STACKS:
        assert concern_scoped, "cell stacks have databases"


def test_prod_eu_restore_tests_name_each_concerns_database_by_its_engine(recordings: dict[str, Recording]) -> None:
    recording = recordings["prod-eu"]
    selections = {
        r.name.removeprefix("eu-restore-tests-"): r
        for r in recording.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection")
    }
    assert sorted(selections) == ["audit", "crm", "payments", "trading"]
    for concern, kind in (("trading", "Aurora"), ("payments", "Aurora"), ("crm", "RDS"), ("audit", "RDS")):
        assert selections[concern].inputs["protectedResourceType"] == kind
    clusters = {r.outputs["arn"] for r in recording.of_type("aws:rds/cluster:Cluster") if r.region == "eu-central-1"}
    assert {arn for s in selections.values() for arn in s.inputs["protectedResourceArns"]} >= clusters
    # prod runs no scheduled drills unless the stack asks.
    assert recording.of_type("aws:scheduler/schedule:Schedule") == []
