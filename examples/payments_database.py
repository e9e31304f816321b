"""A team's own program: a payments database for a CySEC entity, composed from the library's components.

It holds what the policy pack requires around a database and nothing more: the tag convention with the
jurisdiction, a key per purpose, the network, the audit trail, an alarm topic, the database and its AWS
Backup plan.
``tests/test_examples.py`` synthesizes it and judges it with the pack (no mandatory violation), as a
team's own test would. In prod, a database's objectives default to surviving the loss of the region, so it
also needs ``dr=`` (a DrPlacement in a DR region of the jurisdiction); without one it refuses to build and
says so.
"""

import pulumi
import pulumi_aws as aws

from fintech_infra import (
    DEFAULT_REGISTRY,
    AlarmTopic,
    AuditTrail,
    CellBackup,
    DatabaseSettings,
    DataConcern,
    FinancialDatabase,
    KeyRing,
    SecureBucket,
    SecureVpc,
    apply_tag_convention,
)
from fintech_infra.config import VpcSettings

CYSEC = DEFAULT_REGISTRY["cysec"]


def main(environment: str = "staging") -> None:
    # Every taggable AWS resource gets the convention's tags, the jurisdiction included.
    apply_tag_convention(
        environment=environment,
        jurisdiction="cysec",
        owner="payments-team",
        cost_center="cc-42",
        compliance_scope="pci-dss",
    )
    frankfurt = aws.Provider("eu-central-1", region="eu-central-1")
    opts = pulumi.ResourceOptions(provider=frankfurt)

    # One customer-managed key per purpose: the data, the audit trail, logs, the alarm topic, the backup vault.
    keys = KeyRing("cy", cell="cy", purposes=["payments", "audit", "logs", "platform", "backup"], opts=opts)
    vpc = SecureVpc(
        "cy",
        VpcSettings(cidr="10.20.0.0/16"),
        region="eu-central-1",
        flow_logs_key=keys.ref("logs"),
        flow_log_retention_days=CYSEC.min_audit_log_retention_days,
        opts=opts,
    )
    # A multi-region CloudTrail into an Object Lock bucket, kept for the jurisdiction's audit retention.
    access_logs = SecureBucket("cy-access-logs", log_sink=True, opts=opts)
    AuditTrail(
        "cy-audit",
        key=keys.ref("audit"),
        logs_key=keys.ref("logs"),
        retention_days=CYSEC.min_audit_log_retention_days,
        access_log_bucket=access_logs.bucket,
        opts=opts,
    )
    alarms = AlarmTopic("cy-alarms", key=keys.ref("platform"), email_endpoints=["oncall@example.com"], opts=opts)
    app = aws.ec2.SecurityGroup("cy-payments-app", vpc_id=vpc.vpc_id, description="Payments service tasks", opts=opts)
    database = FinancialDatabase(
        "cy-payments",
        DatabaseSettings(concern=DataConcern.PAYMENTS),  # objectives: the environment's defaults
        cell="cy",
        jurisdiction=CYSEC,
        network=vpc.data_network(client_security_group_ids=[app.id]),
        key=keys.ref("payments"),
        alarm_topic_arn=alarms.arn,
        opts=opts,
    )
    # A daily recovery point in a locked vault, kept for the jurisdiction's minimum.
    CellBackup(
        "cy-backup",
        cell="cy",
        jurisdiction=CYSEC,
        key=keys.ref("backup"),
        dr=None,
        resource_arns=[database.resource_arn],
        opts=opts,
    )
    pulumi.export("payments_writer", database.writer_endpoint)
    pulumi.export("payments_mechanism", database.recovery_mechanism)
