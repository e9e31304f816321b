"""Data residency: every regional resource, and every region its data is copied to, is permitted.

(Both rules are stack policies: untaggable resources take their jurisdiction from their cell.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import awstypes
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import is_unknown
from fintech_guardrails.registry import gdpr, stack_rule

ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):")
REGION_KEYS = frozenset({"region", "destinationRegion", "sourceRegion", "replicaRegion"})
# Inputs that name where code or a template comes from, not where data goes. AWS publishes the Secrets
# Manager rotation templates once, in us-east-1, and the Serverless Application Repository deploys them into
# the caller's region; the function itself is judged by data-residency-region like any other resource.
SOURCE_REFERENCES: frozenset[tuple[str, str]] = frozenset(
    {("aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "applicationId")}
)


def _judged(stack: Stack) -> list[Node]:
    if not stack.jurisdictions:
        return []  # e.g. the global routing stack: no cell, no jurisdiction to hold resources to
    return [node for node in stack.nodes if awstypes.is_regional(node.type)]


@stack_rule(
    name="data-residency-region",
    severity=Severity.CRITICAL,
    framework=gdpr("Art. 44", "General principle for transfers"),
    tags=("GDPR Art. 46", "DORA Art. 28", "UK GDPR Art. 45", "APRA CPS 234", "Privacy Act 1988 APP 8"),
    exemptible=False,
    remediation=(
        "Deploy the resource through its cell's provider (a permitted primary or DR region of the jurisdiction)."
    ),
)
def data_residency_region(stack: Stack, out: Findings) -> None:
    """Every regional AWS resource deploys to a region permitted for its jurisdiction.

    Region: the resource's own ``region`` input, else its provider's. Jurisdiction: its Jurisdiction tag, else
    the single jurisdiction tagged under its nearest ancestor component (its cell), else the stack's. A region
    the pack cannot determine (no explicit provider region) or a jurisdiction it cannot resolve is a violation;
    an unknown region is pending. Stacks with no jurisdiction at all (global routing) are not judged.
    """
    registry = stack.settings.registry
    for node in _judged(stack):
        code = stack.jurisdiction(node)
        if code is None:
            out.fail("the resource's jurisdiction cannot be resolved; tag it or place it under one cell", node.urn)
            continue
        if code not in registry:
            out.fail("the resource's Jurisdiction is not in the jurisdiction registry", node.urn)
            continue
        region = node.region
        if is_unknown(region):
            out.wait("region", node.urn)
        elif not isinstance(region, str) or not region:
            out.fail(
                "the resource's region cannot be determined; give it (or its provider) an explicit region", node.urn
            )
        elif region not in registry[code].permitted_regions:
            out.fail(f"the resource is in a region not permitted for {code}", node.urn)


def _named_regions(value: Any, key: str = "") -> Iterator[str]:
    """Regions a property names: ARN regions and region-named fields, at any depth."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            yield from _named_regions(child, child_key)
    elif isinstance(value, list):
        for item in value:
            yield from _named_regions(item, key)
    elif isinstance(value, str) and not is_unknown(value):
        match = ARN_REGION.match(value)
        if match:
            yield match.group(1)
        elif key in REGION_KEYS and key != "region":
            yield value


@stack_rule(
    name="data-residency-replication",
    severity=Severity.CRITICAL,
    framework=gdpr("Art. 44", "General principle for transfers"),
    tags=("GDPR Art. 46", "DORA Art. 12", "SEC 17a-4(f)"),
    exemptible=False,
    remediation=(
        "Send DR replicas, replica keys, backup copies and secret replicas only to the jurisdiction's DR regions."
    ),
)
def data_residency_replication(stack: Stack, out: Findings) -> None:
    """Copies leave only for permitted regions: replicas, replica keys, backup copy targets, secret replicas.

    Judged: every region a resource's inputs name (ARNs such as a replica's ``replicateSourceDb``, a backup
    rule's ``copyActions[].destinationVaultArn`` or a replica key's ``primaryKeyArn``; Secrets Manager
    ``replicas[].region``) must be permitted for the resource's jurisdiction. Copy targets created in the same
    stack are also judged by data-residency-region; an ARN unknown during preview is left to that rule. Inputs
    that name where code comes from rather than where data goes (a Serverless Application Repository
    template's ``applicationId``) are not copies and are not judged here.
    """
    registry = stack.settings.registry
    for node in _judged(stack):
        code = stack.jurisdiction(node)
        if code is None or code not in registry:
            continue  # reported by data-residency-region
        permitted = registry[code].permitted_regions
        props = {
            key: value for key, value in node.props.items() if key not in ("region", "tags", "tagsAll", "arn", "id")
        }
        for prop, value in props.items():
            if (node.type, prop) in SOURCE_REFERENCES:
                continue
            if prop in ("replicas",):
                named = (
                    [item.get("region") for item in value if isinstance(item, dict)] if isinstance(value, list) else []
                )
                named = [region for region in named if isinstance(region, str) and not is_unknown(region)]
            else:
                named = list(_named_regions(value, prop))
            if any(region not in permitted for region in named):
                out.fail(f"{prop} names a region not permitted for {code}", node.urn)
