"""The RDS baseline: what every PostgreSQL RDS instance and Aurora cluster here writes the same way.

The RDS-instance mode (:mod:`fintech_infra.database`) and the Aurora mode (:mod:`fintech_infra.aurora`) both
read these, so each compliance value (port, admin user name, CA, data-safety options, logging parameters)
is spelled once.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.config import DatabaseSettings
from fintech_infra.data_access import data_security_group
from fintech_infra.wiring import DataNetwork

__all__ = [
    "CA_CERT_IDENTIFIER",
    "MASTER_USERNAME",
    "POSTGRES_PORT",
    "data_safety",
    "db_parameters",
    "dr_data_network",
]

POSTGRES_PORT = 5432
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
MASTER_USERNAME = "fintech_admin"


def data_safety(name: str, settings: DatabaseSettings) -> dict[str, Any]:
    """The backup and deletion-safety arguments every RDS instance and Aurora cluster here carries.

    In one place because they are what keeps client data recoverable: PITR at the configured retention,
    tags on snapshots, automated backups kept after deletion, deletion protection, a final snapshot with a
    deterministic name, IAM authentication, and no surprise major-version upgrade.
    """
    return {
        "iam_database_authentication_enabled": True,
        "backup_retention_period": settings.backup_retention_days,
        "copy_tags_to_snapshot": True,
        "delete_automated_backups": False,
        "deletion_protection": True,
        "skip_final_snapshot": False,
        "final_snapshot_identifier": physical(name, "final"),
        "allow_major_version_upgrade": False,
    }


def dr_data_network(
    name: str,
    settings: DatabaseSettings,
    network: DataNetwork,
    *,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.ec2.SecurityGroup, aws.rds.SubnetGroup]:
    """The DR region's security group and subnet group for a concern's replica or secondary cluster."""
    security_group = data_security_group(
        child(name, "dr-sg"),
        network=network,
        port=POSTGRES_PORT,
        what=f"{settings.concern.value} PostgreSQL (DR)",
        parent=parent,
        opts=opts,
    )
    subnets = aws.rds.SubnetGroup(
        child(name, "dr-subnets"),
        name=physical(name, "dr"),
        subnet_ids=list(network.subnet_ids),
        description=f"{settings.concern.value} database DR: isolated data subnets",
        opts=opts,
    )
    return security_group, subnets


def db_parameters(settings: DatabaseSettings) -> list[dict[str, str]]:
    """TLS-only connections, connection logging and statement logging (``all`` for the audit concern)."""
    statement = settings.log_statement or ("all" if settings.concern == "audit" else "ddl")
    return [
        # Static before PostgreSQL 15: applied at the next reboot, which a new instance gets on creation.
        {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
        {"name": "log_connections", "value": "1", "apply_method": "immediate"},
        {"name": "log_disconnections", "value": "1", "apply_method": "immediate"},
        {"name": "log_statement", "value": statement, "apply_method": "immediate"},
        {"name": "log_min_duration_statement", "value": str(settings.log_min_duration_ms), "apply_method": "immediate"},
    ]
