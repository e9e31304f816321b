"""EksCluster: a private EKS control plane, hardened managed nodes, IRSA, core add-ons and a Kubernetes provider.

Defaults, none of which has an off switch:

- API endpoint private; public access only when ``settings.public_endpoint_cidrs`` names networks
  (never ``0.0.0.0/0``, which the settings model rejects).
- Kubernetes secrets envelope-encrypted with ``secrets_key``; all five control-plane log types go to
  ``/aws/eks/<cluster>/cluster``, pre-created KMS-encrypted with the jurisdiction's retention (the
  cluster name is fixed, so the name is known before the cluster exists).
- ``API`` authentication mode: access entries only, no ``aws-auth`` ConfigMap, and no implicit admin for
  whoever created the cluster; ``admin_role_arns`` get ``AmazonEKSClusterAdminPolicy``.
- Managed nodes in the private subnets through a launch template: IMDSv2 required with hop limit 1 (pods
  cannot reach the node's credentials), root volumes encrypted with a KMS key, no public IP
  (:mod:`fintech_infra.eks_nodes`).
- IRSA through the cluster's OIDC provider (the VPC CNI uses it) and the Pod Identity agent; managed
  vpc-cni (with NetworkPolicy enforcement on, which the Kubernetes baseline relies on), coredns,
  kube-proxy and eks-pod-identity-agent at the newest version EKS lists for the cluster's version
  (:mod:`fintech_infra.eks_addons`).
- A Kubernetes version in EKS standard support (checked at config time against
  :data:`~fintech_infra.aws_facts.EKS_VERSIONS` on the day the program runs) with ``upgradePolicy.supportType``
  STANDARD: EKS upgrades the control plane when standard support ends instead of billing extended support.

Python cannot pass an ``Output[Provider]`` in resource options (pulumi/pulumi#7012), so the Kubernetes
provider is created here from a kubeconfig built out of the cluster's endpoint, CA and name, with
``aws eks get-token --region`` exec authentication, and exposed as :attr:`EksCluster.kubernetes_provider`.
The API is private: ``pulumi up`` must run from a network that reaches it (a runner in the VPC, or VPN).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import ClassVar, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from fintech_infra._component import FintechComponent
from fintech_infra._iam import aws_managed_policy, service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.config import EksSettings
from fintech_infra.eks_addons import AFTER_NODES_COMMUNITY, addon, addons_before_nodes, irsa_role
from fintech_infra.eks_nodes import ManagedNodes
from fintech_infra.errors import ConfigError, key_path
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import AppNetwork, KeyRef

__all__ = ["CONTROL_PLANE_LOG_TYPES", "EksCluster", "kubeconfig_document"]

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[A-Za-z0-9+=,.@_-]+/)*(?P<name>[A-Za-z0-9+=,.@_-]{1,64})$")


def kubeconfig_document(
    *, cluster_name: str, endpoint: str, ca_data: str, region: str, role_arn: str | None = None
) -> str:
    """A kubeconfig (JSON, which is YAML) that authenticates with ``aws eks get-token``; no static token."""
    args = ["--region", region, "eks", "get-token", "--cluster-name", cluster_name, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": args,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
    )


def _cluster_security_group(config: aws.eks.outputs.ClusterVpcConfig) -> str:
    return cast(str, config.cluster_security_group_id)


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    return cast(str, (identities[0].oidcs or [])[0].issuer)


def _ca_data(authority: aws.eks.outputs.ClusterCertificateAuthority) -> str:
    return cast(str, authority.data)


def _validate(name: str, admin_role_arns: Sequence[str], kubeconfig_role_arn: str | None) -> list[str]:
    if not admin_role_arns:
        raise ConfigError(
            f"{key_path(name, 'admin_role_arns')}: () is empty; allowed: one or more IAM role ARNs, including the "
            "role that deploys the stack (API authentication grants nobody access implicitly, so without it "
            "the Kubernetes baseline cannot be applied)"
        )
    problems = [
        f"{key_path(name, 'admin_role_arns', index)}: {arn!r} is not an IAM role ARN; "
        "allowed: arn:aws:iam::<account>:role/<name>"
        for index, arn in enumerate(admin_role_arns)
        if not _ROLE_ARN.match(arn)
    ]
    if kubeconfig_role_arn is not None and not _ROLE_ARN.match(kubeconfig_role_arn):
        problems.append(
            f"{key_path(name, 'kubeconfig_role_arn')}: {kubeconfig_role_arn!r} is not an IAM role ARN; "
            "allowed: arn:aws:iam::<account>:role/<name>"
        )
    slugs = [physical(match["name"]) for match in map(_ROLE_ARN.match, admin_role_arns) if match]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates and not problems:
        problems.append(
            f"{key_path(name, 'admin_role_arns')}: role names {duplicates!r} repeat; allowed: distinct role names "
            "(each names its access entry)"
        )
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)
    return slugs


class EksCluster(FintechComponent):
    """An EKS cluster with a private API, encrypted secrets, full control-plane logs and hardened nodes."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "cluster_name": "Name of the EKS cluster (fixed: `<stack>-<component name>`).",
        "endpoint": "Kubernetes API endpoint (private unless public CIDRs were named).",
        "oidc_provider_arn": "IAM OIDC provider for IRSA.",
        "oidc_issuer_url": "The cluster's OIDC issuer URL.",
        "cluster_security_group_id": "EKS-managed cluster security group, also attached to the nodes.",
        "node_security_group_id": "Security group of the nodes (and, with the VPC CNI, the pods).",
        "node_role_arn": "IAM role of the managed nodes.",
        "control_plane_log_group_name": "Encrypted log group receiving the five control-plane log types.",
        "kubeconfig": "Kubeconfig using `aws eks get-token` (secret).",
    }

    def __init__(
        self,
        name: str,
        settings: EksSettings,
        *,
        cell: str,
        network: AppNetwork,
        secrets_key: KeyRef,
        logs_key: KeyRef,
        log_retention_days: int,
        admin_role_arns: Sequence[str] = (),
        volume_key: KeyRef | None = None,
        kubeconfig_role_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``volume_key`` encrypts node volumes (defaults to ``secrets_key``); a grant lets Auto Scaling use it.

        ``kubeconfig_role_arn`` is the role ``aws eks get-token`` assumes (the deploy role when the stack
        deploys through one); it must be among ``admin_role_arns``' access entries to administer the cluster.
        """
        slugs = _validate(name, admin_role_arns, kubeconfig_role_arn)
        if not list(network.private_subnet_ids):
            raise ConfigError(
                f"{key_path(name, 'network', 'private_subnet_ids')}: [] is empty; allowed: the cell's private "
                "application subnets (nodes never run in public subnets)"
            )
        super().__init__("fintech:eks:EksCluster", name, opts)
        self.cell = cell
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        child_opts = pulumi.ResourceOptions(parent=self)

        cluster_name = physical(pulumi.get_stack(), name, limit=100)
        self.control_plane_logs = encrypted_log_group(
            child(name, "control-plane-logs"),
            key=logs_key,
            retention_days=log_retention_days,
            parent=self,
            log_group_name=f"/aws/eks/{cluster_name}/cluster",
        )

        self.cluster_role = aws.iam.Role(
            child(name, "cluster-role"),
            assume_role_policy=service_trust_policy("eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
            description=f"EKS control plane of {cluster_name}",
            tags={},
            opts=child_opts,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            child(name, "cluster-policy"),
            role=self.cluster_role.name,
            policy_arn=aws_managed_policy(partition, "AmazonEKSClusterPolicy"),
            opts=child_opts,
        )
        # Security groups for pods: EKS's VPC resource controller manages the nodes' trunk and branch ENIs.
        vpc_resources_policy = aws.iam.RolePolicyAttachment(
            child(name, "cluster-vpc-resources-policy"),
            role=self.cluster_role.name,
            policy_arn=aws_managed_policy(partition, "AmazonEKSVPCResourceController"),
            opts=child_opts,
        )
        public_cidrs = list(settings.public_endpoint_cidrs)
        self.cluster = aws.eks.Cluster(
            child(name, "cluster"),
            name=cluster_name,
            version=settings.version,
            role_arn=self.cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(network.private_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(public_cidrs),
                public_access_cidrs=public_cidrs or None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            # The add-ons below are managed; EKS's unmanaged bootstrap copies would conflict with them.
            bootstrap_self_managed_addons=False,
            deletion_protection=True,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            tags={},
            opts=pulumi.ResourceOptions(
                parent=self, protect=True, depends_on=[self.control_plane_logs, cluster_policy, vpc_resources_policy]
            ),
        )
        self.cluster_security_group_id: pulumi.Output[str] = self.cluster.vpc_config.apply(_cluster_security_group)
        issuer: pulumi.Output[str] = self.cluster.identities.apply(_oidc_issuer)
        # No thumbprint_list: pulumi-aws 7 makes it optional and IAM validates EKS issuers against its own CAs.
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            child(name, "oidc"), url=issuer, client_id_lists=["sts.amazonaws.com"], tags={}, opts=child_opts
        )

        self._access_entries(name, slugs, admin_role_arns)
        cni_role = irsa_role(
            name,
            "cni",
            issuer=issuer,
            oidc_provider_arn=self.oidc_provider.arn,
            namespace="kube-system",
            service_account="aws-node",
            policy_arn=aws_managed_policy(partition, "AmazonEKS_CNI_Policy"),
            parent=self,
        )
        addons = addons_before_nodes(
            name,
            cluster_name=self.cluster.name,
            kubernetes_version=settings.version,
            cni_role_arn=cni_role.arn,
            parent=self,
        )

        nodes = ManagedNodes(
            self,
            name,
            settings,
            cluster=self.cluster,
            cluster_name=cluster_name,
            cluster_security_group_id=self.cluster_security_group_id,
            subnet_ids=network.private_subnet_ids,
            key=volume_key or secrets_key,
            partition=partition,
            account=account,
            depends_on=[addons["vpc-cni"], addons["kube-proxy"]],
        )
        self.node_role, self.launch_template, self.node_group = nodes.node_role, nodes.launch_template, nodes.node_group
        # CoreDNS pods need nodes to schedule on, or the add-on never becomes ACTIVE.
        addons["coredns"] = addon(
            name,
            "coredns",
            cluster_name=self.cluster.name,
            kubernetes_version=settings.version,
            parent=self,
            depends_on=[self.node_group],
        )
        # HPAs read CPU through metrics-server; the alert rules read restarts and HPA state from kube-state-metrics.
        for community in AFTER_NODES_COMMUNITY:
            addons[community] = addon(
                name,
                community,
                cluster_name=self.cluster.name,
                kubernetes_version=settings.version,
                parent=self,
                depends_on=[self.node_group],
            )
        self.addons = addons

        self.cluster_name: pulumi.Output[str] = self.cluster.name
        self.endpoint: pulumi.Output[str] = self.cluster.endpoint
        self.oidc_provider_arn: pulumi.Output[str] = self.oidc_provider.arn
        self.oidc_issuer_url: pulumi.Output[str] = issuer
        self.node_security_group_id: pulumi.Output[str] = self.cluster_security_group_id
        self.node_role_arn: pulumi.Output[str] = self.node_role.arn
        self.control_plane_log_group_name: pulumi.Output[str] = self.control_plane_logs.name
        ca_data = self.cluster.certificate_authority.apply(_ca_data)
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, ca_data, region).apply(
                lambda values: kubeconfig_document(
                    cluster_name=values[0],
                    endpoint=values[1],
                    ca_data=values[2],
                    region=values[3],
                    role_arn=kubeconfig_role_arn,
                )
            )
        )
        self.kubernetes_provider = k8s.Provider(
            child(name, "k8s"),
            kubeconfig=self.kubeconfig,
            # Nothing reaches the API before admins can authenticate and nodes can run pods.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._admin_associations, self.node_group]),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_security_group_id": self.node_security_group_id,
                "node_role_arn": self.node_role_arn,
                "control_plane_log_group_name": self.control_plane_log_group_name,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _access_entries(self, name: str, slugs: Sequence[str], admin_role_arns: Sequence[str]) -> None:
        self._admin_associations: list[aws.eks.AccessPolicyAssociation] = []
        for slug, arn in zip(slugs, admin_role_arns, strict=True):
            entry = aws.eks.AccessEntry(
                child(name, f"admin-{slug}"),
                cluster_name=self.cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags={},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._admin_associations.append(
                aws.eks.AccessPolicyAssociation(
                    child(name, f"admin-{slug}-policy"),
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
