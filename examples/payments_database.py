"""A team's own program: one payments database for a CySEC entity, from the library's components.

Run it with ``pulumi up`` in a project of your own, or offline: ``tests/test_examples.py`` synthesizes it
under the mock engine and checks it the way your tests would.
"""

import pulumi
import pulumi_aws as aws

from fintech_infra import (
    DEFAULT_REGISTRY,
    DatabaseSettings,
    DataConcern,
    FinancialDatabase,
    KeyRing,
    SecureVpc,
    apply_tag_convention,
)
from fintech_infra.config import RecoveryObjectives, VpcSettings


def main() -> None:
    apply_tag_convention(environment="prod", owner="payments-team", cost_center="cc-42", compliance_scope="pci-dss")
    frankfurt = aws.Provider("eu-central-1", region="eu-central-1")
    opts = pulumi.ResourceOptions(provider=frankfurt)

    keys = KeyRing("cy", cell="cy", purposes=["payments", "logs"], opts=opts)
    vpc = SecureVpc(
        "cy",
        VpcSettings(cidr="10.20.0.0/16"),
        region="eu-central-1",
        flow_logs_key=keys.ref("logs"),
        flow_log_retention_days=DEFAULT_REGISTRY["cysec"].min_audit_log_retention_days,
        opts=opts,
    )
    app = aws.ec2.SecurityGroup("cy-payments-app", vpc_id=vpc.vpc_id, description="Payments service tasks", opts=opts)
    database = FinancialDatabase(
        "cy-payments",
        # No DR region in this example: the objectives say so explicitly (scope "zone").
        DatabaseSettings(
            concern=DataConcern.PAYMENTS,
            objectives=RecoveryObjectives(rpo_seconds=0, rto_seconds=300, scope="zone"),
        ),
        cell="cy",
        jurisdiction=DEFAULT_REGISTRY["cysec"],
        key=keys.ref("payments"),
        # Admitted by label: the database gets one ingress rule, `cy-payments-sg-from-payments-api`.
        network=vpc.data_network(client_security_group_ids={"payments-api": app.id}),
        opts=opts,
    )
    pulumi.export("payments_writer", database.writer_endpoint)
    pulumi.export("payments_mechanism", database.recovery_mechanism)
