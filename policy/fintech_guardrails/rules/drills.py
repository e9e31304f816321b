"""Disaster-recovery runbooks, drills and their schedules.

- ``ssm-document-private``: an SSM document is never shared with every AWS account. The failover runbooks name
  the cell's databases, keys and routing parameters; a public document publishes that map.
- ``scheduler-schedule-cmk``: an EventBridge Scheduler schedule encrypts its target input (which template or
  runbook it starts, with which parameters) under a customer-managed key.
- ``dr-runbook-and-restore-test``: in production, every database with a DR region has its failover and failback
  runbooks and a restore test (issue 20).
- ``dr-rehearsal-scheduled``: in staging, every DR runbook (failover and failback) is started by an EventBridge
  Scheduler schedule: the region rehearsal runs on a calendar, not when someone remembers (issue 20).
- ``fis-stop-on-alarm``: every FIS drill stops on a CloudWatch alarm.
- ``fis-role-in-cell``: an FIS drill acts inside its cell: its role's statements and its targets name only the
  cell's resources (or what FIS creates itself, or resources under a tag or cluster condition).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, require
from fintech_guardrails.iam_facts import wildcard_only
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import as_list, dig, is_unknown
from fintech_guardrails.registry import dora, pci, resource_rule, stack_rule
from fintech_guardrails.rules.databases import primaries
from fintech_guardrails.rules.recovery import _has_dr_region
from fintech_guardrails.rules.secrets import customer_managed_key

__all__ = [
    "dr_rehearsal_scheduled",
    "dr_runbook_and_restore_test",
    "fis_role_in_cell",
    "fis_stop_on_alarm",
    "scheduler_schedule_cmk",
    "ssm_document_private",
]

DATABASES = (t.RDS_INSTANCE, t.RDS_CLUSTER)
RESTORE_TESTING = "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html"
FIS_ROLE = "https://docs.aws.amazon.com/fis/latest/userguide/getting-started-iam-service-role.html"
FIS_STOP_CONDITIONS = "https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html"

SCHEDULER_ENCRYPTION = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html"
SSM_SHARING = "https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-ssm-sharing.html"


def _not_public(account_ids: Any) -> bool:
    if account_ids is None:
        return True
    ids = account_ids.split(",") if isinstance(account_ids, str) else account_ids
    return "all" not in {str(account).strip().lower() for account in ids}


not_public = Expectation(_not_public, "not include All (share the document with named accounts only)")


@resource_rule(
    types=(t.SSM_DOCUMENT,),
    name="ssm-document-private",
    severity=Severity.HIGH,
    framework=pci("7.2.1", "An access control model is defined and includes granting access"),
    tags=("checkov:CKV_AWS_303", "DORA Art. 9"),
    url=SSM_SHARING,
    remediation="Drop `permissions` from the document, or list the accounts it is shared with instead of All.",
)
def ssm_document_private(r: Resource, out: Findings) -> None:
    """SSM documents are not shared publicly (`permissions.account_ids` never includes All)."""
    require(r, out, ("permissions", "account_ids"), not_public)


@resource_rule(
    types=(t.SCHEDULER_SCHEDULE,),
    name="scheduler-schedule-cmk",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("checkov:CKV_AWS_297",),
    url=SCHEDULER_ENCRYPTION,
    remediation="Give the schedule `kms_key_arn` (DrSchedules uses the region's platform key).",
)
def scheduler_schedule_cmk(r: Resource, out: Findings) -> None:
    """Scheduler schedules encrypt their target input with a customer-managed KMS key (`kmsKeyArn`)."""
    require(r, out, "kmsKeyArn", customer_managed_key)


def _identifier(db: Node) -> Any:
    return db.get("clusterIdentifier") if db.type == t.RDS_CLUSTER else db.get("identifier")


@stack_rule(
    name="dr-runbook-and-restore-test",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures and methods"),
    tags=("DORA Art. 11", "PCI DSS 4.0.1 12.10.2", "deployability"),
    url=RESTORE_TESTING,
    remediation=(
        "Give the cell a DR region (JurisdictionCell writes the failover and failback runbooks) and leave "
        "`drills.restore_tests` on (one restore testing selection per concern)."
    ),
)
def dr_runbook_and_restore_test(stack: Stack, out: Findings) -> None:
    """In production every database with a DR region has failover and failback runbooks and a restore test.

    A runbook is an SSM Automation document of the database's jurisdiction whose steps name the database's
    identifier; two are needed (there and back). A restore test is an AWS Backup restore testing selection that
    names the database. Documents or selections whose contents are unknown during preview are pending.
    """
    if stack.settings.environment != "prod":
        return
    documents = [d for d in stack.of_type(t.SSM_DOCUMENT) if d.get("documentType") == "Automation"]
    selections = stack.of_type(t.BACKUP_RESTORE_TESTING_SELECTION)
    tested = {node.urn for s in selections for node in stack.refs(s, "protectedResourceArns", *DATABASES)}
    for db in primaries(stack):
        if not _has_dr_region(stack, db):
            continue
        identifier = _identifier(db)
        code = stack.jurisdiction(db)
        runbooks, waiting = 0, False
        for document in documents:
            if stack.jurisdiction(document) != code:
                continue
            content = document.get("content")
            if is_unknown(content) or is_unknown(identifier):
                waiting = True
            elif isinstance(content, str) and isinstance(identifier, str) and _names(content, identifier):
                runbooks += 1
        if runbooks < 2:
            if waiting:
                out.wait("the runbooks' content", db.urn)
            else:
                out.fail("a database with a DR region needs failover and failback runbooks naming it", db.urn)
        if db.urn not in tested:
            if any(is_unknown(s.get("protectedResourceArns")) for s in selections):
                out.wait("the restore tests' databases", db.urn)
            else:
                out.fail("a database with a DR region needs a restore testing selection naming it", db.urn)


SCHEDULER_UNIVERSAL_TARGETS = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html"
START_AUTOMATION = "arn:aws:scheduler:::aws-sdk:ssm:startAutomationExecution"


def _started_documents(schedules: list[Node]) -> tuple[set[str], bool]:
    """Names of the documents the schedules start (ssm:startAutomationExecution), and whether any is unknown."""
    started: set[str] = set()
    unknown = False
    for schedule in schedules:
        target = schedule.get("target")
        if is_unknown(target):
            unknown = True
            continue
        if not isinstance(target, dict) or target.get("arn") != START_AUTOMATION:
            continue
        text = target.get("input")
        if is_unknown(text):
            unknown = True
            continue
        try:
            request = json.loads(text) if isinstance(text, str) else {}
        except ValueError:
            continue
        document = request.get("DocumentName") if isinstance(request, dict) else None
        if isinstance(document, str):
            started.add(document)
    return started, unknown


@stack_rule(
    name="dr-rehearsal-scheduled",
    severity=Severity.MEDIUM,
    framework=dora("Art. 11", "Response and recovery: ICT business continuity plans tested"),
    tags=("DORA Art. 24", "PCI DSS 4.0.1 12.10.2"),
    url=SCHEDULER_UNIVERSAL_TARGETS,
    remediation=(
        "Leave `drills.scheduled` on in staging (DrSchedules starts the failover runbook in the DR region and the "
        "failback runbook in the primary region on the calendar) and list the stack under a routing stack's "
        "`routing.cell_stacks` so the rehearsal can flip DNS."
    ),
)
def dr_rehearsal_scheduled(stack: Stack, out: Findings) -> None:
    """In staging every DR runbook (SSM Automation document) is started by an EventBridge Scheduler schedule.

    A schedule starts a runbook when its target is the universal target ``ssm:startAutomationExecution`` and
    its input names the document (``DocumentName``). Documents or schedules whose names or inputs are unknown
    during preview are pending.
    """
    if stack.settings.environment != "staging":
        return
    documents = [d for d in stack.of_type(t.SSM_DOCUMENT) if d.get("documentType") == "Automation"]
    if not documents:
        return
    started, unknown = _started_documents(stack.of_type(t.SCHEDULER_SCHEDULE))
    for document in documents:
        name = document.get("name")
        if isinstance(name, str) and name in started:
            continue
        if unknown or is_unknown(name):
            out.wait("the schedules' targets", document.urn)
        else:
            out.fail("a DR runbook in staging must be started by a schedule (the region rehearsal)", document.urn)


@resource_rule(
    types=(t.FIS_EXPERIMENT_TEMPLATE,),
    name="fis-stop-on-alarm",
    severity=Severity.HIGH,
    framework=dora("Art. 25", "Testing of ICT tools and systems"),
    tags=("DORA Art. 24",),
    url=FIS_STOP_CONDITIONS,
    remediation="Pass stop_alarm_arns to CellDrills (stop_condition_alarms selects the cell's critical alarms).",
)
def fis_stop_on_alarm(r: Resource, out: Findings) -> None:
    """FIS experiment templates stop on at least one CloudWatch alarm (a `none` stop condition never stops).

    FIS accepts `aws:cloudwatch:alarm` with an alarm ARN, or `none`; a drill with only `none` runs through the
    outage it causes. Unknown stop conditions are pending.
    """
    conditions = r.get("stopConditions")
    if is_unknown(conditions):
        out.wait("stopConditions")
        return
    alarms = [c for c in as_list(conditions) if isinstance(c, dict) and c.get("source") == "aws:cloudwatch:alarm"]
    if any(is_unknown(c.get("value")) for c in alarms):
        out.wait("stopConditions.value")
    elif not any(isinstance(c.get("value"), str) and ":alarm:" in c["value"] for c in alarms):
        out.fail("stopConditions must include an aws:cloudwatch:alarm condition with an alarm ARN")


# ARN patterns a drill role may hold without naming a cell resource: what FIS itself creates (network ACLs it
# tags managedByFIS, experiments), CloudWatch Logs' vended-delivery setup (log-group:*, as its guide asks) and
# AWS-owned prefix lists.
_FIS_SCOPES = (re.compile(r":network-acl/\*$"), re.compile(r":experiment/\*$"), re.compile(r":log-group:\*$"))
_AWS_OWNED = re.compile(r"^arn:aws[a-z-]*:ec2:[a-z0-9-]+:aws:prefix-list/\*$")


def _cell_names(stack: Stack, code: str | None) -> set[str]:
    """ARNs, ids and names of the resources of jurisdiction ``code`` (one cell per jurisdiction in a stack)."""
    found: set[str] = set()
    for node in stack.nodes:
        if node.custom and stack.jurisdiction(node) == code:
            found |= {v for key in ("arn", "id", "name") if isinstance(v := node.get(key), str) and v}
    return found


def _in_cell(arn: str, names: set[str]) -> bool:
    """Whether ``arn`` is a cell resource's, or its resource part (up to a wildcard) names one: subnet/<id>,
    task/<the cell's cluster>/*."""
    if arn in names:
        return True
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return False
    return any(segment in names for segment in re.split(r"[:/]", parts[5].split("*", 1)[0]) if segment)


def _statement_problems(statement: dict[str, Any], names: set[str]) -> list[str]:
    resources = as_list(statement.get("Resource"))
    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
    problems: list[str] = []
    for arn in resources:
        if not isinstance(arn, str):
            continue
        if arn == "*":
            if not all(wildcard_only(action) for action in actions):
                problems.append(f"statement {statement.get('Sid', '?')}: '*' for actions that take a resource")
        elif "*" in arn and not (
            "Condition" in statement
            or any(p.search(arn) for p in _FIS_SCOPES)
            or _AWS_OWNED.match(arn)
            or _in_cell(arn, names)
        ):
            problems.append(f"statement {statement.get('Sid', '?')}: a pattern that names no resource of the cell")
        elif "*" not in arn and not _in_cell(arn, names):
            problems.append(f"statement {statement.get('Sid', '?')}: an ARN outside the cell")
    return problems


@stack_rule(
    name="fis-role-in-cell",
    severity=Severity.HIGH,
    framework=pci("7.2.5", "System accounts are granted the least privileges necessary"),
    tags=("DORA Art. 9",),
    url=FIS_ROLE,
    remediation=(
        "Let CellDrills write the role's policy (drill_policy): each action on the cell's ARNs, on the network ACLs "
        "FIS tags itself, or under a tag or cluster condition; targets select the cell's ARNs or its ECS cluster."
    ),
)
def fis_role_in_cell(stack: Stack, out: Findings) -> None:
    """FIS experiments act inside their cell: role statements and targets name only the cell's resources.

    The cell is the template's jurisdiction in this stack. A role statement's ARN must be a resource of that cell
    (its ARN, or built on its id or name), a pattern carrying a condition, a pattern of what FIS creates itself or
    an AWS-owned prefix list; `*` only for actions AWS offers no resource for. A target selects resources by
    the cell's ARNs, or by parameters naming its ECS cluster. Unknown documents or targets are pending.
    """
    for template in stack.of_type(t.FIS_EXPERIMENT_TEMPLATE):
        names = _cell_names(stack, stack.jurisdiction(template))
        for target in as_list(template.get("targets")):
            if not isinstance(target, dict):
                continue
            arns, cluster = target.get("resourceArns"), dig(target, "parameters", "cluster")
            if is_unknown(arns) or is_unknown(cluster):
                out.wait("the template's targets", template.urn)
            elif arns and any(not isinstance(a, str) or not _in_cell(a, names) for a in as_list(arns)):
                out.fail(f"target {target.get('name')}: a resource outside the cell", template.urn)
            elif not arns and cluster is not None and cluster not in names:
                out.fail(f"target {target.get('name')}: an ECS cluster outside the cell", template.urn)
        for role in stack.refs(template, "roleArn", t.IAM_ROLE):
            for policy in stack.of_type(t.IAM_ROLE_POLICY):
                if role not in stack.refs(policy, "role", t.IAM_ROLE):
                    continue
                document = policy.get("policy")
                if is_unknown(document):
                    out.wait("the role's policy", policy.urn)
                    continue
                parsed = json.loads(document) if isinstance(document, str) else document
                for statement in as_list(dig(parsed, "Statement")):
                    if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                        for problem in _statement_problems(statement, names):
                            out.fail(problem, policy.urn)


def _names(content: str, identifier: str) -> bool:
    """Whether a document (YAML or JSON) names ``identifier`` or an identifier it begins (a quote, a space or a
    line start before it: the DR copies' identifiers extend the primary's)."""
    return re.search(r"(?<![A-Za-z0-9_.-])" + re.escape(identifier), content) is not None
