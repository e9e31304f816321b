"""Explicit AWS providers, one per region, that assume the stack's deploy role.

Every regional resource a cell builds goes through one of these providers (never the ambient default
provider), so the region a resource lands in is decided by the cell's config and nothing else, and the
deploy identity is the same for every resource of a stack:

- ``region``: the cell's primary or DR region, checked against the jurisdiction before the provider exists;
- ``assume_roles``: the stack's ``fintech-infra:deployment.deploy_role_arn`` (with ``external_id``,
  ``session_name`` and, for a CI deploy, ``source_identity``: :mod:`fintech_infra.attribution`) when one is
  configured;
- ``allowed_account_ids``: the stack's ``deployment.account_id``, so credentials for the wrong account fail
  the plan instead of deploying a jurisdiction's data into it;
- ``skip_metadata_api_check``: true unless ``deployment.use_instance_metadata`` is set, so a runner's
  instance profile never silently becomes the deploy identity.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.config import DeploymentIdentity

__all__ = ["RegionalProviders", "regional_provider"]


def regional_provider(
    name: str,
    *,
    region: str,
    identity: DeploymentIdentity | None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.Provider:
    """One ``aws.Provider`` for ``region`` that deploys as ``identity`` (ambient credentials when None)."""
    assume_roles: list[aws.ProviderAssumeRoleArgs] | None = None
    allowed_account_ids: list[str] | None = None
    skip_metadata = True
    if identity is not None:
        allowed_account_ids = [identity.account_id]
        skip_metadata = not identity.use_instance_metadata
        if identity.deploy_role_arn:
            assume_roles = [
                aws.ProviderAssumeRoleArgs(
                    role_arn=identity.deploy_role_arn,
                    session_name=identity.session_name,
                    source_identity=identity.source_identity,
                    external_id=identity.external_id,
                )
            ]
    return aws.Provider(
        name,
        region=region,
        assume_roles=assume_roles,
        allowed_account_ids=allowed_account_ids,
        skip_metadata_api_check=skip_metadata,
        opts=opts,
    )


class RegionalProviders:
    """Hands out exactly one provider per region, created on first use under ``parent``."""

    def __init__(self, name: str, *, identity: DeploymentIdentity | None, parent: pulumi.Resource) -> None:
        self._name = name
        self._identity = identity
        self._parent = parent
        self._providers: dict[str, aws.Provider] = {}

    def get(self, region: str) -> aws.Provider:
        """The provider for ``region`` (the same object on every call)."""
        if region not in self._providers:
            self._providers[region] = regional_provider(
                child(self._name, f"aws-{region}"),
                region=region,
                identity=self._identity,
                opts=pulumi.ResourceOptions(parent=self._parent),
            )
        return self._providers[region]

    @property
    def regions(self) -> tuple[str, ...]:
        """Regions a provider has been created for, in creation order."""
        return tuple(self._providers)
