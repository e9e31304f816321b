"""The repo stack: the repository's rules are code, and they name the checks and environments that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording
from fintech_infra.validation import load_stack_config
from tests.stacks.test_stacks import stack_config

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def _pull_request_checks() -> set[str]:
    """The check runs pr.yml reports that a merge must wait for (a reusable workflow's as `caller / job`)."""
    jobs = _workflow("pr.yml")["jobs"]
    scans = _workflow("security-scans.yml")["jobs"]["scans"]["name"]
    return {jobs["checks"]["name"], jobs["gate-report"]["name"], f"security-scans / {scans}"}


def test_main_is_protected_by_reviews_code_owners_the_workflow_checks_and_signed_commits(
    recordings: dict[str, Recording],
) -> None:
    (protection,) = recordings["repo"].of_type("github:index/branchProtection:BranchProtection")
    inputs = protection.inputs
    assert inputs["pattern"] == "main" and inputs["repositoryId"] == "fintech-infra"
    assert inputs["requireSignedCommits"] is True and inputs["enforceAdmins"] is True
    assert inputs["allowsForcePushes"] is False and inputs["allowsDeletions"] is False
    (reviews,) = inputs["requiredPullRequestReviews"]
    assert reviews["requiredApprovingReviewCount"] == 2 and reviews["requireCodeOwnerReviews"] is True
    assert reviews["dismissStaleReviews"] is True and reviews["requireLastPushApproval"] is True
    (checks,) = inputs["requiredStatusChecks"]
    # Exactly the checks the pull-request workflow runs: a renamed job would otherwise block every merge.
    assert checks["strict"] is True and set(checks["contexts"]) == _pull_request_checks()


def test_production_deploys_wait_for_named_reviewers_who_cannot_approve_their_own(
    recordings: dict[str, Recording],
) -> None:
    environments = {
        e.inputs["environment"]: e.inputs
        for e in recordings["repo"].of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
    }
    deploy_jobs = _workflow("deploy.yml")["jobs"].values()
    used = {job["with"]["environment"] for job in deploy_jobs if "with" in job}
    assert "production" in used and set(environments) >= {"production"}
    production = environments["production"]
    assert production["preventSelfReview"] is True and production["canAdminsBypass"] is False
    assert production["reviewers"] == [{"teams": [4242001], "users": [9100001]}]
    assert production["deploymentBranchPolicy"] == {"protectedBranches": True, "customBranchPolicies": False}


def test_the_token_is_never_in_the_stack_file(recordings: dict[str, Recording]) -> None:
    assert not [key for key in stack_config("repo") if key.startswith("github:")]
    (provider,) = [r for r in recordings["repo"] if r.type == "pulumi:providers:github"]
    assert "token" not in provider.inputs  # from `pulumi config set --secret github:token` or GITHUB_TOKEN


def test_code_owners_guard_the_pack_and_the_production_stacks() -> None:
    owners = {
        line.split()[0]: line.split()[1:]
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert owners["/policy/"] and owners["/stacks/Pulumi.prod-*.yaml"] and owners["/stacks/Pulumi.repo.yaml"]


def test_an_environment_without_reviewers_is_refused() -> None:
    raw = {
        "environment": "prod",
        "tags": {"owner": "platform", "cost_center": "cc-1"},
        "repository": {"owner": "acme", "name": "infra"},
    }
    with pytest.raises(ConfigError, match=r"repository\.reviewer_team_ids: empty, and so is reviewer_user_ids"):
        load_stack_config(raw)
