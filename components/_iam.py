"""IAM documents shared by components: one way to write a service's trust policy and a managed policy ARN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

__all__ = ["aws_managed_policy", "service_trust_policy"]


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
