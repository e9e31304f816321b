"""fintech-infra: Pulumi components for compliant fintech infrastructure on AWS.

``from components import FinancialDatabase, SecureVpc, ...``: every public name is re-exported here and
loaded on first use, so importing one small module (the policy pack reads only the jurisdiction
registry) does not import every AWS resource module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components._tags import apply_tag_convention, tag_convention
    from components.alarms import AlarmTopic
    from components.audit import AuditTrail
    from components.backup import CellBackup
    from components.bucket import SecureBucket
    from components.cell import JurisdictionCell
    from components.config import (
        CellConfig,
        DatabaseSettings,
        DataConcern,
        RecoveryObjectives,
        StackConfig,
        load_stack_config,
        read_pulumi_config,
    )
    from components.database import FinancialDatabase
    from components.dns import GlobalRouting
    from components.ecs import EcsCluster
    from components.edge import Edge
    from components.eks import EksCluster
    from components.errors import ConfigError, FintechInfraError, ResidencyError
    from components.fargate import FargateService
    from components.jurisdictions import DEFAULT_REGISTRY, Jurisdiction, JurisdictionRegistry
    from components.k8s_baseline import KubernetesBaseline
    from components.kms import EncryptionKey, KeyRing
    from components.logs import encrypted_log_group
    from components.redis import RedisCluster
    from components.rotation import RotationFunction
    from components.routing import RoutingManifest
    from components.secrets import AppSecret
    from components.vpc import SecureVpc
    from components.wiring import AppNetwork, DataNetwork, DrPlacement, KeyRef

_EXPORTS: dict[str, str] = {
    "AlarmTopic": "components.alarms",
    "AppNetwork": "components.wiring",
    "AppSecret": "components.secrets",
    "AuditTrail": "components.audit",
    "CellBackup": "components.backup",
    "CellConfig": "components.config",
    "ConfigError": "components.errors",
    "DEFAULT_REGISTRY": "components.jurisdictions",
    "DataConcern": "components.config",
    "DataNetwork": "components.wiring",
    "DatabaseSettings": "components.config",
    "DrPlacement": "components.wiring",
    "EcsCluster": "components.ecs",
    "Edge": "components.edge",
    "EksCluster": "components.eks",
    "EncryptionKey": "components.kms",
    "FargateService": "components.fargate",
    "FinancialDatabase": "components.database",
    "FintechInfraError": "components.errors",
    "GlobalRouting": "components.dns",
    "Jurisdiction": "components.jurisdictions",
    "JurisdictionCell": "components.cell",
    "JurisdictionRegistry": "components.jurisdictions",
    "KeyRef": "components.wiring",
    "KeyRing": "components.kms",
    "KubernetesBaseline": "components.k8s_baseline",
    "RecoveryObjectives": "components.config",
    "RedisCluster": "components.redis",
    "ResidencyError": "components.errors",
    "RotationFunction": "components.rotation",
    "RoutingManifest": "components.routing",
    "SecureBucket": "components.bucket",
    "SecureVpc": "components.vpc",
    "StackConfig": "components.config",
    "apply_tag_convention": "components._tags",
    "encrypted_log_group": "components.logs",
    "load_stack_config": "components.config",
    "read_pulumi_config": "components.config",
    "tag_convention": "components._tags",
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
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
