"""The GitHub Actions workflows can't run here: they parse, name only stacks that exist, and follow the rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from fintech_infra_gate.stackfiles import load_project

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as True.
    found: dict[str, Any] = workflow.get("on") or workflow[True]
    return found


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = job.get("steps", [])
    return found


def named_stacks() -> dict[str, set[str]]:
    """Every (stack -> policy environments) the workflows name, from matrices, reusable-workflow inputs and --stack."""
    found: dict[str, set[str]] = {}

    def note(stack: Any, env: Any = None) -> None:
        if isinstance(stack, str) and "${{" not in stack:
            found.setdefault(stack, set()).update({env} if isinstance(env, str) and "${{" not in env else set())

    for path in FILES:
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            matrix = job.get("strategy", {}).get("matrix", {})
            for entry in matrix.get("include", []):
                note(entry.get("stack"), entry.get("env", entry.get("policy-env")))
            for stack in matrix.get("stack", []):
                note(stack, job.get("with", {}).get("policy-env"))
            note(job.get("with", {}).get("stack"), job.get("with", {}).get("policy-env"))
        for literal in re.findall(r"--stack[ =]\"?([a-z0-9-]+)", path.read_text()):
            note(literal)
    return found


def stack_compute(name: str) -> str | None:
    """The compute kind of a stack's cells (``eks`` or ``ecs``), None for a stack without cells."""
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    kinds = {cell.get("compute", {}).get("kind", "ecs") for cell in config.get("fintech-infra:cells", {}).values()}
    return next(iter(kinds)) if len(kinds) == 1 else None


def stack_environments() -> dict[str, str | None]:
    project = load_project(ROOT)
    return {name: project.stack(name).environment for name in project.stack_names()}


def test_workflows_parse():
    assert [p.name for p in FILES] == ["deploy.yml", "drift.yml", "pr.yml", "pulumi-up.yml", "security-scans.yml"]
    for path in FILES:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["name"] and triggers(workflow) and workflow["jobs"]


def test_every_named_stack_exists_with_the_matching_policy_environment():
    stacks = stack_environments()
    if not stacks:
        pytest.skip("stacks/Pulumi.<stack>.yaml files have not landed yet")
    named = named_stacks()
    assert named, "the workflows name no stacks"
    for stack, envs in named.items():
        assert stack in stacks, f"workflows name {stack!r} but stacks/Pulumi.{stack}.yaml does not exist"
        assert envs <= {stacks[stack]}, f"{stack}: workflow policy env {envs} != stack environment {stacks[stack]}"


def test_pull_requests_gate_and_preview_every_stack_and_upload_sarif():
    pr = load("pr.yml")
    assert "pull_request" in triggers(pr)
    shards = pr["jobs"]["offline-gate"]
    count = len(shards["strategy"]["matrix"]["shard"])
    assert shards["strategy"]["matrix"]["shard"] == list(range(1, count + 1)) and count >= 2
    runs = "\n".join(step.get("run", "") for step in steps(shards))
    assert f'fintech-infra plan --all --shard "${{{{ matrix.shard }}}}/{count}"' in runs
    assert f"shard ${{{{ matrix.shard }}}}/{count}" in shards["name"]
    join = pr["jobs"]["gate-report"]
    assert join["needs"] == "offline-gate" and join["if"] == "always()"
    runs = "\n".join(step.get("run", "") for step in steps(join))
    assert "fintech-infra render gate/plan-*.json --format json --output gate/plan.json" in runs
    assert "--format sarif" in runs
    upload = [s for s in steps(join) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload and upload[0]["with"]["sarif_file"] == "gate/policy.sarif"
    assert join["permissions"]["security-events"] == "write"
    assert "needs.offline-gate.result != 'success'" in steps(join)[-1]["if"]  # a failed shard fails the gate
    assert "make check" in "\n".join(step.get("run", "") for step in steps(pr["jobs"]["checks"]))
    preview = pr["jobs"]["preview"]
    assert set(preview["needs"]) == {"checks", "gate-report", "security-scans"}
    assert pr["jobs"]["security-scans"]["uses"] == "./.github/workflows/security-scans.yml"
    matrix_stacks = {entry["stack"] for entry in preview["strategy"]["matrix"]["include"]}
    stacks = stack_environments()
    if stacks:
        assert matrix_stacks == set(stacks), "every stack file gets a pulumi preview on pull requests"
    command = steps(preview)[-1]["run"]
    assert "pulumi preview" in command
    assert "--policy-pack policy --policy-pack-config" in command


def test_deploys_approve_production_and_run_zones_first_and_routing_last():
    deploy, up = load("deploy.yml"), load("pulumi-up.yml")
    assert triggers(deploy)["push"]["branches"] == ["main"]
    assert up["jobs"]["up"]["environment"] == "${{ inputs.environment }}"
    named = {step.get("name", ""): step for step in steps(up["jobs"]["up"])}
    deploy_step = named["pulumi up with the policy pack"]
    assert "pulumi up" in deploy_step["run"]
    # The same commit passed the gate in this job before the update, and the update is attributable.
    order = list(named)
    assert order.index("Offline gate on this stack") < order.index("pulumi up with the policy pack")
    assert "fintech-infra plan --stack" in named["Offline gate on this stack"]["run"]
    assert deploy_step["env"]["FINTECH_INFRA_DEPLOY_COMMIT"] == "${{ github.sha }}"
    assert deploy_step["env"]["FINTECH_INFRA_DEPLOY_ACTOR"] == "${{ github.triggering_actor }}"
    record = named["Record the deploy in the audit buckets"]
    assert record["if"].startswith("always()")  # a failed update is recorded too
    assert "fintech-infra record-deploy" in record["run"] and "--plan gate/plan.json" in record["run"]
    assert order[-1] == "Fail when pulumi up failed"
    jobs = deploy["jobs"]
    for name in ("zones", "production-cells", "production-routing"):
        assert jobs[name]["with"]["environment"] == "production"
    assert (jobs["zones"]["with"]["stack"], jobs["zones"]["needs"]) == ("global", ["gate", "scans"])
    assert jobs["scans"]["uses"] == "./.github/workflows/security-scans.yml"  # every deploy waits for the scans
    assert jobs["dev"]["needs"] == "zones"
    assert jobs["production-routing"]["needs"] == "production-cells"
    assert jobs["production-routing"]["with"]["stack"] == "routing"
    cells = {entry["stack"] for entry in jobs["production-cells"]["strategy"]["matrix"]["include"]}
    stacks = stack_environments()
    if stacks:
        assert cells == {
            name for name, env in stacks.items() if env == "prod" and name not in ("global", "routing", "repo")
        }
    assert jobs["repository"]["with"]["stack"] == "repo" and jobs["repository"]["needs"] == ["gate", "scans"]
    assert jobs["repository"]["secrets"] == "inherit"


def test_drift_is_checked_hourly_in_production_alerts_and_reconciles_only_where_allowed():
    drift = load("drift.yml")
    crons = [entry["cron"] for entry in triggers(drift)["schedule"]]
    hourly = "17 * * * *"
    assert hourly in crons and len(crons) == 2
    job = drift["jobs"]["drift"]
    named = {step.get("name", step.get("uses", "")): step for step in steps(job)}
    # Drift is the cloud against the state (a refresh that changes nothing), not the program against the state.
    refresh = named["pulumi refresh --preview-only --expect-no-changes"]["run"]
    assert "pulumi refresh" in refresh and "--preview-only --expect-no-changes" in refresh and "pipefail" in refresh
    issue, alert = named["Open or update the stack's drift issue"], named["Alert the stack's alarm topics"]
    for step in (issue, alert):
        assert step["if"] == "failure() && steps.refresh.outcome == 'failure'"
    assert "gh issue comment" in issue["run"] and "gh issue create" in issue["run"]  # one issue per stack
    assert "aws sns publish" in alert["run"] and ".alarm_topic" in alert["run"]
    reconcile = named["Reconcile (pulumi up)"]
    assert reconcile["if"] == "failure() && steps.switch.outputs.reconcile == 'true'"
    switch = named["Does the stack ask to be reconciled?"]
    assert "matrix.cron != '17 * * * *'" in switch["if"]  # production is never reconciled on a schedule
    assert "fintech-infra:drift.reconcile" in switch["run"]
    cadence = {entry["stack"]: entry["cron"] for entry in job["strategy"]["matrix"]["include"]}
    stacks = stack_environments()
    if stacks:
        assert set(cadence) == set(stacks)
        assert {name for name, cron in cadence.items() if cron == hourly} == {
            name for name, env in stacks.items() if env == "prod"
        }


def test_cloud_access_is_oidc_only_and_no_registry_hosts():
    for path in FILES:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
        assert not re.search(r"pypi\.org|pythonhosted|npmjs|docker\.io|ghcr\.io|index-url", text), path.name
        workflow = yaml.safe_load(text)
        for name, job in workflow["jobs"].items():
            uses_aws = any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in steps(job))
            if uses_aws:
                assert job["permissions"]["id-token"] == "write", f"{path.name}:{name} needs OIDC"
                role = next(s for s in steps(job) if "configure-aws-credentials" in s.get("uses", ""))
                assert role["with"]["role-to-assume"].startswith("${{ vars.")
            if "uses" in job and job["uses"].endswith("pulumi-up.yml"):
                assert job["permissions"]["id-token"] == "write", f"{path.name}:{name} must grant OIDC"


SELF_HOSTED = ["self-hosted", "fintech-infra-prod-au"]
"""The runner label of prod-au: its EKS API endpoints are private, so only a runner inside the VPC reaches them."""


def test_eks_stacks_deploy_and_drift_on_self_hosted_runners_in_the_vpc():
    deploy, drift, up = load("deploy.yml"), load("drift.yml"), load("pulumi-up.yml")
    assert up["jobs"]["up"]["runs-on"] == "${{ fromJSON(inputs.runner) }}"
    assert triggers(up)["workflow_call"]["inputs"]["runner"]["default"] == '["ubuntu-latest"]'
    assert drift["jobs"]["drift"]["runs-on"] == "${{ fromJSON(matrix.runner) }}"
    assert deploy["jobs"]["production-cells"]["with"]["runner"] == "${{ matrix.runner }}"
    for matrix in (
        deploy["jobs"]["production-cells"]["strategy"]["matrix"],
        drift["jobs"]["drift"]["strategy"]["matrix"],
    ):
        runners = {entry["stack"]: json.loads(entry["runner"]) for entry in matrix["include"]}
        eks = {name for name in runners if stack_compute(name) == "eks"}
        assert eks == {"prod-au"}
        assert {name for name, labels in runners.items() if labels == SELF_HOSTED} == eks
        assert all(labels == ["ubuntu-latest"] for name, labels in runners.items() if name not in eks)


def test_rendered_manifests_are_published_with_a_secret_token():
    (step,) = [s for s in steps(load("pulumi-up.yml")["jobs"]["up"]) if "GITOPS_PUSH_TOKEN" in s.get("env", {})]
    assert step["if"] == "steps.up.outputs.exit == '0' && hashFiles('stacks/rendered/**') != ''"  # a good update only
    assert step["env"]["GITOPS_PUSH_TOKEN"] == "${{ secrets.GITOPS_PUSH_TOKEN }}"
    assert "cp -R stacks/rendered/." in step["run"]


def test_the_security_stages_scan_code_dependencies_and_every_image_and_fail_on_findings():
    scans = load("security-scans.yml")
    assert "workflow_call" in triggers(scans)
    job = scans["jobs"]["scans"]
    named = {step.get("name", step.get("uses", "")): step for step in steps(job)}
    sast = named["SAST (ruff, flake8-bandit rules)"]["run"]
    assert "ruff check --select S --output-format sarif" in sast
    audit = named["Dependency audit of the locks (Trivy)"]
    assert audit["uses"].startswith("aquasecurity/trivy-action@") and audit["with"]["exit-code"] == "1"
    assert audit["with"]["scan-type"] == "fs" and audit["with"]["format"] == "sarif"
    images = named["Image scan of every digest the stacks run (Trivy)"]["run"]
    assert "fintech-infra images" in images and "--exit-code 1" in images and "--format sarif" in images
    assert "SCAN_FAIL_SEVERITY" in str(audit["with"]["severity"])
    upload = named["Upload the scans to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@") and upload["if"] == "always()"
    assert job["permissions"]["security-events"] == "write"


def test_every_deploying_job_runs_only_after_the_gate_and_the_scans():
    jobs = load("deploy.yml")["jobs"]

    def upstream(name: str) -> set[str]:
        needs = jobs[name].get("needs", [])
        direct = {needs} if isinstance(needs, str) else set(needs)
        return direct.union(*(upstream(need) for need in direct)) if direct else set()

    deploying = [name for name, job in jobs.items() if job.get("uses") == "./.github/workflows/pulumi-up.yml"]
    assert deploying
    for name in deploying:
        assert {"gate", "scans"} <= upstream(name), name


MIGRATION_STEPS = (
    "Register the migration task definitions (targeted up)",
    "Run the migrations and stop the deploy when one fails",
)


def test_migrations_run_after_their_task_definitions_and_before_the_services_roll():
    named = {step.get("name", ""): step for step in steps(load("pulumi-up.yml")["jobs"]["up"])}
    order = list(named)
    register, run = (order.index(name) for name in MIGRATION_STEPS)
    assert order.index("Offline gate on this stack") < register < run < order.index("pulumi up with the policy pack")
    # The targeted up names only the migration task definitions, with the policy pack like the full up.
    targeted = named[MIGRATION_STEPS[0]]["run"]
    assert '"--target=" + .task_definition_urn' in targeted and '"${targets[@]}"' in targeted
    assert "--policy-pack policy --policy-pack-config" in targeted
    # No `if:` on the steps after them: a failed migration (a failed step) skips the full up.
    assert not any("if" in named[name] for name in (*MIGRATION_STEPS, "pulumi up with the policy pack"))
    script = named[MIGRATION_STEPS[1]]["run"]
    assert "aws ecs run-task" in script and "--launch-type FARGATE" in script
    assert 'assignPublicIp: "DISABLED"' in script
    assert "aws ecs wait tasks-stopped" in script and "aws ecs describe-tasks" in script
    assert ".exitCode // empty" in script and 'if [ "$code" != "0" ]' in script and "stoppedReason" in script


CELLS_OUTPUT = {
    "eu": {
        "primary_region": "eu-central-1",
        "migrations": {
            "crm": {
                "cluster": "eu-ecs",
                "family": "eu-migrate-crm",
                "container": "migrate",
                "subnets": ["subnet-a", "subnet-b"],
                "security_group": "sg-migrate-crm",
                "log_group": "/ecs/prod-eu/eu/migrate-crm",
                "task_definition_urn": "urn:pulumi:prod-eu::fintech-infra::x::eu-migrate-crm-task",
            }
        },
    }
}


def _run_migrations(tmp_path: Path, containers: list[dict[str, Any]], reason: str | None) -> tuple[int, str, str]:
    """The migration step's script with `pulumi` and `aws` replaced: the stack has one crm migration whose stopped
    task reports ``containers`` (and ``reason``). Returns its exit status, output and the CLI calls it made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate").write_text("")
    calls = tmp_path / "calls.log"
    task: dict[str, Any] = {"lastStatus": "STOPPED", "containers": containers}
    if reason is not None:
        task["stoppedReason"] = reason
    (tmp_path / "described.json").write_text(json.dumps({"tasks": [task]}))
    (tmp_path / "cells.out").write_text(json.dumps(CELLS_OUTPUT))
    stubs = {
        "pulumi": f'echo "pulumi $*" >> {calls}; cat {tmp_path / "cells.out"}',
        "aws": (
            f'echo "aws $*" >> {calls}\n'
            'case "$2" in\n'
            "  run-task) echo arn:aws:ecs:eu-central-1:123456789012:task/eu-ecs/abc ;;\n"
            f"  describe-tasks) cat {tmp_path / 'described.json'} ;;\n"
            "esac"
        ),
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/usr/bin/env bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    script = next(s for s in steps(load("pulumi-up.yml")["jobs"]["up"]) if s.get("name") == MIGRATION_STEPS[1])["run"]
    script = script.replace("${{ inputs.stack }}", "prod-eu")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_SHA": "0123456789abcdef0123"}
    # GitHub's bash default: `bash --noprofile --norc -eo pipefail {0}`.
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, calls.read_text()


@pytest.mark.skipif(shutil.which("jq") is None, reason="the step runs jq, which GitHub's runners have")
@pytest.mark.parametrize(
    ("containers", "reason", "passes", "said"),
    [
        ([{"name": "migrate", "exitCode": 0}], "Essential container in task exited", True, "exit code 0"),
        ([{"name": "migrate", "exitCode": 3}], "Essential container in task exited", False, "exit code 3"),
        ([{"name": "migrate"}], "CannotPullContainerError: pull image manifest", False, "exit code missing"),
        ([{"name": "migrate"}], None, False, "no stoppedReason"),
    ],
)
def test_the_migration_step_fails_unless_the_container_exited_0(
    tmp_path: Path, containers: list[dict[str, Any]], reason: str | None, passes: bool, said: str
) -> None:
    status, output, calls = _run_migrations(tmp_path, containers, reason)
    assert (status == 0) is passes, output
    assert said in output
    run_task = next(line for line in calls.splitlines() if "ecs run-task" in line)
    assert "--region eu-central-1 --cluster eu-ecs --task-definition eu-migrate-crm --launch-type FARGATE" in run_task
    network = json.loads(run_task.split("--network-configuration ", 1)[1].split(" --query", 1)[0])
    assert network == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-migrate-crm"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert "aws ecs wait tasks-stopped --region eu-central-1 --cluster eu-ecs --tasks" in calls
