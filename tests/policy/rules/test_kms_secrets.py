"""kms.py and secrets.py: key rotation, key policy, deletion window, secret CMK and rotation, plaintext credentials."""

import json

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1234"
GOOD_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
)
OPEN_POLICY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
)
SECRET = R(t.SECRET, "secret", {"kmsKeyId": KEY_ARN})


def rotation(days: object) -> R:
    return R(
        t.SECRET_ROTATION,
        "rotation",
        {"secretId": U, "rotationRules": {"automaticallyAfterDays": days}},
        deps={"secretId": [SECRET.urn]},
    )


def task(environment: list | str) -> dict:
    definitions = (
        environment if isinstance(environment, str) else json.dumps([{"name": "app", "environment": environment}])
    )
    return {"containerDefinitions": definitions}


KEY_ARN_FOR_SSM = "arn:aws:kms:eu-central-1:123456789012:key/platform"

CASES = {
    "ssm-parameter-securestring-cmk": [
        rc(t.SSM_PARAMETER, {"type": "SecureString", "keyId": KEY_ARN_FOR_SSM}, "pass", "SecureString under a CMK"),
        rc(t.SSM_PARAMETER, {"type": "String"}, "fail", "plain String"),
        rc(t.SSM_PARAMETER, {"type": "SecureString"}, "fail", "the AWS-managed aws/ssm key"),
        rc(t.SSM_PARAMETER, {"type": "SecureString", "keyId": "alias/aws/ssm"}, "fail", "alias/aws/ssm named"),
        rc(t.SSM_PARAMETER, {"type": "SecureString", "keyId": U}, "pending", "key unknown", unknown=True),
    ],
    "kms-key-rotation-enabled": [
        rc(t.KMS_KEY, {"enableKeyRotation": True}, "pass", "rotation on"),
        rc(t.KMS_KEY, {}, "fail", "rotation unset (AWS default off)"),
        rc(t.KMS_KEY, {"keySpec": "RSA_2048"}, "pass", "asymmetric keys are skipped"),
        rc(t.KMS_KEY, {"enableKeyRotation": U}, "pending", "rotation unknown", unknown=True),
    ],
    "kms-key-policy-no-wildcard-principal": [
        rc(t.KMS_KEY, {"policy": GOOD_POLICY}, "pass", "account-root policy"),
        rc(t.KMS_KEY, {"policy": OPEN_POLICY}, "fail", "Allow Principal * without condition"),
        rc(t.KMS_KEY, {}, "fail", "no explicit policy"),
        rc(t.KMS_KEY, {"policy": U}, "pending", "policy built from unknown ARNs", unknown=True),
    ],
    "kms-key-deletion-window": [
        rc(t.KMS_KEY, {"deletionWindowInDays": 30}, "pass", "30 days"),
        rc(t.KMS_KEY, {}, "pass", "unset is AWS's 30 days"),
        rc(t.KMS_KEY, {"deletionWindowInDays": 7}, "fail", "7 days"),
        rc(t.KMS_KEY, {"deletionWindowInDays": U}, "pending", "unknown window", unknown=True),
    ],
    "secretsmanager-secret-cmk": [
        rc(t.SECRET, {"kmsKeyId": KEY_ARN}, "pass", "customer-managed key"),
        rc(t.SECRET, {}, "fail", "unset (aws/secretsmanager)"),
        rc(t.SECRET, {"kmsKeyId": "alias/aws/secretsmanager"}, "fail", "AWS-managed alias"),
        rc(t.SECRET, {"kmsKeyId": U}, "pending", "key created in the same update", unknown=True),
    ],
    "secretsmanager-secret-rotation": [
        Case("rotates every 30 days", "pass", [SECRET, rotation(30)]),
        Case("no rotation", "fail", [SECRET]),
        Case("rotates every 180 days", "fail", [SECRET, rotation(180)]),
        Case("interval unknown", "pending", [SECRET, rotation(U)], unknown=True),
    ],
    "no-plaintext-credential-inputs": [
        rc(t.RDS_INSTANCE, {"manageMasterUserPassword": True}, "pass", "RDS-managed master password"),
        rc(t.RDS_INSTANCE, {"password": "hunter2hunter2"}, "fail", "a password input"),
        rc(
            t.REDIS,
            {"authToken": U},
            "fail",
            "an authToken from an unknown output is still stored in state",
            unknown=True,
        ),
        rc(t.REDIS, {"authTokenWo": U}, "pass", "write-only token unknown at preview", unknown=True),
        rc(t.RDS_CLUSTER, {"masterPassword": "x" * 16}, "fail", "an Aurora master password"),
    ],
    "ecs-task-secrets-not-in-environment": [
        rc(t.ECS_TASK_DEFINITION, task([{"name": "LOG_LEVEL", "value": "info"}]), "pass", "ordinary variables"),
        rc(t.ECS_TASK_DEFINITION, task([{"name": "DB_PASSWORD", "value": "x"}]), "fail", "a password variable"),
        rc(t.ECS_TASK_DEFINITION, task([{"name": "stripe_api_key", "value": "x"}]), "fail", "an API key variable"),
        rc(t.ECS_TASK_DEFINITION, task(U), "pending", "definitions unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_messages_never_echo_the_credential() -> None:
    result = run_case("no-plaintext-credential-inputs", rc(t.RDS_INSTANCE, {"password": "hunter2hunter2"}, "fail", "x"))
    assert result.messages("no-plaintext-credential-inputs")
    assert all("hunter2" not in message for message in result.messages("no-plaintext-credential-inputs"))
