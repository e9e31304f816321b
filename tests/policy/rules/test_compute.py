"""ecs.py and eks.py: private services, hardened containers, logging, EKS endpoint, secrets, logs, IMDSv2."""

import json

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, U, case_params, rc, run_case

TD = t.ECS_TASK_DEFINITION
GOOD = {"name": "app", "user": "10001", "readonlyRootFilesystem": True, "logConfiguration": {"logDriver": "awslogs"}}


def task(**container: object) -> dict:
    return {"containerDefinitions": json.dumps([{**GOOD, **container}])}


EKS_OK = {"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False}}
ENC = {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:x"}}}

CASES = {
    "ecs-service-no-public-ip": [
        rc(t.ECS_SERVICE, {"networkConfiguration": {"assignPublicIp": False}}, "pass", "private"),
        rc(t.ECS_SERVICE, {"networkConfiguration": {"assignPublicIp": True}}, "fail", "public IP"),
        rc(t.ECS_SERVICE, {"networkConfiguration": {"assignPublicIp": U}}, "pending", "unknown", unknown=True),
    ],
    "ecs-task-non-root": [
        rc(TD, task(), "pass", "numeric user"),
        rc(TD, task(user="root"), "fail", "root"),
        rc(TD, task(user=None), "fail", "unset (image default, usually root)"),
        rc(TD, {"containerDefinitions": U}, "pending", "definitions unknown", unknown=True),
    ],
    "ecs-task-read-only-root-fs": [
        rc(TD, task(), "pass", "read-only"),
        rc(TD, task(readonlyRootFilesystem=False), "fail", "writable"),
        rc(TD, {"containerDefinitions": U}, "pending", "unknown", unknown=True),
    ],
    "ecs-task-not-privileged": [
        rc(TD, task(), "pass", "unprivileged"),
        rc(TD, task(privileged=True), "fail", "privileged"),
        rc(TD, {**task(), "pidMode": "host"}, "fail", "host PID namespace"),
        rc(TD, {"containerDefinitions": U}, "pending", "unknown", unknown=True),
    ],
    "ecs-task-logging": [
        rc(TD, task(), "pass", "awslogs"),
        rc(TD, task(logConfiguration=None), "fail", "no log configuration"),
        rc(TD, {"containerDefinitions": U}, "pending", "unknown", unknown=True),
    ],
    "ecs-cluster-container-insights": [
        rc(t.ECS_CLUSTER, {"settings": [{"name": "containerInsights", "value": "enhanced"}]}, "pass", "enhanced"),
        rc(t.ECS_CLUSTER, {}, "fail", "unset"),
        rc(
            t.ECS_CLUSTER, {"settings": [{"name": "containerInsights", "value": U}]}, "pending", "unknown", unknown=True
        ),
    ],
    "eks-private-endpoint": [
        rc(t.EKS_CLUSTER, EKS_OK, "pass", "private only"),
        rc(
            t.EKS_CLUSTER,
            {
                "vpcConfig": {
                    "endpointPrivateAccess": True,
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["203.0.113.0/24"],
                }
            },
            "pass",
            "public for a named admin network",
        ),
        rc(
            t.EKS_CLUSTER,
            {"vpcConfig": {"endpointPrivateAccess": True}},
            "fail",
            "public access unset (AWS default: open)",
        ),
        rc(
            t.EKS_CLUSTER,
            {"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": U}},
            "pending",
            "unknown",
            unknown=True,
        ),
    ],
    "eks-secrets-encryption": [
        rc(t.EKS_CLUSTER, ENC, "pass", "secrets envelope-encrypted"),
        rc(t.EKS_CLUSTER, {}, "fail", "no encryption config"),
        rc(
            t.EKS_CLUSTER,
            {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": U}}},
            "pending",
            "key unknown",
            unknown=True,
        ),
    ],
    "eks-control-plane-logs": [
        rc(
            t.EKS_CLUSTER,
            {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]},
            "pass",
            "all five",
        ),
        rc(t.EKS_CLUSTER, {"enabledClusterLogTypes": ["api", "audit"]}, "fail", "two of five"),
        rc(t.EKS_CLUSTER, {"enabledClusterLogTypes": U}, "pending", "unknown", unknown=True),
    ],
    "launch-template-imdsv2": [
        rc(
            t.LAUNCH_TEMPLATE,
            {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}},
            "pass",
            "IMDSv2, hop limit 2",
        ),
        rc(t.LAUNCH_TEMPLATE, {}, "fail", "unset (IMDSv1 allowed)"),
        rc(t.LAUNCH_TEMPLATE, {"metadataOptions": {"httpTokens": U}}, "pending", "unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
