"""FinancialDatabase under the mock engine: four concerns, four keys, four security groups, DR per mode."""

from __future__ import annotations

import json
import types

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra._tags import apply_tag_convention
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.config import AlarmSettings, DatabaseSettings, RecoveryObjectives
from fintech_infra.database import FinancialDatabase
from fintech_infra.errors import ConfigError, ResidencyError
from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.testing import synthesize
from fintech_infra.validation import load_stack_config
from fintech_infra.wiring import DataNetwork, DrPlacement, KeyRef
from tests.components.helpers import admitted, rules_of

CYSEC = DEFAULT_REGISTRY["cysec"]
TIGHT = RecoveryObjectives(rpo_seconds=60, rto_seconds=900)
LOOSE = RecoveryObjectives(rpo_seconds=900, rto_seconds=4 * 3600)
CONCERNS = {
    "crm": DatabaseSettings(concern="crm", objectives=LOOSE, read_replicas=1, dr_read_replica=True),
    "trading": DatabaseSettings(concern="trading", engine="aurora", objectives=TIGHT),
    "payments": DatabaseSettings(concern="payments", engine="aurora", objectives=TIGHT, aurora_instances=3),
    "audit": DatabaseSettings(concern="audit", objectives=LOOSE, dr_read_replica=False),
}
INSTANCE, CLUSTER = "aws:rds/instance:Instance", "aws:rds/cluster:Cluster"
TOPIC, DR_TOPIC = "arn:aws:sns:eu-central-1:123456789012:alarms", "arn:aws:sns:eu-west-1:123456789012:alarms"
ROUTE, DR_ROUTE = AlertRoute(critical=TOPIC, warning=TOPIC), AlertRoute(critical=DR_TOPIC, warning=DR_TOPIC)
SG = "aws:ec2/securityGroup:SecurityGroup"


def _network(vpc: str, subnets: list[str], clients: list[pulumi.Input[str]]) -> DataNetwork:
    """The data network admitting ``clients`` as ``app`` (and ``app-2``, ...): one service per group."""
    labels = ["app", *(f"app-{n}" for n in range(2, len(clients) + 1))]
    return DataNetwork(
        vpc_id=vpc, subnet_ids=subnets, client_security_group_ids=dict(zip(labels, clients, strict=True))
    )


def _os_metrics(provider: pulumi.ProviderResource | None = None, suffix: str = "") -> aws.cloudwatch.LogGroup:
    """The region's RDSOSMetrics group: one per account and region, so a database's caller creates it first."""
    return aws.cloudwatch.LogGroup(
        f"rds-os-metrics{suffix}", name="RDSOSMetrics", opts=pulumi.ResourceOptions(provider=provider)
    )


def program() -> None:
    apply_tag_convention(environment="prod", owner="data", cost_center="cc-1", compliance_scope="pci-dss")
    dr_provider = aws.Provider("dr", region="eu-west-1")
    monitoring = [_os_metrics(), _os_metrics(dr_provider, "-dr")]
    app_sg = aws.ec2.SecurityGroup("app", vpc_id="vpc-primary", description="app tier")
    dr_app_sg = aws.ec2.SecurityGroup(
        "dr-app", vpc_id="vpc-dr", description="app tier", opts=pulumi.ResourceOptions(provider=dr_provider)
    )
    topic = "arn:aws:sns:eu-central-1:123456789012:alarms"
    for concern, settings in CONCERNS.items():
        key = aws.kms.Key(f"key-{concern}", description=concern)
        dr_key = aws.kms.Key(
            f"dr-key-{concern}", description=concern, opts=pulumi.ResourceOptions(provider=dr_provider)
        )
        dr = DrPlacement(
            region="eu-west-1",
            provider=dr_provider,
            key=KeyRef(arn=dr_key.arn, alias=f"alias/eu/{concern}"),
            network=_network("vpc-dr", ["subnet-dr-a", "subnet-dr-b"], [dr_app_sg.id]),
        )
        db = FinancialDatabase(
            f"eu-{concern}",
            settings,
            cell="eu",
            jurisdiction=CYSEC,
            network=_network("vpc-primary", ["subnet-a", "subnet-b", "subnet-c"], [app_sg.id]),
            key=KeyRef(arn=key.arn, alias=f"alias/eu/{concern}"),
            dr=dr,
            alert_route=AlertRoute(critical=topic, warning=topic),
            dr_alert_route=DR_ROUTE,
            monitoring_log_groups=monitoring,
            alarms=AlarmSettings(),
            availability_zones=["eu-central-1a", "eu-central-1b", "eu-central-1c"],
            config_path=f"cells.eu.concerns[{list(CONCERNS).index(concern)}]",
        )
        pulumi.export(concern, {k: getattr(db, k) for k in FinancialDatabase.OUTPUTS})
    # Without a DR region, zone-scoped objectives: the in-region mechanisms.
    zone = RecoveryObjectives(rpo_seconds=0, rto_seconds=300, scope="zone")
    for concern, engine in (("crm", "rds-instance"), ("trading", "aurora")):
        key = aws.kms.Key(f"local-key-{concern}", description=concern)
        db = FinancialDatabase(
            f"local-{concern}",
            DatabaseSettings(concern=concern, engine=engine, objectives=zone),
            cell="local",
            jurisdiction=CYSEC,
            network=_network("vpc-local", ["subnet-x", "subnet-y"], [app_sg.id]),
            key=KeyRef(arn=key.arn, alias=f"alias/local/{concern}"),
            alert_route=ROUTE,
            monitoring_log_groups=monitoring[:1],
        )
        pulumi.export(f"local-{concern}", {k: getattr(db, k) for k in FinancialDatabase.OUTPUTS})


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


def _key_arn(rec, name):
    return rec.named(name, "aws:kms/key:Key").outputs["arn"]


def test_four_concerns_yield_four_databases_four_keys_four_security_groups(rec) -> None:
    primaries = [rec.named(f"eu-{c}-db", INSTANCE) for c in ("crm", "audit")]
    primaries += [rec.named(f"eu-{c}-cluster", CLUSTER) for c in ("trading", "payments")]
    keys = {db.inputs["kmsKeyId"] for db in primaries}
    assert keys == {_key_arn(rec, f"key-{c}") for c in CONCERNS} and len(keys) == 4
    groups = [rec.named(f"eu-{c}-sg", SG) for c in CONCERNS]
    assert len({g.urn for g in groups}) == 4
    for concern in CONCERNS:
        db_sgs = rec.named(f"eu-{concern}-db" if concern in ("crm", "audit") else f"eu-{concern}-cluster").inputs[
            "vpcSecurityGroupIds"
        ]
        assert db_sgs == [rec.named(f"eu-{concern}-sg", SG).outputs["id"]]


def test_security_group_admits_only_the_app_tier_on_5432(rec) -> None:
    app = rec.named("app", SG).outputs["id"]
    for concern in CONCERNS:
        sg = rec.named(f"eu-{concern}-sg", SG)
        # Standalone rules only: no inline block, and the provider removes AWS's default egress on creation.
        assert "ingress" not in sg.inputs and "egress" not in sg.inputs
        assert rules_of(rec, sg.outputs["id"], egress=True) == []
        (rule,) = rules_of(rec, sg.outputs["id"])
        assert rule.name == f"eu-{concern}-sg-from-app"
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (5432, 5432, "tcp")
        assert rule.inputs["referencedSecurityGroupId"] == app and not rule.inputs.get("cidrIpv4")
        assert rule.inputs["description"] and sg.inputs["description"]


def test_instance_properties(rec) -> None:
    db = rec.named("eu-crm-db", INSTANCE)
    key = _key_arn(rec, "key-crm")
    expected = {
        "engine": "postgres",
        "identifier": "eu-crm",
        "multiAz": True,
        "storageEncrypted": True,
        "kmsKeyId": key,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key,
        "performanceInsightsRetentionPeriod": 7,
        "monitoringInterval": 60,
        "monitoringRoleArn": rec.named("eu-crm-monitoring").outputs["arn"],
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "autoMinorVersionUpgrade": True,
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "backupRetentionPeriod": 35,
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "eu-crm-final",
        "deletionProtection": True,
        "publiclyAccessible": False,
        "iamDatabaseAuthenticationEnabled": True,
        "storageType": "gp3",
        "allocatedStorage": 100,
        "maxAllocatedStorage": 1000,
        "manageMasterUserPassword": True,
        "masterUserSecretKmsKeyId": key,
        "dbSubnetGroupName": "eu-crm",
        "parameterGroupName": "eu-crm-params-postgres16",
    }
    for name, value in expected.items():
        assert db.inputs[name] == value, name
    assert "password" not in db.inputs and "passwordWo" not in db.inputs
    assert db.protect and "snapshotIdentifier" in db.ignore_changes
    assert db.tags["DataConcern"] == "crm" and db.tags["Environment"] == "prod"


def test_subnet_group_and_parameter_group(rec) -> None:
    assert rec.named("eu-crm-subnets").inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    params = rec.named("eu-crm-params-postgres16")
    assert params.inputs["family"] == "postgres16"
    values = {p["name"]: p["value"] for p in params.inputs["parameters"]}
    assert values == {
        "rds.force_ssl": "1",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_statement": "ddl",
        "log_min_duration_statement": "1000",
    }
    audit = {p["name"]: p["value"] for p in rec.named("eu-audit-params-postgres16").inputs["parameters"]}
    assert audit["log_statement"] == "all"
    assert rec.named("eu-audit-db").inputs["parameterGroupName"] == "eu-audit-params-postgres16"
    assert rec.named("eu-crm-subnets").inputs["name"] == "eu-crm"


def test_monitoring_role_has_the_enhanced_monitoring_policy(rec) -> None:
    role = rec.named("eu-crm-monitoring")
    policy = json.loads(role.inputs["assumeRolePolicy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    # The confused-deputy condition AWS's enhanced-monitoring guide gives for this role.
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachment = rec.named("eu-crm-monitoring-policy")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_in_region_read_replica(rec) -> None:
    replica = rec.named("eu-crm-replica-1")
    assert replica.inputs["replicateSourceDb"] == "eu-crm"
    assert replica.inputs["storageEncrypted"] and replica.inputs["kmsKeyId"] == _key_arn(rec, "key-crm")
    assert replica.inputs["publiclyAccessible"] is False and replica.protect
    assert "replicateSourceDb" in replica.ignore_changes
    assert replica.region == "eu-central-1"


def test_read_replica_inherits_what_a_same_region_replica_must_and_sets_the_rest(rec) -> None:
    """aws_facts.RDS_READ_REPLICAS: no credentials, database name or backups of its own; the source's subnet group
    (not named, so RDS takes the source's) and security group; deletion protection and PI under the concern key."""
    replica, source = rec.named("eu-crm-replica-1"), rec.named("eu-crm-db")
    for inherited in ("username", "password", "dbName", "manageMasterUserPassword", "dbSubnetGroupName"):
        assert inherited not in replica.inputs, inherited
    assert replica.inputs.get("backupRetentionPeriod") in (None, 0)
    assert replica.inputs["vpcSecurityGroupIds"] == source.inputs["vpcSecurityGroupIds"]
    assert replica.inputs["deletionProtection"] is True and replica.inputs["skipFinalSnapshot"] is True
    assert replica.inputs["performanceInsightsEnabled"] is True
    assert replica.inputs["performanceInsightsKmsKeyId"] == _key_arn(rec, "key-crm")


def test_read_replicas_are_refused_for_aurora() -> None:
    with pytest.raises(ValueError, match="engine 'aurora' has no read replicas: its reader endpoint"):
        DatabaseSettings(concern="trading", engine="aurora", read_replicas=1)


def test_instance_dr_backups_replication_and_cross_region_replica(rec) -> None:
    primary = rec.named("eu-crm-db")
    replication = rec.named("eu-crm-dr-backups")
    assert replication.region == "eu-west-1" and replication.protect
    assert replication.inputs["sourceDbInstanceArn"] == primary.outputs["arn"]
    assert replication.inputs["kmsKeyId"] == _key_arn(rec, "dr-key-crm")
    assert replication.inputs["retentionPeriod"] == 35
    replica = rec.named("eu-crm-dr-replica")
    assert replica.region == "eu-west-1"
    assert replica.inputs["replicateSourceDb"] == primary.outputs["arn"]
    assert replica.inputs["kmsKeyId"] == _key_arn(rec, "dr-key-crm")
    assert replica.inputs["dbSubnetGroupName"] == "eu-crm-dr"
    assert replica.inputs["parameterGroupName"] == "eu-crm-dr-params-postgres16"
    assert rec.named("eu-crm-dr-subnets").region == "eu-west-1"
    assert rec.named("eu-crm-dr-subnets").inputs["subnetIds"] == ["subnet-dr-a", "subnet-dr-b"]
    dr_sg = rec.named("eu-crm-dr-sg", SG)
    assert admitted(rec, dr_sg.outputs["id"]) == [rec.named("dr-app", SG).outputs["id"]]
    assert rec.named("eu-crm-dr-sg-from-app").region == "eu-west-1"
    # The audit concern has no dr_read_replica: backups replication only.
    assert rec.named("eu-audit-dr-backups").region == "eu-west-1"
    assert not [r for r in rec if r.name == "eu-audit-dr-replica"]


def test_aurora_global_database(rec) -> None:
    glob = rec.named("eu-trading-global")
    assert glob.inputs["engine"] == "aurora-postgresql" and glob.inputs["storageEncrypted"] and glob.protect
    cluster = rec.named("eu-trading-cluster", CLUSTER)
    assert cluster.inputs["globalClusterIdentifier"] == glob.outputs["id"]
    assert cluster.inputs["kmsKeyId"] == _key_arn(rec, "key-trading")
    assert cluster.inputs["masterPasswordWoVersion"] == 1
    assert "manageMasterUserPassword" not in cluster.inputs
    assert cluster.inputs["deletionProtection"] and not cluster.inputs["skipFinalSnapshot"]
    assert cluster.inputs["finalSnapshotIdentifier"] == "eu-trading-final"
    assert cluster.inputs["backupRetentionPeriod"] == 35 and cluster.inputs["copyTagsToSnapshot"]
    assert cluster.inputs["iamDatabaseAuthenticationEnabled"] and cluster.inputs["storageEncrypted"]
    assert set(cluster.ignore_changes) >= {"globalClusterIdentifier", "snapshotIdentifier"} and cluster.protect
    secondary = rec.named("eu-trading-dr-cluster", CLUSTER)
    assert secondary.region == "eu-west-1"
    assert secondary.inputs["kmsKeyId"] == _key_arn(rec, "dr-key-trading")
    assert secondary.inputs["globalClusterIdentifier"] == glob.outputs["id"]
    assert "masterPasswordWo" not in secondary.inputs and secondary.protect
    assert [r.region for r in rec if r.name.startswith("eu-trading-dr-instance-")] == ["eu-west-1", "eu-west-1"]


def test_a_global_cluster_runs_a_full_version_its_members_copy_and_ignore(rec) -> None:
    """The provider keeps a global cluster's actual version, so it gets a full one; members ignore it (docs)."""
    assert rec.named("eu-trading-global").inputs["engineVersion"] == "16.8"
    for member in ("eu-trading-cluster", "eu-trading-dr-cluster"):
        cluster = rec.named(member, CLUSTER)
        assert cluster.inputs["engineVersion"] == "16.8" and "engineVersion" in cluster.ignore_changes
    instances = [r for r in rec.of_type("aws:rds/clusterInstance:ClusterInstance") if r.name.startswith("eu-trading")]
    assert len(instances) == 4 and all("engineVersion" not in i.inputs for i in instances)


def test_standalone_databases_take_the_major_and_let_rds_manage_minors(rec) -> None:
    cluster = rec.named("local-trading-cluster", CLUSTER)
    assert cluster.inputs["engineVersion"] == "16" and "engineVersion" not in cluster.ignore_changes
    instance = rec.named("local-crm-db", INSTANCE)
    assert instance.inputs["engineVersion"] == "16" and instance.inputs["autoMinorVersionUpgrade"] is True


def test_global_cluster_password_is_write_only_secret_and_replicated(rec) -> None:
    cluster = rec.named("eu-trading-cluster", CLUSTER)
    secret_sig = "4dabf18193072939515e22adb298388d"
    raw = cluster.raw_inputs.fields["masterPasswordWo"].struct_value
    assert secret_sig in raw.fields  # stored as a Pulumi secret, never plaintext
    version = rec.named("eu-trading-master-version")
    assert version.inputs["secretStringWoVersion"] == 1
    assert secret_sig in version.raw_inputs.fields["secretStringWo"].struct_value.fields
    assert "secretString" not in version.inputs
    secret = rec.named("eu-trading-master-secret")
    assert secret.inputs["kmsKeyId"] == _key_arn(rec, "key-trading")
    assert secret.inputs["replicas"] == [{"region": "eu-west-1", "kmsKeyId": _key_arn(rec, "dr-key-trading")}]
    assert rec.exports["trading"]["master_secret_arn"] == secret.outputs["arn"]
    plaintext = "Mock-Passw0rd-Not-A-Secret-0000"
    assert plaintext not in json.dumps(rec.exports, default=str)


def test_aurora_instances_spread_across_azs_with_insights_and_monitoring(rec) -> None:
    instances = sorted((r for r in rec if r.name.startswith("eu-payments-instance-")), key=lambda r: r.name)
    assert [i.inputs["availabilityZone"] for i in instances] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    for instance in instances:
        assert instance.inputs["performanceInsightsEnabled"]
        assert instance.inputs["performanceInsightsKmsKeyId"] == _key_arn(rec, "key-payments")
        assert instance.inputs["monitoringInterval"] == 60 and instance.inputs["monitoringRoleArn"]
        assert instance.inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert instance.inputs["publiclyAccessible"] is False and instance.protect
    params = rec.named("eu-payments-params-aurora-postgresql16")
    assert params.type == "aws:rds/clusterParameterGroup:ClusterParameterGroup"
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"} in params.inputs["parameters"]


def test_aurora_without_dr_uses_the_managed_password(rec) -> None:
    cluster = rec.named("local-trading-cluster", CLUSTER)
    assert cluster.inputs["manageMasterUserPassword"] is True
    assert cluster.inputs["masterUserSecretKmsKeyId"] == _key_arn(rec, "local-key-trading")
    assert "globalClusterIdentifier" not in cluster.inputs and "masterPasswordWo" not in cluster.inputs
    zones = {r.name: r.inputs["availabilityZone"] for r in rec if r.name.startswith("local-trading-instance-")}
    assert zones == {"local-trading-instance-1": "eu-central-1a", "local-trading-instance-2": "eu-central-1b"}


def test_recovery_outputs(rec) -> None:
    trading, crm = rec.exports["trading"], rec.exports["crm"]
    assert trading["recovery_mechanism"] == "aurora-global-database"
    assert (trading["expected_rpo_seconds"], trading["expected_rto_seconds"]) == (1, 60)
    assert "aurora-global-database.html" in trading["recovery_evidence"]
    assert trading["dr_endpoint"] == rec.named("eu-trading-dr-cluster").outputs["readerEndpoint"]
    # The replica promotes in minutes and its lag alarm bounds the RPO: the fastest mechanism that meets both.
    assert crm["recovery_mechanism"] == "cross-region-read-replica"
    assert (crm["expected_rpo_seconds"], crm["expected_rto_seconds"]) == (900, 300)
    assert crm["dr_mechanisms"] == ["automated-backups-replication", "cross-region-read-replica"]
    assert crm["dr_endpoint"] == rec.named("eu-crm-dr-replica").outputs["address"]
    assert crm["reader_endpoint"] == rec.named("eu-crm-replica-1").outputs["address"]
    assert crm["resource_arn"] == rec.named("eu-crm-db").outputs["arn"] and crm["port"] == 5432
    assert crm["master_secret_arn"].startswith("arn:aws:secretsmanager:eu-central-1:")
    assert rec.exports["audit"]["dr_endpoint"] is None
    assert rec.exports["local-crm"]["recovery_mechanism"] == "multi-az-instance"
    assert rec.exports["local-crm"]["dr_endpoint"] is None and rec.exports["local-crm"]["dr_mechanisms"] == []
    assert rec.exports["local-trading"]["recovery_mechanism"] == "aurora-multi-az-cluster"


def test_database_alarms(rec) -> None:
    connections = rec.named("eu-crm-connections")
    # db.r6g.large: LEAST((16 GiB - the estimated RDS reserve) / 9531392, 5000) = 1733; 80 % -> 1386.
    assert connections.inputs["threshold"] == 1386 and connections.inputs["metricName"] == "DatabaseConnections"
    assert connections.inputs["dimensions"] == {"DBInstanceIdentifier": "eu-crm"}
    assert connections.inputs["alarmActions"] == ["arn:aws:sns:eu-central-1:123456789012:alarms"]
    assert rec.named("eu-crm-cpu").inputs["threshold"] == 80
    storage = rec.named("eu-crm-free-storage")
    assert storage.inputs["threshold"] == 100 * 1024**3 * 10 // 100
    assert storage.inputs["comparisonOperator"] == "LessThanThreshold"
    lag = rec.named("eu-crm-replica-1-lag")
    assert lag.inputs["metricName"] == "ReplicaLag" and lag.inputs["threshold"] == 900  # the declared RPO
    dr_lag = rec.named("eu-crm-dr-replica-lag")
    assert dr_lag.region == "eu-west-1" and dr_lag.inputs["alarmActions"] == [
        "arn:aws:sns:eu-west-1:123456789012:alarms"
    ]
    global_lag = rec.named("eu-trading-global-lag")
    assert global_lag.inputs["metricName"] == "AuroraGlobalDBReplicationLag" and global_lag.inputs["threshold"] == 60000
    assert global_lag.region == "eu-west-1"
    assert len([r for r in rec if r.name.startswith("eu-payments-connections-")]) == 3


# -- bad input: one clear error, nothing registered ----------------------------------------------------


def _build_plain(settings: DatabaseSettings, *, dr_region: str | None) -> None:
    dr = None
    if dr_region is not None:
        provider = aws.Provider("dr", region=dr_region)
        dr = DrPlacement(
            region=dr_region,
            provider=provider,
            key=KeyRef(arn="arn:aws:kms:x:123456789012:key/dr", alias="alias/eu/dr"),
            network=_network("vpc-dr", ["s-1"], ["sg-1"]),
        )
    FinancialDatabase(
        "eu-payments",
        settings,
        cell="eu",
        jurisdiction=CYSEC,
        network=_network("vpc-1", ["s-1", "s-2"], ["sg-app"]),
        key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/eu/payments"),
        alert_route=ROUTE,
        dr=dr,
        config_path="cells.eu.concerns[2]",
    )


def _registers_nothing(build) -> str:
    caught: list[str] = []

    def guarded() -> None:
        try:
            build()
        except ConfigError as error:
            caught.append(str(error))

    recording = synthesize(guarded)
    assert recording.custom_resources() == []
    assert [r for r in recording if r.type.startswith("fintech:")] == []
    assert len(caught) == 1
    return caught[0]


def test_disallowed_dr_region_fails_and_registers_nothing() -> None:
    settings = DatabaseSettings(concern="payments", engine="aurora", objectives=TIGHT)
    message = "cells.eu.dr_region: 'us-east-1' is not permitted for cysec; allowed: eu-central-1, eu-south-1, eu-west-1"
    with pytest.raises(ResidencyError) as caught:
        synthesize(lambda: _build_plain(settings, dr_region="us-east-1"))
    assert str(caught.value) == message
    assert _registers_nothing(lambda: _build_plain(settings, dr_region="us-east-1")) == message


def test_impossible_rpo_fails_and_registers_nothing() -> None:
    settings = DatabaseSettings(concern="payments", objectives=TIGHT)
    message = _registers_nothing(lambda: _build_plain(settings, dr_region="eu-west-1"))
    assert message == (
        "cells.eu.concerns[2].objectives.rpo_seconds: 60 cannot be met by engine: rds-instance with a dr_region "
        "(automated-backups-replication (RPO ~300 s, RTO ~14400 s)); would meet it: engine: aurora with a "
        "dr_region (Aurora Global Database) -> aurora-global-database (RPO ~1 s, RTO ~60 s)"
    )
    with pytest.raises(ConfigError, match=r"^cells\.eu\.concerns\[2\]\.objectives\.rpo_seconds: 60 cannot"):
        synthesize(lambda: _build_plain(settings, dr_region="eu-west-1"))


def test_region_objectives_without_dr_and_missing_objectives_fail() -> None:
    message = _registers_nothing(
        lambda: _build_plain(DatabaseSettings(concern="payments", objectives=LOOSE), dr_region=None)
    )
    assert message.startswith(
        "cells.eu.concerns[2].objectives.scope: 'region' needs a DR region, and cells.eu.dr_region"
    )
    message = _registers_nothing(lambda: _build_plain(DatabaseSettings(concern="payments"), dr_region=None))
    assert message.startswith("cells.eu.concerns[2].objectives: None is not allowed")


def test_duplicated_concern_fails_and_registers_nothing() -> None:
    raw = {
        "environment": "prod",
        "tags": {"owner": "data", "cost_center": "cc-1"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": "eu-central-1",
                "dr_region": "eu-west-1",
                "entities": [{"name": "cysec-cy", "legal_name": "Example CY Ltd", "hostname": "api.example.com"}],
                "concerns": [{"concern": "crm"}, {"concern": "crm"}],
            }
        },
    }

    def build() -> None:
        config = load_stack_config(raw)
        for database in config.cells["eu"].concerns:  # pragma: no cover - never reached
            _build_plain(database, dr_region="eu-west-1")

    message = _registers_nothing(build)
    assert message == (
        "invalid stack config: cells.eu.concerns[1].concern: 'crm' is listed twice (first at concerns[0]); "
        "each concern gets its own database"
    )


def test_dr_resource_arn_names_the_dr_copy_for_the_dr_backup_plan(rec) -> None:
    assert rec.exports["trading"]["dr_resource_arn"] == rec.named("eu-trading-dr-cluster", CLUSTER).outputs["arn"]
    assert rec.exports["crm"]["dr_resource_arn"] == rec.named("eu-crm-dr-replica", INSTANCE).outputs["arn"]
    # Backups replication only, or no DR region: nothing in the DR region to select.
    assert rec.exports["audit"]["dr_resource_arn"] is None
    assert rec.exports["local-trading"]["dr_resource_arn"] is None


def _rotated_program() -> None:
    from fintech_infra.rotation import RotationFunction

    dr_provider = aws.Provider("dr", region="eu-west-1")
    key = aws.kms.Key("key-trading", description="trading")
    dr_key = aws.kms.Key("dr-key-trading", description="trading", opts=pulumi.ResourceOptions(provider=dr_provider))
    logs = aws.kms.Key("key-logs", description="logs")
    ref = KeyRef(arn=key.arn, alias="alias/eu/trading")
    rotation = RotationFunction(
        "eu-trading-rotation",
        template="postgresql-single-user",
        subnet_ids=["subnet-private-a", "subnet-private-b"],
        vpc_id="vpc-primary",
        vpc_cidr="10.0.0.0/16",
        key=ref,
        logs_key=KeyRef(arn=logs.arn, alias="alias/eu/logs"),
        log_retention_days=1825,
    )
    FinancialDatabase(
        "eu-trading",
        CONCERNS["trading"],
        cell="eu",
        jurisdiction=CYSEC,
        network=_network("vpc-primary", ["subnet-a", "subnet-b"], ["sg-app"]),
        key=ref,
        dr=DrPlacement(
            region="eu-west-1",
            provider=dr_provider,
            key=KeyRef(arn=dr_key.arn, alias="alias/eu/trading"),
            network=_network("vpc-dr", ["subnet-dr-a", "subnet-dr-b"], ["sg-dr-app"]),
        ),
        alert_route=ROUTE,
        dr_alert_route=DR_ROUTE,
        monitoring_log_groups=[_os_metrics(), _os_metrics(dr_provider, "-dr")],
        availability_zones=["eu-central-1a", "eu-central-1b"],
        rotation=rotation,
    )


@pytest.fixture(scope="module")
def rotated():
    return synthesize(_rotated_program, config={"aws:region": "eu-central-1"})


def test_global_master_secret_rotates_through_the_postgresql_function(rotated) -> None:
    app = rotated.named("eu-trading-rotation-app")
    rotation = rotated.named("eu-trading-master-rotation")
    assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation.inputs["rotateImmediately"] is False
    assert rotation.inputs["secretId"] == rotated.named("eu-trading-master-secret").outputs["id"]
    assert app.urn in rotation.property_dependencies["rotationLambdaArn"]
    # Configured only once the writer instances, the first value and the function's network exist.
    waits = {rotated.named(f"eu-trading-instance-{n}").urn for n in (1, 2)}
    waits |= {rotated.named(n).urn for n in ("eu-trading-master-version", "eu-trading-rotation-egress")}
    assert waits <= set(rotation.depends_on)


def test_rotation_function_reaches_the_writer_and_only_it(rotated) -> None:
    function_sg = rotated.named("eu-trading-rotation-sg", SG).outputs["id"]
    db_sg = rotated.named("eu-trading-sg", SG)
    assert admitted(rotated, db_sg.outputs["id"]) == sorted(["sg-app", function_sg])
    assert rotated.named("eu-trading-sg-from-rotation").inputs["referencedSecurityGroupId"] == function_sg
    assert {rule.inputs["fromPort"] for rule in rules_of(rotated, db_sg.outputs["id"])} == {5432}
    egress = rotated.named("eu-trading-rotation-egress")
    assert egress.inputs["securityGroupId"] == function_sg
    assert egress.inputs["referencedSecurityGroupId"] == db_sg.outputs["id"]
    assert egress.inputs["fromPort"] == egress.inputs["toPort"] == 5432
    # The DR copy keeps admitting only the DR application tier: rotation runs in the primary region.
    assert admitted(rotated, rotated.named("eu-trading-dr-sg", SG).outputs["id"]) == ["sg-dr-app"]


def test_rotation_is_refused_where_rds_manages_the_password() -> None:
    # Only the template is read before the refusal; a stand-in keeps the recording empty.
    stand_in = types.SimpleNamespace(template="postgresql-single-user", security_group_id="sg-rotation")

    def build() -> None:
        FinancialDatabase(
            "eu-crm",
            DatabaseSettings(
                concern="crm", objectives=RecoveryObjectives(rpo_seconds=0, rto_seconds=300, scope="zone")
            ),
            cell="eu",
            jurisdiction=CYSEC,
            network=_network("vpc-1", ["s-1", "s-2"], ["sg-app"]),
            key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/eu/crm"),
            alert_route=ROUTE,
            rotation=stand_in,  # type: ignore[arg-type]
            config_path="cells.eu.concerns[0]",
        )

    assert _registers_nothing(build) == (
        "cells.eu.concerns[0].engine: 'rds-instance' without an Aurora global database has an RDS-managed master "
        "password, which RDS rotates itself; allowed: rotation only for engine 'aurora' with a DR region"
    )


# -- used standalone: objectives default from the stack's environment, alarms need a topic ---------------


def _standalone(
    environment: str,
    settings: DatabaseSettings,
    *,
    topic: str | None = TOPIC,
    dr_topic: str | None = None,
    with_dr: bool = False,
    with_monitoring: bool = True,
) -> None:
    apply_tag_convention(
        environment=environment, jurisdiction="cysec", owner="data", cost_center="cc-1", compliance_scope="pci-dss"
    )
    # The RDSOSMetrics groups are cloud resources of their own: the refusal tests, which require that nothing
    # is registered, leave them out (the database checks for them after everything else).
    dr = None
    dr_provider = aws.Provider("dr", region="eu-west-1") if with_dr else None
    monitoring = [_os_metrics(), *([_os_metrics(dr_provider, "-dr")] if with_dr else [])] if with_monitoring else []
    if with_dr:
        dr = DrPlacement(
            region="eu-west-1",
            provider=dr_provider,  # type: ignore[arg-type]  # set when with_dr
            key=KeyRef(arn="arn:aws:kms:eu-west-1:123456789012:key/dr", alias="alias/cy/payments"),
            network=_network("vpc-dr", ["s-dr-1", "s-dr-2"], ["sg-dr-app"]),
        )
    db = FinancialDatabase(
        "cy-payments",
        settings,
        cell="cy",
        jurisdiction=CYSEC,
        network=_network("vpc-1", ["s-1", "s-2"], ["sg-app"]),
        key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/cy/payments"),
        alert_route=None if topic is None else AlertRoute(critical=topic, warning=topic),  # type: ignore[arg-type]
        dr=dr,
        dr_alert_route=None if dr_topic is None else AlertRoute(critical=dr_topic, warning=dr_topic),
        monitoring_log_groups=monitoring,
    )
    pulumi.export("mechanism", db.recovery_mechanism)
    pulumi.export("objectives", db.settings.objectives.model_dump() if db.settings.objectives else None)


def test_standalone_objectives_default_to_the_environments() -> None:
    staging = synthesize(lambda: _standalone("staging", DatabaseSettings(concern="payments")))
    assert staging.exports["objectives"] == {"rpo_seconds": 86400, "rto_seconds": 86400, "scope": "zone"}
    assert staging.exports["mechanism"] == "multi-az-instance"
    assert staging.named("cy-payments-db", INSTANCE).tags["Jurisdiction"] == "cysec"
    prod = synthesize(
        lambda: _standalone(
            "prod", DatabaseSettings(concern="payments", engine="aurora"), with_dr=True, dr_topic=DR_TOPIC
        )
    )
    assert prod.exports["objectives"] == {"rpo_seconds": 60, "rto_seconds": 900, "scope": "region"}
    assert prod.exports["mechanism"] == "aurora-global-database"


def test_standalone_prod_without_dr_asks_for_dr_and_says_where_the_objectives_came_from() -> None:
    message = _registers_nothing(
        lambda: _standalone("prod", DatabaseSettings(concern="payments"), with_monitoring=False)
    )
    assert message == (
        "settings.objectives.scope: 'region' needs a DR region, and dr is not set; set dr to a region the "
        "jurisdiction permits, or set objectives.scope: zone to accept losing the data with the region "
        "(settings.objectives not given: the prod default for payments applies: RPO 60 s, RTO 900 s, scope 'region')"
    )


def test_a_database_without_an_alarm_topic_is_refused() -> None:
    message = _registers_nothing(
        lambda: _standalone("staging", DatabaseSettings(concern="payments"), topic=None, with_monitoring=False)
    )
    assert message == (
        "FinancialDatabase 'cy-payments': alert_route: None would leave its alarms notifying no one (the policy "
        "pack's cloudwatch-alarm-actions); allowed: the region's AlertTopics(...).route"
    )
    aurora_global = DatabaseSettings(concern="payments", engine="aurora")
    message = _registers_nothing(lambda: _standalone("prod", aurora_global, with_dr=True, with_monitoring=False))
    assert message == (
        "FinancialDatabase 'cy-payments': dr_alert_route: None would leave the alarms on its DR copy "
        "(aurora-global-database) notifying no one; allowed: the AlertTopics(...).route of eu-west-1"
    )


def test_a_database_without_its_regions_rds_os_metrics_group_is_refused() -> None:
    message = _registers_nothing(
        lambda: _standalone("staging", DatabaseSettings(concern="payments"), with_monitoring=False)
    )
    assert message == (
        "FinancialDatabase 'cy-payments': monitoring_log_groups: () would leave RDSOSMetrics to RDS, which creates "
        "it without a key and without expiry (the policy pack's rds-log-groups-precreated); allowed: the group of "
        "each region the database runs in, created first: encrypted_log_group(..., log_group_name='RDSOSMetrics')"
    )


def test_a_client_labelled_rotation_is_refused_when_the_rotation_function_is_admitted() -> None:
    stand_in = types.SimpleNamespace(template="postgresql-single-user", security_group_id="sg-rotation")

    def build() -> None:
        FinancialDatabase(
            "eu-trading",
            CONCERNS["trading"],
            cell="eu",
            jurisdiction=CYSEC,
            network=DataNetwork(vpc_id="vpc-1", subnet_ids=["s-1"], client_security_group_ids={"rotation": "sg-x"}),
            key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/eu/trading"),
            alert_route=ROUTE,
            dr=DrPlacement(
                region="eu-west-1",
                provider=aws.Provider("dr", region="eu-west-1"),
                key=KeyRef(arn="arn:aws:kms:eu-west-1:123456789012:key/dr", alias="alias/eu/trading"),
                network=_network("vpc-dr", ["s-dr"], ["sg-dr-app"]),
            ),
            rotation=stand_in,  # type: ignore[arg-type]
            config_path="cells.eu.concerns[1]",
        )

    assert _registers_nothing(build) == (
        "cells.eu.concerns[1]: a client labelled 'rotation' clashes with the rotation function's admission; "
        "allowed: any other client label (rename the service)"
    )


def test_client_labels_must_be_kebab_case_they_name_the_rules() -> None:
    def build() -> None:
        _build_plain_with_clients({"Bad Label": "sg-1"})

    assert _registers_nothing(build) == (
        "cells.eu.concerns[0].network.client_security_group_ids: labels ['Bad Label'] are not kebab-case; "
        "allowed: lowercase letters, digits and single hyphens (they name the ingress rules)"
    )


def _build_plain_with_clients(clients: dict[str, str]) -> None:
    FinancialDatabase(
        "eu-crm",
        DatabaseSettings(concern="crm", objectives=RecoveryObjectives(rpo_seconds=0, rto_seconds=300, scope="zone")),
        cell="eu",
        jurisdiction=CYSEC,
        network=DataNetwork(vpc_id="vpc-1", subnet_ids=["s-1", "s-2"], client_security_group_ids=clients),
        key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/eu/crm"),
        alert_route=ROUTE,
        config_path="cells.eu.concerns[0]",
    )


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@pytest.mark.parametrize(
    ("group", "name", "region", "key", "database"),
    [
        ("eu-crm-db-logs-postgresql", "/aws/rds/instance/eu-crm/postgresql", "eu-central-1", "key-crm", "eu-crm-db"),
        ("eu-crm-db-logs-upgrade", "/aws/rds/instance/eu-crm/upgrade", "eu-central-1", "key-crm", "eu-crm-db"),
        (
            "eu-crm-replica-1-logs-postgresql",
            "/aws/rds/instance/eu-crm-replica-1/postgresql",
            "eu-central-1",
            "key-crm",
            "eu-crm-replica-1",
        ),
        (
            "eu-crm-dr-replica-logs-upgrade",
            "/aws/rds/instance/eu-crm-dr/upgrade",
            "eu-west-1",
            "dr-key-crm",
            "eu-crm-dr-replica",
        ),
        (
            "eu-trading-cluster-logs-postgresql",
            "/aws/rds/cluster/eu-trading/postgresql",
            "eu-central-1",
            "key-trading",
            "eu-trading-cluster",
        ),
        (
            "eu-trading-dr-cluster-logs-postgresql",
            "/aws/rds/cluster/eu-trading-dr/postgresql",
            "eu-west-1",
            "dr-key-trading",
            "eu-trading-dr-cluster",
        ),
    ],
)
def test_exported_logs_go_to_precreated_groups_with_the_concerns_key(rec, group, name, region, key, database) -> None:
    """Named as RDS names them, so RDS writes into them instead of creating unencrypted, never-expiring ones."""
    created = rec.named(group, LOG_GROUP)
    assert created.inputs["name"] == name and created.region == region and created.protect
    assert created.inputs["kmsKeyId"] == _key_arn(rec, key)
    assert created.inputs["retentionInDays"] == 1827  # CySEC keeps evidence 1825 days, rounded up
    # The database waits for the group, or RDS could create it first and this creation would fail.
    assert created.urn in rec.named(database).depends_on


def test_every_exported_log_type_has_its_group(rec) -> None:
    names = {r.inputs["name"] for r in rec.of_type(LOG_GROUP)}
    for database in rec.of_type(INSTANCE, CLUSTER):
        identifier = database.inputs.get("identifier") or database.inputs["clusterIdentifier"]
        kind = "instance" if database.type == INSTANCE else "cluster"
        for log_type in database.inputs.get("enabledCloudwatchLogsExports", []):
            assert f"/aws/rds/{kind}/{identifier}/{log_type}" in names


@pytest.mark.parametrize(
    ("resource", "backup", "maintenance"),
    [
        # No windows given: each region's night, Frankfurt for the primary copies, Ireland for the DR copies.
        ("eu-crm-db", ("backupWindow", "01:00-02:00"), ("maintenanceWindow", "mon:02:00-mon:03:00")),
        ("eu-crm-replica-1", None, ("maintenanceWindow", "mon:02:00-mon:03:00")),
        ("eu-crm-dr-replica", ("backupWindow", "02:00-03:00"), ("maintenanceWindow", "mon:03:00-mon:04:00")),
        (
            "eu-trading-cluster",
            ("preferredBackupWindow", "01:00-02:00"),
            ("preferredMaintenanceWindow", "mon:02:00-mon:03:00"),
        ),
        ("eu-trading-instance-1", None, ("preferredMaintenanceWindow", "mon:02:00-mon:03:00")),
        (
            "eu-trading-dr-cluster",
            ("preferredBackupWindow", "02:00-03:00"),
            ("preferredMaintenanceWindow", "mon:03:00-mon:04:00"),
        ),
        ("eu-trading-dr-instance-1", None, ("preferredMaintenanceWindow", "mon:03:00-mon:04:00")),
    ],
)
def test_every_database_copy_gets_explicit_windows(rec, resource, backup, maintenance) -> None:
    inputs = rec.named(resource).inputs
    assert inputs[maintenance[0]] == maintenance[1]
    if backup is None:
        assert "backupWindow" not in inputs and "preferredBackupWindow" not in inputs
    else:
        assert inputs[backup[0]] == backup[1]


def test_dr_secret_is_the_global_clusters_replica_and_none_for_rds_managed_passwords(rec) -> None:
    trading = rec.exports["trading"]
    assert trading["dr_secret_arn"] == trading["master_secret_arn"].replace(":eu-central-1:", ":eu-west-1:", 1)
    # Secrets Manager cannot replicate a secret RDS manages: the cross-region replica and the replicated
    # backups have no credentials in the DR region until the DR runbook promotes or restores them.
    assert rec.exports["crm"]["dr_secret_arn"] is None
    assert rec.exports["audit"]["dr_secret_arn"] is None
    assert rec.exports["local-trading"]["dr_secret_arn"] is None
