"""Who and what a deployment is, carried into every AWS call it makes.

CI sets ``FINTECH_INFRA_DEPLOY_COMMIT`` and ``FINTECH_INFRA_DEPLOY_ACTOR`` for ``pulumi up`` (``pulumi-up.yml``
passes the commit SHA and the GitHub actor). The providers then assume the deploy role with a session name that
carries both and an ``sts:SourceIdentity`` that is the actor: CloudTrail records the session name on every event
of the session, and the source identity persists through role chaining (into the zones account's validation
writer role) and cannot be changed within the session (:data:`SOURCE`). Without the variables (an engineer's
local preview) the configured ``deployment.session_name`` is used and no source identity is set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fintech_infra.aws_facts import Source
from fintech_infra.errors import ConfigError

__all__ = ["ACTOR_VARIABLE", "COMMIT_VARIABLE", "SOURCE", "Attribution", "attribution_from"]

COMMIT_VARIABLE = "FINTECH_INFRA_DEPLOY_COMMIT"
ACTOR_VARIABLE = "FINTECH_INFRA_DEPLOY_ACTOR"

SOURCE = Source(
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html",
    quote="After a source identity is set, it is present in requests for any AWS action taken during the role "
    "session. The value that is set persists when a role is used to assume another role through the AWS CLI or "
    "AWS API, known as role chaining. The value that is set cannot be changed during the role session.",
    verify="aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole "
    "(requestParameters.sourceIdentity and roleSessionName of the deploy's AssumeRole)",
    offline=False,
)
_STS_CHARS = re.compile(r"[^\w+=,.@-]")
"""Characters STS refuses in RoleSessionName and SourceIdentity (both: ``[\\w+=,.@-]*``)."""
SESSION_NAME_MAX = 64
SOURCE_IDENTITY_RANGE = (2, 64)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True)
class Attribution:
    commit: str
    actor: str

    @property
    def session_name(self) -> str:
        """``fi-<12 hex of the commit>-<actor>``, cut to STS's 64 characters."""
        return f"fi-{self.commit[:12]}-{self.actor}"[:SESSION_NAME_MAX]

    @property
    def source_identity(self) -> str:
        return self.actor[: SOURCE_IDENTITY_RANGE[1]]


def attribution_from(environment: Mapping[str, str]) -> Attribution | None:
    """The deployment's attribution from the process environment; None when CI did not set it."""
    commit, actor = environment.get(COMMIT_VARIABLE, ""), environment.get(ACTOR_VARIABLE, "")
    if not commit and not actor:
        return None
    problems = []
    if not _COMMIT.match(commit):
        problems.append(f"{COMMIT_VARIABLE}: {commit!r} is not a commit; allowed: 7 to 40 lowercase hex digits")
    cleaned = _STS_CHARS.sub("-", actor)
    if not SOURCE_IDENTITY_RANGE[0] <= len(cleaned) <= SOURCE_IDENTITY_RANGE[1]:
        problems.append(
            f"{ACTOR_VARIABLE}: {actor!r} is not an actor; allowed: a user or app name of "
            f"{SOURCE_IDENTITY_RANGE[0]} to {SOURCE_IDENTITY_RANGE[1]} characters"
        )
    if problems:
        raise ConfigError("; ".join(problems), problems=problems)
    return Attribution(commit=commit, actor=cleaned)
