"""The repository's own rules as code: the `repo` stack.

Branch protection on the default branch (reviews with code owners, the pull-request workflow's checks, signed
commits, linear history, no force pushes or deletions, admins included) and deployment environments whose
deploys wait for named reviewers, who may not approve their own. The GitHub token is the provider's: from
``pulumi config set --secret github:token`` or the ``GITHUB_TOKEN`` environment variable of the deploy job,
never a stack file value. CODEOWNERS (``.github/CODEOWNERS``) is committed with the code it guards.
"""

from __future__ import annotations

from typing import ClassVar

import pulumi
import pulumi_github as github

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.repo_config import RepositoryConfig

__all__ = ["RepositoryGovernance"]


class RepositoryGovernance(FintechComponent):
    """Branch protection and deployment environments of one repository."""

    TYPE: ClassVar[str] = "fintech:repo:RepositoryGovernance"
    OUTPUTS: ClassVar[dict[str, str]] = {"protected_branch": "The protected branch pattern."}

    def __init__(self, name: str, config: RepositoryConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        # Account-less and region-less, like the zones: the repository serves every jurisdiction.
        super().__init__(self.TYPE, name, opts, scope={"Jurisdiction": "global"})
        token = pulumi.Config("github").get_secret("token")  # None: the provider reads GITHUB_TOKEN
        provider = github.Provider(
            child(name, "github"), owner=config.owner, token=token, opts=pulumi.ResourceOptions(parent=self)
        )
        here = pulumi.ResourceOptions(parent=self, provider=provider)
        self.protection = github.BranchProtection(
            child(name, config.default_branch),
            repository_id=config.name,
            pattern=config.default_branch,
            enforce_admins=True,
            require_signed_commits=True,
            required_linear_history=True,
            require_conversation_resolution=True,
            allows_force_pushes=False,
            allows_deletions=False,
            required_pull_request_reviews=[
                github.BranchProtectionRequiredPullRequestReviewArgs(
                    required_approving_review_count=config.required_approvals,
                    require_code_owner_reviews=True,
                    dismiss_stale_reviews=True,
                    require_last_push_approval=True,
                )
            ],
            required_status_checks=[
                github.BranchProtectionRequiredStatusCheckArgs(strict=True, contexts=list(config.required_checks))
            ],
            opts=here,
        )
        self.environments = [
            github.RepositoryEnvironment(
                child(name, environment),
                repository=config.name,
                environment=environment,
                prevent_self_review=True,
                can_admins_bypass=False,
                reviewers=[
                    github.RepositoryEnvironmentReviewerArgs(
                        teams=list(config.reviewer_team_ids), users=list(config.reviewer_user_ids)
                    )
                ],
                deployment_branch_policy=github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                    protected_branches=True, custom_branch_policies=False
                ),
                opts=here,
            )
            for environment in config.environments
        ]
        self.protected_branch = self.protection.pattern
        self.register_outputs({"protected_branch": self.protected_branch})
