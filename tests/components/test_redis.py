"""RedisCluster: encrypted, Multi-AZ, RBAC with write-only passwords, slow log to an encrypted log group."""

from __future__ import annotations

import json
import types

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.config import AlarmSettings, RedisSettings
from fintech_infra.errors import ConfigError
from fintech_infra.redis import RedisCluster
from fintech_infra.rotation import RotationFunction
from fintech_infra.testing import synthesize
from fintech_infra.wiring import DataNetwork, KeyRef
from tests.components.helpers import admitted, rules_of

SECRET_SIG = "4dabf18193072939515e22adb298388d"


TOPIC = "arn:aws:sns:eu-central-1:123456789012:alarms"


def program() -> None:
    key = aws.kms.Key("cache-key", description="cache")
    logs = aws.kms.Key("logs-key", description="logs")
    app = aws.ec2.SecurityGroup("app", vpc_id="vpc-1", description="app")
    cache = RedisCluster(
        "eu-cache",
        RedisSettings(nodes=3, snapshot_retention_days=14),
        cell="eu",
        network=DataNetwork(vpc_id="vpc-1", subnet_ids=["s-a", "s-b"], client_security_group_ids={"app": app.id}),
        key=KeyRef(arn=key.arn, alias="alias/eu/cache"),
        logs_key=KeyRef(arn=logs.arn, alias="alias/eu/logs"),
        log_retention_days=1825,
        alert_route=AlertRoute(
            "arn:aws:sns:eu-central-1:123456789012:alarms", "arn:aws:sns:eu-central-1:123456789012:alarms"
        ),
        alarms=AlarmSettings(redis_memory_pct=75),
        rotation=RotationFunction(
            "eu-cache-rotation",
            template="elasticache-user",
            subnet_ids=["s-private-a"],
            vpc_id="vpc-1",
            vpc_cidr="10.0.0.0/16",
            key=KeyRef(arn=key.arn, alias="alias/eu/cache"),
            logs_key=KeyRef(arn=logs.arn, alias="alias/eu/logs"),
            log_retention_days=1825,
        ),
    )
    pulumi.export("cache", {k: getattr(cache, k) for k in RedisCluster.OUTPUTS})


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


def test_replication_group(rec) -> None:
    group = rec.named("eu-cache-cache")
    key = rec.named("cache-key").outputs["arn"]
    expected = {
        "replicationGroupId": "eu-cache",
        "engine": "valkey",
        "numCacheClusters": 3,
        "multiAzEnabled": True,
        "automaticFailoverEnabled": True,
        "atRestEncryptionEnabled": True,
        "kmsKeyId": key,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "snapshotRetentionLimit": 14,
        "finalSnapshotIdentifier": "eu-cache-final",
        "subnetGroupName": "eu-cache",
        "securityGroupIds": [rec.named("eu-cache-sg").outputs["id"]],
        "userGroupIds": ["eu-cache-users"],
        "port": 6379,
    }
    for name, value in expected.items():
        assert group.inputs[name] == value, name
    assert group.protect and "authToken" not in group.inputs
    (log,) = group.inputs["logDeliveryConfigurations"]
    assert log["logType"] == "slow-log" and log["destinationType"] == "cloudwatch-logs"
    log_group = rec.named("eu-cache-slow-log")
    assert log_group.inputs["kmsKeyId"] == rec.named("logs-key").outputs["arn"]
    assert log_group.inputs["retentionInDays"] == 1827
    assert rec.named("eu-cache-subnets").inputs["subnetIds"] == ["s-a", "s-b"]


def test_security_group_only_from_app_tier(rec) -> None:
    sg = rec.named("eu-cache-sg")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    (rule,) = rules_of(rec, sg.outputs["id"])
    assert rule.name == "eu-cache-sg-from-app" and rule.inputs["fromPort"] == rule.inputs["toPort"] == 6379
    assert rule.inputs["referencedSecurityGroupId"] == rec.named("app").outputs["id"]
    assert not rule.inputs.get("cidrIpv4") and rules_of(rec, sg.outputs["id"], egress=True) == []


def test_rbac_default_user_disabled_and_passwords_write_only(rec) -> None:
    default = rec.named("eu-cache-default-user")
    assert default.inputs["userName"] == "default" and default.inputs["accessString"].startswith("off")
    app = rec.named("eu-cache-app-user")
    assert app.inputs["accessString"] == "on ~* &* +@all -@dangerous"
    for user in (default, app):
        assert "passwords" not in user.inputs and user.inputs["passwordsWoVersion"] == 1
        assert SECRET_SIG in user.raw_inputs.fields["passwordsWo"].struct_value.fields
    group = rec.named("eu-cache-users")
    assert group.inputs["userIds"] == ["eu-cache-default", "eu-cache-app"]
    version = rec.named("eu-cache-auth-version")
    assert SECRET_SIG in version.raw_inputs.fields["secretStringWo"].struct_value.fields
    secret = rec.named("eu-cache-auth-secret")
    assert secret.inputs["kmsKeyId"] == rec.named("cache-key").outputs["arn"]
    assert rec.exports["cache"]["auth_secret_arn"] == secret.outputs["arn"]


def test_outputs_and_alarms(rec) -> None:
    out = rec.exports["cache"]
    assert out["primary_endpoint"].startswith("master.") and out["reader_endpoint"].startswith("replica.")
    assert out["port"] == 6379 and out["security_group_id"] == rec.named("eu-cache-sg").outputs["id"]
    memory = rec.named("eu-cache-memory-002")
    assert memory.inputs["threshold"] == 75 and memory.inputs["dimensions"] == {"CacheClusterId": "eu-cache-002"}
    evictions = rec.named("eu-cache-evictions-003")
    assert evictions.inputs["metricName"] == "Evictions" and evictions.inputs["threshold"] == 0
    assert rec.named("eu-cache-cpu-001").inputs["metricName"] == "EngineCPUUtilization"


def test_bad_node_type_registers_nothing() -> None:
    caught: list[str] = []

    def build() -> None:
        try:
            RedisCluster(
                "eu-cache",
                RedisSettings.model_construct(**{**RedisSettings().model_dump(), "node_type": "cache.x9.large"}),
                cell="eu",
                network=DataNetwork(vpc_id="v", subnet_ids=["s"], client_security_group_ids={"app": "sg"}),
                key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/k"),
                logs_key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/l", alias="alias/l"),
                log_retention_days=365,
                alert_route=AlertRoute(critical=TOPIC, warning=TOPIC),
            )
        except ConfigError as error:
            caught.append(str(error))

    recording = synthesize(build)
    assert recording.custom_resources() == [] and len(recording) == 0
    assert caught[0].startswith("cells.eu.redis.node_type: 'cache.x9.large' is not an ElastiCache node type; allowed:")


def test_auth_secret_rotates_through_the_elasticache_user_function(rec) -> None:
    app = rec.named("eu-cache-app-user")
    version = rec.named("eu-cache-auth-version")
    value = json.loads(version.raw_inputs.fields["secretStringWo"].struct_value.fields["value"].string_value)
    # The shape ElastiCache's rotation reads: the user's ARN binds the secret to the user.
    assert value["username"] == "eu-cache-app" and value["user_arn"] == app.outputs["arn"]
    rotation = rec.named("eu-cache-auth-rotation")
    function = rec.named("eu-cache-rotation-function")
    assert rotation.inputs["rotationLambdaArn"] == function.outputs["arn"]
    assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation.inputs["rotateImmediately"] is False
    grant = rec.named("eu-cache-rotation-grant")
    (statement,) = json.loads(grant.inputs["policy"])["Statement"]
    assert statement["Resource"] == app.outputs["arn"] and "elasticache:ModifyUser" in statement["Action"]
    waits = {rec.named(n).urn for n in ("eu-cache-app-user", "eu-cache-auth-version", "eu-cache-rotation-grant")}
    assert waits | {function.urn, rec.named("eu-cache-rotation-invoke").urn} <= set(rotation.depends_on)
    # The function calls the ElastiCache API and never the cache: the cache admits the app tier only.
    assert admitted(rec, rec.named("eu-cache-sg").outputs["id"]) == [rec.named("app").outputs["id"]]


def test_a_postgresql_function_is_refused_for_the_cache() -> None:
    caught: list[str] = []
    stand_in = types.SimpleNamespace(template="postgresql-single-user")

    def build() -> None:
        try:
            RedisCluster(
                "eu-cache",
                RedisSettings(),
                cell="eu",
                network=DataNetwork(vpc_id="v", subnet_ids=["s"], client_security_group_ids={"app": "sg"}),
                key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/k"),
                logs_key=KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/l", alias="alias/l"),
                log_retention_days=365,
                alert_route=AlertRoute(critical=TOPIC, warning=TOPIC),
                rotation=stand_in,  # type: ignore[arg-type]
            )
        except ConfigError as error:
            caught.append(str(error))

    assert len(synthesize(build)) == 0
    assert caught == [
        "cells.eu.redis: rotation template 'postgresql-single-user' cannot rotate an ElastiCache user; "
        "allowed: 'elasticache-user'"
    ]


def test_snapshot_and_maintenance_windows_default_to_the_regions_night(rec) -> None:
    """No windows given: the region the cache deploys to (Frankfurt here) decides, never AWS's random pick."""
    group = rec.named("eu-cache-cache").inputs
    assert (group["snapshotWindow"], group["maintenanceWindow"]) == ("01:00-02:00", "tue:02:00-tue:03:00")
