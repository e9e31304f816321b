"""The GitHub Actions workflows can't run here: they parse, name only stacks that exist, and follow the rules."""

from __future__ import annotations

import re
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


def stack_environments() -> dict[str, str | None]:
    project = load_project(ROOT)
    return {name: project.stack(name).environment for name in project.stack_names()}


def test_workflows_parse():
    assert [p.name for p in FILES] == ["deploy.yml", "drift.yml", "pr.yml", "pulumi-up.yml"]
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
    assert set(preview["needs"]) == {"checks", "gate-report"}
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
    assert (jobs["zones"]["with"]["stack"], jobs["zones"]["needs"]) == ("global", "gate")
    assert jobs["dev"]["needs"] == "zones"
    assert jobs["production-routing"]["needs"] == "production-cells"
    assert jobs["production-routing"]["with"]["stack"] == "routing"
    cells = set(jobs["production-cells"]["strategy"]["matrix"]["stack"])
    stacks = stack_environments()
    if stacks:
        assert cells == {name for name, env in stacks.items() if env == "prod" and name not in ("global", "routing")}


def test_drift_detection_covers_every_production_stack_and_alerts():
    drift = load("drift.yml")
    assert triggers(drift)["schedule"][0]["cron"]
    job = drift["jobs"]["drift"]
    command = next(s["run"] for s in steps(job) if s.get("id") == "preview")
    assert "--refresh --expect-no-changes" in command
    alert = steps(job)[-1]
    assert alert["if"].startswith("failure()") and "gh issue create" in alert["run"]
    stacks = stack_environments()
    if stacks:
        assert set(job["strategy"]["matrix"]["stack"]) == {name for name, env in stacks.items() if env == "prod"}


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
