"""Shared test helpers for component tests."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from fintech_infra.errors import ConfigError
from fintech_infra.testing import RecordedResource, Recording, synthesize


def rejected(
    build: Callable[[pulumi.ProviderResource], object], *, region: str = "eu-central-1"
) -> tuple[list[str], Recording]:
    """Build a component that must refuse its input: the error texts, and the recording (which must be empty)."""
    errors: list[str] = []

    def program() -> None:
        provider = aws.Provider("eu", region=region)
        try:
            build(provider)
        except ConfigError as error:
            errors.append(str(error))

    return errors, synthesize(program)


SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def rules_of(recording: Recording, group_id: str, *, egress: bool = False) -> list[RecordedResource]:
    """The standalone rule resources (ingress, or egress) attached to the security group ``group_id``."""
    kind = SG_EGRESS_RULE if egress else SG_INGRESS_RULE
    return [rule for rule in recording.of_type(kind) if rule.inputs.get("securityGroupId") == group_id]


def admitted(recording: Recording, group_id: str) -> list[str]:
    """The security groups ``group_id`` admits, one per standalone ingress rule, sorted (rules register in
    whatever order their inputs resolve)."""
    return sorted(str(rule.inputs["referencedSecurityGroupId"]) for rule in rules_of(recording, group_id))
