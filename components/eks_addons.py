"""The EKS cluster's managed add-ons and the IRSA roles they run under.

vpc-cni (under its own IRSA role, with NetworkPolicy enforcement on, which the Kubernetes baseline relies
on), kube-proxy and eks-pod-identity-agent go in before the nodes; coredns after them, because its pods
need nodes to schedule on or the add-on never becomes ACTIVE.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = ["BEFORE_NODES", "CORE_ADDONS", "addon", "addons_before_nodes", "irsa_role"]

CORE_ADDONS: tuple[str, ...] = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns")
BEFORE_NODES: tuple[str, ...] = CORE_ADDONS[:3]
"""The add-ons that need no running node; coredns, the last, waits for the node group."""


def irsa_role(
    name: str,
    role: str,
    *,
    issuer: pulumi.Output[str],
    oidc_provider_arn: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """A role only ``namespace/service_account`` of this cluster can assume through the OIDC provider."""

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
    aws.iam.RolePolicyAttachment(
        child(name, f"{role}-policy"),
        role=irsa.name,
        policy_arn=policy_arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return irsa


def addon(
    name: str,
    addon: str,
    *,
    cluster_name: pulumi.Input[str],
    parent: pulumi.Resource,
    service_account_role_arn: pulumi.Input[str] | None = None,
    configuration_values: str | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.Addon:
    """One managed add-on: EKS's defaults overwritten on create, our edits preserved on update."""
    return aws.eks.Addon(
        child(name, addon),
        cluster_name=cluster_name,
        addon_name=addon,
        service_account_role_arn=service_account_role_arn,
        configuration_values=configuration_values,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        tags={},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def addons_before_nodes(
    name: str, *, cluster_name: pulumi.Input[str], cni_role_arn: pulumi.Input[str], parent: pulumi.Resource
) -> dict[str, aws.eks.Addon]:
    """The :data:`BEFORE_NODES` add-ons, by name; vpc-cni runs under ``cni_role_arn`` with NetworkPolicy on."""
    return {
        name_: addon(
            name,
            name_,
            cluster_name=cluster_name,
            parent=parent,
            service_account_role_arn=cni_role_arn if name_ == "vpc-cni" else None,
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}) if name_ == "vpc-cni" else None,
        )
        for name_ in BEFORE_NODES
    }
