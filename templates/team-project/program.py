"""A team's own stack: a payments database for one regulated entity, composed from fintech-infra's components.

It holds what the fintech-guardrails policy pack requires around a database, and nothing more: the tag
convention with the jurisdiction, a key per purpose, the network, the audit trail, an alarm topic, the
region's enhanced-monitoring log group, the database and its AWS Backup plan. ``tests/test_program.py``
synthesizes every stack file offline and judges it with the pack. In prod a database's objectives default
to surviving the loss of the region, so it also needs ``dr=`` (a DrPlacement in a DR region of the
jurisdiction); without one it refuses to build, and says so.
"""

import pulumi
import pulumi_aws as aws

from fintech_infra import (
    DEFAULT_REGISTRY,
    AlertTopics,
    AuditTrail,
    CellBackup,
    DatabaseSettings,
    DataConcern,
    FinancialDatabase,
    KeyRing,
    SecureBucket,
    SecureVpc,
    apply_tag_convention,
    encrypted_log_group,
)
from fintech_infra.aws_facts import RDS_ENHANCED_MONITORING_LOG_GROUP
from fintech_infra.config import AlarmSettings, VpcSettings
from fintech_infra.errors import ResidencyError, allowed


def main() -> None:
    config = pulumi.Config()
    jurisdiction = DEFAULT_REGISTRY.require(config.require("jurisdiction"), path="jurisdiction")
    region, name = config.require("region"), config.require("name")
    if region not in jurisdiction.primary_regions:
        raise ResidencyError(
            f"region: {region!r} is not permitted for {jurisdiction.code}; {allowed(jurisdiction.primary_regions)}"
        )
    # Every taggable AWS resource gets the convention's tags, the jurisdiction included.
    apply_tag_convention(
        environment=config.require("environment"),
        jurisdiction=jurisdiction,
        owner=config.require("owner"),
        cost_center=config.require("cost_center"),
        compliance_scope="pci-dss",
    )
    opts = pulumi.ResourceOptions(provider=aws.Provider("primary", region=region))

    # One customer-managed key per purpose: the data, the audit trail, logs, the alarm topic, the backup vault.
    keys = KeyRing(name, cell=name, purposes=["payments", "audit", "logs", "platform", "backup"], opts=opts)
    vpc = SecureVpc(
        name,
        VpcSettings(cidr=config.require("vpc_cidr")),
        region=region,
        flow_logs_key=keys.ref("logs"),
        flow_log_retention_days=jurisdiction.min_audit_log_retention_days,
        opts=opts,
    )
    # A multi-region CloudTrail into an Object Lock bucket, kept for the jurisdiction's audit retention.
    access_logs = SecureBucket(f"{name}-access-logs", log_sink=True, opts=opts)
    AuditTrail(
        f"{name}-audit",
        key=keys.ref("audit"),
        logs_key=keys.ref("audit"),  # its log group holds the audit concern's records: that concern's key
        retention_days=jurisdiction.min_audit_log_retention_days,
        access_log_bucket=access_logs.bucket,
        opts=opts,
    )
    on_call = AlarmSettings(email_endpoints=(config.require("alarm_email"),))  # both alert tiers' topics
    alarms = AlertTopics(f"{name}-alarms", on_call, key=keys.ref("platform"), opts=opts)
    # The region's RDSOSMetrics group (enhanced monitoring), one per account and region: created here first,
    # encrypted and kept for the audit retention, rather than by RDS without either.
    os_metrics = encrypted_log_group(
        f"{name}-rds-os-metrics",
        key=keys.ref("logs"),
        retention_days=jurisdiction.min_audit_log_retention_days,
        log_group_name=RDS_ENHANCED_MONITORING_LOG_GROUP,
        opts=opts,
    )
    app = aws.ec2.SecurityGroup(f"{name}-app", vpc_id=vpc.vpc_id, description="Payments service tasks", opts=opts)
    database = FinancialDatabase(
        f"{name}-payments",
        DatabaseSettings(concern=DataConcern.PAYMENTS),  # objectives: the environment's defaults
        cell=name,
        jurisdiction=jurisdiction,
        network=vpc.data_network(client_security_group_ids={"payments-api": app.id}),  # one ingress rule per label
        key=keys.ref("payments"),
        alert_route=alarms.route,
        monitoring_log_groups=[os_metrics],
        opts=opts,
    )
    # A daily recovery point in a locked vault, kept for the jurisdiction's minimum.
    CellBackup(
        f"{name}-backup",
        cell=name,
        jurisdiction=jurisdiction,
        key=keys.ref("backup"),
        dr=None,
        resource_arns=[database.resource_arn],
        opts=opts,
    )
    pulumi.export("payments_writer", database.writer_endpoint)
    pulumi.export("payments_mechanism", database.recovery_mechanism)
