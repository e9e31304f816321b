"""deployability_operations.py: CloudTrail recursion, RDS log groups created first, explicit windows."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, Outcome, R, U, case_params, rc, run_case, tags

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
BUCKET = R(t.BUCKET, "trail-bucket", {"bucket": "eu-audit-logs"})
EXCLUDE_OWN = [
    {"name": "management", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
    {
        "name": "data",
        "fieldSelectors": [
            {"field": "eventCategory", "equals": ["Data"]},
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "resources.ARN", "notStartsWiths": ["arn:aws:s3:::eu-audit-logs/"]},
        ],
    },
]


def trail(props: dict, expect: Outcome, title: str, *, bucket: R = BUCKET, unknown: bool = False) -> Case:
    subject = R(
        t.TRAIL, "trail", {"s3BucketName": bucket.props.get("bucket"), **props}, deps={"s3BucketName": [bucket.urn]}
    )
    return Case(title, expect, [bucket, subject], unknown=unknown)


def data_selector(*arn: dict) -> list[dict]:
    fields = [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
    ]
    return [{"fieldSelectors": [*fields, *arn]}]


def basic(values: list, read_write: str = "All") -> list[dict]:
    return [{"readWriteType": read_write, "dataResources": [{"type": "AWS::S3::Object", "values": values}]}]


GROUP = {"kmsKeyId": KEY, "retentionInDays": 1827, "tags": tags()}
DB = {"identifier": "eu-crm", "enabledCloudwatchLogsExports": ["postgresql"], "monitoringInterval": 60, "tags": tags()}


def logs(
    db: dict, groups: dict[str, dict], expect: Outcome, title: str, *, unknown: bool = False, **db_options
) -> Case:
    resources = [
        R(t.LOG_GROUP, f"group-{index}", {"name": name, **props}) for index, (name, props) in enumerate(groups.items())
    ]
    return Case(
        title, expect, [*resources, R(db_options.pop("type_", t.RDS_INSTANCE), "db", db, **db_options)], unknown=unknown
    )


BOTH = {"/aws/rds/instance/eu-crm/postgresql": GROUP, "RDSOSMetrics": GROUP}
WINDOWS = {"backupWindow": "01:00-02:00", "maintenanceWindow": "mon:02:00-mon:03:00"}

CASES = {
    "cloudtrail-no-recursive-data-events": [
        trail({"advancedEventSelectors": EXCLUDE_OWN}, "pass", "advanced selectors excluding the trail bucket"),
        trail({"advancedEventSelectors": EXCLUDE_OWN[:1]}, "pass", "management events only"),
        trail({"eventSelectors": basic(["arn:aws:s3:::eu-audit-logs/"], "ReadOnly")}, "pass", "reads only"),
        trail({"eventSelectors": basic(["arn:aws:s3:::other/"])}, "pass", "another bucket's objects"),
        trail({"eventSelectors": basic(["arn:aws:s3:::eu-audit-logs/"])}, "fail", "basic selector on its own bucket"),
        trail({"eventSelectors": basic(["arn:aws:s3"])}, "fail", "basic selector on every bucket"),
        trail({"advancedEventSelectors": data_selector()}, "fail", "advanced selector on every bucket"),
        trail(
            {
                "advancedEventSelectors": data_selector(
                    {"field": "resources.ARN", "notStartsWiths": ["arn:aws:s3:::x/"]}
                )
            },
            "fail",
            "advanced selector excluding another bucket",
        ),
        trail(
            {
                "advancedEventSelectors": data_selector(
                    {"field": "resources.ARN", "startsWiths": ["arn:aws:s3:::eu-audit-logs/AWSLogs/"]}
                )
            },
            "fail",
            "advanced selector on the delivery prefix",
        ),
        trail(
            {"advancedEventSelectors": EXCLUDE_OWN},
            "pending",
            "bucket name unknown",
            bucket=R(t.BUCKET, "b", {"bucket": U}),
            unknown=True,
        ),
        trail(
            {"advancedEventSelectors": data_selector({"field": "resources.ARN", "notStartsWiths": [U]})},
            "pending",
            "excluded ARN unknown",
            unknown=True,
        ),
    ],
    "rds-log-groups-precreated": [
        logs(DB, BOTH, "pass", "export and enhanced-monitoring groups, encrypted and expiring"),
        logs(DB, {"RDSOSMetrics": GROUP}, "fail", "no group for the exported log"),
        logs(
            DB,
            {**BOTH, "/aws/rds/instance/eu-crm/postgresql": {"retentionInDays": 1827}},
            "fail",
            "group without a key",
        ),
        logs(
            DB, {**BOTH, "/aws/rds/instance/eu-crm/postgresql": {"kmsKeyId": KEY}}, "fail", "group that never expires"
        ),
        logs(DB, {"/aws/rds/instance/eu-crm/postgresql": GROUP}, "fail", "enhanced monitoring without RDSOSMetrics"),
        logs({**DB, "identifier": None}, BOTH, "fail", "autonamed identifier: the group can't be named in advance"),
        logs(DB, BOTH, "fail", "groups in another region", region="eu-west-1"),
        logs(
            {"clusterIdentifier": "eu-trading", "enabledCloudwatchLogsExports": ["postgresql"], "tags": tags()},
            {"/aws/rds/cluster/eu-trading/postgresql": GROUP},
            "pass",
            "an Aurora cluster's group",
            type_=t.RDS_CLUSTER,
        ),
        logs({**DB, "identifier": U}, BOTH, "pending", "identifier unknown", unknown=True),
        logs(
            DB,
            {name: {**GROUP, "kmsKeyId": U} for name in BOTH},
            "pending",
            "keys unknown at a first preview",
            unknown=True,
        ),
        logs(
            DB,
            {**BOTH, "/aws/rds/instance/eu-crm/postgresql": {"kmsKeyId": U}},
            "fail",
            "a known missing retention fails even while the key is unknown",
            unknown=True,
        ),
    ],
    "maintenance-windows-set": [
        rc(t.RDS_INSTANCE, WINDOWS, "pass", "both windows, touching but not overlapping"),
        rc(
            t.RDS_INSTANCE,
            {"backupWindow": "23:00-00:00", "maintenanceWindow": "mon:00:00-mon:01:00"},
            "pass",
            "past midnight",
        ),
        rc(t.RDS_INSTANCE, {"replicateSourceDb": "x", "maintenanceWindow": "mon:02:00-mon:03:00"}, "pass", "a replica"),
        rc(t.RDS_CLUSTER_INSTANCE, {"preferredMaintenanceWindow": "mon:02:00-mon:03:00"}, "pass", "an Aurora instance"),
        rc(t.REDIS, {"snapshotWindow": "01:00-02:00", "maintenanceWindow": "tue:02:00-tue:03:00"}, "pass", "a cache"),
        rc(t.RDS_INSTANCE, {}, "fail", "unset: AWS picks them"),
        rc(t.RDS_CLUSTER, {"preferredBackupWindow": "01:00-02:00"}, "fail", "a cluster without a maintenance window"),
        rc(t.RDS_INSTANCE, {**WINDOWS, "backupWindow": "01:00-01:10"}, "fail", "a 10-minute backup window"),
        rc(t.RDS_INSTANCE, {**WINDOWS, "backupWindow": "02:30-03:30"}, "fail", "backup overlapping maintenance"),
        rc(
            t.REDIS,
            {"snapshotWindow": "01:00-01:30", "maintenanceWindow": "tue:02:00-tue:03:00"},
            "fail",
            "30-minute snapshot",
        ),
        rc(t.RDS_INSTANCE, {**WINDOWS, "maintenanceWindow": "Monday 2am"}, "fail", "not AWS's format"),
        rc(t.RDS_INSTANCE, {**WINDOWS, "maintenanceWindow": U}, "pending", "window unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_the_missing_group_is_named_as_rds_would_name_it() -> None:
    result = run_case("rds-log-groups-precreated", CASES["rds-log-groups-precreated"][1])
    assert [m.split("\n", 1)[1] for m in result.messages("rds-log-groups-precreated")] == [
        "the exported postgresql log needs a log group /aws/rds/instance/eu-crm/postgresql created before the "
        "database: otherwise RDS creates it without a KMS key and without expiry"
    ]
