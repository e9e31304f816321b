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
  cannot reach the node's credentials), root volumes encrypted with a KMS key, no public IP.
- IRSA through the cluster's OIDC provider (the VPC CNI uses it) and the Pod Identity agent; managed
  vpc-cni (with NetworkPolicy enforcement on, which the Kubernetes baseline relies on), coredns,
  kube-proxy and eks-pod-identity-agent.

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
from fintech_infra._iam import service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.config import EksSettings
from fintech_infra.errors import ConfigError, key_path
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import AppNetwork, KeyRef

__all__ = ["CONTROL_PLANE_LOG_TYPES", "CORE_ADDONS", "EksCluster", "kubeconfig_document"]

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CORE_ADDONS: tuple[str, ...] = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[A-Za-z0-9+=,.@_-]+/)*(?P<name>[A-Za-z0-9+=,.@_-]{1,64})$")
# The EBS operations Auto Scaling needs on a customer-managed key to launch encrypted node volumes.
_VOLUME_KEY_OPERATIONS = (
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
)


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

        def managed_policy(policy: str) -> pulumi.Output[str]:
            return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy)

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
            policy_arn=managed_policy("AmazonEKSClusterPolicy"),
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
                parent=self, protect=True, depends_on=[self.control_plane_logs, cluster_policy]
            ),
        )
        self.cluster_security_group_id: pulumi.Output[str] = self.cluster.vpc_config.apply(_cluster_security_group)
        issuer: pulumi.Output[str] = self.cluster.identities.apply(_oidc_issuer)
        # No thumbprint_list: pulumi-aws 7 makes it optional and IAM validates EKS issuers against its own CAs.
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            child(name, "oidc"), url=issuer, client_id_lists=["sts.amazonaws.com"], tags={}, opts=child_opts
        )

        self._access_entries(name, slugs, admin_role_arns)
        cni_role = self._irsa_role(
            name, "cni", issuer, "kube-system", "aws-node", managed_policy("AmazonEKS_CNI_Policy")
        )
        addons: dict[str, aws.eks.Addon] = {}
        for addon in CORE_ADDONS[:3]:
            addons[addon] = self._addon(
                name,
                addon,
                service_account_role_arn=cni_role.arn if addon == "vpc-cni" else None,
                configuration_values=json.dumps({"enableNetworkPolicy": "true"}) if addon == "vpc-cni" else None,
            )

        self.node_role = aws.iam.Role(
            child(name, "node-role"),
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            description=f"Managed nodes of {cluster_name}",
            tags={},
            opts=child_opts,
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                child(name, f"node-{physical(policy)}"),
                role=self.node_role.name,
                policy_arn=managed_policy(policy),
                opts=child_opts,
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]
        key = volume_key or secrets_key
        volume_grant = aws.kms.Grant(
            child(name, "node-volume-grant"),
            key_id=key.arn,
            grantee_principal=pulumi.Output.concat(
                "arn:",
                partition,
                ":iam::",
                account,
                ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            ),
            operations=list(_VOLUME_KEY_OPERATIONS),
            opts=child_opts,
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            child(name, "node-template"),
            description=f"Hardened managed nodes of {cluster_name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=device,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=settings.node_disk_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=key.arn,
                        delete_on_termination="true",
                    ),
                )
                for device in (
                    ("/dev/xvda", "/dev/xvdb") if settings.ami_type.startswith("BOTTLEROCKET") else ("/dev/xvda",)
                )
            ],
            # With security groups in the template EKS adds none itself, so the cluster group is named here.
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=[self.cluster_security_group_id],
                )
            ],
            tags={},
            opts=child_opts,
        )
        self.node_group = aws.eks.NodeGroup(
            child(name, "nodes"),
            cluster_name=self.cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=list(network.private_subnet_ids),
            instance_types=list(settings.node_instance_types),
            ami_type=settings.ami_type,
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.node_min, max_size=settings.node_max, desired_size=settings.node_min
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            tags={},
            # The cluster autoscaler owns the running size after creation.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["scalingConfig.desiredSize"],
                depends_on=[*node_policies, volume_grant, addons["vpc-cni"], addons["kube-proxy"]],
            ),
        )
        # CoreDNS pods need nodes to schedule on, or the add-on never becomes ACTIVE.
        addons["coredns"] = self._addon(name, "coredns", depends_on=[self.node_group])
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

    def _irsa_role(
        self,
        name: str,
        role: str,
        issuer: pulumi.Output[str],
        namespace: str,
        service_account: str,
        policy_arn: pulumi.Input[str],
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
            assume_role_policy=pulumi.Output.all(self.oidc_provider.arn, issuer).apply(trust),
            description=f"IRSA role of {namespace}/{service_account}",
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            child(name, f"{role}-policy"),
            role=irsa.name,
            policy_arn=policy_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return irsa

    def _addon(
        self,
        name: str,
        addon: str,
        *,
        service_account_role_arn: pulumi.Input[str] | None = None,
        configuration_values: str | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            child(name, addon),
            cluster_name=self.cluster.name,
            addon_name=addon,
            service_account_role_arn=service_account_role_arn,
            configuration_values=configuration_values,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags={},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
