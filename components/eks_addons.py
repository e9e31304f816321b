"""The EKS cluster's managed add-ons and the IRSA roles they run under.

vpc-cni (under its own IRSA role, with NetworkPolicy enforcement on, which the Kubernetes baseline relies
on), kube-proxy and eks-pod-identity-agent go in before the nodes; coredns after them, because its pods
need nodes to schedule on or the add-on never becomes ACTIVE. Each runs the newest version EKS lists for the
cluster's Kubernetes version (:func:`addon`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = [
    "AFTER_NODES_COMMUNITY",
    "BEFORE_NODES",
    "CORE_ADDONS",
    "VPC_CNI_CONFIGURATION",
    "addon",
    "addons_before_nodes",
    "irsa_role",
]

CORE_ADDONS: tuple[str, ...] = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns")
BEFORE_NODES: tuple[str, ...] = CORE_ADDONS[:3]
"""The add-ons that need no running node; coredns, the last, waits for the node group."""
AFTER_NODES_COMMUNITY: tuple[str, ...] = ("metrics-server", "kube-state-metrics")
"""EKS community add-ons (EKS user guide, ``workloads/community-addons.adoc``): metrics-server (kube-system) feeds
the HorizontalPodAutoscalers, kube-state-metrics (its own namespace) the alert rules; both need nodes."""

VPC_CNI_CONFIGURATION = json.dumps(
    {
        # NetworkPolicy enforcement (the Kubernetes baseline's default-deny relies on it).
        "enableNetworkPolicy": "true",
        # Security groups for pods (fintech_infra.eks_pod_network): branch ENIs per pod, and TCP early demux
        # off so kubelet probes reach pods behind their own groups (EKS user guide,
        # security-groups-pods-deployment.html).
        "env": {"ENABLE_POD_ENI": "true"},
        "init": {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}},
    },
    sort_keys=True,
)


def irsa_role(
    name: str,
    role: str,
    *,
    issuer: pulumi.Output[str],
    oidc_provider_arn: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy_arn: pulumi.Input[str] | None = None,
    policy_document: pulumi.Input[str] | None = None,
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """A role only ``namespace/service_account`` of this cluster can assume through the OIDC provider.

    Its permissions: a managed ``policy_arn`` (attachment ``<name>-<role>-policy``) or an inline
    ``policy_document`` (``<name>-<role>-permissions``), or both.
    """

    def trust(values: list[str]) -> str:
        provider_arn, issuer_url = values
        host = issuer_url.removeprefix("https://")
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                                f"{host}:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ],
            }
        )

    irsa = aws.iam.Role(
        child(name, f"{role}-role"),
        assume_role_policy=pulumi.Output.all(oidc_provider_arn, issuer).apply(trust),
        description=f"IRSA role of {namespace}/{service_account}",
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if policy_arn is not None:
        aws.iam.RolePolicyAttachment(
            child(name, f"{role}-policy"),
            role=irsa.name,
            policy_arn=policy_arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    if policy_document is not None:
        aws.iam.RolePolicy(
            child(name, f"{role}-permissions"),
            role=irsa.id,
            policy=policy_document,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return irsa


def addon(
    name: str,
    addon: str,
    *,
    cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    parent: pulumi.Resource,
    service_account_role_arn: pulumi.Input[str] | None = None,
    configuration_values: str | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.Addon:
    """One managed add-on at the newest version EKS lists for ``kubernetes_version``.

    EKS's defaults are overwritten on create, our edits preserved on update. The version is resolved when the
    program runs (``get_addon_version``, most recent), never pinned: it moves with the cluster's version, so an
    upgraded control plane never keeps add-ons built for the previous one.
    """
    version = aws.eks.get_addon_version_output(
        addon_name=addon,
        kubernetes_version=kubernetes_version,
        most_recent=True,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    ).version
    return aws.eks.Addon(
        child(name, addon),
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=version,
        service_account_role_arn=service_account_role_arn,
        configuration_values=configuration_values,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        tags={},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def addons_before_nodes(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    cni_role_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> dict[str, aws.eks.Addon]:
    """The :data:`BEFORE_NODES` add-ons, by name; vpc-cni runs under ``cni_role_arn`` with
    :data:`VPC_CNI_CONFIGURATION` (NetworkPolicy enforcement and security groups for pods)."""
    return {
        name_: addon(
            name,
            name_,
            cluster_name=cluster_name,
            kubernetes_version=kubernetes_version,
            parent=parent,
            service_account_role_arn=cni_role_arn if name_ == "vpc-cni" else None,
            configuration_values=VPC_CNI_CONFIGURATION if name_ == "vpc-cni" else None,
        )
        for name_ in BEFORE_NODES
    }
