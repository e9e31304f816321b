"""EKS guardrails: private endpoint, secrets encryption, control-plane logs, IMDSv2 on nodes."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, at_most, equals, includes, is_set, require, unset_or
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list, is_unknown
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules._joins import WORLD

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _named_networks(cidrs: Any) -> bool:
    """``publicAccessCidrs`` is set (unset means 0.0.0.0/0) and opens nothing to the world."""
    listed = as_list(cidrs)
    return bool(listed) and not (set(listed) & WORLD)


NAMED_NETWORKS_ONLY = Expectation(_named_networks, "list only named networks, never 0.0.0.0/0")


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
    require(r, out, ("vpcConfig", "endpointPrivateAccess"), equals(True))
    public = r.get("vpcConfig", "endpointPublicAccess")
    if is_unknown(public):
        out.wait("vpcConfig.endpointPublicAccess")
        return
    if public is False:
        return
    require(
        r,
        out,
        ("vpcConfig", "publicAccessCidrs"),
        NAMED_NETWORKS_ONLY,
        message="a public endpoint must be limited to named CIDRs (not 0.0.0.0/0)",
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
    if is_unknown(r.get("encryptionConfig")):
        out.wait("encryptionConfig")
        return
    require(r, out, ("encryptionConfig", "resources"), includes("secrets"))
    require(r, out, ("encryptionConfig", "provider", "keyArn"), is_set)


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
    require(r, out, "enabledClusterLogTypes", includes(*CONTROL_PLANE_LOGS))


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
    if is_unknown(r.get("metadataOptions")):
        out.wait("metadataOptions")
        return
    require(r, out, ("metadataOptions", "httpTokens"), equals("required"))
    require(r, out, ("metadataOptions", "httpPutResponseHopLimit"), unset_or(at_most(2)))
