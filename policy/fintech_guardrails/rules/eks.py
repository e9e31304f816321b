"""EKS guardrails: private endpoint, secrets encryption, control-plane logs, IMDSv2 on nodes."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Resource, expect
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules._joins import WORLD

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@resource_rule(
    types=(t.EKS_CLUSTER,),
    name="eks-private-endpoint",
    severity=Severity.CRITICAL,
    framework=pci("1.4.1", "NSCs are implemented between trusted and untrusted networks"),
    tags=("PCI DSS 4.0.1 1.3.1", "cdk-nag:AwsSolutions-EKS1", "checkov:CKV_AWS_39", "checkov:CKV_AWS_38"),
    remediation="Keep EksSettings.public_endpoint_cidrs empty, or name admin networks (never 0.0.0.0/0).",
)
def eks_private_endpoint(r: Resource, out: Findings) -> None:
    """The EKS API has a private endpoint, and a public one only for named networks.

    ``vpcConfig.endpointPublicAccess`` unset means true (AWS default) and ``publicAccessCidrs`` unset means
    0.0.0.0/0, so both must be set. ``endpointPrivateAccess`` unset means false and is a violation. Unknowns
    are pending.
    """
    expect(
        out,
        r.get("vpcConfig", "endpointPrivateAccess"),
        lambda v: v is True,
        "endpointPrivateAccess must be true",
        what="vpcConfig.endpointPrivateAccess",
    )
    public = r.get("vpcConfig", "endpointPublicAccess")
    if is_unknown(public):
        out.wait("vpcConfig.endpointPublicAccess")
        return
    if public is False:
        return
    cidrs = as_list(r.get("vpcConfig", "publicAccessCidrs"))
    expect(
        out,
        cidrs,
        lambda v: bool(v) and not (set(v) & WORLD),
        "a public endpoint must be limited to named CIDRs (not 0.0.0.0/0)",
        what="vpcConfig.publicAccessCidrs",
    )


@resource_rule(
    types=(t.EKS_CLUSTER,),
    name="eks-secrets-encryption",
    severity=Severity.CRITICAL,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("PCI DSS 4.0.1 3.6.1", "checkov:CKV_AWS_58"),
    exemptible=False,
    remediation="Pass EksCluster the secrets KeyRef (encryptionConfig for `secrets`).",
)
def eks_secrets_encryption(r: Resource, out: Findings) -> None:
    """Kubernetes secrets are envelope-encrypted with a customer-managed KMS key.

    ``encryptionConfig`` unset means no envelope encryption and is a violation. A key ARN unknown during
    preview is pending.
    """
    config = r.get("encryptionConfig")
    if is_unknown(config):
        out.wait("encryptionConfig")
        return
    resources = as_list(dig(config, "resources"))
    expect(
        out,
        resources,
        lambda v: "secrets" in v,
        "encryptionConfig.resources must include secrets",
        what="encryptionConfig.resources",
    )
    expect(
        out,
        dig(config, "provider", "keyArn"),
        lambda v: isinstance(v, str) and bool(v),
        "encryptionConfig.provider.keyArn must be set",
        what="encryptionConfig.provider.keyArn",
    )


@resource_rule(
    types=(t.EKS_CLUSTER,),
    name="eks-control-plane-logs",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("cdk-nag:AwsSolutions-EKS2", "checkov:CKV_AWS_37"),
    remediation="EksCluster enables all five control-plane log types.",
)
def eks_logs(r: Resource, out: Findings) -> None:
    """All five EKS control-plane log types are enabled.

    ``enabledClusterLogTypes`` unset means none. Unknowns are pending.
    """
    expect(
        out,
        as_list(r.get("enabledClusterLogTypes")),
        lambda v: set(CONTROL_PLANE_LOGS) <= set(v),
        f"enabledClusterLogTypes must include {', '.join(CONTROL_PLANE_LOGS)}",
        what="enabledClusterLogTypes",
    )


@resource_rule(
    types=(t.LAUNCH_TEMPLATE,),
    name="launch-template-imdsv2",
    severity=Severity.HIGH,
    framework=pci("2.2.6", "System security parameters are configured to prevent misuse"),
    tags=("checkov:CKV_AWS_79", "checkov:CKV_AWS_341"),
    remediation="Set metadataOptions.httpTokens=required and httpPutResponseHopLimit <= 2 on node launch templates.",
)
def launch_template_imdsv2(r: Resource, out: Findings) -> None:
    """Launch templates (EKS nodes) require IMDSv2 with a hop limit of at most 2.

    ``metadataOptions.httpTokens`` unset means optional (IMDSv1 allowed) and is a violation; hop limit unset
    means 1 and passes. Unknowns are pending.
    """
    options: Any = r.get("metadataOptions")
    if options is UNKNOWN:
        out.wait("metadataOptions")
        return
    expect(
        out,
        dig(options, "httpTokens"),
        lambda v: v == "required",
        "metadataOptions.httpTokens must be required",
        what="metadataOptions.httpTokens",
    )
    expect(
        out,
        dig(options, "httpPutResponseHopLimit"),
        lambda v: v is None or (isinstance(v, (int, float)) and v <= 2),
        "httpPutResponseHopLimit must be at most 2",
        what="metadataOptions.httpPutResponseHopLimit",
    )
