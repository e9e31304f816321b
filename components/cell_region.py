"""What a JurisdictionCell builds once per region before anything else: keys, VPC and alarm topic."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.alarms import AlarmTopic
from fintech_infra.config import CellConfig, VpcSettings
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.kms import KeyRing
from fintech_infra.vpc import SecureVpc, subnet_cidr

__all__ = ["CellRegion", "data_cidrs"]


def data_cidrs(vpc: SecureVpc) -> list[str]:
    """The VPC's isolated (data) subnets' CIDRs: where the application tier may reach a data store."""
    network = ipaddress.IPv4Network(vpc.cidr)
    return [str(subnet_cidr(network, "isolated", zone)) for zone in vpc.availability_zones]


class CellRegion:
    """What the cell builds once per region before anything else: keys, VPC and alarm topic.

    Not a component: its children are the cell's, on the region's provider (``opts``). The region's compute
    tier (:mod:`fintech_infra.cell_compute`) builds on it.
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
