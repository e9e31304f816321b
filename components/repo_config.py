"""What the `repo` stack says about the repository's own rules: branch protection, reviews, environments."""

from __future__ import annotations

from pydantic import Field, model_validator

from fintech_infra._config_base import FrozenSettings

__all__ = ["REQUIRED_CHECKS", "RepositoryConfig"]

REQUIRED_CHECKS = (
    "lint, types and tests (make check)",
    "offline gate (every stack, joined)",
    "security-scans / security scans (SAST, dependencies, images)",
)
"""The pull-request workflow's check runs a merge waits for (pr.yml's job names; a reusable workflow's job is
reported as ``<caller job> / <job name>``). tests/gate/test_workflows.py keeps the two in step."""


class RepositoryConfig(FrozenSettings):
    """The repository the stacks deploy from, and the rules that govern changes to it."""

    owner: str = Field(pattern=r"^[A-Za-z0-9-]{1,39}$", description="GitHub organization or user. Required.")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="Repository name. Required.")
    default_branch: str = Field("main", min_length=1, description="The protected branch. Defaults to `main`.")
    required_approvals: int = Field(
        2, ge=1, le=6, description="Approving reviews a pull request needs (code owners among them). Defaults to 2."
    )
    required_checks: tuple[str, ...] = Field(
        REQUIRED_CHECKS, min_length=1, description="Check runs that must pass. Defaults to the pull-request workflow's."
    )
    environments: tuple[str, ...] = Field(
        ("production",), min_length=1, description="Deployment environments with required reviewers."
    )
    reviewer_team_ids: tuple[int, ...] = Field(
        default=(), description="GitHub team ids that approve deployments to the environments."
    )
    reviewer_user_ids: tuple[int, ...] = Field(
        default=(), description="GitHub user ids that approve deployments to the environments."
    )

    @model_validator(mode="after")
    def _someone_approves(self) -> RepositoryConfig:
        if not self.reviewer_team_ids and not self.reviewer_user_ids:
            raise ValueError(
                "reviewer_team_ids: empty, and so is reviewer_user_ids; allowed: at least one team or user id that "
                "approves deployments (an environment without reviewers deploys unapproved)"
            )
        if len(self.reviewer_team_ids) + len(self.reviewer_user_ids) > 6:
            raise ValueError("reviewer_team_ids: more than 6 reviewers in all; allowed: up to 6 (GitHub's limit)")
        return self
