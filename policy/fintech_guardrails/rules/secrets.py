"""Secrets guardrails: customer-managed keys, rotation, no plaintext credentials in inputs."""

from __future__ import annotations

import json
import re

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, equals, require
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import as_list, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule

AWS_MANAGED_ALIASES = re.compile(r"(^|:)alias/aws/")


def customer_managed(value: object) -> bool:
    """A key reference that is set and is not an AWS-managed ``alias/aws/*`` key."""
    return isinstance(value, str) and bool(value.strip()) and not AWS_MANAGED_ALIASES.search(value)


customer_managed_key = Expectation(customer_managed, "name a customer-managed KMS key")
"""The rule idiom's form of :func:`customer_managed`: ``require(r, out, "kmsKeyId", customer_managed_key)``."""


@resource_rule(
    types=(t.SECRET,),
    name="secretsmanager-secret-cmk",
    severity=Severity.HIGH,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("PCI DSS 4.0.1 3.6.1", "cdk-nag:PCI.DSS.321-SecretsManagerUsingKMSKey", "checkov:CKV_AWS_149"),
    exemptible=False,
    remediation="Create secrets with AppSecret and the concern's KeyRef (kmsKeyId = a customer-managed key).",
)
def secret_cmk(r: Resource, out: Findings) -> None:
    """Secrets Manager secrets are encrypted with a customer-managed KMS key.

    ``kmsKeyId`` unset means the AWS-managed ``aws/secretsmanager`` key, which is not accepted. A key ARN unknown
    during preview (a key created in the same update) is pending.
    """
    require(r, out, "kmsKeyId", customer_managed_key)


@resource_rule(
    types=(t.SSM_PARAMETER,),
    name="ssm-parameter-securestring-cmk",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("checkov:CKV2_AWS_34", "checkov:CKV_AWS_337", "GDPR Art. 32"),
    remediation="Publish parameters with RoutingManifest: a SecureString under the cell's platform key.",
)
def ssm_parameter_securestring(r: Resource, out: Findings) -> None:
    """SSM parameters are ``SecureString`` under a customer-managed key.

    The library's parameters are the routing manifests: no credential, but a map of the cell's data stores, read
    only by roles granted the key. ``type`` String or StringList is plain text; ``keyId`` unset means the
    AWS-managed ``aws/ssm`` key. Unknown values are pending.
    """
    require(r, out, "type", equals("SecureString"))
    require(r, out, "keyId", customer_managed_key)


@stack_rule(
    name="secretsmanager-secret-rotation",
    severity=Severity.HIGH,
    framework=pci("8.6.3", "Passwords for application and system accounts are changed periodically"),
    tags=("PCI DSS 4.0.1 3.7.4", "cdk-nag:AwsSolutions-SMG4", "checkov:CKV2_AWS_57", "checkov:CKV_AWS_304"),
    config={
        "maxDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 365,
            "default": 90,
            "description": "Longest rotation interval; default 90 days.",
        }
    },
    remediation="Give AppSecret a rotation_lambda_arn (a SecretRotation with automaticallyAfterDays <= the maximum).",
)
def secret_rotation(stack: Stack, out: Findings) -> None:
    """Every Secrets Manager secret rotates at least every configured number of days (default 90).

    A rotation counts when its ``secretId`` refers to the secret. ``rotationRules.automaticallyAfterDays``
    unset (a schedule expression instead) is accepted. Unknown intervals are pending.
    """
    maximum = int(stack.settings.value("maxDays"))
    for secret in stack.of_type(t.SECRET):
        rotations = stack.referrers(secret, t.SECRET_ROTATION, prop="secretId")
        if not rotations:
            out.fail("the secret has no rotation configured", secret.urn)
            continue
        for rotation in rotations:
            days = dig(rotation.props, "rotationRules", "automaticallyAfterDays")
            if is_unknown(days):
                out.wait("rotationRules.automaticallyAfterDays", secret.urn)
            elif isinstance(days, (int, float)) and days > maximum:
                out.fail(f"the secret must rotate at least every {maximum} days", secret.urn)


PLAINTEXT_INPUTS: dict[str, tuple[str, str]] = {
    t.RDS_INSTANCE: ("password", "manageMasterUserPassword or passwordWo"),
    t.RDS_CLUSTER: ("masterPassword", "manageMasterUserPassword or masterPasswordWo"),
    t.REDIS: ("authToken", "authTokenWo (from a generated secret) or userGroupIds"),
}


@resource_rule(
    types=tuple(PLAINTEXT_INPUTS),
    name="no-plaintext-credential-inputs",
    severity=Severity.CRITICAL,
    framework=pci("8.3.2", "Strong cryptography renders all authentication factors unreadable during storage"),
    tags=("PCI DSS 4.0.1 3.5.1", "PCI DSS 4.0.1 8.6.2"),
    remediation=(
        "Let RDS manage the master password (manageMasterUserPassword) or pass write-only inputs (passwordWo, "
        "authTokenWo)."
    ),
)
def no_plaintext_credentials(r: Resource, out: Findings) -> None:
    """Database and cache credentials are never ordinary inputs stored in Pulumi state.

    The analyzer receives secrets in plaintext and cannot tell a literal from a secret, so any value in
    ``password`` (RDS instance), ``masterPassword`` (Aurora) or ``authToken`` (ElastiCache) is a violation,
    including one unknown during preview: its presence is known. Write-only inputs are accepted.
    """
    prop, instead = PLAINTEXT_INPUTS[r.type]
    if prop in r.props and r.props[prop] not in (None, ""):
        out.fail(f"{prop} is stored in state; use {instead}")


SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)", re.IGNORECASE)


def container_definitions(r: Resource | Node) -> list[dict[str, object]] | None:
    """Parsed ``containerDefinitions`` (a JSON string); None when unknown or not parseable."""
    raw = r.get("containerDefinitions")
    if is_unknown(raw):
        return None
    if isinstance(raw, list):
        return [item for item in raw if isinstance(item, dict)]
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return None
    return [item for item in parsed if isinstance(item, dict)] if isinstance(parsed, list) else None


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-task-secrets-not-in-environment",
    severity=Severity.CRITICAL,
    framework=pci("8.3.2", "Strong cryptography renders all authentication factors unreadable during storage"),
    tags=("PCI DSS 4.0.1 3.5.1", "cdk-nag:AwsSolutions-ECS2"),
    remediation=(
        "Move secret-looking variables to the container's `secrets` (Secrets Manager ARNs); FargateService "
        "does this for settings.secrets."
    ),
)
def ecs_secrets_not_in_environment(r: Resource, out: Findings) -> None:
    """ECS containers take credentials from `secrets`, never from plaintext `environment` variables.

    A variable whose name looks like a credential (password, secret, token, API key, private key, credential,
    auth) is a violation whatever its value. Container definitions unknown during preview are pending.
    """
    containers = container_definitions(r)
    if containers is None:
        out.wait("containerDefinitions")
        return
    for container in containers:
        environment = as_list(container.get("environment"))
        for variable in environment if isinstance(environment, list) else []:
            name = variable.get("name") if isinstance(variable, dict) else None
            if isinstance(name, str) and SECRET_NAME.search(name):
                out.fail("a credential-like variable is set in `environment`; pass it through `secrets`")
