"""How a cell's DR runbooks reach the Route 53 health checks they invert, which live in another account.

The routing stack (:mod:`fintech_infra.dns`) creates each entity's health check in the zones account, after the
cell stacks (it reads their exports). A cell stack therefore can never know the ids when it deploys, and its
runbooks run in the cell's own account, where Route 53 has no resource policy to grant them anything. So:

- **The routing stack publishes, per cell with a DR region**, an IAM role :func:`dns_role_name` in its account
  that only the cell's runbook role may assume (the cell exports that role's ARN), tagged with the cell's health
  check ids (:data:`HEALTH_CHECK_TAG_PREFIX` + entity), allowed to list its own tags and to get and update those
  health checks only. IAM is global, like Route 53: nothing regional lands outside the cell's jurisdiction.
- **The runbooks resolve them at run time**: a first step assumes the role (``sts:AssumeRole``, the only grant
  the cell's runbook role needs), reads its tags and checks every health check is there, before anything
  changes; the DNS steps assume it again to invert or revert them. The role's name is fixed and its account is
  the zones stack's (the routing stack writes records into those zones with its own provider, so it deploys
  there), which the cell reads from the zones stack: the cell stack writes the role's ARN into its runbooks
  before the routing stack exists.

Why not a document parameter default ``{{ssm:...}}``: it reads Parameter Store in the account the automation
runs in, and the ids are in the zones account; a parameter cannot be referenced in a step's input at all
(:data:`DR_DNS_FACTS` ``ssm_parameters_in_runbooks``). Why not an SSM parameter in the zones account: it would be
a regional resource in us-east-1 under a SecureString key there, for four ids. Why not health checks found by
listing: ``ListHealthChecks`` has no resource scope, so the role would read every cell's checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra._tags import scoped_tags, stack_convention
from fintech_infra.aws_facts import Fact, Source
from fintech_infra.dns_zones import ROUTE53_CONTROL_REGION
from fintech_infra.errors import ConfigError

__all__ = [
    "DNS_SESSION",
    "DR_DNS_FACTS",
    "HEALTH_CHECK_TAG_PREFIX",
    "IAM_TAGS_PER_ROLE",
    "MAX_HEALTH_CHECK_TAGS",
    "ROUTE53_CONTROL_REGION",
    "dns_access",
    "dns_access_policy",
    "dns_role_arn",
    "dns_role_name",
    "dns_trust_policy",
    "health_check_tags",
]

DNS_SESSION = "fintech-infra-dr-runbook"
"""Session name of the runbooks' hop into the zones account, visible in that account's CloudTrail."""

DR_DNS_FACTS: dict[str, Source] = {
    "route53_identity_policies": Source(
        "https://repost.aws/knowledge-center/route-53-restrict-changes-health-checks",
        "Access to Route 53 health checks (UpdateHealthCheck, DeleteHealthCheck) is controlled with IAM "
        "identity-based policies: a principal of another account needs a role in the health check's account.",
    ),
    "cross_account_health_check": Source(
        "https://repost.aws/knowledge-center/route-53-cross-account-health-checks",
        "A record may name a health check of another account by id; the check itself stays in its own account.",
    ),
    "update_health_check_inverted": Source(
        "https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html",
        "UpdateHealthCheck takes Inverted (boolean) for the health check id in the request path.",
    ),
    "execute_script_role": Source(
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-document-script.html",
        "An aws:executeScript step that calls AWS APIs runs with the runbook's assume role, so its script can call "
        "sts:AssumeRole with it; each aws:executeScript step runs for at most 600 seconds.",
    ),
    "list_role_tags": Source(
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoleTags.html",
        "ListRoleTags lists the tags attached to the role named by RoleName; a tag value is a single string "
        "(https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html).",
    ),
    "ssm_parameters_in_runbooks": Source(
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-variables.html",
        "A Parameter Store parameter can't be directly referenced in a runbook step's input (only a runbook "
        "parameter's value can); permissions might be required to read it.",
    ),
    "health_check_arn": Source(
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html",
        "route53:GetHealthCheck and route53:UpdateHealthCheck take the healthcheck resource type, "
        "arn:aws:route53:::healthcheck/<id>.",
    ),
}
"""What the cross-account DNS step relies on, each with the page that states it (checked 2026-12-07)."""

IAM_TAGS_PER_ROLE = Fact(
    50,
    "tags per IAM role",
    Source("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
)
MAX_HEALTH_CHECK_TAGS = 40
"""Entities per cell the DNS role can name: IAM's 50 tags per role less room for the tag convention's."""

HEALTH_CHECK_TAG_PREFIX = "fintech-infra:health-check:"
"""The DNS role's tag per entity: ``fintech-infra:health-check:<entity>`` = the entity's health check id."""


def dns_role_name(cell: str) -> str:
    """The fixed name of the role the cell's runbooks assume in the zones account."""
    return f"fintech-infra-dr-dns-{cell}"


def dns_role_arn(account: str, cell: str) -> str:
    """The role's ARN in ``account`` (the zones stack's account)."""
    return f"arn:aws:iam::{account}:role/{dns_role_name(cell)}"


def dns_trust_policy(runbook_role_arn: str) -> dict[str, Any]:
    """Only the cell's runbook role may assume the DNS role: its account as principal, its ARN as the condition
    (a role principal named directly would break silently if the role were re-created)."""
    account = runbook_role_arn.split(":")[4]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalArn": runbook_role_arn}},
            }
        ],
    }


def dns_access_policy(*, role_arn: str, health_check_ids: list[str]) -> dict[str, Any]:
    """Read the role's own tags (the health check ids), get and invert the cell's health checks: nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "HealthCheckIds", "Effect": "Allow", "Action": ["iam:ListRoleTags"], "Resource": role_arn},
            {
                "Sid": "HealthChecks",
                "Effect": "Allow",
                "Action": ["route53:GetHealthCheck", "route53:UpdateHealthCheck"],
                "Resource": [f"arn:aws:route53:::healthcheck/{check}" for check in sorted(health_check_ids)],
            },
        ],
    }


def health_check_tags(checks: Mapping[str, str]) -> dict[str, str]:
    """The DNS role's tags naming the cell's health checks, one per entity."""
    return {f"{HEALTH_CHECK_TAG_PREFIX}{entity}": check for entity, check in sorted(checks.items())}


def dns_access(
    name: str,
    *,
    cell: str,
    runbook_role_arn: str,
    checks: Mapping[str, pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """The routing stack's side for one cell: the role its runbooks assume, tagged with its health checks, allowed
    to read those tags and to get and invert those checks only."""
    if len(checks) > MAX_HEALTH_CHECK_TAGS:
        raise ConfigError(
            f"routing.cell_stacks.{cell}: {len(checks)} entities with a health check; allowed: at most "
            f"{MAX_HEALTH_CHECK_TAGS} (one IAM role tag each, next to the tag convention's, within IAM's "
            f"{IAM_TAGS_PER_ROLE.value} per role: {IAM_TAGS_PER_ROLE.source.url})"
        )
    ids = pulumi.Output.all(**checks)
    # The convention's transformation leaves tags given as an Output alone: merge its tags in here.
    convention = stack_convention()
    base = {**(convention.stack_tags if convention is not None else {}), **scoped_tags(opts.parent)}
    role = aws.iam.Role(
        child(name, f"{cell}-dr-dns"),
        name=dns_role_name(cell),
        assume_role_policy=json.dumps(dns_trust_policy(runbook_role_arn)),
        description=f"Cell {cell}'s DR runbooks: read and invert its entities' Route 53 health checks",
        tags=ids.apply(lambda v: {**health_check_tags(v), **base}),
        opts=opts,
    )
    aws.iam.RolePolicy(
        child(name, f"{cell}-dr-dns-policy"),
        role=role.id,
        policy=pulumi.Output.all(role.arn, ids).apply(
            lambda v: json.dumps(dns_access_policy(role_arn=v[0], health_check_ids=list(v[1].values())))
        ),
        opts=opts,
    )
    return role
