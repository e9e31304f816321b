"""Key guardrails: rotation, no wildcard principal, a safe deletion window."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import at_least, equals, require, unset_or
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.registry import pci, resource_rule


@resource_rule(
    types=(t.KMS_KEY,),
    name="kms-key-rotation-enabled",
    severity=Severity.HIGH,
    framework=pci("3.7.4", "Key changes at the end of the cryptoperiod"),
    tags=(
        "awsguard:cmk-backing-key-rotation-enabled",
        "cdk-nag:AwsSolutions-KMS5",
        "checkov:CKV_AWS_7",
        "cdk-nag:PCI.DSS.321-KMSBackingKeyRotationEnabled",
    ),
    remediation="Create keys with EncryptionKey/KeyRing (enableKeyRotation=True).",
)
def kms_key_rotation(r: Resource, out: Findings) -> None:
    """Symmetric KMS keys rotate their key material automatically.

    ``enableKeyRotation`` unset means off (AWS default). Asymmetric and HMAC keys, which AWS cannot rotate,
    are skipped. Unknown values are pending.
    """
    spec = r.get("keySpec") if r.get("customerMasterKeySpec") is None else r.get("customerMasterKeySpec")
    if isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT":
        return
    require(r, out, "enableKeyRotation", equals(True))


def _wildcard_allows(document: Any) -> bool:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        values = principal.get("AWS") if isinstance(principal, dict) else principal
        values = values if isinstance(values, list) else [values]
        if "*" in values:
            return True
    return False


@resource_rule(
    types=(t.KMS_KEY, t.KMS_REPLICA_KEY),
    name="kms-key-policy-no-wildcard-principal",
    severity=Severity.CRITICAL,
    framework=pci("3.6.1.3", "Access to cleartext key components is restricted to the fewest custodians"),
    tags=("PCI DSS 4.0.1 7.2.2", "checkov:CKV_AWS_33", "checkov:CKV2_AWS_64"),
    remediation=(
        "Write an explicit key policy naming account principals and services; "
        'never Allow Principal "*" without a condition.'
    ),
)
def kms_key_policy(r: Resource, out: Findings) -> None:
    """KMS keys have an explicit key policy that allows no wildcard principal without a condition.

    ``policy`` unset means AWS's default key policy, which is not accepted (the pack cannot review it). A policy
    that is unknown (built from outputs) is pending; one that is not valid JSON is a violation.
    """
    policy = r.get("policy")
    if is_unknown(policy):
        out.wait("policy")
        return
    if not isinstance(policy, str) or not policy.strip():
        out.fail("the key needs an explicit key policy")
        return
    try:
        document = json.loads(policy)
    except ValueError:
        out.fail("the key policy is not valid JSON")
        return
    if _wildcard_allows(document):
        out.fail("the key policy must not Allow a wildcard principal without a condition")
    if r.get("bypassPolicyLockoutSafetyCheck") is True:
        out.fail("bypassPolicyLockoutSafetyCheck must not be true")


@resource_rule(
    types=(t.KMS_KEY, t.KMS_REPLICA_KEY),
    name="kms-key-deletion-window",
    severity=Severity.HIGH,
    framework=pci("3.6.1", "Procedures protect cryptographic keys against disclosure and misuse"),
    tags=("DORA Art. 9",),
    config={
        "minDays": {
            "type": "integer",
            "minimum": 7,
            "maximum": 30,
            "default": 30,
            "description": "Shortest deletion window; default 30 (AWS maximum).",
        }
    },
    remediation="Keep EncryptionKey's deletion_window_days at 30 so a scheduled deletion can be cancelled.",
)
def kms_key_deletion_window(r: Resource, out: Findings) -> None:
    """Scheduled key deletion waits at least the configured window (default 30 days).

    ``deletionWindowInDays`` unset means 30 days (AWS default) and passes. Unknown values are pending.
    """
    require(r, out, "deletionWindowInDays", unset_or(at_least(int(r.settings.value("minDays")))))
