"""Who may reach a data store: a security group that admits only the application tier, and nothing out.

Shared by every data store here (the PostgreSQL databases and the cache), so the rule is written once.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fintech_infra.wiring import DataNetwork

__all__ = ["data_security_group"]


def data_security_group(
    name: str,
    *,
    network: DataNetwork,
    port: int,
    what: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.ec2.SecurityGroup:
    """A security group admitting ``port`` only from the application tier's security groups; no egress."""
    return aws.ec2.SecurityGroup(
        name,
        vpc_id=network.vpc_id,
        description=f"{what}: port {port} from the application tier only",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp",
                from_port=port,
                to_port=port,
                security_groups=[client],
                description=f"{what} clients (application tier security group)",
            )
            for client in network.client_security_group_ids
        ],
        # A data store never initiates connections; an empty list removes AWS's default allow-all egress.
        egress=[],
        opts=pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent), opts),
    )
