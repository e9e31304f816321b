"""data_hardening.py: keys enabled, current RDS CA, tags on snapshots, PostgreSQL logging, recovery window, no ACLs."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import UB, UN, Case, R, U, case_params, rc, run_case

LOGGING = [
    {"name": "rds.force_ssl", "value": "1"},
    {"name": "log_connections", "value": "1"},
    {"name": "log_disconnections", "value": "1"},
    {"name": "log_statement", "value": "ddl"},
    {"name": "log_min_duration_statement", "value": "1000"},
]


def params(type_: str, parameters: object, name: str = "params") -> R:
    return R(type_, name, {"family": "postgres16", "parameters": parameters})


def instance(group: R | None, engine: object = "postgres") -> R:
    props: dict = {"engine": engine}
    deps: dict = {}
    if group is not None:
        props["parameterGroupName"] = U
        deps["parameterGroupName"] = [group.urn]
    return R(t.RDS_INSTANCE, "db", props, deps=deps)


def without(name: str) -> list[dict]:
    return [item for item in LOGGING if item["name"] != name]


GOOD_GROUP = params(t.RDS_PARAMETER_GROUP, LOGGING)
CLUSTER_GROUP = params(t.RDS_CLUSTER_PARAMETER_GROUP, LOGGING, "cluster-params")
BUCKET = R(t.BUCKET, "bucket", {"bucket": "b-1"})


def ownership(value: object) -> R:
    return R(
        t.BUCKET_OWNERSHIP_CONTROLS,
        "ownership",
        {"bucket": "b-1", "rule": {"objectOwnership": value}},
        deps={"bucket": [BUCKET.urn]},
    )


CASES = {
    "kms-key-enabled": [
        rc(t.KMS_KEY, {}, "pass", "unset is enabled (AWS default)"),
        rc(t.KMS_KEY, {"isEnabled": True}, "pass", "enabled"),
        rc(t.KMS_KEY, {"isEnabled": False}, "fail", "a disabled key"),
        rc(t.KMS_REPLICA_KEY, {"enabled": False}, "fail", "a disabled replica key"),
        rc(t.KMS_KEY, {"isEnabled": UB}, "pending", "unknown", unknown=True),
    ],
    "rds-ca-certificate-current": [
        rc(t.RDS_INSTANCE, {"caCertIdentifier": "rds-ca-rsa2048-g1"}, "pass", "rds-ca-rsa2048-g1"),
        rc(t.RDS_CLUSTER_INSTANCE, {"caCertIdentifier": "rds-ca-ecc384-g1"}, "pass", "an Aurora member on ECC384"),
        rc(t.RDS_INSTANCE, {"caCertIdentifier": "rds-ca-2019"}, "fail", "the expired rds-ca-2019"),
        rc(t.RDS_INSTANCE, {}, "fail", "unset (the account's default, not reviewable)"),
        rc(t.RDS_INSTANCE, {"caCertIdentifier": U}, "pending", "unknown", unknown=True),
    ],
    "rds-copy-tags-to-snapshot": [
        rc(t.RDS_INSTANCE, {"copyTagsToSnapshot": True}, "pass", "an instance copying tags"),
        rc(t.RDS_CLUSTER, {"copyTagsToSnapshot": True}, "pass", "an Aurora cluster copying tags"),
        rc(t.RDS_INSTANCE, {}, "fail", "unset (AWS default false)"),
        rc(t.RDS_CLUSTER, {"copyTagsToSnapshot": False}, "fail", "an Aurora cluster without"),
        rc(t.RDS_INSTANCE, {"copyTagsToSnapshot": UB}, "pending", "unknown", unknown=True),
    ],
    "rds-postgres-logging-parameters": [
        Case("an instance on the library's parameter group", "pass", [GOOD_GROUP, instance(GOOD_GROUP)]),
        Case(
            "an Aurora cluster on its cluster parameter group",
            "pass",
            [
                CLUSTER_GROUP,
                R(
                    t.RDS_CLUSTER,
                    "cluster",
                    {"engine": "aurora-postgresql", "dbClusterParameterGroupName": U},
                    deps={"dbClusterParameterGroupName": [CLUSTER_GROUP.urn]},
                ),
            ],
        ),
        Case("an instance on the engine's default group", "fail", [instance(None)]),
        Case(
            "a group without log_disconnections",
            "fail",
            [params(t.RDS_PARAMETER_GROUP, without("log_disconnections")), instance(GOOD_GROUP)],
        ),
        Case(
            "log_statement none",
            "fail",
            [
                params(t.RDS_PARAMETER_GROUP, [*without("log_statement"), {"name": "log_statement", "value": "none"}]),
                instance(GOOD_GROUP),
            ],
        ),
        Case(
            "slow-statement logging off (-1)",
            "fail",
            [
                params(
                    t.RDS_PARAMETER_GROUP,
                    [*without("log_min_duration_statement"), {"name": "log_min_duration_statement", "value": "-1"}],
                ),
                instance(GOOD_GROUP),
            ],
        ),
        Case("a MySQL instance is not judged", "pass", [instance(None, engine="mysql")]),
        Case("a read replica (no engine) is not judged", "pass", [instance(None, engine=None)]),
        Case(
            "parameters unknown",
            "pending",
            [params(t.RDS_PARAMETER_GROUP, [{"name": "log_statement", "value": U}]), instance(GOOD_GROUP)],
            unknown=True,
        ),
    ],
    "secretsmanager-recovery-window": [
        rc(t.SECRET, {}, "pass", "unset is 30 days"),
        rc(t.SECRET, {"recoveryWindowInDays": 7}, "pass", "7 days"),
        rc(t.SECRET, {"recoveryWindowInDays": 0}, "fail", "0: force delete"),
        rc(t.SECRET, {"recoveryWindowInDays": 45}, "fail", "beyond AWS's 30"),
        rc(t.SECRET, {"recoveryWindowInDays": UN}, "pending", "unknown", unknown=True),
    ],
    "s3-bucket-acls-disabled": [
        Case("ownership BucketOwnerEnforced", "pass", [BUCKET, ownership("BucketOwnerEnforced")]),
        Case("no ownership controls (ACLs on)", "fail", [BUCKET]),
        Case("ownership BucketOwnerPreferred", "fail", [BUCKET, ownership("BucketOwnerPreferred")]),
        Case(
            "a BucketAcl on the bucket",
            "fail",
            [
                BUCKET,
                ownership("BucketOwnerEnforced"),
                R(t.BUCKET_ACLS[0], "acl", {"bucket": "b-1", "acl": "private"}, deps={"bucket": [BUCKET.urn]}),
            ],
        ),
        Case("ownership unknown", "pending", [BUCKET, ownership(U)], unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
