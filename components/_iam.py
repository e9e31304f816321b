"""IAM documents shared by components: a service's trust policy, a managed policy ARN, a grant on resources with
the KMS keys that encrypt them, usable only through the service that holds the resources, and the execution role of
a function in a VPC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = [
    "LAMBDA_VPC_ACCESS",
    "XRAY_TRACES_STATEMENT",
    "aws_managed_policy",
    "key_via_service",
    "lambda_vpc_role",
    "role_policy_with_keys",
    "service_trust_policy",
]


def service_trust_policy(
    service: str, *, actions: Sequence[str] = ("sts:AssumeRole",), source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """A role trust policy that lets one AWS service principal (``backup.amazonaws.com``, ...) assume the role.

    ``source_account`` adds the ``aws:SourceAccount`` condition that stops the service assuming the role on
    another account's behalf (the confused deputy). Give it only for services whose guide shows that condition in
    the role trust policy (the pack's ``iam-trust-service-confused-deputy`` lists them with their pages): a
    service that does not send the key could not assume the role at all.
    """
    action: str | list[str] = actions[0] if len(actions) == 1 else list(actions)
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": action}
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})


def aws_managed_policy(partition: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """The ARN of the AWS managed policy ``policy`` (``AmazonEKSClusterPolicy``) in the deploy partition."""
    return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy)


def key_via_service(service: str, region: pulumi.Input[str]) -> dict[str, Any]:
    """The condition that limits a KMS key to requests ``service`` (``s3``, ``sqs``) makes in ``region``."""
    return {"StringEquals": {"kms:ViaService": pulumi.Output.concat(service, ".", region, ".amazonaws.com")}}


def role_policy_with_keys(
    name: str,
    *,
    role: aws.iam.Role,
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    key_sid: str,
    key_arns: Sequence[pulumi.Input[str]],
    service: str,
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """``role`` may do ``actions`` on exactly ``resources``, and use ``key_arns`` (GenerateDataKey to write,
    Decrypt to read) only through ``service`` in the role's region."""
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    return aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": list(resources)},
                    {
                        "Sid": key_sid,
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": list(key_arns),
                        "Condition": key_via_service(service, region),
                    },
                ],
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


XRAY_TRACES_STATEMENT: dict[str, Any] = {
    # Active tracing uploads segments; X-Ray's write actions take no resource ARN.
    "Sid": "XRayTraces",
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",
}
"""What a function with active tracing needs, and all it needs, of X-Ray."""

LAMBDA_VPC_ACCESS = "service-role/AWSLambdaVPCAccessExecutionRole"
"""AWS's managed policy for a function in a VPC: its network interfaces, and its own logs."""


def lambda_vpc_role(
    name: str, *, description: str, partition: pulumi.Input[str], parent: pulumi.Resource
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """The execution role of a function of ours in a VPC (``<name>-role``), with the VPC access policy attached
    (``<name>-vpc-access``); the function must depend on the attachment."""
    role = aws.iam.Role(
        child(name, "role"),
        description=description,
        assume_role_policy=service_trust_policy("lambda.amazonaws.com"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    vpc_access = aws.iam.RolePolicyAttachment(
        child(name, "vpc-access"),
        role=role.name,
        policy_arn=aws_managed_policy(partition, LAMBDA_VPC_ACCESS),
        opts=pulumi.ResourceOptions(parent=role),
    )
    return role, vpc_access
