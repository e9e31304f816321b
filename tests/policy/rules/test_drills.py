"""drills.py: DR runbooks, drills and schedules: SSM documents kept private, schedule inputs under a CMK,
runbooks and restore tests for every production database with DR, drills that stop on an alarm."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case, tags

CY = tags(Jurisdiction="cysec")
DB = R(t.RDS_INSTANCE, "eu-crm-db", {"identifier": "eu-crm", "tags": CY})
DR_VPC = R(t.VPC, "eu-dr-vpc", {"tags": CY}, region="eu-west-1")


def runbook(name: str, identifier: str = "eu-crm", content: object = None) -> R:
    steps = {"mainSteps": [{"name": "promote", "inputs": {"DBInstanceIdentifier": f"{identifier}-dr"}}]}
    body = json.dumps(steps) if content is None else content
    return R(t.SSM_DOCUMENT, name, {"documentType": "Automation", "content": body, "tags": CY})


def selection(*databases: R) -> R:
    return R(
        t.BACKUP_RESTORE_TESTING_SELECTION,
        "eu-restore-tests-crm",
        {
            "protectedResourceType": "RDS",
            "protectedResourceArns": [f"arn:aws:rds:eu-central-1:1:db:{d.name}" for d in databases],
        },
        deps={"protectedResourceArns": [d.urn for d in databases]},
    )


RECOVERABLE = [DB, DR_VPC, runbook("eu-runbooks-failover"), runbook("eu-runbooks-failback"), selection(DB)]
CELL_DB = "arn:aws:rds:eu-central-1:123456789012:db:eu-crm"
OTHER_DB = "arn:aws:rds:eu-central-1:123456789012:db:uk-crm"
CELL_DB_NODE = R(t.RDS_INSTANCE, "eu-crm-db", {"identifier": "eu-crm", "arn": CELL_DB, "tags": CY})
FIS_ROLE = R(t.IAM_ROLE, "eu-drills-role", {"arn": "arn:aws:iam::123456789012:role/eu-drills", "tags": CY})


def drill(*arns: str) -> R:
    targets = [
        {"name": "crm-instance", "resourceType": "aws:rds:db", "selectionMode": "ALL", "resourceArns": list(arns)}
    ]
    return R(
        t.FIS_EXPERIMENT_TEMPLATE,
        "eu-drills-database-failover",
        {"roleArn": FIS_ROLE.props["arn"], "targets": targets, "tags": CY},
        deps={"roleArn": [FIS_ROLE.urn]},
    )


def drill_policy(*statements: Mapping[str, Any], policy: object = None) -> R:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)}) if policy is None else policy
    return R(
        t.IAM_ROLE_POLICY, "eu-drills-policy", {"role": "eu-drills", "policy": document}, deps={"role": [FIS_ROLE.urn]}
    )


REBOOT: dict[str, Any] = {
    "Sid": "Instances",
    "Effect": "Allow",
    "Action": ["rds:RebootDBInstance"],
    "Resource": [CELL_DB],
}
OWN_ACLS: dict[str, Any] = {
    "Sid": "OwnAcls",
    "Effect": "Allow",
    "Action": ["ec2:DeleteNetworkAcl"],
    "Resource": "arn:aws:ec2:eu-central-1:123456789012:network-acl/*",
    "Condition": {"StringEquals": {"aws:ResourceTag/managedByFIS": "true"}},
}
ALARM = "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:eu-edge-alb-5xx-rate"

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RUNBOOK = {"documentType": "Automation", "documentFormat": "JSON", "content": "{}"}

START_AUTOMATION = "arn:aws:scheduler:::aws-sdk:ssm:startAutomationExecution"
STAGING = {"environment": "staging"}


def named_runbook(role: str) -> R:
    return R(
        t.SSM_DOCUMENT,
        f"stg-runbooks-{role}",
        {"documentType": "Automation", "name": f"fintech-infra-stg-{role}", "content": "{}", "tags": CY},
    )


def rehearsal(role: str, document: object = None, target: object = None) -> R:
    request = json.dumps({"DocumentName": f"fintech-infra-stg-{role}" if document is None else document})
    body = {"arn": START_AUTOMATION, "roleArn": "arn:aws:iam::1:role/s", "input": request}
    return R(t.SCHEDULER_SCHEDULE, f"stg-schedules-{role}-rehearsal", {"target": body if target is None else target})


REHEARSED = [named_runbook("failover"), named_runbook("failback"), rehearsal("failover"), rehearsal("failback")]

CASES = {
    "dr-rehearsal-scheduled": [
        Case("both runbooks started by a schedule", "pass", REHEARSED, config=STAGING),
        Case("the failback runbook on no schedule", "fail", REHEARSED[:3], config=STAGING),
        Case(
            "a schedule starting another document",
            "fail",
            [*REHEARSED[:3], rehearsal("failback", document="fintech-infra-uk-failback")],
            config=STAGING,
        ),
        Case(
            "a schedule on another target",
            "fail",
            [*REHEARSED[:3], rehearsal("failback", target={"arn": "arn:aws:scheduler:::aws-sdk:fis:startExperiment"})],
            config=STAGING,
        ),
        Case("production: rehearsed by hand or by choice", "pass", REHEARSED[:2]),
        Case("staging without DR runbooks: nothing to rehearse", "pass", [DB], config=STAGING),
        Case(
            "a schedule input of the same update",
            "pending",
            [*REHEARSED[:3], rehearsal("failback", target={"arn": START_AUTOMATION, "input": U})],
            config=STAGING,
            unknown=True,
        ),
    ],
    "ssm-document-private": [
        rc(t.SSM_DOCUMENT, RUNBOOK, "pass", "no permissions: private to the account"),
        rc(
            t.SSM_DOCUMENT,
            {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "111122223333,444455556666"}},
            "pass",
            "shared with named accounts",
        ),
        rc(t.SSM_DOCUMENT, {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "All"}}, "fail", "public"),
        rc(
            t.SSM_DOCUMENT,
            {**RUNBOOK, "permissions": {"type": "Share", "account_ids": "111122223333, all"}},
            "fail",
            "All among named accounts",
        ),
        rc(t.SSM_DOCUMENT, {**RUNBOOK, "permissions": U}, "pending", "permissions of the same update", unknown=True),
    ],
    "dr-runbook-and-restore-test": [
        Case("runbooks there and back and a restore test", "pass", RECOVERABLE),
        Case("no restore test", "fail", RECOVERABLE[:-1]),
        Case("a failover runbook but no failback", "fail", [*RECOVERABLE[:3], RECOVERABLE[4]]),
        Case(
            "runbooks of another database",
            "fail",
            [DB, DR_VPC, runbook("a", "eu-trading"), runbook("b", "eu-trading"), selection(DB)],
        ),
        Case("no DR region: nothing to fail over to", "pass", [DB, selection(DB)]),
        Case("staging: not required", "pass", [DB, DR_VPC], config={"environment": "staging"}),
        Case(
            "runbook content of the same update",
            "pending",
            [*RECOVERABLE[:2], runbook("a", content=U), runbook("b", content=U), RECOVERABLE[4]],
            unknown=True,
        ),
    ],
    "fis-role-in-cell": [
        Case(
            "the cell's database, FIS's own ACLs",
            "pass",
            [CELL_DB_NODE, FIS_ROLE, drill(CELL_DB), drill_policy(REBOOT, OWN_ACLS)],
        ),
        Case(
            "a statement on another cell's database",
            "fail",
            [CELL_DB_NODE, FIS_ROLE, drill(CELL_DB), drill_policy({**REBOOT, "Resource": [CELL_DB, OTHER_DB]})],
        ),
        Case("a target in another cell", "fail", [CELL_DB_NODE, FIS_ROLE, drill(OTHER_DB), drill_policy(REBOOT)]),
        Case(
            "rds:RebootDBInstance on '*'",
            "fail",
            [CELL_DB_NODE, FIS_ROLE, drill(CELL_DB), drill_policy({**REBOOT, "Resource": "*"})],
        ),
        Case(
            "every instance of the account, no condition",
            "fail",
            [
                CELL_DB_NODE,
                FIS_ROLE,
                drill(CELL_DB),
                drill_policy({**REBOOT, "Resource": "arn:aws:ec2:eu-central-1:123456789012:instance/*"}),
            ],
        ),
        Case(
            "a policy of the same update",
            "pending",
            [CELL_DB_NODE, FIS_ROLE, drill(CELL_DB), drill_policy(policy=U)],
            unknown=True,
        ),
    ],
    "fis-stop-on-alarm": [
        rc(
            t.FIS_EXPERIMENT_TEMPLATE,
            {"stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}]},
            "pass",
            "the edge's 5xx alarm",
        ),
        rc(t.FIS_EXPERIMENT_TEMPLATE, {"stopConditions": [{"source": "none"}]}, "fail", "stop condition none"),
        rc(
            t.FIS_EXPERIMENT_TEMPLATE,
            {"stopConditions": [{"source": "none"}, {"source": "aws:cloudwatch:alarm", "value": ALARM}]},
            "pass",
            "none beside an alarm",
        ),
        rc(t.FIS_EXPERIMENT_TEMPLATE, {"stopConditions": U}, "pending", "conditions of the same update", unknown=True),
    ],
    "scheduler-schedule-cmk": [
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": KEY}, "pass", "the region's platform key"),
        rc(t.SCHEDULER_SCHEDULE, {}, "fail", "no key: an AWS-owned key"),
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": "alias/aws/scheduler"}, "fail", "an AWS-managed alias"),
        rc(t.SCHEDULER_SCHEDULE, {"kmsKeyArn": U}, "pending", "a key of the same update", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_drills_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
