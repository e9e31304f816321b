"""JurisdictionCell: residency refused at plan time, regional providers, composition and wiring."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pytest

from fintech_infra._tags import apply_tag_convention
from fintech_infra.cell import JurisdictionCell
from fintech_infra.config import CellConfig, DeploymentIdentity
from fintech_infra.errors import ConfigError, ResidencyError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.logs import cloudwatch_retention
from fintech_infra.providers import regional_provider
from fintech_infra.residency import check_residency, dr_vpc_settings, effective_jurisdiction
from fintech_infra.testing import RecordedResource, Recording, synthesize
from tests.components.helpers import admitted, rules_of

IMAGE = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api@sha256:" + "a" * 64
IDENTITY = DeploymentIdentity(account_id="111111111111", deploy_role_arn="arn:aws:iam::111111111111:role/deploy")
SG = "aws:ec2/securityGroup:SecurityGroup"


def _cell(**changes: Any) -> CellConfig:
    raw: dict[str, Any] = {
        "jurisdiction": "cysec",
        "primary_region": "eu-central-1",
        "dr_region": "eu-west-1",
        "entities": [{"name": "cysec-cy", "legal_name": "Example (Cyprus) Ltd", "hostname": "api.cy.example.com"}],
        "vpc": {"cidr": "10.30.0.0/16", "az_count": 2},
        "concerns": [
            {
                "concern": "crm",
                "instance_class": "db.t4g.medium",
                "objectives": {"rpo_seconds": 86400, "rto_seconds": 86400},
            },
            {
                "concern": "trading",
                "instance_class": "db.t4g.medium",
                "objectives": {"rpo_seconds": 86400, "rto_seconds": 86400},
            },
        ],
        "redis": {"node_type": "cache.t4g.small"},
        "compute": {
            "kind": "ecs",
            "services": [
                {"name": "api", "image": IMAGE, "min_tasks": 2, "max_tasks": 4, "concerns": ["trading"], "cache": True},
                {"name": "reports", "image": IMAGE, "min_tasks": 1, "max_tasks": 2, "concerns": ["crm"]},
            ],
        },
    }
    raw.update(changes)
    return CellConfig.model_validate(raw)


def _program(config: CellConfig) -> None:
    apply_tag_convention(environment="staging", owner="platform", cost_center="cc-1", compliance_scope="pci-dss")
    rules = check_residency("eu", config, DEFAULT_REGISTRY)
    cell = JurisdictionCell("eu", config, jurisdiction=rules, environment="staging", deployment=IDENTITY)
    pulumi.export("cell", cell.export)


@pytest.fixture(scope="module")
def recording(default_cell: Recording) -> Recording:
    return default_cell  # synthesize(lambda: _program(_cell()), stack="staging"), once per run (conftest.py)


def _names(recording: Recording, type_: str) -> list[str]:
    return sorted(r.name for r in recording.of_type(type_))


def test_cell_is_scoped_to_its_jurisdiction(recording: Recording) -> None:
    (cell,) = recording.of_type(JurisdictionCell.TYPE)
    assert cell.name == "eu"
    tagged = [r for r in recording.custom_resources() if r.tags]
    assert tagged and all(r.tags["Jurisdiction"] == "cysec" for r in tagged)


def test_one_provider_per_region_children_of_the_cell(recording: Recording) -> None:
    cell = recording.named("eu", JurisdictionCell.TYPE)
    providers = recording.of_type("pulumi:providers:aws")
    assert sorted((p.name, p.region) for p in providers) == [
        ("eu-aws-eu-central-1", "eu-central-1"),
        ("eu-aws-eu-west-1", "eu-west-1"),
    ]
    assert all(p.parent == cell.urn for p in providers)
    for resource in recording.custom_resources():
        if resource.type.startswith("aws:"):
            assert resource.region in ("eu-central-1", "eu-west-1"), resource.urn
            assert resource.provider is not None


def test_primary_and_dr_building_blocks(recording: Recording) -> None:
    assert _names(recording, "fintech:kms:KeyRing") == ["eu-dr-keys", "eu-keys"]
    assert _names(recording, "fintech:vpc:SecureVpc") == ["eu-dr-vpc", "eu-vpc"]
    assert _names(recording, "fintech:alarms:AlertTopics") == ["eu-alarms", "eu-dr-alarms"]
    assert _names(recording, "fintech:alarms:AlarmTopic") == [
        "eu-alarms-critical",
        "eu-alarms-warning",
        "eu-dr-alarms-critical",
        "eu-dr-alarms-warning",
    ]
    assert _names(recording, "fintech:security:SecuritySignals") == ["eu-dr-security", "eu-security"]
    assert _names(recording, "fintech:edge:Edge") == ["eu-dr-edge", "eu-edge"]
    assert _names(recording, "fintech:database:FinancialDatabase") == ["eu-crm", "eu-trading"]
    assert _names(recording, "fintech:audit:AuditTrail") == ["eu-audit"]
    assert _names(recording, "fintech:backup:CellBackup") == ["eu-backup"]
    assert _names(recording, "fintech:bucket:SecureBucket").count("eu-access-logs") == 1
    assert _names(recording, "fintech:ecs:EcsCluster") == ["eu-dr-ecs", "eu-ecs"]
    assert _names(recording, "fintech:routing:RoutingManifest") == ["eu-dr-routing", "eu-routing"]
    regions = {r.name: r.region for r in recording.of_type("aws:ec2/vpc:Vpc")}
    assert regions == {"eu-vpc-vpc": "eu-central-1", "eu-dr-vpc-vpc": "eu-west-1"}
    cidrs = {r.name: r.inputs["cidrBlock"] for r in recording.of_type("aws:ec2/vpc:Vpc")}
    assert cidrs == {"eu-vpc-vpc": "10.30.0.0/16", "eu-dr-vpc-vpc": "10.31.0.0/16"}


def test_key_ring_purposes(recording: Recording) -> None:
    keys = {r.name: r.region for r in recording.of_type("aws:kms/key:Key")}
    for purpose in ("crm", "trading", "audit", "logs", "platform", "cache", "backup"):
        assert keys[f"eu-keys-{purpose}-key"] == "eu-central-1"
    # audit in the DR region: the trail's Object Lock replica is encrypted there; cache: the warm standby.
    for purpose in ("crm", "trading", "audit", "logs", "platform", "backup", "cache"):
        assert keys[f"eu-dr-keys-{purpose}-key"] == "eu-west-1"
    assert len(keys) == 14


def test_audit_and_flow_logs_keep_the_jurisdiction_minimum(recording: Recording) -> None:
    days = cloudwatch_retention(DEFAULT_REGISTRY["cysec"].min_audit_log_retention_days)
    groups = recording.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    assert all(g.inputs["retentionInDays"] in (days, 0) for g in groups)


def test_each_region_precreates_the_enhanced_monitoring_group_every_instance_waits_for(recording: Recording) -> None:
    groups = {
        r.region: r for r in recording.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name.endswith("-os-metrics")
    }
    assert set(groups) == {"eu-central-1", "eu-west-1"}
    for region, group in groups.items():
        assert group.inputs["name"] == "RDSOSMetrics" and group.protect
        assert group.inputs["retentionInDays"] == cloudwatch_retention(
            DEFAULT_REGISTRY["cysec"].min_audit_log_retention_days
        )
        logs_key = next(k for k in recording.of_type("aws:kms/key:Key") if k.region == region and "-logs-" in k.name)
        assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    instances = recording.of_type("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
    assert instances
    for instance in instances:
        assert {group.urn for group in groups.values()} <= set(instance.depends_on), instance.name


def _group_ids(recording: Recording, *names: str) -> list[str]:
    return [recording.named(name, SG).outputs["id"] for name in names]


def test_each_data_store_admits_exactly_the_services_that_declare_it(recording: Recording) -> None:
    api, reports = _group_ids(recording, "eu-api-sg", "eu-reports-sg")
    # Each database also admits its concern's migration task and the rotation function of that task's secret.
    trading = _group_ids(recording, "eu-migrate-trading-sg", "eu-trading-rotation-sg")
    crm = _group_ids(recording, "eu-migrate-crm-sg", "eu-crm-rotation-sg")
    assert admitted(recording, recording.named("eu-trading-sg", SG).outputs["id"]) == sorted([api, *trading])
    assert admitted(recording, recording.named("eu-crm-sg", SG).outputs["id"]) == sorted([reports, *crm])
    assert admitted(recording, recording.named("eu-cache-sg", SG).outputs["id"]) == [api]
    assert recording.named("eu-trading-sg-from-api").inputs["fromPort"] == 5432
    assert recording.named("eu-cache-sg-from-api").inputs["fromPort"] == 6379
    assert not [r for r in recording.of_type(SG) if "-app-" in r.name]  # no marker groups any more


def test_every_service_wears_exactly_its_own_group(recording: Recording) -> None:
    for name in ("api", "reports", "dr-api", "dr-reports"):
        service = recording.named(f"eu-{name}-service", "aws:ecs/service:Service")
        assert service.inputs["networkConfiguration"]["securityGroups"] == _group_ids(recording, f"eu-{name}-sg")
        assert service.inputs["networkConfiguration"]["assignPublicIp"] is False


def test_service_groups_have_standalone_rules_only(recording: Recording) -> None:
    group = recording.named("eu-api-sg", SG)
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    egress = {rule.name: rule.inputs for rule in rules_of(recording, group.outputs["id"], egress=True)}
    assert {name: (rule["fromPort"], rule["cidrIpv4"]) for name, rule in egress.items()} == {
        "eu-api-sg-https-out": (443, "0.0.0.0/0"),
        "eu-api-sg-postgres-out-eu-central-1a": (5432, "10.30.128.0/21"),
        "eu-api-sg-cache-out-eu-central-1a": (6379, "10.30.128.0/21"),
        "eu-api-sg-postgres-out-eu-central-1b": (5432, "10.30.136.0/21"),
        "eu-api-sg-cache-out-eu-central-1b": (6379, "10.30.136.0/21"),
    }
    # The edge's ingress from the ALB is the group's only ingress.
    (ingress,) = rules_of(recording, group.outputs["id"])
    assert ingress.name == "eu-edge-api-app-in"
    # A service without the cache gets no egress to it.
    reports = rules_of(recording, recording.named("eu-reports-sg", SG).outputs["id"], egress=True)
    assert {rule.inputs["fromPort"] for rule in reports} == {443, 5432}


def test_services_read_only_the_secrets_of_what_they_declare(recording: Recording) -> None:
    def statements(service: str) -> dict[str, Any]:
        policy = json.loads(recording.named(f"eu-{service}-task-policy").inputs["policy"])
        return {statement["Sid"]: statement for statement in policy["Statement"]}

    key = {
        p: recording.named(f"eu-keys-{p}-key", "aws:kms/key:Key").outputs["arn"] for p in ("crm", "trading", "cache")
    }
    api, reports = statements("api"), statements("reports")
    assert len(api["ReadRuntimeSecrets"]["Resource"]) == 2  # the trading database's and the cache's
    assert api["DecryptSecretsViaStores"]["Resource"] == [key["trading"], key["cache"]]
    assert len(reports["ReadRuntimeSecrets"]["Resource"]) == 1  # the crm database's only
    assert reports["DecryptSecretsViaStores"]["Resource"] == [key["crm"]]


def test_service_receives_each_entitys_manifest_from_ssm(recording: Recording) -> None:
    task = recording.named("eu-api-task", "aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
    parameter = recording.named("eu-routing-ssm-cysec-cy", "aws:ssm/parameter:Parameter")
    assert secrets["FINTECH_ROUTING_CYSEC_CY"] == parameter.outputs["arn"]
    # A SecureString under the platform key: the execution role (which ECS uses to inject it) may decrypt it via SSM.
    platform = recording.named("eu-keys-platform-key").outputs["arn"]
    assert parameter.inputs["keyId"] == platform
    execution = _policy(recording, "eu-api-execution-policy")
    assert parameter.outputs["arn"] in execution["ReadInjectedSecrets"]["Resource"]
    assert platform in execution["DecryptSecretsViaStores"]["Resource"]
    assert (
        "ssm.eu-central-1.amazonaws.com"
        in execution["DecryptSecretsViaStores"]["Condition"]["StringEquals"]["kms:ViaService"]
    )


def test_warm_standby_in_the_dr_region(recording: Recording) -> None:
    services = {r.name: r for r in recording.of_type("aws:ecs/service:Service")}
    assert services["eu-api-service"].region == "eu-central-1"
    assert services["eu-api-service"].inputs["desiredCount"] == 2
    assert services["eu-dr-api-service"].region == "eu-west-1"
    assert services["eu-dr-api-service"].inputs["desiredCount"] == 1
    albs = sorted(r.region or "" for r in recording.of_type("aws:lb/loadBalancer:LoadBalancer"))
    assert albs == ["eu-central-1", "eu-west-1"]


def test_dr_manifest_points_at_dr_endpoints_only(recording: Recording) -> None:
    parameter = recording.named("eu-dr-routing-ssm-cysec-cy", "aws:ssm/parameter:Parameter")
    document = json.loads(parameter.inputs["value"]["value"])
    assert parameter.region == "eu-west-1"
    assert document["role"] == "dr"
    # The warm-standby cache in the DR region, with its own credentials there.
    standby = recording.named("eu-dr-cache-cache", "aws:elasticache/replicationGroup:ReplicationGroup")
    assert standby.region == "eu-west-1"
    assert document["cache"]["primary"] == standby.outputs["primaryEndpointAddress"]
    assert document["cache"]["auth_secret_arn"].startswith("arn:aws:secretsmanager:eu-west-1:")
    assert sorted(document["databases"]) == ["crm", "trading"]
    # RDS-managed passwords cannot be replicated: no secret in the DR manifest until the DR runbook restores one.
    assert {concern: route["secret_arn"] for concern, route in document["databases"].items()} == {
        "crm": None,
        "trading": None,
    }


def _policy(recording: Recording, name: str) -> dict[str, Any]:
    policy = recording.named(name, "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    return {statement["Sid"]: statement for statement in json.loads(policy)["Statement"]}


def test_the_standby_reads_dr_replicas_under_dr_keys_and_pulls_from_the_dr_registry(
    global_recording: Recording,
) -> None:
    recording = global_recording
    replica = recording.named("eu-trading-master-secret", "aws:secretsmanager/secret:Secret").outputs["arn"]
    dr_replica = replica.replace(":eu-central-1:", ":eu-west-1:")
    task = _policy(recording, "eu-dr-api-task-policy")
    # trading's Aurora secret is replicated; crm's RDS-managed one is not; the standby cache has its own.
    standby_secret = recording.named("eu-dr-cache-auth-secret", "aws:secretsmanager/secret:Secret").outputs["arn"]
    assert task["ReadRuntimeSecrets"]["Resource"] == [dr_replica, standby_secret]
    dr_key = recording.named("eu-dr-keys-trading-key", "aws:kms/key:Key").outputs["arn"]
    dr_cache_key = recording.named("eu-dr-keys-cache-key", "aws:kms/key:Key").outputs["arn"]
    assert task["DecryptSecretsViaStores"]["Resource"] == [dr_key, dr_cache_key]
    assert task["DecryptSecretsViaStores"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "secretsmanager.eu-west-1.amazonaws.com",
        "ssm.eu-west-1.amazonaws.com",
    ]
    execution = _policy(recording, "eu-dr-api-execution-policy")
    assert execution["PullOwnImage"]["Resource"] == "arn:aws:ecr:eu-west-1:111111111111:repository/api"
    (container,) = json.loads(recording.named("eu-dr-api-task").inputs["containerDefinitions"])
    assert container["image"] == IMAGE.replace(".eu-central-1.", ".eu-west-1.")
    document = json.loads(recording.named("eu-dr-routing-ssm-cysec-cy").inputs["value"]["value"])
    assert document["databases"]["trading"]["secret_arn"] == dr_replica
    # The primary region keeps reading the primary secrets under the primary keys.
    primary = _policy(recording, "eu-api-task-policy")
    assert replica in primary["ReadRuntimeSecrets"]["Resource"]


def test_the_primary_registry_replicates_the_services_repositories_to_the_dr_region_only(
    recording: Recording,
) -> None:
    replication = recording.named("eu-ecr-replication", "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    assert replication.region == "eu-central-1"
    assert replication.inputs["replicationConfiguration"] == {
        "rules": [
            {
                "destinations": [{"region": "eu-west-1", "registryId": "111111111111"}],
                "repositoryFilters": [{"filter": "api", "filterType": "PREFIX_MATCH"}],
            }
        ]
    }


def test_a_dr_cell_refuses_an_image_ecr_cannot_replicate_before_anything_registers() -> None:
    config = _cell(
        compute={"kind": "ecs", "services": [{"name": "api", "image": "docker.io/acme/api:1.2", "concerns": ["crm"]}]}
    )
    errors: list[str] = []

    def program() -> None:
        try:
            _program(config)
        except ConfigError as error:
            errors.append(str(error))

    recording = synthesize(program, stack="staging")
    assert errors == [
        "cells.eu.compute.services[0].image: 'docker.io/acme/api:1.2' is not an ECR image of this account in "
        "eu-central-1; allowed: 111111111111.dkr.ecr.eu-central-1.amazonaws.com/<repository>@sha256:<digest> "
        "(a cell with a DR region runs its standby from the DR region's registry, which ECR replication fills "
        "from this account's registry in the primary region only)"
    ]
    assert [r for r in recording if r.custom] == []


def test_export_feeds_the_global_stack(recording: Recording) -> None:
    export = recording.exports["cell"]
    assert export["jurisdiction"] == "cysec"
    assert export["primary"]["region"] == "eu-central-1"
    assert export["dr"]["region"] == "eu-west-1"
    assert export["primary"]["alb_dns_name"].endswith("eu-central-1.elb.amazonaws.com")
    assert export["dr"]["alb_dns_name"].endswith("eu-west-1.elb.amazonaws.com")
    assert export["primary"]["certificate_validation_records"][0]["type"] == "CNAME"
    assert export["parameters"] == {"cysec-cy": "/fintech-infra/eu/routing/cysec-cy"}
    assert export["entities"][0]["hostname"] == "api.cy.example.com"
    assert set(export["keys"]) == {"crm", "trading", "audit", "logs", "platform", "cache", "backup"}
    assert set(export["recovery"]) == {"crm", "trading"}
    assert set(JurisdictionCell.OUTPUTS) >= {"routing", "primary_edge", "dr_edge", "key_arns"}


def _refused(config: CellConfig, rules: Any) -> tuple[list[str], Recording]:
    errors: list[str] = []

    def program() -> None:
        try:
            JurisdictionCell("eu", config, jurisdiction=rules, environment="prod", deployment=None)
        except ConfigError as error:
            errors.append(f"{type(error).__name__}: {error}")

    return errors, synthesize(program)


def test_forbidden_primary_region_is_refused_before_anything_registers() -> None:
    errors, recording = _refused(_cell(primary_region="us-east-1"), DEFAULT_REGISTRY["cysec"])
    assert errors == [
        "ResidencyError: cells.eu.primary_region: 'us-east-1' is not permitted for cysec; "
        "allowed: eu-central-1, eu-south-1, eu-west-1"
    ]
    assert list(recording) == []


def test_forbidden_dr_region_is_refused_before_anything_registers() -> None:
    errors, recording = _refused(_cell(dr_region="eu-west-2"), DEFAULT_REGISTRY["cysec"])
    assert errors == [
        "ResidencyError: cells.eu.dr_region: 'eu-west-2' is not permitted for cysec; "
        "allowed: eu-central-1, eu-south-1, eu-west-1"
    ]
    assert list(recording) == []


def test_dr_zone_outside_the_dr_region_is_refused() -> None:
    config = _cell(dr_vpc={"cidr": "10.99.0.0/16", "availability_zones": ["eu-west-1a", "eu-central-1b"]})
    errors, recording = _refused(config, DEFAULT_REGISTRY["cysec"])
    assert errors == [
        "ResidencyError: cells.eu.dr_vpc.availability_zones[1]: 'eu-central-1b' is outside the cell's DR region "
        "'eu-west-1'; allowed: availability zones of eu-west-1"
    ]
    assert list(recording) == []


def test_rules_of_another_jurisdiction_are_refused() -> None:
    errors, recording = _refused(_cell(), DEFAULT_REGISTRY["asic"])
    assert errors == [
        "ConfigError: cells.eu.jurisdiction: 'cysec' does not match the rules passed for 'asic'; allowed: asic"
    ]
    assert list(recording) == []


def test_also_regulated_by_intersection() -> None:
    rules = effective_jurisdiction("eu", _cell(also_regulated_by=["eu-gdpr"]), DEFAULT_REGISTRY)
    assert rules.code == "cysec"
    assert rules.primary_regions == ("eu-central-1", "eu-south-1", "eu-west-1")
    assert rules.min_audit_log_retention_days == 1825
    with pytest.raises(ResidencyError) as raised:
        effective_jurisdiction("eu", _cell(also_regulated_by=["asic"]), DEFAULT_REGISTRY)
    assert str(raised.value) == (
        "cells.eu.also_regulated_by: ['asic'] leaves no region all of them permit; "
        "allowed: jurisdictions whose regions overlap cysec's"
    )
    with pytest.raises(ConfigError) as unknown:
        effective_jurisdiction("eu", _cell(also_regulated_by=["mas"]), DEFAULT_REGISTRY)
    assert str(unknown.value).startswith("cells.eu.also_regulated_by[0]: 'mas' is not a known jurisdiction; allowed: ")


def test_dr_vpc_defaults_to_the_next_block() -> None:
    settings = dr_vpc_settings("eu", _cell())
    assert settings.cidr == ipaddress.IPv4Network("10.31.0.0/16")
    assert settings.az_count == 2
    explicit = dr_vpc_settings("eu", _cell(dr_vpc={"cidr": "10.99.0.0/16"}))
    assert explicit.cidr == ipaddress.IPv4Network("10.99.0.0/16")
    with pytest.raises(ConfigError) as raised:
        dr_vpc_settings("eu", _cell(vpc={"cidr": "10.255.0.0/16"}))
    assert str(raised.value) == (
        "cells.eu.dr_vpc: None cannot be derived from vpc.cidr '10.255.0.0/16'; "
        "allowed: an explicit dr_vpc with its own cidr"
    )


def _eks_program() -> None:
    config = _cell(
        dr_region=None,
        compute={"kind": "eks", "node_min": 2, "node_max": 3},
        concerns=[
            {
                "concern": "crm",
                "instance_class": "db.t4g.medium",
                "objectives": {"rpo_seconds": 86400, "rto_seconds": 86400, "scope": "zone"},
            }
        ],
    )
    _program(config)


@pytest.fixture(scope="module")
def eks_recording() -> Recording:
    return synthesize(_eks_program, stack="staging")


def test_eks_cell_databases_admit_the_concern_namespace_pods(eks_recording: Recording) -> None:
    cluster: RecordedResource = eks_recording.named("eu-eks-cluster", "aws:eks/cluster:Cluster")
    pods = eks_recording.named("eu-pods-crm-sg", SG)
    (rule,) = rules_of(eks_recording, eks_recording.named("eu-crm-sg", SG).outputs["id"])
    assert rule.name == "eu-crm-sg-from-pods-crm"
    # The crm namespace's pods wear their own group (security groups for pods), not the nodes' cluster group.
    assert rule.inputs["referencedSecurityGroupId"] == pods.outputs["id"]
    assert rule.inputs["referencedSecurityGroupId"] != cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert pods.urn in rule.property_dependencies["referencedSecurityGroupId"]
    maps = [
        m
        for m in eks_recording.of_type("kubernetes:core/v1:ConfigMap")
        if m.inputs["metadata"]["name"] == "routing-manifest"
    ]
    assert [m.inputs["metadata"]["namespace"] for m in maps] == ["crm"]
    assert eks_recording.of_type("aws:ecs/service:Service") == []
    assert eks_recording.exports["cell"]["dr"] is None
    assert [p.region for p in eks_recording.of_type("pulumi:providers:aws")] == ["eu-central-1"]


def test_provider_without_identity_or_with_instance_metadata() -> None:
    def program() -> None:
        regional_provider("ambient", region="eu-west-1", identity=None)
        regional_provider(
            "runner",
            region="eu-west-1",
            identity=DeploymentIdentity(account_id="111111111111", use_instance_metadata=True),
        )

    providers = {p.name: p.inputs for p in synthesize(program).of_type("pulumi:providers:aws")}
    assert "assumeRoles" not in providers["ambient"] and "allowedAccountIds" not in providers["ambient"]
    assert providers["ambient"]["skipMetadataApiCheck"] in (True, "true")
    assert "assumeRoles" not in providers["runner"]
    assert providers["runner"]["skipMetadataApiCheck"] in (False, "false")
    assert json.loads(providers["runner"]["allowedAccountIds"]) == ["111111111111"]


def test_cache_and_migration_secrets_rotate_and_rds_managed_passwords_need_no_function(recording: Recording) -> None:
    function = recording.named("eu-cache-rotation-function", "aws:lambda/function:Function")
    assert function.region == "eu-central-1"
    private = [r.outputs["id"] for r in recording.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name]
    private = [i for i in private if i.startswith("eu-vpc-")]
    assert sorted(function.inputs["vpcConfig"]["subnetIds"]) == sorted(private)
    key = recording.named("eu-keys-cache-key", "aws:kms/key:Key").outputs["arn"]
    assert function.inputs["kmsKeyArn"] == key
    rotation = recording.named("eu-cache-auth-rotation")
    assert rotation.inputs["rotationLambdaArn"] == function.outputs["arn"]
    # crm and trading are RDS instances: RDS keeps and rotates their master passwords. Their PostgreSQL functions
    # rotate the migration roles' secrets only.
    applications = recording.of_type("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert sorted(a.name for a in applications) == ["eu-crm-rotation-app", "eu-trading-rotation-app"]
    # The standby cache's secret rotates in the DR region, by a function there.
    assert sorted(r.name for r in recording.of_type("aws:secretsmanager/secretRotation:SecretRotation")) == [
        "eu-cache-auth-rotation",
        "eu-dr-cache-auth-rotation",
        "eu-migrate-crm-credentials-rotation",
        "eu-migrate-trading-credentials-rotation",
    ]
    assert recording.named("eu-dr-cache-rotation-function", "aws:lambda/function:Function").region == "eu-west-1"
    # Backups replication only: no DR copy to back up in the DR region.
    assert not [r for r in recording if r.name == "eu-backup-dr-plan"]


@pytest.fixture(scope="module")
def global_recording() -> Recording:
    config = _cell(
        concerns=[
            {"concern": "trading", "engine": "aurora", "objectives": {"rpo_seconds": 60, "rto_seconds": 900}},
            {
                "concern": "crm",
                "instance_class": "db.t4g.medium",
                "dr_read_replica": True,
                "objectives": {"rpo_seconds": 900, "rto_seconds": 14400},
            },
        ]
    )
    return synthesize(lambda: _program(config), stack="staging")


def test_global_database_secret_rotates_in_the_primary_region(global_recording: Recording) -> None:
    app = global_recording.named("eu-trading-rotation-app")
    assert app.region == "eu-central-1"
    params = app.inputs["parameters"]
    assert params["kmsKeyArn"] == global_recording.named("eu-keys-trading-key", "aws:kms/key:Key").outputs["arn"]
    assert params["vpcSubnetIds"].count("eu-vpc-private-") == 2
    function_sg = global_recording.named("eu-trading-rotation-sg", SG).outputs["id"]
    trading = global_recording.named("eu-trading-sg", SG).outputs["id"]
    clients = _group_ids(global_recording, "eu-api-sg", "eu-migrate-trading-sg")
    assert admitted(global_recording, trading) == sorted([*clients, function_sg])
    # One function per concern and key rotates the master secret and the migration secret.
    for secret in ("eu-trading-master-rotation", "eu-migrate-trading-credentials-rotation"):
        assert app.urn in global_recording.named(secret).property_dependencies["rotationLambdaArn"]
    # crm keeps its RDS-managed password: its function rotates the migration secret alone.
    crm_app = global_recording.named("eu-crm-rotation-app")
    rotated = [
        r.name
        for r in global_recording.of_type("aws:secretsmanager/secretRotation:SecretRotation")
        if crm_app.urn in r.property_dependencies["rotationLambdaArn"]
    ]
    assert rotated == ["eu-migrate-crm-credentials-rotation"]


def test_dr_copies_are_selected_by_a_dr_region_backup_plan(global_recording: Recording) -> None:
    selection = global_recording.named("eu-backup-dr-selection")
    assert selection.region == "eu-west-1"
    expected = [
        global_recording.named("eu-trading-dr-cluster", "aws:rds/cluster:Cluster").outputs["arn"],
        global_recording.named("eu-crm-dr-replica", "aws:rds/instance:Instance").outputs["arn"],
    ]
    assert selection.inputs["resources"] == expected
    (rule,) = global_recording.named("eu-backup-dr-plan").inputs["rules"]
    assert rule["targetVaultName"] == "eu-backup-dr-vault" and rule["lifecycle"]["deleteAfter"] >= 90


def test_a_cells_maintenance_settings_reach_every_database_and_the_cache() -> None:
    crm = {
        "concern": "crm",
        "instance_class": "db.t4g.medium",
        "dr_read_replica": True,
        "objectives": {"rpo_seconds": 86400, "rto_seconds": 86400},
    }
    config = _cell(
        concerns=[crm],
        maintenance={"backup_window": "00:00-00:30", "cache_maintenance_window": "wed:01:00-wed:02:00"},
        dr_maintenance={"maintenance_window": "sun:03:00-sun:03:30"},
    )
    recording = synthesize(lambda: _program(config), stack="staging")
    primary = recording.named("eu-crm-db").inputs
    assert (primary["backupWindow"], primary["maintenanceWindow"]) == ("00:00-00:30", "mon:02:00-mon:03:00")
    cache = recording.named("eu-cache-cache").inputs
    assert (cache["snapshotWindow"], cache["maintenanceWindow"]) == ("01:00-02:00", "wed:01:00-wed:02:00")
    # The DR copy takes dr_maintenance, and its own region's night for what that leaves unset.
    replica = recording.named("eu-crm-dr-replica")
    assert replica.region == "eu-west-1"
    assert (replica.inputs["backupWindow"], replica.inputs["maintenanceWindow"]) == (
        "02:00-03:00",
        "sun:03:00-sun:03:30",
    )
