"""IAM trust guardrails: who may assume a role, and under which conditions.

Service principals carry the confused-deputy keys where the service documents them
(:data:`~fintech_guardrails.iam_facts.CONFUSED_DEPUTY_KEYS`); web-identity (IRSA, GitHub OIDC) trusts pin
the token's subject and audience; account principals name which principal of the account, and nothing
trusts everyone.
"""

from __future__ import annotations

import re

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.iam_facts import CONFUSED_DEPUTY_KEYS, SOURCE_KEYS
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules._iam_documents import Statement, grants, trust_statements

ACCOUNT_PRINCIPAL = re.compile(r"^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")
PRINCIPAL_NARROWING_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "sts:externalid",
        "aws:sourceidentity",
    }
)
"""Condition keys that say which principal of a trusted account may assume the role (lower case)."""


def _principals(statement: Statement, kind: str) -> list[str]:
    principal = statement.body.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    return [str(value) for value in as_list(principal.get(kind))]


@resource_rule(
    types=(t.IAM_ROLE,),
    name="iam-trust-service-confused-deputy",
    severity=Severity.HIGH,
    framework=pci("7.2.5", "System accounts are granted the least privileges necessary"),
    tags=("PCI DSS 4.0.1 8.2.2",),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    remediation=(
        "Add Condition StringEquals aws:SourceAccount (and ArnLike aws:SourceArn where the resource is known) "
        "to the statement trusting the service; fintech_infra._iam.service_trust_policy(source_account=...) does."
    ),
)
def iam_trust_service_confused_deputy(r: Resource, out: Findings) -> None:
    """A role trusted by an AWS service that sends aws:SourceAccount / aws:SourceArn checks one of them.

    Applies to services whose documentation gives the role trust policy with those keys (the pack's data list,
    each with its page: ecs-tasks, vpc-flow-logs, cloudtrail, monitoring.rds); a statement trusting such a
    service needs an aws:SourceAccount, aws:SourceArn, aws:SourceOrgID or aws:SourceOrgPaths condition.
    Services not known to send the keys are not judged. An unknown trust policy is pending.
    """
    for statement in trust_statements(r, out):
        services = sorted({service for service in _principals(statement, "Service") if service in CONFUSED_DEPUTY_KEYS})
        if services and not statement.condition_keys & set(SOURCE_KEYS):
            out.fail(
                f"{statement.label}: the trust of {', '.join(services)} needs an aws:SourceAccount or "
                "aws:SourceArn condition (confused deputy)"
            )


@resource_rule(
    types=(t.IAM_ROLE,),
    name="iam-trust-web-identity-claims",
    severity=Severity.CRITICAL,
    framework=pci("8.2.2", "Shared and generic identities are not used; each assumption is attributable"),
    tags=("PCI DSS 4.0.1 7.2.5", "checkov:CKV_AWS_358", "checkov:CKV_AWS_393"),
    exemptible=False,
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
    remediation=(
        'Condition StringEquals "<provider>:sub": "system:serviceaccount:<ns>:<sa>" (IRSA) or '
        '"repo:<org>/<repo>:environment:<env>" (GitHub), and "<provider>:aud": "sts.amazonaws.com".'
    ),
)
def iam_trust_web_identity_claims(r: Resource, out: Findings) -> None:
    """Web-identity trusts (IRSA, GitHub OIDC) pin the token's `sub` and `aud` claims.

    A statement allowing `sts:AssumeRoleWithWebIdentity` (or trusting a Federated principal) needs a condition
    on `<provider>:sub` that is not a bare wildcard and one on `<provider>:aud`; without them any workload that
    gets a token from the provider (any pod of the cluster, any GitHub repository) may assume the role. An
    unknown trust policy is pending.
    """
    for statement in trust_statements(r, out):
        federated = _principals(statement, "Federated")
        web = any(grants(action, "sts:AssumeRoleWithWebIdentity") for action in statement.actions)
        if not (web and federated):
            continue
        keys = statement.condition_keys
        subjects = [key for key in keys if key.endswith(":sub")]
        if not subjects:
            out.fail(f"{statement.label}: a web-identity trust needs a <provider>:sub condition")
        elif any(
            isinstance(value, str) and not value.replace("*", "").replace(":", "").strip()
            for key in subjects
            for value in statement.condition_values(key)
        ):
            out.fail(f"{statement.label}: the <provider>:sub condition must name a subject, not a wildcard")
        if not any(key.endswith(":aud") for key in keys):
            out.fail(f"{statement.label}: a web-identity trust needs a <provider>:aud condition")


@resource_rule(
    types=(t.IAM_ROLE,),
    name="iam-trust-principals-conditioned",
    severity=Severity.CRITICAL,
    framework=pci("7.2.1", "An access control model covers need-to-know access"),
    tags=("PCI DSS 4.0.1 7.2.5", "checkov:CKV_AWS_60", "checkov:CKV_AWS_61"),
    exemptible=False,
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    remediation=(
        "Trust a named role, or an account root with Condition ArnEquals aws:PrincipalArn (or "
        "aws:PrincipalOrgID / sts:ExternalId); never Principal '*'."
    ),
)
def iam_trust_principals_conditioned(r: Resource, out: Findings) -> None:
    """Role trust policies never trust everyone, and trust an account only with a condition naming who in it.

    A wildcard principal (`"*"` or `{"AWS": "*"}`) is a violation. An account principal (`arn:...:root` or a
    12-digit id) lets every principal of that account with sts:AssumeRole assume the role, so the statement
    needs a condition on aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount,
    sts:ExternalId or aws:SourceIdentity. An unknown trust policy is pending.
    """
    for statement in trust_statements(r, out):
        aws = _principals(statement, "AWS")
        if "*" in aws or statement.body.get("Principal") == "*":
            out.fail(f"{statement.label}: the trust policy must not trust every principal ('*')")
            continue
        if any(ACCOUNT_PRINCIPAL.match(value) for value in aws) and not (
            statement.condition_keys & PRINCIPAL_NARROWING_KEYS
        ):
            out.fail(f"{statement.label}: an account trust needs a condition naming its principal (aws:PrincipalArn)")
