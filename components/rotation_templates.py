"""The rotation templates a :class:`~fintech_infra.rotation.RotationFunction` can run.

Two templates, one per kind of secret this library writes itself (RDS-managed master passwords rotate
without one):

``postgresql-single-user``
    AWS's ``SecretsManagerRDSPostgreSQLRotationSingleUser`` application from the Serverless Application
    Repository (account 297356227824), deployed as a CloudFormation stack. It changes the password of the
    user in the secret (``engine``, ``host``, ``username``, ``password``, ``dbname``, ``port``) by
    connecting to ``host``, so it needs the database's port and the Secrets Manager endpoint. Used for the
    Aurora Global Database master secret (:mod:`fintech_infra.aurora`).

``elasticache-user``
    AWS documents ElastiCache RBAC user rotation (secret: ``username``, ``password``, ``user_arn``) but
    has not published its ``SecretsManagerElasticacheUserRotation`` function in the Serverless Application
    Repository (aws-samples/aws-secrets-manager-rotation-lambdas#135: "not been made available on the
    Serverless Repo for Applications yet"); the ElastiCache guide has users create the function themselves.
    So this template is a function of ours (:data:`ELASTICACHE_HANDLER`, written to the documented
    four-step protocol) with its own least-privilege role. It never connects to the cache: it calls the
    ElastiCache ``ModifyUser``/``DescribeUsers`` APIs, which have no interface endpoint in the cell's VPC,
    so its security group also allows HTTPS out through the NAT gateways.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ELASTICACHE_HANDLER", "SAR_APPLICATIONS", "RotationTemplate"]

RotationTemplate = Literal["postgresql-single-user", "elasticache-user"]

SAR_APPLICATIONS: dict[str, str] = {
    "postgresql-single-user": (
        "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
    ),
}
"""Templates AWS publishes in the Serverless Application Repository."""

ELASTICACHE_HANDLER = '''\
"""Secrets Manager rotation of an ElastiCache RBAC user; the secret holds username, password and user_arn."""
import json
import os
import time

import boto3

secrets = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    metadata = secrets.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError("rotation is not enabled for this secret")
    stages = metadata["VersionIdsToStages"].get(token)
    if stages is None:
        raise ValueError("the version has no stage for rotation")
    if "AWSCURRENT" in stages:
        return
    if "AWSPENDING" not in stages:
        raise ValueError("the version is not staged AWSPENDING")
    STEPS[step](arn, token)


def _value(arn, stage, token=None):
    request = {"SecretId": arn, "VersionStage": stage, **({"VersionId": token} if token else {})}
    try:
        value = json.loads(secrets.get_secret_value(**request)["SecretString"])
    except ValueError:
        raise ValueError("the secret value is not JSON") from None  # never echo the value
    if "user_arn" not in value or "username" not in value:
        raise KeyError("the secret needs username and user_arn")
    return value


def _user(user_arn):
    parts = user_arn.split(":")  # arn:partition:elasticache:region:account:user:user-id
    return boto3.client("elasticache", region_name=parts[3]), parts[6]


def _wait_active(user_arn):
    client, user_id = _user(user_arn)
    deadline = time.monotonic() + int(os.environ.get("WAIT_SECONDS", "600"))
    while time.monotonic() < deadline:
        if client.describe_users(UserId=user_id)["Users"][0]["Status"] == "active":
            return
        time.sleep(10)
    raise TimeoutError("the ElastiCache user did not become active")


def create_secret(arn, token):
    current = _value(arn, "AWSCURRENT")
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return
    except secrets.exceptions.ResourceNotFoundException:
        pass
    password = secrets.get_random_password(
        PasswordLength=64, ExcludePunctuation=True, RequireEachIncludedType=True
    )["RandomPassword"]
    secrets.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps({**current, "password": password}),
        VersionStages=["AWSPENDING"],
    )


def set_secret(arn, token):
    current, pending = _value(arn, "AWSCURRENT"), _value(arn, "AWSPENDING", token)
    if pending["user_arn"] != current["user_arn"]:
        raise ValueError("the pending version names another user")
    client, user_id = _user(current["user_arn"])
    _wait_active(current["user_arn"])
    # Both passwords stay valid until the next rotation, so clients holding the current one keep working.
    passwords = [pending["password"]] + ([current["password"]] if current.get("password") else [])
    client.modify_user(UserId=user_id, Passwords=passwords)


def test_secret(arn, token):
    _wait_active(_value(arn, "AWSCURRENT")["user_arn"])


def finish_secret(arn, token):
    stages = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next((version for version, labels in stages.items() if "AWSCURRENT" in labels), None)
    if current == token:
        return
    secrets.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
    )


STEPS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}
'''
"""Source of the ``elasticache-user`` function (Python on the Lambda runtime, boto3 included)."""
