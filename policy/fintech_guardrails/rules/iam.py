"""IAM permission guardrails: least privilege in every policy the library writes.

No wildcard actions, no wildcard resources except where AWS offers nothing narrower
(:data:`~fintech_guardrails.iam_facts.WILDCARD_ONLY_ACTIONS`), nothing administrator-equivalent, and
``iam:PassRole`` only for named roles and a named service. Documents are read once by
:mod:`._iam_documents`; one built from unknown outputs is pending, never a pass.
"""

from __future__ import annotations

import re

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.iam_facts import ADMIN_EQUIVALENT_POLICIES, wildcard_only
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list, is_unknown
from fintech_guardrails.registry import dora, pci, resource_rule
from fintech_guardrails.rules._iam_documents import (
    IDENTITY_POLICY_TYPES,
    Statement,
    allow_statements,
    grants,
    permission_documents,
    read_document,
)

RESOURCE_POLICY_TYPES = (t.KMS_KEY, t.KMS_REPLICA_KEY, t.BUCKET_POLICY)
ATTACHMENT_TYPES = (
    t.IAM_ROLE_POLICY_ATTACHMENT,
    t.IAM_POLICY_ATTACHMENT,
    t.IAM_USER_POLICY_ATTACHMENT,
    t.IAM_GROUP_POLICY_ATTACHMENT,
)
ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def _wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _root_key_administration(r: Resource, statement: Statement) -> bool:
    """The default key policy statement: ``kms:*`` for account roots only (delegation to IAM, not a grant)."""
    if r.type not in (t.KMS_KEY, t.KMS_REPLICA_KEY):
        return False
    principal = statement.body.get("Principal")
    roots = as_list(principal.get("AWS")) if isinstance(principal, dict) and set(principal) == {"AWS"} else []
    return (
        bool(roots)
        and all(isinstance(root, str) and ACCOUNT_ROOT.match(root) for root in roots)
        and [action.lower() for action in statement.actions] == ["kms:*"]
    )


def _resource_policy_statements(r: Resource, out: Findings) -> list[Statement]:
    document = read_document(r.get("policy"), "policy", out)
    if document is None:
        return []
    items = as_list(document.get("Statement"))
    return [
        Statement(f"policy #{index + 1}", item)
        for index, item in enumerate(items)
        if isinstance(item, dict) and item.get("Effect") == "Allow"
    ]


@resource_rule(
    types=(*IDENTITY_POLICY_TYPES, *RESOURCE_POLICY_TYPES),
    name="iam-no-wildcard-actions",
    severity=Severity.HIGH,
    framework=pci("7.2.5", "System accounts are granted the least privileges necessary"),
    tags=(
        "PCI DSS 4.0.1 7.2.2",
        "checkov:CKV_AWS_63",
        "checkov:CKV2_AWS_40",
        "cdk-nag:AwsSolutions-IAM5",
        "cdk-nag:PCI.DSS.321-IAMPolicyNoStatementsWithFullAccess",
    ),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    remediation="Name each action the role needs (service:Verb); never '*', 'service:*' or NotAction in an Allow.",
)
def iam_no_wildcard_actions(r: Resource, out: Findings) -> None:
    """IAM, key and bucket policies allow named actions only: no `*`, no `service:*`, no NotAction.

    Applies to Allow statements of identity policies (policy, role policy, a role's inline policies) and of key
    and bucket policies. The default key policy statement (`kms:*` for account roots) delegates the key to IAM
    and is accepted (the pack's data names AWS's page). A document built from
    unknown outputs is pending.
    """
    statements = (
        _resource_policy_statements(r, out) if r.type in RESOURCE_POLICY_TYPES else list(allow_statements(r, out))
    )
    for statement in statements:
        if "NotAction" in statement.body:
            out.fail(f"{statement.label}: NotAction in an Allow statement grants every other action; name the actions")
        if any(_wildcard_action(action) for action in statement.actions) and not _root_key_administration(r, statement):
            out.fail(f"{statement.label}: Action must name actions, not '*' or 'service:*'")


@resource_rule(
    types=IDENTITY_POLICY_TYPES,
    name="iam-no-wildcard-resources",
    severity=Severity.HIGH,
    framework=pci("7.2.5", "System accounts are granted the least privileges necessary"),
    tags=(
        "checkov:CKV_AWS_355",
        "checkov:CKV_AWS_290",
        "cdk-nag:AwsSolutions-IAM5",
        "checkov:CKV_AWS_288",
        "checkov:CKV_AWS_289",
    ),
    url="https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    remediation=(
        "Scope each statement to the ARNs it needs; keep only actions AWS lists without a resource type "
        "(ecr:GetAuthorizationToken, ...) in a statement on '*'."
    ),
)
def iam_no_wildcard_resources(r: Resource, out: Findings) -> None:
    """IAM policies grant actions on named resources; `"Resource": "*"` only for actions AWS offers no resource for.

    An Allow statement on `*` (or with NotResource) may hold only actions whose row in the Service Authorization
    Reference lists no resource type (the pack's data list, each with its page). Pattern actions (`logs:Describe*`)
    on `*` are violations: the pack cannot prove each match has no resource type. Unknown documents are pending.
    """
    for statement in allow_statements(r, out):
        if "NotResource" in statement.body:
            out.fail(f"{statement.label}: NotResource in an Allow statement grants every other resource")
            continue
        if "*" not in statement.resources:
            continue
        scoped = [action for action in statement.actions if not wildcard_only(action)]
        if scoped:
            out.fail(
                f"{statement.label}: {len(scoped)} action(s) on Resource '*' support resource-level permissions; "
                "name the ARNs"
            )


@resource_rule(
    types=(*IDENTITY_POLICY_TYPES, *ATTACHMENT_TYPES),
    name="iam-no-admin-access",
    severity=Severity.CRITICAL,
    framework=pci("7.2.2", "Access is assigned based on job function with the least privileges necessary"),
    tags=(
        "PCI DSS 4.0.1 7.2.5",
        "checkov:CKV_AWS_62",
        "checkov:CKV_AWS_274",
        "checkov:CKV2_AWS_40",
        "checkov:CKV2_AWS_56",
        "cdk-nag:PCI.DSS.321-IAMPolicyNoStatementsWithAdminAccess",
    ),
    exemptible=False,
    url=ADMIN_EQUIVALENT_POLICIES["AdministratorAccess"].url,
    remediation=(
        "Write a policy with the actions and resources the role needs; never attach AdministratorAccess, "
        "PowerUserAccess or IAMFullAccess, and never allow '*' on '*' or iam:*."
    ),
)
def iam_no_admin_access(r: Resource, out: Findings) -> None:
    """No policy or attachment grants administrator-equivalent access.

    A violation: an Allow of `*` on `*`, of `iam:*` (full IAM lets a principal grant itself anything), or of
    NotAction on `*`; attaching (or listing in `managedPolicyArns`) AdministratorAccess, PowerUserAccess or
    IAMFullAccess. Unknown documents and policy ARNs are pending.
    """
    if r.type in ATTACHMENT_TYPES:
        _no_admin_managed(r.get("policyArn"), "policyArn", out)
        return
    if r.type == t.IAM_ROLE:
        arns = r.get("managedPolicyArns")
        if is_unknown(arns):
            out.wait("managedPolicyArns")
        else:
            for arn in as_list(arns):
                _no_admin_managed(arn, "managedPolicyArns", out)
    for statement in allow_statements(r, out):
        actions = [action.lower() for action in statement.actions]
        everything = "*" in statement.resources
        if everything and ("*" in actions or "*:*" in actions or "NotAction" in statement.body):
            out.fail(f"{statement.label}: allows every action on every resource (administrator access)")
        if "iam:*" in actions:
            out.fail(f"{statement.label}: allows iam:* (full IAM access can grant itself anything)")


def _no_admin_managed(arn: object, what: str, out: Findings) -> None:
    if is_unknown(arn):
        out.wait(what)
    elif isinstance(arn, str) and arn.rsplit("/", 1)[-1] in ADMIN_EQUIVALENT_POLICIES and ":iam::aws:policy/" in arn:
        out.fail(f"{what}: an administrator-equivalent AWS managed policy is attached")


@resource_rule(
    types=IDENTITY_POLICY_TYPES,
    name="iam-passrole-constrained",
    severity=Severity.HIGH,
    framework=pci("7.2.5", "System accounts are granted the least privileges necessary"),
    tags=("checkov:CKV_AWS_286",),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    remediation=(
        "Grant iam:PassRole on the role ARNs the caller hands over, with Condition StringEquals "
        '"iam:PassedToService": "<service>.amazonaws.com".'
    ),
)
def iam_passrole_constrained(r: Resource, out: Findings) -> None:
    """`iam:PassRole` is granted only on named role ARNs and with an `iam:PassedToService` condition.

    Any Allow statement whose actions cover `iam:PassRole` (including `iam:Pass*`, `iam:*` and `*`) must list role
    ARNs without wildcards and carry an `iam:PassedToService` condition, so the holder cannot hand an arbitrary
    role to an arbitrary service (IAM user guide, "Grant a user permissions to pass a role to an AWS service",
    checked 2026-12-07). Unknown documents are pending.
    """
    for statement in allow_statements(r, out):
        if not any(grants(action, "iam:PassRole") for action in statement.actions):
            continue
        if not statement.resources or not all(ROLE_ARN.match(arn) for arn in statement.resources):
            out.fail(f"{statement.label}: iam:PassRole must name role ARNs, without wildcards")
        if "iam:passedtoservice" not in statement.condition_keys:
            out.fail(f"{statement.label}: iam:PassRole needs an iam:PassedToService condition")


@resource_rule(
    types=IDENTITY_POLICY_TYPES,
    name="iam-policy-statements-complete",
    severity=Severity.HIGH,
    framework=dora("Art. 9(4)(e)", "ICT change management"),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html",
    remediation=(
        "Leave out a statement whose resource list came out empty (a service with no secret or key in this "
        "region), and a document with no statement at all; never write Action or Resource as []."
    ),
)
def iam_policy_statements_complete(r: Resource, out: Findings) -> None:
    """Every statement of a permission policy names at least one action and one resource, so IAM accepts it.

    IAM refuses a statement without a Resource or NotResource element, and an empty list counts as none: the
    API answers `MalformedPolicyDocument: Policy statement must contain resources` (the same for actions), so
    `pulumi up` stops at that role (IAM user guide, "IAM JSON policy elements: Resource", checked
    2026-12-07). A document without statements is refused the same way. Unknown documents are pending.
    """
    for label, document in permission_documents(r, out):
        statements = [
            Statement(f"{label} #{index + 1}", item) for index, item in enumerate(as_list(document.get("Statement")))
        ]
        if not statements:
            out.fail(f"{label} has no statement; IAM refuses an empty policy document")
        for statement in statements:
            if not isinstance(statement.body, dict):
                out.fail(f"{statement.label} is not a JSON object")
                continue
            if not (statement.values("Action") or statement.values("NotAction")):
                out.fail(f"{statement.label} names no action (IAM: 'Policy statement must contain actions')")
            if not (statement.values("Resource") or statement.values("NotResource")):
                out.fail(f"{statement.label} names no resource (IAM: 'Policy statement must contain resources')")
