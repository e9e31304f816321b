"""The EKS cluster's managed nodes: their role, the encrypted-volume grant, a hardened launch template, the group.

Managed nodes in the private subnets through a launch template: IMDSv2 required with hop limit 1 (pods
cannot reach the node's credentials), root volumes encrypted with a KMS key (Auto Scaling uses it through
a grant), no public IP, the cluster security group attached.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._iam import aws_managed_policy, service_trust_policy
from fintech_infra._naming import child, physical
from fintech_infra.config import EksSettings
from fintech_infra.wiring import KeyRef

__all__ = ["ManagedNodes"]

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


class ManagedNodes:
    """Builds an EksCluster's node group and what it needs (not a component: its parent is the cluster).

    ``cluster_name`` is the cluster's fixed physical name (for descriptions); ``depends_on`` the add-ons
    the nodes need to join (vpc-cni, kube-proxy).
    """

    def __init__(
        self,
        parent: pulumi.Resource,
        name: str,
        settings: EksSettings,
        *,
        cluster: aws.eks.Cluster,
        cluster_name: str,
        cluster_security_group_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        key: KeyRef,
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> None:
        child_opts = pulumi.ResourceOptions(parent=parent)
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
                policy_arn=aws_managed_policy(partition, policy),
                opts=child_opts,
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]
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
                    security_groups=[cluster_security_group_id],
                )
            ],
            tags={},
            opts=child_opts,
        )
        self.node_group = aws.eks.NodeGroup(
            child(name, "nodes"),
            cluster_name=cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=list(subnet_ids),
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
                parent=parent,
                ignore_changes=["scalingConfig.desiredSize"],
                depends_on=[*node_policies, volume_grant, *depends_on],
            ),
        )
