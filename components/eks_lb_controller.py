"""The AWS Load Balancer Controller, installed only to fill the cell's own target groups.

The ALB, its listeners and rules, the WAF, the certificate and DNS stay owned by the cell (:mod:`fintech_infra.edge`);
the controller only registers pod IPs into the target groups named by ``TargetGroupBinding`` objects. So it
gets a subset of its published IAM policy (``docs/install/iam_policy.json`` at tag v3.5.0 of
kubernetes-sigs/aws-load-balancer-controller, the chart pinned in :mod:`fintech_infra.eks_charts`):

- the read-only ``Describe*``/``Get*`` statement, unchanged (the controller resolves target groups, ENIs,
  subnets and security groups with it);
- ``elasticloadbalancing:RegisterTargets`` and ``DeregisterTargets``, as published, but on exactly this cell's
  target group ARNs instead of ``targetgroup/*/*``.

Every write statement that creates or changes load balancers, listeners, rules, security groups, WAF
associations or Shield protections is left out: an ``Ingress`` or ``Service type=LoadBalancer`` created in
the cluster is refused by AWS, and the namespaces' quotas refuse load balancer services too. The Helm values
turn off the IngressClass, the Service mutator webhook and the backend security group for the same reason.

Nodes allow IMDSv2 with a hop limit of 1, so pods cannot ask the instance metadata service for the region
or VPC; the values pass both, as the EKS user guide says to (``lbc-helm.adoc``). The role is IRSA-bound to
``kube-system/aws-load-balancer-controller`` only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from fintech_infra._naming import child
from fintech_infra.eks_addons import irsa_role
from fintech_infra.eks_charts import LOAD_BALANCER_CONTROLLER

__all__ = [
    "CONTROLLER_NAMESPACE",
    "CONTROLLER_SERVICE_ACCOUNT",
    "IAM_POLICY_SOURCE",
    "READ_ONLY_ACTIONS",
    "controller_policy",
    "load_balancer_controller",
]

CONTROLLER_NAMESPACE = "kube-system"
CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
IAM_POLICY_SOURCE = (
    "kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json at tag v3.5.0 (11eb202c), "
    "checked 2026-12-07"
)
READ_ONLY_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
)
"""The published policy's second statement (read-only, ``Resource: *``), as listed at :data:`IAM_POLICY_SOURCE`."""
TARGET_ACTIONS = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")


def controller_policy(target_group_arns: Sequence[str]) -> str:
    """The controller's permissions: describe everything, register targets only into ``target_group_arns``."""
    statements: list[dict[str, Any]] = [
        {"Sid": "DescribeForBindings", "Effect": "Allow", "Action": list(READ_ONLY_ACTIONS), "Resource": "*"}
    ]
    if target_group_arns:
        statements.append(
            {
                "Sid": "RegisterIntoCellTargetGroups",
                "Effect": "Allow",
                "Action": list(TARGET_ACTIONS),
                "Resource": sorted(target_group_arns),
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def load_balancer_controller(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    region: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    issuer: pulumi.Output[str],
    oidc_provider_arn: pulumi.Input[str],
    target_group_arns: Sequence[pulumi.Input[str]],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.helm.v3.Release:
    """The IRSA role (``<name>-lbc-role``) and the pinned Helm release (``<name>-lbc``) in kube-system."""
    role = irsa_role(
        name,
        "lbc",
        issuer=issuer,
        oidc_provider_arn=oidc_provider_arn,
        namespace=CONTROLLER_NAMESPACE,
        service_account=CONTROLLER_SERVICE_ACCOUNT,
        policy_document=pulumi.Output.all(*target_group_arns).apply(lambda arns: controller_policy(list(arns))),
        parent=parent,
    )
    chart = LOAD_BALANCER_CONTROLLER
    return k8s.helm.v3.Release(
        child(name, "lbc"),
        name="aws-load-balancer-controller",
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=CONTROLLER_NAMESPACE,
        atomic=True,
        values={
            "clusterName": cluster_name,
            # IMDS hop limit 1: the controller cannot discover these itself.
            "region": region,
            "vpcId": vpc_id,
            "replicaCount": 2,
            "serviceAccount": {
                "create": True,
                "name": CONTROLLER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            # Targets only: no IngressClass, no Service defaulting, no security groups of its own.
            "createIngressClassResource": False,
            "enableServiceMutatorWebhook": False,
            "enableBackendSecurityGroup": False,
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"},
            },
            "podDisruptionBudget": {"maxUnavailable": 1},
        },
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on)),
    )
