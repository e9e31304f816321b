"""IAM documents shared by components: one way to write a service's trust policy and a managed policy ARN."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi

__all__ = ["aws_managed_policy", "service_trust_policy"]


def service_trust_policy(service: str, *, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    """A role trust policy that lets one AWS service principal (``backup.amazonaws.com``, ...) assume the role."""
    action: str | list[str] = actions[0] if len(actions) == 1 else list(actions)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": action}],
        }
    )


def aws_managed_policy(partition: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """The ARN of the AWS managed policy ``policy`` (``AmazonEKSClusterPolicy``) in the deploy partition."""
    return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy)
