"""Typed hand-offs between components: the Output-valued wiring pydantic cannot validate.

Settings (sizes, flags) live in the frozen pydantic models of :mod:`fintech_infra.config`; values that only
exist as Outputs (ids, ARNs) travel between components in these small frozen dataclasses, so a
component's signature says exactly what it needs from its neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from fintech_infra._config_base import ROTATION_CLIENT

__all__ = ["ROTATION_CLIENT", "AppNetwork", "DataNetwork", "DrPlacement", "KeyRef", "ValidationZones"]


@dataclass(frozen=True)
class KeyRef:
    """A customer-managed KMS key: what a consumer needs to encrypt with it."""

    arn: pulumi.Input[str]
    alias: str
    """The alias name (``alias/<cell>/<concern>``), fixed at plan time."""


@dataclass(frozen=True)
class DataNetwork:
    """Where a data store lives and who may reach it."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Isolated data subnets: no route out of the VPC."""
    client_security_group_ids: Mapping[str, pulumi.Input[str]]
    """The clients' security groups by a stable kebab-case label (a service name, ``rotation``, ``nodes``): the
    only sources admitted on the engine port, one ingress rule each, named after the label (group ids exist
    only as Outputs, so they cannot name a resource)."""


@dataclass(frozen=True)
class AppNetwork:
    """Where the application tier runs and where its edge sits."""

    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Application subnets: egress through NAT, no public IPs."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """Only for load balancers and NAT gateways."""


@dataclass(frozen=True)
class DrPlacement:
    """Where a concern's disaster-recovery copy lives: a permitted DR region of the same jurisdiction."""

    region: str
    provider: pulumi.ProviderResource
    """An explicit AWS provider for ``region``; DR children use it instead of the parent's."""
    key: KeyRef
    """A customer-managed key in ``region`` (cross-region copies must be re-encrypted there)."""
    network: DataNetwork | None = None
    """The DR region's isolated subnets, for mechanisms that run compute there (replicas, secondaries)."""


@dataclass(frozen=True)
class ValidationZones:
    """Where an edge's ACM validation records go: the hosted zone of each hostname, and who writes there."""

    zone_ids: Mapping[str, pulumi.Input[str]]
    """Hostname to the id of the hosted zone its validation record belongs in."""
    provider: pulumi.ProviderResource | None = None
    """Writes the records (a role in the zones' account); None writes them with the edge's own provider."""
