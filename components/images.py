"""Container images in the DR region: the primary registry replicates to the DR registry, the standby pulls there.

A cell's warm standby must start when the primary region is gone, so its tasks cannot pull from the primary
region's registry. The cell configures ECR replication in the primary region's registry
(:func:`image_replication`): a rule per DR region, each the only destination of its rule, in the same account
(so images stay inside the jurisdiction), filtered to the repositories the services use
(:func:`replication_rule`). Each standby service's image is the same repository and digest (or tag) on the DR
region's registry host (:func:`dr_image`).

ECR facts this relies on (``aws_facts``): replication is a registry setting per region, one configuration per
registry: a second writer would replace the first, so a stack whose cells share a primary region writes one
configuration with all their rules (:func:`merged_rules`); it copies only images pushed *after* it exists; the
first configuration creates the ``AWSServiceRoleForECRReplication`` service-linked role. So the configuration
must exist before the images a stack names are pushed (docs/deployment.md, pre-flight), and a cell with a DR
region takes only images of this account's registry in its primary region (:func:`image_problems`): anything
else cannot be replicated there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child

__all__ = [
    "EcrImage",
    "ReplicationRule",
    "dr_image",
    "image_problems",
    "image_replication",
    "merged_rules",
    "parse_ecr_image",
    "replication_rule",
]

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<suffix>\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(?P<reference>(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?)$"
)


@dataclass(frozen=True)
class EcrImage:
    """An image reference in an ECR private registry: ``<account>.dkr.ecr.<region>.amazonaws.com/<repo>...``."""

    account: str
    region: str
    repository: str
    reference: str
    """``:tag``, ``@sha256:<digest>`` or both, as written."""
    suffix: str = ""
    """``.cn`` for the China partition's registry host."""

    def in_region(self, region: str) -> str:
        """The same repository and reference on ``region``'s registry host."""
        return f"{self.account}.dkr.ecr.{region}.amazonaws.com{self.suffix}/{self.repository}{self.reference}"


def parse_ecr_image(image: str) -> EcrImage | None:
    """The parts of an ECR image reference; None for any other registry."""
    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    return EcrImage(
        account=match["account"],
        region=match["region"],
        repository=match["repository"],
        reference=match["reference"],
        suffix=match["suffix"] or "",
    )


def dr_image(image: str, dr_region: str) -> str:
    """``image`` as the DR region's registry serves it once replicated (same repository and digest)."""
    parsed = parse_ecr_image(image)
    if parsed is None:  # refused for cells with a DR region before anything is registered (image_problems)
        raise ValueError(f"{image!r} is not an ECR image; it cannot be replicated to {dr_region}")
    return parsed.in_region(dr_region)


def image_problems(path: str, image: str, *, primary_region: str, account_id: str | None) -> list[str]:
    """Why a DR cell's service image cannot be replicated to the DR region (empty when it can).

    ``path`` is the config key; ``account_id`` the stack's deployment account (None: any account).
    """
    parsed = parse_ecr_image(image)
    account = account_id or "<account>"
    expected = f"{account}.dkr.ecr.{primary_region}.amazonaws.com/<repository>@sha256:<digest>"
    why = (
        "a cell with a DR region runs its standby from the DR region's registry, which ECR replication fills "
        "from this account's registry in the primary region only"
    )
    elsewhere = parsed is None or parsed.region != primary_region
    if elsewhere or (account_id is not None and parsed is not None and parsed.account != account_id):
        where = f"this account in {primary_region}"
        return [f"{path}: {image!r} is not an ECR image of {where}; allowed: {expected} ({why})"]
    return []


@dataclass(frozen=True)
class ReplicationRule:
    """One rule of a registry's replication configuration: these repositories go to ``dr_region``."""

    dr_region: str
    repositories: tuple[str, ...]


def replication_rule(dr_region: str | None, images: Iterable[str]) -> ReplicationRule | None:
    """The rule a cell needs: its services' ECR repositories to its DR region; None without either."""
    repositories = sorted({image.repository for item in images if (image := parse_ecr_image(item)) is not None})
    if dr_region is None or not repositories:
        return None
    return ReplicationRule(dr_region, tuple(repositories))


def merged_rules(rules: Iterable[ReplicationRule]) -> list[ReplicationRule]:
    """Rules of several cells sharing one registry, one per DR region (ECR allows 10 rules per configuration)."""
    by_region: dict[str, set[str]] = {}
    for rule in rules:
        by_region.setdefault(rule.dr_region, set()).update(rule.repositories)
    return [ReplicationRule(region, tuple(sorted(repos))) for region, repos in sorted(by_region.items())]


def image_replication(
    name: str,
    *,
    account_id: pulumi.Input[str],
    rules: Sequence[ReplicationRule],
    opts: pulumi.ResourceOptions,
) -> aws.ecr.ReplicationConfiguration:
    """The primary registry's replication configuration: each rule's repositories to its DR region, same account."""
    return aws.ecr.ReplicationConfiguration(
        child(name, "ecr-replication"),
        replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
            rules=[
                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                    destinations=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                            region=rule.dr_region, registry_id=account_id
                        )
                    ],
                    repository_filters=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                            filter=repository, filter_type="PREFIX_MATCH"
                        )
                        for repository in rule.repositories
                    ],
                )
                for rule in rules
            ]
        ),
        opts=opts,
    )
