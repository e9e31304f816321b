"""fintech-infra: Pulumi components for compliant fintech infrastructure on AWS.

``from fintech_infra import FinancialDatabase, SecureVpc, ...``: every public name is re-exported here, and
``__all__`` is exactly that list (``tests/test_public_api.py`` checks it). The re-exports are plain imports,
so importing any ``fintech_infra`` module imports the whole library.
"""

from __future__ import annotations

from fintech_infra._tags import apply_tag_convention, tag_convention
from fintech_infra.alarms import AlarmTopic
from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.alert_topics import AlertTopics
from fintech_infra.app_buckets import ConcernBucket
from fintech_infra.audit import AuditTrail
from fintech_infra.backup import CellBackup
from fintech_infra.bucket import SecureBucket
from fintech_infra.cell import JurisdictionCell
from fintech_infra.chatbot import SlackAlerts
from fintech_infra.config import (
    CellConfig,
    DatabaseSettings,
    DataConcern,
    RecoveryObjectives,
    StackConfig,
)
from fintech_infra.database import FinancialDatabase
from fintech_infra.dns import GlobalRouting
from fintech_infra.dns_zones import SharedZones
from fintech_infra.dr_schedules import DrSchedules
from fintech_infra.drills import CellDrills
from fintech_infra.ecs import EcsCluster
from fintech_infra.edge import Edge
from fintech_infra.eks import EksCluster
from fintech_infra.eks_platform import EksPlatform
from fintech_infra.eks_tracing import ClusterTracing
from fintech_infra.errors import ConfigError, FintechInfraError, ResidencyError
from fintech_infra.fargate import FargateService
from fintech_infra.jurisdictions import DEFAULT_REGISTRY, Jurisdiction, JurisdictionRegistry
from fintech_infra.k8s_baseline import KubernetesBaseline
from fintech_infra.kms import EncryptionKey, KeyRing
from fintech_infra.logs import encrypted_log_group
from fintech_infra.migration_bootstrap import MigrationRoleBootstrap
from fintech_infra.migrations import MigrationTask
from fintech_infra.queues import ConcernQueue
from fintech_infra.redis import RedisCluster
from fintech_infra.repo_governance import RepositoryGovernance
from fintech_infra.restore_tests import RestoreTests
from fintech_infra.rotation import RotationFunction
from fintech_infra.routing import RoutingManifest
from fintech_infra.runbook import DrRunbooks
from fintech_infra.secrets import AppSecret
from fintech_infra.security_signals import SecuritySignals
from fintech_infra.validation import load_stack_config, read_pulumi_config, validate_stack_config
from fintech_infra.vpc import SecureVpc
from fintech_infra.wiring import AppNetwork, DataNetwork, DrPlacement, KeyRef, ValidationZones

__all__ = [
    "DEFAULT_REGISTRY",
    "AlarmTopic",
    "AlertRoute",
    "AlertTopics",
    "AppNetwork",
    "AppSecret",
    "AuditTrail",
    "CellBackup",
    "CellConfig",
    "CellDrills",
    "ClusterTracing",
    "ConcernBucket",
    "ConcernQueue",
    "ConfigError",
    "DataConcern",
    "DataNetwork",
    "DatabaseSettings",
    "DrPlacement",
    "DrRunbooks",
    "DrSchedules",
    "EcsCluster",
    "Edge",
    "EksCluster",
    "EksPlatform",
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
    "MigrationRoleBootstrap",
    "MigrationTask",
    "RecoveryObjectives",
    "RedisCluster",
    "RepositoryGovernance",
    "ResidencyError",
    "RestoreTests",
    "RotationFunction",
    "RoutingManifest",
    "SecureBucket",
    "SecureVpc",
    "SecuritySignals",
    "SharedZones",
    "SlackAlerts",
    "StackConfig",
    "ValidationZones",
    "apply_tag_convention",
    "encrypted_log_group",
    "load_stack_config",
    "read_pulumi_config",
    "tag_convention",
    "validate_stack_config",
]
