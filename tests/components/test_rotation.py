"""RotationFunction: AWS's PostgreSQL template from SAR, our ElastiCache user function, network and wiring."""

from __future__ import annotations

import gc
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.errors import ConfigError
from fintech_infra.rotation import RESERVED_CONCURRENCY, RotationFunction
from fintech_infra.rotation_templates import SAR_APPLICATIONS
from fintech_infra.secrets import AppSecret
from fintech_infra.testing import synthesize
from fintech_infra.wiring import KeyRef

SUBNETS = ["subnet-private-a", "subnet-private-b"]
CIDR = "10.20.0.0/16"
USER_ARN = "arn:aws:elasticache:eu-central-1:123456789012:user:eu-cache-app"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
# The SDK's mock monitor opens an event loop per invoke thread and never closes it (see pyproject's filters);
# its self-pipe sockets are collected here, inside a test, where this filter applies, not at session end.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(autouse=True)
def _collect_sdk_event_loops():
    yield
    gc.collect()


def _keys() -> tuple[KeyRef, KeyRef]:
    key = aws.kms.Key("secret-key", description="secrets")
    logs = aws.kms.Key("logs-key", description="logs")
    return KeyRef(arn=key.arn, alias="alias/eu/trading"), KeyRef(arn=logs.arn, alias="alias/eu/logs")


def program() -> None:
    key, logs = _keys()
    common: dict[str, Any] = {"key": key, "logs_key": logs, "log_retention_days": 1825}
    postgres = RotationFunction(
        "eu-trading-rotation",
        template="postgresql-single-user",
        subnet_ids=SUBNETS,
        vpc_id="vpc-1",
        vpc_cidr=CIDR,
        **common,
    )
    db_sg = aws.ec2.SecurityGroup("db-sg", vpc_id="vpc-1", description="database")
    egress = postgres.allow_to("db-rotation-egress", security_group_id=db_sg.id, port=5432, parent=db_sg)
    AppSecret(
        "master",
        key=key,
        description="master",
        value_wo=pulumi.Output.secret('{"password": "x"}'),
        rotation_lambda_arn=postgres.function_arn,
        rotation_days=postgres.rotation_days,
        rotation_after=postgres.ready,
    )
    cache = RotationFunction(
        "eu-cache-rotation", template="elasticache-user", subnet_ids=SUBNETS, vpc_id="vpc-1", vpc_cidr=CIDR, **common
    )
    cache.grant_user("cache-grant", user_arn=USER_ARN, parent=cache)
    AppSecret(
        "auth",
        key=key,
        description="auth",
        rotation_lambda_arn=cache.function_arn,
        rotation_after=cache.ready,
    )
    brought = RotationFunction(
        "eu-byo-rotation",
        template="postgresql-single-user",
        subnet_ids=SUBNETS,
        security_group_ids=["sg-brought"],
        rotation_days=7,
        semantic_version="1.1.367",
        **common,
    )
    pulumi.export("byo_egress", brought.allow_to("never", security_group_id="sg-x", port=5432, parent=brought))
    pulumi.export("egress_created", egress is not None)
    for label, function in (("postgres", postgres), ("cache", cache), ("byo", brought)):
        pulumi.export(label, {k: getattr(function, k) for k in RotationFunction.OUTPUTS})


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


def test_postgresql_template_is_aws_sar_application_in_the_private_subnets(rec) -> None:
    app = rec.named("eu-trading-rotation-app")
    assert app.type == "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
    assert app.inputs["applicationId"] == (
        "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
    )
    assert app.inputs["applicationId"] == SAR_APPLICATIONS["postgresql-single-user"]
    assert app.inputs["capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]
    assert app.inputs["name"] == "eu-trading-rotation"
    assert app.inputs["parameters"] == {
        "endpoint": "https://secretsmanager.eu-central-1.amazonaws.com",
        "functionName": "eu-trading-rotation",
        "vpcSubnetIds": "subnet-private-a,subnet-private-b",
        "vpcSecurityGroupIds": rec.named("eu-trading-rotation-sg").outputs["id"],
        "kmsKeyArn": rec.named("secret-key").outputs["arn"],
    }
    assert "semanticVersion" not in app.inputs  # latest unless pinned
    assert rec.named("eu-trading-rotation-logs").urn in app.depends_on
    assert app.region == "eu-central-1"


def test_sar_function_arn_comes_from_the_stack_and_the_rotation_waits_for_it(rec) -> None:
    app = rec.named("eu-trading-rotation-app")
    rotation = rec.named("master-rotation")
    # Wired to the template's RotationLambdaARN output; the mock computes none, so the name-derived ARN shows.
    assert app.urn in rotation.property_dependencies["rotationLambdaArn"]
    assert (
        rotation.inputs["rotationLambdaArn"] == "arn:aws:lambda:eu-central-1:123456789012:function:eu-trading-rotation"
    )
    assert rec.exports["postgres"]["function_arn"] == rotation.inputs["rotationLambdaArn"]
    assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation.inputs["rotateImmediately"] is False
    version = rec.named("master-version")
    assert {app.urn, version.urn, rec.named("db-rotation-egress").urn} <= set(rotation.depends_on)


def test_own_security_group_allows_only_https_to_the_vpc_and_the_engine_port(rec) -> None:
    group = rec.named("eu-trading-rotation-sg")
    assert group.inputs["vpcId"] == "vpc-1"
    assert "ingress" not in group.inputs and "egress" not in group.inputs  # rules are separate resources
    rules = [r for r in rec.of_type(EGRESS) if r.inputs["securityGroupId"] == group.outputs["id"]]
    https, engine = sorted(rules, key=lambda r: r.inputs["fromPort"])
    assert (https.inputs["cidrIpv4"], https.inputs["fromPort"], https.inputs["toPort"]) == (CIDR, 443, 443)
    assert engine.name == "db-rotation-egress" and engine.inputs["fromPort"] == engine.inputs["toPort"] == 5432
    assert engine.inputs["referencedSecurityGroupId"] == rec.named("db-sg").outputs["id"]
    assert "cidrIpv4" not in engine.inputs
    assert rec.exports["postgres"]["security_group_id"] == group.outputs["id"]


def test_elasticache_function_reaches_the_api_through_nat_and_nothing_else(rec) -> None:
    group = rec.named("eu-cache-rotation-sg")
    rules = {r.name: r.inputs for r in rec.of_type(EGRESS) if r.inputs["securityGroupId"] == group.outputs["id"]}
    assert rules.keys() == {"eu-cache-rotation-https-to-vpc", "eu-cache-rotation-https-to-elasticache-api"}
    assert rules["eu-cache-rotation-https-to-elasticache-api"]["cidrIpv4"] == "0.0.0.0/0"
    assert {(r["fromPort"], r["toPort"]) for r in rules.values()} == {(443, 443)}
    postgres_rules = [r for r in rec.of_type(EGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert [r.name for r in postgres_rules] == ["eu-cache-rotation-https-to-elasticache-api"]


def test_log_groups_are_encrypted_named_for_the_function_and_kept(rec) -> None:
    for name, function in (("eu-trading-rotation-logs", "eu-trading-rotation"), ("eu-cache-rotation-logs", None)):
        logs = rec.named(name)
        assert logs.inputs["kmsKeyId"] == rec.named("logs-key").outputs["arn"]
        assert logs.inputs["retentionInDays"] == 1827 and logs.protect
        if function:
            assert logs.inputs["name"] == f"/aws/lambda/{function}"
    assert rec.named("eu-cache-rotation-logs").inputs["name"] == "/aws/lambda/eu-cache-rotation"


def test_elasticache_function_runs_our_handler_in_the_vpc(rec) -> None:
    function = rec.named("eu-cache-rotation-function")
    assert function.inputs["name"] == "eu-cache-rotation"
    assert function.inputs["runtime"] == "python3.12" and function.inputs["handler"] == "index.handler"
    assert function.inputs["timeout"] == 900  # ElastiCache: at least 12 minutes
    assert function.inputs["kmsKeyArn"] == rec.named("secret-key").outputs["arn"]
    assert function.inputs["reservedConcurrentExecutions"] == RESERVED_CONCURRENCY == 2
    assert function.inputs["tracingConfig"] == {"mode": "Active"}
    assert function.inputs["environment"] == {
        "variables": {"SECRETS_MANAGER_ENDPOINT": "https://secretsmanager.eu-central-1.amazonaws.com"}
    }
    assert function.inputs["vpcConfig"]["subnetIds"] == SUBNETS
    assert function.inputs["vpcConfig"]["securityGroupIds"] == [rec.named("eu-cache-rotation-sg").outputs["id"]]
    assert function.inputs["role"] == rec.named("eu-cache-rotation-role").outputs["arn"]
    assert rec.named("eu-cache-rotation-logs").urn in function.depends_on
    assert rec.exports["cache"]["function_arn"] == function.outputs["arn"]
    assert rec.exports["cache"]["template"] == "elasticache-user"


def test_elasticache_role_is_least_privilege(rec) -> None:
    role = rec.named("eu-cache-rotation-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert rec.named("eu-cache-rotation-vpc-access").inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    )
    base = json.loads(rec.named("eu-cache-rotation-base-policy").inputs["policy"])["Statement"]
    assert base == [
        {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": rec.named("secret-key").outputs["arn"],
        },
        # Active tracing: X-Ray's write actions take no resource ARN.
        {
            "Sid": "XRayTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]
    (secrets,) = json.loads(rec.named("eu-cache-rotation-secrets-policy").inputs["policy"])["Statement"]
    assert secrets["Condition"] == {
        "StringEquals": {
            "secretsmanager:resource/AllowRotationLambdaArn": rec.named("eu-cache-rotation-function").outputs["arn"]
        }
    }
    # This account's secrets in the function's region, narrowed by the condition: never Resource "*".
    assert "secretsmanager:PutSecretValue" in secrets["Action"]
    assert secrets["Resource"] == "arn:aws:secretsmanager:eu-central-1:123456789012:secret:*"
    (user,) = json.loads(rec.named("cache-grant").inputs["policy"])["Statement"]
    assert user == {
        "Effect": "Allow",
        "Action": ["elasticache:DescribeUsers", "elasticache:ModifyUser"],
        "Resource": USER_ARN,
    }
    permission = rec.named("eu-cache-rotation-invoke")
    assert permission.inputs["principal"] == "secretsmanager.amazonaws.com"
    assert permission.inputs["sourceAccount"] == "123456789012" and "sourceArn" not in permission.inputs
    rotation = rec.named("auth-rotation")
    waits = {rec.named(n).urn for n in ("eu-cache-rotation-function", "eu-cache-rotation-invoke", "cache-grant")}
    assert waits <= set(rotation.depends_on)
    assert rotation.inputs["rotationLambdaArn"] == rec.named("eu-cache-rotation-function").outputs["arn"]


def test_brought_security_groups_are_used_as_given(rec) -> None:
    assert not [r for r in rec if r.name == "eu-byo-rotation-sg"]
    app = rec.named("eu-byo-rotation-app")
    assert app.inputs["parameters"]["vpcSecurityGroupIds"] == "sg-brought"
    assert app.inputs["semanticVersion"] == "1.1.367"
    assert rec.exports["byo"]["security_group_id"] is None and rec.exports["byo_egress"] is None
    assert rec.exports["byo"]["function_name"] == "eu-byo-rotation"
    assert rec.exports["egress_created"] is True


def _refused(**overrides: Any) -> list[str]:
    caught: list[str] = []

    def build() -> None:
        args: dict[str, Any] = {
            "template": "postgresql-single-user",
            "subnet_ids": SUBNETS,
            "key": KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/k"),
            "logs_key": KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/l", alias="alias/l"),
            "log_retention_days": 365,
            "vpc_id": "vpc-1",
            "vpc_cidr": CIDR,
            **overrides,
        }
        try:
            RotationFunction("eu-x-rotation", **args)
        except ConfigError as error:
            caught.append(str(error))

    assert len(synthesize(build)) == 0
    return caught


def test_bad_input_registers_nothing() -> None:
    assert _refused(security_group_ids=["sg-1"]) == [
        "eu-x-rotation: give exactly one of `vpc_id` (with vpc_cidr) or `security_group_ids`; "
        "got vpc_id=set, security_group_ids=['sg-1']"
    ]
    assert _refused(vpc_cidr=None) == ["eu-x-rotation.vpc_cidr: None is missing; allowed: the VPC's CIDR block"]
    assert _refused(subnet_ids=[]) == [
        "eu-x-rotation.subnet_ids: [] has no subnet; allowed: the cell's private subnets"
    ]
    assert _refused(template="mysql") == [
        "eu-x-rotation.template: 'mysql' Input should be 'postgresql-single-user' or 'elasticache-user'"
    ]
    assert _refused(rotation_days=120) == ["eu-x-rotation.rotation_days: 120 Input should be less than or equal to 90"]


def test_grant_user_is_only_for_the_elasticache_template() -> None:
    caught: list[str] = []

    def build() -> None:
        key, logs = _keys()
        function = RotationFunction(
            "eu-pg-rotation",
            template="postgresql-single-user",
            subnet_ids=SUBNETS,
            key=key,
            logs_key=logs,
            log_retention_days=365,
            security_group_ids=["sg-1"],
        )
        try:
            function.grant_user("grant", user_arn=USER_ARN, parent=function)
        except ConfigError as error:
            caught.append(str(error))

    recording = synthesize(build)
    assert caught == [
        "grant: grant_user is for the 'elasticache-user' template; 'postgresql-single-user' brings its own role"
    ]
    assert not [r for r in recording if r.type == "aws:iam/rolePolicy:RolePolicy"]
