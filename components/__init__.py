"""fintech-infra: Pulumi components for compliant fintech infrastructure on AWS.

``from fintech_infra import FinancialDatabase, SecureVpc, ...``: every public name is re-exported here and
loaded on first use, so importing one small module (the policy pack reads only the jurisdiction
registry) does not import every AWS resource module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fintech_infra._tags import apply_tag_convention, tag_convention
    from fintech_infra.alarms import AlarmTopic
    from fintech_infra.audit import AuditTrail
    from fintech_infra.backup import CellBackup
    from fintech_infra.bucket import SecureBucket
    from fintech_infra.cell import JurisdictionCell
    from fintech_infra.config import (
        CellConfig,
        DatabaseSettings,
        DataConcern,
        RecoveryObjectives,
        StackConfig,
        load_stack_config,
        read_pulumi_config,
    )
    from fintech_infra.database import FinancialDatabase
    from fintech_infra.dns import GlobalRouting
    from fintech_infra.ecs import EcsCluster
    from fintech_infra.edge import Edge
    from fintech_infra.eks import EksCluster
    from fintech_infra.errors import ConfigError, FintechInfraError, ResidencyError
    from fintech_infra.fargate import FargateService
    from fintech_infra.jurisdictions import DEFAULT_REGISTRY, Jurisdiction, JurisdictionRegistry
    from fintech_infra.k8s_baseline import KubernetesBaseline
    from fintech_infra.kms import EncryptionKey, KeyRing
    from fintech_infra.logs import encrypted_log_group
    from fintech_infra.redis import RedisCluster
    from fintech_infra.rotation import RotationFunction
    from fintech_infra.routing import RoutingManifest
    from fintech_infra.secrets import AppSecret
    from fintech_infra.vpc import SecureVpc
    from fintech_infra.wiring import AppNetwork, DataNetwork, DrPlacement, KeyRef

_EXPORTS: dict[str, str] = {
    "AlarmTopic": "fintech_infra.alarms",
    "AppNetwork": "fintech_infra.wiring",
    "AppSecret": "fintech_infra.secrets",
    "AuditTrail": "fintech_infra.audit",
    "CellBackup": "fintech_infra.backup",
    "CellConfig": "fintech_infra.config",
    "ConfigError": "fintech_infra.errors",
    "DEFAULT_REGISTRY": "fintech_infra.jurisdictions",
    "DataConcern": "fintech_infra.config",
    "DataNetwork": "fintech_infra.wiring",
    "DatabaseSettings": "fintech_infra.config",
    "DrPlacement": "fintech_infra.wiring",
    "EcsCluster": "fintech_infra.ecs",
    "Edge": "fintech_infra.edge",
    "EksCluster": "fintech_infra.eks",
    "EncryptionKey": "fintech_infra.kms",
    "FargateService": "fintech_infra.fargate",
    "FinancialDatabase": "fintech_infra.database",
    "FintechInfraError": "fintech_infra.errors",
    "GlobalRouting": "fintech_infra.dns",
    "Jurisdiction": "fintech_infra.jurisdictions",
    "JurisdictionCell": "fintech_infra.cell",
    "JurisdictionRegistry": "fintech_infra.jurisdictions",
    "KeyRef": "fintech_infra.wiring",
    "KeyRing": "fintech_infra.kms",
    "KubernetesBaseline": "fintech_infra.k8s_baseline",
    "RecoveryObjectives": "fintech_infra.config",
    "RedisCluster": "fintech_infra.redis",
    "ResidencyError": "fintech_infra.errors",
    "RotationFunction": "fintech_infra.rotation",
    "RoutingManifest": "fintech_infra.routing",
    "SecureBucket": "fintech_infra.bucket",
    "SecureVpc": "fintech_infra.vpc",
    "StackConfig": "fintech_infra.config",
    "apply_tag_convention": "fintech_infra._tags",
    "encrypted_log_group": "fintech_infra.logs",
    "load_stack_config": "fintech_infra.config",
    "read_pulumi_config": "fintech_infra.config",
    "tag_convention": "fintech_infra._tags",
}

__all__ = [
    "DEFAULT_REGISTRY",
    "AlarmTopic",
    "AppNetwork",
    "AppSecret",
    "AuditTrail",
    "CellBackup",
    "CellConfig",
    "ConfigError",
    "DataConcern",
    "DataNetwork",
    "DatabaseSettings",
    "DrPlacement",
    "EcsCluster",
    "Edge",
    "EksCluster",
    "EncryptionKey",
    "FargateService",
    "FinancialDatabase",
    "FintechInfraError",
    "GlobalRouting",
    "Jurisdiction",
    "JurisdictionCell",
    "JurisdictionRegistry",
    "KeyRef",
    "KeyRing",
    "KubernetesBaseline",
    "RecoveryObjectives",
    "RedisCluster",
    "ResidencyError",
    "RotationFunction",
    "RoutingManifest",
    "SecureBucket",
    "SecureVpc",
    "StackConfig",
    "apply_tag_convention",
    "encrypted_log_group",
    "load_stack_config",
    "read_pulumi_config",
    "tag_convention",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fintech_infra' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
