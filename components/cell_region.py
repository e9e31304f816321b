"""What a JurisdictionCell builds once per region: keys, VPC, alarm topic and the application security groups."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.alarms import AlarmTopic
from fintech_infra.config import CellConfig, EcsSettings, VpcSettings
from fintech_infra.eks import EksCluster
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.k8s_baseline import KubernetesBaseline
from fintech_infra.kms import KeyRing
from fintech_infra.vpc import SecureVpc, subnet_cidr

__all__ = ["CellRegion", "data_cidrs"]


def data_cidrs(vpc: SecureVpc) -> list[str]:
    """The VPC's isolated (data) subnets' CIDRs: where the application tier may reach a data store."""
    network = ipaddress.IPv4Network(vpc.cidr)
    return [str(subnet_cidr(network, "isolated", zone)) for zone in vpc.availability_zones]


class CellRegion:
    """What the cell builds once per region: keys, VPC, alarm topic and the application security groups.

    Not a component: its children are the cell's, on the region's provider (``opts``).
    """

    def __init__(
        self,
        cell: pulumi.Resource,
        prefix: str,
        *,
        cell_name: str,
        config: CellConfig,
        rules: Jurisdiction,
        region: str,
        settings: VpcSettings,
        purposes: Sequence[str],
        provider: aws.Provider,
    ) -> None:
        self.region = region
        self.provider = provider
        self.eks: EksCluster | None = None
        self.baseline: KubernetesBaseline | None = None
        self.opts = pulumi.ResourceOptions(parent=cell, providers={"aws": provider})
        self.keys = KeyRing(
            child(prefix, "keys"),
            cell=cell_name,
            purposes=purposes,
            deletion_window_days=config.key_deletion_window_days,
            opts=self.opts,
        )
        self.vpc = SecureVpc(
            child(prefix, "vpc"),
            settings,
            region=region,
            flow_logs_key=self.keys.ref("logs"),
            flow_log_retention_days=rules.min_audit_log_retention_days,
            opts=self.opts,
        )
        self.alarm_topic = AlarmTopic(
            child(prefix, "alarms"),
            key=self.keys.ref("platform"),
            email_endpoints=config.alarms.email_endpoints,
            opts=self.opts,
        )
        # Marker groups: a workload wearing `<concern>` may reach that concern's database, nothing else.
        # They carry no rules (an empty egress list drops AWS's allow-all default).
        self.concern_groups: dict[str, aws.ec2.SecurityGroup] = {}
        if isinstance(config.compute, EcsSettings):
            for database in config.concerns:
                concern = database.concern.value
                self.concern_groups[concern] = self._marker(prefix, concern, f"clients of the {concern} database")
            self.concern_groups["cache"] = self._marker(prefix, "cache", "clients of the cell's cache")

    def _marker(self, prefix: str, role: str, what: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            child(prefix, f"app-{role}-sg"),
            vpc_id=self.vpc.vpc_id,
            description=f"Application tier: {what}",
            ingress=[],
            egress=[],
            opts=self.opts,
        )

    def service_group(self, prefix: str, service: str) -> aws.ec2.SecurityGroup:
        """A service's own group: the edge adds ingress; egress to HTTPS (APIs through NAT/endpoints) and data."""
        data = data_cidrs(self.vpc)
        return aws.ec2.SecurityGroup(
            child(prefix, f"{service}-sg"),
            vpc_id=self.vpc.vpc_id,
            description=f"Service {service}: ingress from the edge only",
            ingress=[],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"], description="HTTPS out"
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=5432, to_port=5432, cidr_blocks=data, description="PostgreSQL"
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=6379, to_port=6379, cidr_blocks=data, description="Cache"
                ),
            ],
            opts=self.opts,
        )
