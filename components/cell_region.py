"""What a JurisdictionCell builds once per region before anything else: keys, VPC, alert topics (critical and
warning) and the region's enhanced-monitoring log group."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_facts
from fintech_infra._naming import child
from fintech_infra.alert_topics import AlertTopics
from fintech_infra.config import CellConfig, VpcSettings
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.kms import PROMETHEUS, KeyRing
from fintech_infra.logs import encrypted_log_group
from fintech_infra.vpc import SecureVpc, subnet_cidr

__all__ = ["CellRegion", "data_cidrs"]


def data_cidrs(vpc: SecureVpc) -> list[str]:
    """The VPC's isolated (data) subnets' CIDRs: where the application tier may reach a data store."""
    network = ipaddress.IPv4Network(vpc.cidr)
    return [str(subnet_cidr(network, "isolated", zone)) for zone in vpc.availability_zones]


class CellRegion:
    """What the cell builds once per region before anything else: keys, VPC, alarm topic, ``RDSOSMetrics``.

    ``RDSOSMetrics`` is one group per account and region, shared by every DB instance there; the cell owns its
    account, so it creates it. Two cells in one account and region would both try (the second fails with
    ResourceAlreadyExistsException), and so does an account whose RDS already created it: import it then
    (docs/deployment.md).

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
        eks = config.compute.kind == "eks"
        self.opts = pulumi.ResourceOptions(parent=cell, providers={"aws": provider})
        self.keys = KeyRing(
            child(prefix, "keys"),
            cell=cell_name,
            purposes=purposes,
            deletion_window_days=config.key_deletion_window_days,
            # An EKS cell's Prometheus alert manager publishes to the alarm topic, encrypted with this key.
            extra_service_principals={"platform": (PROMETHEUS,)} if eks else None,
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
        # Enhanced monitoring of every DB instance in the account and region writes to this one group; created
        # here, before any database, it is encrypted and kept for the audit retention instead of RDS's default.
        self.monitoring_logs = encrypted_log_group(
            child(prefix, "rds-os-metrics"),
            key=self.keys.ref("logs"),
            retention_days=rules.min_audit_log_retention_days,
            parent=cell,
            log_group_name=aws_facts.RDS_ENHANCED_MONITORING_LOG_GROUP,
            opts=self.opts,
        )
        self.alerts = AlertTopics(
            child(prefix, "alarms"),
            config.alarms,
            key=self.keys.ref("platform"),
            # EventBridge may publish to both tiers (AlertTopics): findings, restore-test results.
            publishers=(PROMETHEUS,) if eks else (),
            opts=self.opts,
        )
