"""Migration tasks on the shipped stacks: one per concern in every ECS cell (prod-eu, prod-uk, staging, dev), none in
EKS prod-au or in a warm standby; each with its own credentials, read by its execution role alone under its
concern's key, its own security group admitted by its concern's database only, and the data-path guardrail judging
the task (no service runs it) in the network its tags name, failing when it is wired to another concern's database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from fintech_infra.testing import RecordedResource, Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.defects import Props, judged, synthesize_with

CONCERNS = ("audit", "crm", "payments", "trading")
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DATA_POLICY = "data-paths-least-privilege"


def _container(task: RecordedResource) -> dict[str, Any]:
    containers = json.loads(task.inputs["containerDefinitions"])
    assert len(containers) == 1
    return dict(containers[0])


def _statements(recording: Recording, role: RecordedResource) -> list[dict[str, Any]]:
    policies = [p for p in recording.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["id"]]
    return [s for p in policies for s in json.loads(p.inputs["policy"])["Statement"]]


@pytest.mark.parametrize(
    ("stack", "prefix"), [("prod-eu", "eu"), ("prod-uk", "uk"), ("staging", "stg"), ("dev", "dev")]
)
def test_every_concern_of_an_ecs_cell_has_a_migration_task(
    recordings: dict[str, Recording], stack: str, prefix: str
) -> None:
    recording = recordings[stack]
    tasks = sorted(task.name for task in recording.of_type(TASK) if "-migrate-" in task.name)
    assert tasks == [f"{prefix}-migrate-{concern}-task" for concern in CONCERNS]  # none in the DR standby


def test_eks_cells_have_no_migration_task(recordings: dict[str, Recording]) -> None:
    assert not [r.name for r in recordings["prod-au"].resources if "-migrate-" in r.name]


@pytest.mark.parametrize("concern", CONCERNS)
def test_the_task_injects_its_own_secret_and_not_the_services(recordings: dict[str, Recording], concern: str) -> None:
    recording = recordings["prod-eu"]
    task = recording.named(f"eu-migrate-{concern}-task", TASK)
    secret = recording.named(f"eu-migrate-{concern}-credentials-secret", SECRET)
    container = _container(task)
    assert container["name"] == "migrate" and container["command"] == ["migrate"]
    assert container["image"] == _container(recording.named("eu-api-task", TASK))["image"]  # api declares it
    assert container["user"] == "1000:1000" and container["readonlyRootFilesystem"] is True
    assert container["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert "environment" not in container and "portMappings" not in container
    assert {item["name"]: item["valueFrom"] for item in container["secrets"]} == {
        "PGDATABASE": f"{secret.outputs['arn']}:dbname::",
        "PGHOST": f"{secret.outputs['arn']}:host::",
        "PGPASSWORD": f"{secret.outputs['arn']}:password::",
        "PGUSER": f"{secret.outputs['arn']}:username::",
    }
    assert (task.inputs["requiresCompatibilities"], task.inputs["networkMode"]) == (["FARGATE"], "awsvpc")
    group = recording.named(f"eu-migrate-{concern}-sg", GROUP)
    assert task.inputs["tags"]["RunTaskSecurityGroups"] == group.outputs["id"]
    private = [recording.named(f"eu-vpc-private-eu-central-1{zone}").outputs["id"] for zone in "abc"]
    assert task.inputs["tags"]["RunTaskSubnets"].split() == private


@pytest.mark.parametrize("concern", CONCERNS)
def test_the_secret_is_generated_under_the_concern_key_and_rotates(
    recordings: dict[str, Recording], concern: str
) -> None:
    recording = recordings["prod-eu"]
    secret = recording.named(f"eu-migrate-{concern}-credentials-secret", SECRET)
    assert secret.inputs["kmsKeyId"] == recording.named(f"eu-keys-{concern}-key").outputs["arn"]
    assert "secretString" not in secret.inputs and secret.protect
    version = recording.named(f"eu-migrate-{concern}-credentials-version")
    assert "secretString" not in version.inputs and version.inputs["secretStringWoVersion"] == 1
    rotation = recording.named(f"eu-migrate-{concern}-credentials-rotation", ROTATION)
    # The concern's PostgreSQL single-user rotation function (AWS's application), which reaches its database.
    function = recording.named(f"eu-{concern}-rotation-app")
    assert function.urn in rotation.property_dependencies["rotationLambdaArn"]
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 30


@pytest.mark.parametrize("concern", CONCERNS)
def test_only_the_migration_execution_role_reads_the_secret(recordings: dict[str, Recording], concern: str) -> None:
    recording = recordings["prod-eu"]
    secret_arn = recording.named(f"eu-migrate-{concern}-credentials-secret", SECRET).outputs["arn"]
    key_arn = recording.named(f"eu-keys-{concern}-key").outputs["arn"]
    readers = sorted(p.name for p in recording.of_type(ROLE_POLICY) if secret_arn in p.inputs["policy"])
    # No service's role names it: the task's execution role, and the bootstrap that creates the role from it.
    assert readers == [f"eu-migrate-{concern}-execution-policy", f"eu-migrate-{concern}-role-read-secrets"]
    execution = _statements(recording, recording.named(f"eu-migrate-{concern}-execution-role", ROLE))
    reads = [s for s in execution if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [s["Resource"] for s in reads] == [[secret_arn]]
    decrypt = [s for s in execution if s["Action"] == "kms:Decrypt"]
    assert [s["Resource"] for s in decrypt] == [[key_arn]]
    assert decrypt[0]["Condition"]["StringEquals"]["kms:ViaService"][0] == "secretsmanager.eu-central-1.amazonaws.com"
    assert _statements(recording, recording.named(f"eu-migrate-{concern}-task-role", ROLE)) == []
    for task in recording.of_type(TASK):
        if task.name != f"eu-migrate-{concern}-task":
            assert secret_arn not in task.inputs["containerDefinitions"], task.name


@pytest.mark.parametrize("concern", CONCERNS)
def test_its_group_reaches_its_database_only(recordings: dict[str, Recording], concern: str) -> None:
    recording = recordings["prod-eu"]
    group = recording.named(f"eu-migrate-{concern}-sg", GROUP)
    database = recording.named(f"eu-{concern}-sg", GROUP)
    egress = sorted(
        (r.inputs["fromPort"], r.inputs.get("referencedSecurityGroupId") or r.inputs["cidrIpv4"])
        for r in recording.of_type(EGRESS)
        if r.inputs["securityGroupId"] == group.outputs["id"]
    )
    assert egress == [(443, "0.0.0.0/0"), (5432, database.outputs["id"])]
    admitting = sorted(
        r.name for r in recording.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == group.outputs["id"]
    )
    assert admitting == [f"eu-{concern}-sg-from-migrations"]
    assert group.inputs["tags"]["DataConcerns"] == concern


def test_the_data_path_guardrail_proves_each_task(shipped_verdict: Callable[[str], Verdict]) -> None:
    verdict = shipped_verdict("prod-eu")  # judged(judge_policy, recordings["prod-eu"], "prod-eu"), once per worker
    assert [f for f in verdict.findings if f.policy == DATA_POLICY] == []
    proved = [entry.reason for entry in verdict.not_applicable if entry.policy == DATA_POLICY]
    for concern in CONCERNS:
        assert any(f"ecs task eu-migrate-{concern}-task" in reason and f"{concern}: eu-" in reason for reason in proved)


def _crm_migration_on_payments() -> Callable[[pulumi.ResourceTransformationArgs], Props | None]:
    """The crm migration task wired to the payments database: payments' group admits it, its egress goes there."""
    seen: dict[str, pulumi.Resource] = {}

    def change(args: pulumi.ResourceTransformationArgs) -> Props | None:
        if args.name in ("eu-migrate-crm-sg", "eu-payments-sg"):
            seen[args.name] = args.resource
        elif args.name == "eu-payments-sg-from-migrations":
            return {**args.props, "referenced_security_group_id": seen["eu-migrate-crm-sg"].id}  # type: ignore[attr-defined]
        elif args.name == "eu-migrate-crm-to-database":
            return {**args.props, "referenced_security_group_id": seen["eu-payments-sg"].id}  # type: ignore[attr-defined]
        return None

    return change


def test_a_migration_task_wired_to_another_concern_fails_the_guardrail(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    recording = synthesize_with(_crm_migration_on_payments(), "prod-eu", recordings)
    verdict = judged(judge_policy, recording, "prod-eu")
    flagged = [f.message for f in verdict.mandatory if f.policy == DATA_POLICY]
    assert any(
        "admits ecs task eu-migrate-crm-task" in message and "holds payments data" in message for message in flagged
    ), flagged
    assert any("ecs task eu-migrate-crm-task declares crm but cannot reach eu-crm-db" in m for m in flagged), flagged


def test_a_task_no_service_runs_without_a_launch_network_fails(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    def untagged(args: pulumi.ResourceTransformationArgs) -> Props | None:
        return {**args.props, "tags": {}} if args.name == "eu-migrate-audit-task" else None

    verdict = judged(judge_policy, synthesize_with(untagged, "prod-eu", recordings), "prod-eu")
    flagged = {f.urn.rsplit("::", 1)[-1]: f.message for f in verdict.mandatory if f.policy == DATA_POLICY}
    assert list(flagged) == ["eu-migrate-audit-task"]
    assert "is run by no service and names no launch network" in flagged["eu-migrate-audit-task"]


def test_the_cells_output_gives_run_task_what_it_needs_and_no_secret(recordings: dict[str, Recording]) -> None:
    recording = recordings["prod-eu"]
    (export,) = recording.exports["cells"].values()
    assert sorted(export["migrations"]) == list(CONCERNS)
    private = [recording.named(f"eu-vpc-private-eu-central-1{zone}").outputs["id"] for zone in "abc"]
    for concern, launch in export["migrations"].items():
        task = recording.named(f"eu-migrate-{concern}-task", TASK)
        assert launch == {
            "cluster": recording.named("eu-ecs-cluster", "aws:ecs/cluster:Cluster").outputs["name"],
            "task_definition_arn": task.outputs["arn"],
            "task_definition_urn": task.urn,
            "family": f"eu-migrate-{concern}",
            "container": "migrate",
            "subnets": private,
            "security_group": recording.named(f"eu-migrate-{concern}-sg", GROUP).outputs["id"],
            "log_group": f"/ecs/prod-eu/eu/migrate-{concern}",
        }
    assert ":secretsmanager:" not in json.dumps(export["migrations"])
    assert recording.exports["cells"] == {"eu": export}
    assert not recordings["prod-au"].exports["cells"]["au"]["migrations"]  # EKS: a Kubernetes Job instead


# -- the migration role's bootstrap: created during pulumi up, before rotation is attached -------------------------

INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"


def _master_secret_arn(recording: Recording, concern: str) -> str:
    """The concern's master secret: RDS-managed on an instance, generated by us on an Aurora global cluster."""
    for resource in recording.resources:
        if resource.name == f"eu-{concern}-db" and resource.type == "aws:rds/instance:Instance":
            return str(resource.outputs["masterUserSecrets"][0]["secretArn"])
    return str(recording.named(f"eu-{concern}-master-secret", SECRET).outputs["arn"])


@pytest.mark.parametrize("concern", CONCERNS)
def test_the_role_is_bootstrapped_from_its_secret_before_rotation_is_attached(
    recordings: dict[str, Recording], concern: str
) -> None:
    recording = recordings["prod-eu"]
    invocation = recording.named(f"eu-migrate-{concern}-role-bootstrap", INVOCATION)
    function = recording.named(f"eu-{concern}-role-bootstrap-function", FUNCTION)
    secret = recording.named(f"eu-migrate-{concern}-credentials-secret", SECRET)
    assert invocation.inputs["functionName"] == function.outputs["name"]
    assert json.loads(invocation.inputs["input"]) == {
        "master_secret_arn": _master_secret_arn(recording, concern),
        "migration_secret_arn": secret.outputs["arn"],
        "password_version": 1,
    }
    # Order: the secret's first value and the database (its instances and the rules admitting the function) first,
    # then the bootstrap, then the rotation (whose attachment logs in as the role).
    version = recording.named(f"eu-migrate-{concern}-credentials-version")
    database = next(r for r in recording.resources if r.name in (f"eu-{concern}-db", f"eu-{concern}-cluster"))
    assert {version.urn, database.urn, function.urn} <= set(invocation.depends_on)
    rotation = recording.named(f"eu-migrate-{concern}-credentials-rotation", ROTATION)
    assert invocation.urn in rotation.depends_on


@pytest.mark.parametrize("concern", CONCERNS)
def test_the_bootstrap_reaches_its_database_and_reads_its_two_secrets_only(
    recordings: dict[str, Recording], concern: str
) -> None:
    recording = recordings["prod-eu"]
    function = recording.named(f"eu-{concern}-role-bootstrap-function", FUNCTION)
    rotation_group = recording.named(f"eu-{concern}-rotation-sg", GROUP)
    assert function.inputs["vpcConfig"]["securityGroupIds"] == [rotation_group.outputs["id"]]
    private = [recording.named(f"eu-vpc-private-eu-central-1{zone}").outputs["id"] for zone in "abc"]
    assert function.inputs["vpcConfig"]["subnetIds"] == private
    key_arn = recording.named(f"eu-keys-{concern}-key").outputs["arn"]
    assert function.inputs["kmsKeyArn"] == key_arn
    assert (
        function.inputs["tracingConfig"] == {"mode": "Active"} and function.inputs["reservedConcurrentExecutions"] == 1
    )
    # The group it shares with the rotation function reaches this concern's database on PostgreSQL, no other.
    egress = [r for r in recording.of_type(EGRESS) if r.inputs["securityGroupId"] == rotation_group.outputs["id"]]
    database_groups = {
        r.inputs["referencedSecurityGroupId"] for r in egress if r.inputs.get("referencedSecurityGroupId")
    }
    assert database_groups == {recording.named(f"eu-{concern}-sg", GROUP).outputs["id"]}
    statements = _statements(recording, recording.named(f"eu-{concern}-role-bootstrap-role", ROLE))
    reads = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    secret_arn = recording.named(f"eu-migrate-{concern}-credentials-secret", SECRET).outputs["arn"]
    assert [s["Resource"] for s in reads] == [[_master_secret_arn(recording, concern), secret_arn]]
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert [s["Resource"] for s in decrypt] == [key_arn]
    assert decrypt[0]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}}
    assert not [s for s in statements if "secretsmanager:PutSecretValue" in str(s["Action"])]


def test_only_migrated_cells_get_a_bootstrap(recordings: dict[str, Recording]) -> None:
    assert not recordings["prod-au"].of_type(INVOCATION)  # EKS: no migration task, so no role to create
    for stack, prefix in (("prod-uk", "uk"), ("staging", "stg"), ("dev", "dev")):
        names = sorted(i.name for i in recordings[stack].of_type(INVOCATION))
        assert names == [f"{prefix}-migrate-{concern}-role-bootstrap" for concern in CONCERNS], stack
