"""residency.py, tagging.py, separation.py, recovery.py: the guardrails none of the anchors has."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case, tags

CELL = "urn:pulumi:test::fintech-infra::fintech:cell:JurisdictionCell::cysec"
CELL_NODE = R("fintech:cell:JurisdictionCell", "cysec", {}, region=None)
KEY = R(t.KMS_KEY, "cysec-payments-key", {"tags": tags(DataConcern="payments")}, parent=CELL)


def db(
    name: str = "cysec-payments-db", region: str = "eu-central-1", concern: str = "payments", **deps: list[str]
) -> R:
    return R(t.RDS_INSTANCE, name, {"tags": tags(DataConcern=concern)}, region=region, parent=CELL, deps=deps)


def replica(source: R, region: str = "eu-west-1", **props: object) -> R:
    arn = f"arn:aws:rds:{source.region}:123456789012:db:{source.name}"
    return R(
        t.RDS_INSTANCE,
        f"{source.name}-dr",
        {"replicateSourceDb": arn, "tags": tags(DataConcern="payments"), **props},
        region=region,
        parent=CELL,
        deps={"replicateSourceDb": [source.urn]},
    )


def lag_alarm(target: R, threshold: float) -> R:
    return R(
        t.METRIC_ALARM,
        "lag",
        {"metricName": "ReplicaLag", "threshold": threshold, "dimensions": {"DBInstanceIdentifier": U}},
        deps={"dimensions": [target.urn]},
    )


PRIMARY = db()
STAGING = {"environment": "staging"}
NEAR = {"objectives": {"payments": {"rpoSeconds": 60, "rtoSeconds": 900}}}
# AWS documents no bound for promoting a cross-region replica, so it meets an RTO only when config gives one.
REVIEWED_PROMOTION = {"cross-region-read-replica": {"rpo": None, "rto": 600}}

CASES = {
    "data-residency-region": [
        Case("CySEC resources in Frankfurt", "pass", [CELL_NODE, KEY, PRIMARY]),
        Case("a CySEC database in us-east-1", "fail", [CELL_NODE, db(region="us-east-1")]),
        Case(
            "an untaggable resource inherits its cell's jurisdiction",
            "fail",
            [CELL_NODE, PRIMARY, R(t.FLOW_LOG, "fl", {}, region="ap-southeast-2", parent=CELL)],
        ),
        Case("no region can be determined", "fail", [CELL_NODE, db(region=None)]),  # type: ignore[arg-type]
        Case(
            "region unknown",
            "pending",
            [CELL_NODE, R(t.KMS_KEY, "k", {"tags": tags(), "region": U}, parent=CELL)],
            unknown=True,
        ),
        Case(
            "an override adds a region",
            "pass",
            [CELL_NODE, db(region="eu-west-3")],
            config={"jurisdictions": {"cysec": {"dr_regions": ["eu-west-1", "eu-west-3"]}}},
        ),
    ],
    "data-residency-replication": [
        Case("DR replica source in a permitted region", "pass", [CELL_NODE, PRIMARY, replica(PRIMARY)]),
        Case(
            "a secret replicated to us-east-1",
            "fail",
            [CELL_NODE, R(t.SECRET, "s", {"tags": tags(), "replicas": [{"region": "us-east-1"}]}, parent=CELL)],
        ),
        Case(
            "a backup copy to a vault in Virginia",
            "fail",
            [
                CELL_NODE,
                R(
                    t.BACKUP_PLAN,
                    "p",
                    {
                        "tags": tags(),
                        "rules": [
                            {"copyActions": [{"destinationVaultArn": "arn:aws:backup:us-east-1:1:backup-vault:x"}]}
                        ],
                    },
                    parent=CELL,
                ),
            ],
        ),
        Case(
            "a rotation template published in us-east-1 deployed into the cell's region is not a copy",
            "pass",
            [
                CELL_NODE,
                R(
                    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
                    "rotation",
                    {
                        "tags": tags(),
                        "applicationId": "arn:aws:serverlessrepo:us-east-1:297356227824:applications/Rotation",
                        "parameters": {"endpoint": "https://secretsmanager.eu-central-1.amazonaws.com"},
                    },
                    parent=CELL,
                ),
            ],
        ),
        Case(
            "copy destination unknown is left to the region rule",
            "pass",
            [
                CELL_NODE,
                R(
                    t.BACKUP_PLAN,
                    "p",
                    {"tags": tags(), "rules": [{"copyActions": [{"destinationVaultArn": U}]}]},
                    parent=CELL,
                ),
            ],
            unknown=True,
        ),
    ],
    "required-tags": [
        rc(t.KMS_KEY, {"tags": tags(DataConcern="payments")}, "pass", "all convention tags"),
        rc(t.KMS_KEY, {"tags": {"Owner": "x"}}, "fail", "tags missing"),
        rc(t.KMS_KEY, {"tags": tags(Environment="dev")}, "fail", "dev tag in a prod-configured pack"),
        rc("aws:route53/zone:Zone", {"tags": tags(Jurisdiction="global")}, "pass", "`global` on a global service"),
        rc(t.KMS_KEY, {"tags": tags(Jurisdiction="global")}, "fail", "`global` on a regional resource"),
        rc(t.KMS_KEY, {"tags": tags(DataConcern="marketing")}, "fail", "unknown data concern"),
        rc(t.KMS_KEY, {"tags": tags(Owner=U)}, "pending", "a tag value unknown", unknown=True),
        rc("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {}, "pass", "untaggable types are not judged"),
    ],
    "tag-jurisdiction-consistent": [
        Case("one cell, one jurisdiction", "pass", [CELL_NODE, KEY, PRIMARY]),
        Case(
            "a cell mixing CySEC and ASIC tags",
            "fail",
            [CELL_NODE, KEY, R(t.KMS_KEY, "k2", {"tags": tags(Jurisdiction="asic")}, parent=CELL)],
        ),
        Case("a resource differs from the stack tag", "fail", [CELL_NODE, KEY], stack_tags={"Jurisdiction": "asic"}),
        Case(
            "unknown tags are left to required-tags",
            "pass",
            [CELL_NODE, KEY, R(t.KMS_KEY, "k3", {"tags": U}, parent=CELL)],
            unknown=True,
        ),
    ],
    "concern-separation": [
        Case("payments DB on the payments key", "pass", [KEY, db(kmsKeyId=[KEY.urn])]),
        Case(
            "trading DB on the payments key",
            "fail",
            [KEY, db("cysec-trading-db", concern="trading", kmsKeyId=[KEY.urn])],
        ),
        Case(
            "one security group for two concerns",
            "fail",
            [
                (sg := R(t.SECURITY_GROUP, "shared-sg", {})),
                db(vpcSecurityGroupIds=[sg.urn]),
                db("cysec-crm-db", concern="crm", vpcSecurityGroupIds=[sg.urn]),
            ],
        ),
        Case("a database without a concern", "fail", [R(t.RDS_INSTANCE, "db", {"tags": {}})]),
        Case(
            "references are known at preview even when ARNs are not",
            "pass",
            [
                KEY,
                R(
                    t.RDS_INSTANCE,
                    "db",
                    {"kmsKeyId": U, "tags": tags(DataConcern="payments")},
                    deps={"kmsKeyId": [KEY.urn]},
                ),
            ],
            unknown=True,
        ),
    ],
    "recovery-objectives-achievable": [
        Case(
            "staging defaults (1 day) not met by a replica without a lag alarm: its lag, the RPO, has no bound",
            "fail",
            [PRIMARY, replica(PRIMARY)],
            config=STAGING,
        ),
        Case(
            "staging defaults (1 day) met by a replica with a lag alarm and a reviewed promotion time",
            "pass",
            [PRIMARY, (dr3 := replica(PRIMARY)), lag_alarm(dr3, 300)],
            config={**STAGING, "mechanisms": REVIEWED_PROMOTION},
        ),
        Case("no DR and no backups", "fail", [PRIMARY], config=STAGING),
        Case(
            "a staging cell without a DR region: zone scope met by point-in-time restore",
            "pass",
            [R(t.RDS_INSTANCE, "db", {"backupRetentionPeriod": 7, "tags": tags(DataConcern="payments")})],
            config=STAGING,
        ),
        Case(
            "prod trading without DR cannot meet 60 s / 900 s",
            "fail",
            [
                R(
                    t.RDS_INSTANCE,
                    "db",
                    {"multiAz": True, "backupRetentionPeriod": 35, "tags": tags(DataConcern="trading")},
                )
            ],
        ),
        Case(
            "a 60 s RPO needs more than an unwatched replica",
            "fail",
            [PRIMARY, replica(PRIMARY)],
            config={**NEAR, "mechanisms": REVIEWED_PROMOTION},
        ),
        Case(
            "a 60 s RPO met by a replica with a 30 s lag alarm (and a reviewed promotion time)",
            "pass",
            [PRIMARY, (dr2 := replica(PRIMARY)), lag_alarm(dr2, 30)],
            config={**NEAR, "mechanisms": REVIEWED_PROMOTION},
        ),
        Case(
            "the replica's region is unknown",
            "pending",
            [
                PRIMARY,
                R(
                    t.RDS_INSTANCE,
                    "dr",
                    {"replicateSourceDb": U, "region": U, "tags": tags(DataConcern="payments")},
                    parent=CELL,
                    deps={"replicateSourceDb": [PRIMARY.urn]},
                ),
            ],
            config=STAGING,
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
