"""databases.py: private subnets, rds.force_ssl attached, AWS Backup coverage."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, run_case, tags

IGW = R(t.INTERNET_GATEWAY, "igw", {})
ISOLATED = R(t.SUBNET, "isolated-a", {})
PUBLIC = R(t.SUBNET, "public-a", {"mapPublicIpOnLaunch": True})
GROUP = R(t.RDS_SUBNET_GROUP, "db-subnets", {"subnetIds": [U]}, deps={"subnetIds": [ISOLATED.urn]})
BAD_GROUP = R(t.RDS_SUBNET_GROUP, "db-subnets", {"subnetIds": [U]}, deps={"subnetIds": [PUBLIC.urn]})
PARAMS = R(
    t.RDS_PARAMETER_GROUP, "params", {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}
)
NO_SSL = R(
    t.RDS_PARAMETER_GROUP, "params", {"family": "postgres16", "parameters": [{"name": "log_statement", "value": "ddl"}]}
)
KEY = R(t.KMS_KEY, "backup-key", {})
VAULT = R(t.BACKUP_VAULT, "vault", {"kmsKeyArn": U}, deps={"kmsKeyArn": [KEY.urn]})
LOCK = R(
    t.BACKUP_VAULT_LOCK, "lock", {"backupVaultName": U, "minRetentionDays": 90}, deps={"backupVaultName": [VAULT.urn]}
)


def db(**props: object) -> R:
    deps = {"dbSubnetGroupName": [GROUP.urn], "parameterGroupName": [PARAMS.urn]}
    return R(
        t.RDS_INSTANCE,
        "payments-db",
        {"dbSubnetGroupName": U, "parameterGroupName": U, "tags": tags(DataConcern="payments"), **props},
        deps=deps,
    )


def plan(delete_after: object = 90) -> list[R]:
    database = db()
    p = R(
        t.BACKUP_PLAN,
        "plan",
        {"rules": [{"targetVaultName": U, "lifecycle": {"deleteAfter": delete_after}}]},
        deps={"rules": [VAULT.urn]},
    )
    selection = R(
        t.BACKUP_SELECTION,
        "selection",
        {"planId": U, "resources": [U]},
        deps={"planId": [p.urn], "resources": [database.urn]},
    )
    return [KEY, VAULT, p, selection, database]


CASES = {
    "rds-private-subnets": [
        Case("isolated subnets only", "pass", [ISOLATED, GROUP, db()]),
        Case("a subnet group with a public subnet", "fail", [PUBLIC, BAD_GROUP, db()]),
        Case("no subnet group (default VPC)", "fail", [R(t.RDS_INSTANCE, "db", {})]),
        Case(
            "subnet group name unknown and not yet resolvable",
            "pending",
            [R(t.RDS_INSTANCE, "db", {"dbSubnetGroupName": U})],
            unknown=True,
        ),
    ],
    "rds-force-ssl": [
        Case("force_ssl=1 attached", "pass", [PARAMS, db()]),
        Case("attached group without force_ssl", "fail", [NO_SSL, db()]),
        Case("no parameter group", "fail", [R(t.RDS_INSTANCE, "db", {})]),
        Case(
            "parameter value unknown",
            "pending",
            [
                R(
                    t.RDS_PARAMETER_GROUP,
                    "params",
                    {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": U}]},
                ),
                db(),
            ],
            unknown=True,
        ),
    ],
    "database-backup-plan": [
        Case("selected into a locked, encrypted vault keeping 90 days", "pass", [*plan(), LOCK]),
        Case("not selected by any plan", "fail", [db()]),
        Case(
            "a global-database secondary is covered through its primary",
            "pass",
            [R(t.RDS_CLUSTER, "dr", {"globalClusterIdentifier": "g"})],
        ),
        Case("vault without a lock", "fail", plan()),
        Case("backups deleted after 30 days", "fail", [*plan(30), LOCK]),
        Case("lifecycle unknown", "pending", [*plan(U), LOCK], unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
