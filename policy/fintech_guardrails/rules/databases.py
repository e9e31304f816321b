"""Database guardrails that join resources: private subnets, TLS parameter groups, AWS Backup coverage."""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown, present
from fintech_guardrails.registry import dora, pci, stack_rule
from fintech_guardrails.rules._joins import internet_route_tables, public_subnets, subnets_of_table
from fintech_guardrails.rules.rds import replica_props
from fintech_guardrails.settings import jurisdiction_minimum


def primaries(stack: Stack) -> list[Node]:
    """Databases that own their data: not read replicas, not global-database secondaries."""
    return [db for db in stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER) if not replica_props(db.type, db.props)]


@stack_rule(
    name="rds-private-subnets",
    severity=Severity.CRITICAL,
    framework=pci(
        "1.4.4", "System components that store cardholder data are not directly accessible from untrusted networks"
    ),
    tags=("PCI DSS 4.0.1 1.3.1",),
    exemptible=False,
    remediation="Place databases in a DB subnet group of the VPC's isolated subnets (FinancialDatabase does).",
)
def rds_private_subnets(stack: Stack, out: Findings) -> None:
    """Databases sit in a DB subnet group whose subnets are private (no internet-gateway route, no public IPs).

    ``dbSubnetGroupName`` unset means the default VPC's subnets and is a violation. A subnet group that can't be
    resolved yet, or a route that is unknown, is pending.
    """
    routed, unknown = internet_route_tables(stack)
    public = public_subnets(stack)
    exposed: set[str] = set(public)
    doubtful: set[str] = set()
    for table in routed | unknown:
        for subnet in subnets_of_table(stack, table):
            (exposed if table in routed else doubtful).add(subnet.urn)
    for subnet in stack.of_type(t.SUBNET):
        if subnet.get("mapPublicIpOnLaunch") is True:
            exposed.add(subnet.urn)
    for db in stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER):
        name = db.get("dbSubnetGroupName")
        if is_unknown(name) and not db.property_dependencies.get("dbSubnetGroupName"):
            out.wait("dbSubnetGroupName", db.urn)
            continue
        if not db.property_dependencies.get("dbSubnetGroupName") and not name:
            if db.type == t.RDS_INSTANCE and present(db.get("replicateSourceDb")):
                continue  # same-region replicas inherit the source's subnet group
            out.fail("the database needs a DB subnet group of private subnets", db.urn)
            continue
        groups = stack.refs(db, "dbSubnetGroupName", t.RDS_SUBNET_GROUP)
        if not groups:
            out.wait("the database's subnet group", db.urn)
            continue
        for group in groups:
            subnets = stack.refs(group, "subnetIds", t.SUBNET)
            if any(subnet.urn in exposed for subnet in subnets):
                out.fail("the database's subnet group contains a public subnet", db.urn)
            elif any(subnet.urn in doubtful for subnet in subnets) or not subnets:
                out.wait("the subnet group's routes", db.urn)


def _forces_ssl(group: Node) -> object:
    family = group.get("family")
    parameters = as_list(group.get("parameters"))
    if is_unknown(family) or parameters is UNKNOWN:
        return UNKNOWN
    if isinstance(family, str) and not family.startswith(("postgres", "aurora-postgresql")):
        return True  # not PostgreSQL; other engines are not in this library's scope
    for parameter in parameters:
        if dig(parameter, "name") == "rds.force_ssl":
            value = dig(parameter, "value")
            return UNKNOWN if is_unknown(value) else str(value) == "1"
    return False


@stack_rule(
    name="rds-force-ssl",
    severity=Severity.HIGH,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=("checkov:CKV2_AWS_69",),
    exemptible=False,
    remediation=(
        "Attach FinancialDatabase's parameter group (rds.force_ssl=1) through parameterGroupName / "
        "dbClusterParameterGroupName."
    ),
)
def rds_force_ssl(stack: Stack, out: Findings) -> None:
    """Every PostgreSQL database has a parameter group with ``rds.force_ssl=1`` attached.

    No parameter group means the engine default, which does not force TLS on PostgreSQL 15 and earlier, and is a
    violation. A group or parameter unknown during preview is pending.
    """
    attachments = {
        t.RDS_INSTANCE: ("parameterGroupName", t.RDS_PARAMETER_GROUP),
        t.RDS_CLUSTER: ("dbClusterParameterGroupName", t.RDS_CLUSTER_PARAMETER_GROUP),
    }
    for db in stack.of_type(*attachments):
        prop, group_type = attachments[db.type]
        name = db.get(prop)
        groups = stack.refs(db, prop, group_type)
        if not groups:
            if is_unknown(name):
                out.wait(prop, db.urn)
            else:
                out.fail(f"{prop} must attach a parameter group with rds.force_ssl=1", db.urn)
            continue
        verdicts = [_forces_ssl(group) for group in groups]
        if any(verdict is False for verdict in verdicts):
            out.fail("the attached parameter group must set rds.force_ssl=1", db.urn)
        elif any(verdict is UNKNOWN for verdict in verdicts):
            out.wait("rds.force_ssl", db.urn)


def _selected(stack: Stack, db: Node) -> list[Node]:
    return [selection for selection in stack.of_type(t.BACKUP_SELECTION) if db in stack.refs(selection, "resources")]


@stack_rule(
    name="database-backup-plan",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery"),
    tags=("PCI DSS 4.0.1 10.5.1", "checkov:CKV2_AWS_8", "checkov:CKV_AWS_166"),
    remediation=(
        "Add the database ARN to the cell's CellBackup (a locked, KMS-encrypted vault keeping at least the "
        "jurisdiction's retention)."
    ),
)
def database_backup_plan(stack: Stack, out: Findings) -> None:
    """Every database is in an AWS Backup plan with a KMS-encrypted, locked vault keeping the jurisdiction's retention.

    A selection counts when its ``resources`` refer to the database. The plan's rules must target the vault and
    delete no earlier than the jurisdiction's ``min_backup_retention_days``; ``lifecycle`` unset means kept
    forever (passes). A vault lock's ``minRetentionDays`` must be at least the same. Unknowns are pending.
    """
    registry = stack.settings.registry
    for db in primaries(stack):
        code = stack.jurisdiction(db)
        minimum = jurisdiction_minimum(registry, code, "min_backup_retention_days")
        selections = _selected(stack, db)
        if not selections:
            out.fail("the database is not selected by any AWS Backup plan", db.urn)
            continue
        for selection in selections:
            for plan in stack.refs(selection, "planId", t.BACKUP_PLAN):
                rules = as_list(plan.get("rules"))
                if rules is UNKNOWN:
                    out.wait("backup plan rules", db.urn)
                    continue
                for rule in rules:
                    deleted = dig(rule, "lifecycle", "deleteAfter")
                    if is_unknown(deleted):
                        out.wait("backup rule lifecycle", db.urn)
                    elif isinstance(deleted, (int, float)) and deleted < minimum:
                        out.fail(f"backups must be kept at least {minimum} days for this jurisdiction", db.urn)
                vaults = stack.refs(plan, "rules", t.BACKUP_VAULT)
                if not vaults:
                    out.wait("backup plan's vault", db.urn)
                for vault in vaults:
                    _check_vault(stack, vault, minimum, db, out)


def _check_vault(stack: Stack, vault: Node, minimum: int, db: Node, out: Findings) -> None:
    key = vault.get("kmsKeyArn")
    if vault.property_dependencies.get("kmsKeyArn"):
        pass  # a key of this stack: known to exist even while its ARN is unknown
    elif is_unknown(key):
        out.wait("backup vault kmsKeyArn", db.urn)
    elif not key:
        out.fail("the backup vault must be encrypted with a customer-managed key", db.urn)
    locks = stack.referrers(vault, t.BACKUP_VAULT_LOCK, prop="backupVaultName")
    if not locks:
        out.fail("the backup vault must have a vault lock", db.urn)
    for lock in locks:
        days = lock.get("minRetentionDays")
        if is_unknown(days):
            out.wait("vault lock minRetentionDays", db.urn)
        elif not isinstance(days, (int, float)) or days < minimum:
            out.fail(f"the vault lock must enforce at least {minimum} days of retention", db.urn)
