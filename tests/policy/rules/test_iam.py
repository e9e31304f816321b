"""iam.py and iam_trust.py: wildcard actions and resources, admin access, PassRole, and who may assume a role."""

import json
from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import U, case_params, rc, run_case

ROLE_ARN = "arn:aws:iam::123456789012:role/app"
LOG_STREAMS = "arn:aws:logs:eu-central-1:123456789012:log-group:/ecs/app:log-stream:*"
PROVIDER = "oidc.eks.eu-central-1.amazonaws.com/id/ABC"
GITHUB = "token.actions.githubusercontent.com"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = LOG_STREAMS, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements: dict[str, Any]) -> dict[str, str]:
    return {"policy": doc(*statements)}


def trust(principal: Any, action: Any = "sts:AssumeRole", **condition: dict[str, Any]) -> dict[str, str]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"assumeRolePolicy": doc(statement)}


def web_identity(provider: str, **claims: str) -> dict[str, str]:
    federated = {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{provider}"}
    return trust(
        federated, "sts:AssumeRoleWithWebIdentity", StringEquals={f"{provider}:{k}": v for k, v in claims.items()}
    )


ROOT_KEY_ADMIN = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

CASES = {
    "iam-no-wildcard-actions": [
        rc(t.IAM_ROLE_POLICY, policy(allow(["logs:CreateLogStream", "logs:PutLogEvents"])), "pass", "named actions"),
        rc(t.IAM_ROLE_POLICY, policy(allow("s3:*")), "fail", "service:* action"),
        rc(t.IAM_POLICY, policy(allow(["logs:PutLogEvents", "*"])), "fail", "'*' among named actions"),
        rc(t.IAM_ROLE_POLICY, policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "fail", "NotAction"),
        rc(t.IAM_ROLE_POLICY, policy({"Effect": "Deny", "Action": "*", "Resource": "*"}), "pass", "a Deny of '*'"),
        rc(
            t.IAM_ROLE,
            {"inlinePolicies": [{"name": "inline", "policy": doc(allow("dynamodb:*"))}]},
            "fail",
            "a role's inline policy with service:*",
        ),
        rc(t.KMS_KEY, {"policy": doc({**ROOT_KEY_ADMIN, "Resource": "*"})}, "pass", "default key policy (root kms:*)"),
        rc(
            t.KMS_KEY,
            {"policy": doc({**ROOT_KEY_ADMIN, "Principal": {"AWS": ROLE_ARN}, "Resource": "*"})},
            "fail",
            "kms:* for a role, not the account",
        ),
        rc(t.BUCKET_POLICY, policy(allow("s3:*", "arn:aws:s3:::b/*", Principal={"AWS": ROLE_ARN})), "fail", "s3:*"),
        rc(t.IAM_ROLE_POLICY, {"policy": "{not json"}, "fail", "a document that is not JSON"),
        rc(t.IAM_ROLE_POLICY, {"policy": U}, "pending", "a document built from unknown ARNs", unknown=True),
    ],
    "iam-no-wildcard-resources": [
        rc(t.IAM_ROLE_POLICY, policy(allow("logs:PutLogEvents")), "pass", "scoped to a log group's streams"),
        rc(
            t.IAM_ROLE_POLICY,
            policy(allow("ecr:GetAuthorizationToken", "*")),
            "pass",
            "an action with no resource type",
        ),
        rc(
            t.IAM_ROLE_POLICY,
            policy(allow(["ec2:DescribeSubnets", "elasticloadbalancing:DescribeListeners"], "*")),
            "pass",
            "read actions AWS lists without a resource type",
        ),
        rc(t.IAM_ROLE_POLICY, policy(allow("secretsmanager:GetSecretValue", "*")), "fail", "a scopable action on *"),
        rc(
            t.IAM_ROLE_POLICY,
            policy(
                allow(
                    "secretsmanager:GetSecretValue",
                    "*",
                    Condition={"StringEquals": {"secretsmanager:resource/AllowRotationLambdaArn": "arn:fn"}},
                )
            ),
            "fail",
            "a condition does not replace a resource",
        ),
        rc(t.IAM_ROLE_POLICY, policy(allow("logs:Describe*", "*")), "fail", "a pattern action on *"),
        rc(
            t.IAM_POLICY,
            policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"}),
            "fail",
            "NotResource",
        ),
        rc(t.IAM_ROLE, {"inlinePolicies": U}, "pending", "inline policies unknown", unknown=True),
    ],
    "iam-no-admin-access": [
        rc(t.IAM_ROLE_POLICY, policy(allow("logs:PutLogEvents")), "pass", "a scoped policy"),
        rc(t.IAM_ROLE_POLICY, policy(allow("*", "*")), "fail", "'*' on '*'"),
        rc(t.IAM_POLICY, policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), "fail", "NotAction on *"),
        rc(t.IAM_POLICY, policy(allow("iam:*", "arn:aws:iam::123456789012:role/*")), "fail", "iam:* (full IAM)"),
        rc(
            t.IAM_ROLE_POLICY_ATTACHMENT,
            {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"},
            "pass",
            "a service's AWS managed policy",
        ),
        rc(t.IAM_ROLE_POLICY_ATTACHMENT, {"policyArn": ADMIN}, "fail", "AdministratorAccess attached"),
        rc(
            t.IAM_ROLE_POLICY_ATTACHMENT,
            {"policyArn": "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"},
            "fail",
            "IAMFullAccess in another partition",
        ),
        rc(
            t.IAM_ROLE,
            {"managedPolicyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
            "fail",
            "PowerUserAccess in managedPolicyArns",
        ),
        rc(t.IAM_ROLE_POLICY_ATTACHMENT, {"policyArn": U}, "pending", "policy ARN unknown", unknown=True),
    ],
    "iam-passrole-constrained": [
        rc(
            t.IAM_ROLE_POLICY,
            policy(
                allow(
                    "iam:PassRole",
                    ROLE_ARN,
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                )
            ),
            "pass",
            "named role, named service",
        ),
        rc(t.IAM_ROLE_POLICY, policy(allow("iam:PassRole", ROLE_ARN)), "fail", "no iam:PassedToService condition"),
        rc(
            t.IAM_ROLE_POLICY,
            policy(
                allow(
                    "iam:Pass*",
                    "arn:aws:iam::123456789012:role/*",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                )
            ),
            "fail",
            "a role wildcard (through iam:Pass*)",
        ),
        rc(t.IAM_ROLE_POLICY, policy(allow("iam:GetRole", ROLE_ARN)), "pass", "no PassRole in the policy"),
        rc(t.IAM_ROLE_POLICY, {"policy": U}, "pending", "document unknown", unknown=True),
    ],
    "iam-trust-service-confused-deputy": [
        rc(
            t.IAM_ROLE,
            trust({"Service": "ecs-tasks.amazonaws.com"}, StringEquals={"aws:SourceAccount": "123456789012"}),
            "pass",
            "ECS tasks with aws:SourceAccount",
        ),
        rc(
            t.IAM_ROLE, trust({"Service": "monitoring.rds.amazonaws.com"}), "fail", "RDS monitoring without a condition"
        ),
        rc(
            t.IAM_ROLE,
            trust({"Service": ["ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"]}),
            "fail",
            "one listed service among others",
        ),
        rc(t.IAM_ROLE, trust({"Service": "eks.amazonaws.com"}), "pass", "a service not known to send the keys"),
        rc(t.IAM_ROLE, {"assumeRolePolicy": U}, "pending", "trust policy unknown", unknown=True),
    ],
    "iam-trust-web-identity-claims": [
        rc(
            t.IAM_ROLE,
            web_identity(PROVIDER, sub="system:serviceaccount:kube-system:aws-node", aud="sts.amazonaws.com"),
            "pass",
            "IRSA pinned to one service account",
        ),
        rc(t.IAM_ROLE, web_identity(PROVIDER, aud="sts.amazonaws.com"), "fail", "IRSA without sub: any pod"),
        rc(
            t.IAM_ROLE,
            web_identity(GITHUB, sub="repo:acme/infra:environment:prod"),
            "fail",
            "GitHub OIDC without aud",
        ),
        rc(t.IAM_ROLE, web_identity(GITHUB, sub="*", aud="sts.amazonaws.com"), "fail", "a wildcard subject"),
        rc(t.IAM_ROLE, trust({"Service": "eks.amazonaws.com"}), "pass", "not a web-identity trust"),
        rc(t.IAM_ROLE, {"assumeRolePolicy": U}, "pending", "trust policy unknown", unknown=True),
    ],
    "iam-trust-principals-conditioned": [
        rc(
            t.IAM_ROLE,
            trust(
                {"AWS": "arn:aws:iam::111111111111:root"},
                ArnEquals={"aws:PrincipalArn": "arn:aws:iam::111111111111:role/deploy"},
            ),
            "pass",
            "an account narrowed to its deploy role",
        ),
        rc(t.IAM_ROLE, trust({"AWS": "arn:aws:iam::111111111111:root"}), "fail", "a whole account"),
        rc(t.IAM_ROLE, trust({"AWS": "111111111111"}), "fail", "a bare account id"),
        rc(t.IAM_ROLE, trust({"AWS": ROLE_ARN}), "pass", "a named role"),
        rc(t.IAM_ROLE, trust("*", StringEquals={"aws:PrincipalOrgID": "o-1"}), "fail", "everyone, even conditioned"),
        rc(t.IAM_ROLE, {"assumeRolePolicy": U}, "pending", "trust policy unknown", unknown=True),
    ],
    "iam-policy-statements-complete": [
        rc(t.IAM_ROLE_POLICY, policy(allow("logs:PutLogEvents")), "pass", "an action on a resource"),
        rc(t.IAM_ROLE_POLICY, policy(allow("secretsmanager:GetSecretValue", [])), "fail", "Resource []"),
        rc(t.IAM_ROLE_POLICY, policy(allow([], LOG_STREAMS)), "fail", "Action []"),
        rc(
            t.IAM_ROLE_POLICY,
            policy({"Effect": "Allow", "Action": "logs:PutLogEvents"}),
            "fail",
            "no Resource element",
        ),
        rc(
            t.IAM_ROLE_POLICY,
            policy({"Effect": "Deny", "NotAction": "logs:PutLogEvents", "NotResource": LOG_STREAMS}),
            "pass",
            "NotAction and NotResource count",
        ),
        rc(t.IAM_ROLE_POLICY, {"policy": doc()}, "fail", "a document without statements"),
        rc(
            t.IAM_ROLE,
            {"inlinePolicies": [{"name": "inline", "policy": doc(allow("kms:Decrypt", []))}]},
            "fail",
            "a role's inline policy on Resource []",
        ),
        rc(t.IAM_ROLE_POLICY, {"policy": U}, "pending", "document unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_iam_case(policy: str, case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
