"""StackConfig: the one pydantic model tree for everything a stack file can say.

A stack file (``stacks/Pulumi.<stack>.yaml``) holds these keys under the ``fintech-infra`` namespace::

    fintech-infra:environment   dev | staging | prod
    fintech-infra:tags          owner, cost_center, compliance_scope
    fintech-infra:deployment    the identity that deploys the stack (assumed role per account)
    fintech-infra:jurisdictions overrides and additions to the jurisdiction registry
    fintech-infra:cells         one entry per regulatory jurisdiction cell
    fintech-infra:dns           cell stacks: the zones stack their certificates validate in
    fintech-infra:zones         only in the ``global`` stack: the hosted zones and who may validate names in them
    fintech-infra:routing       only in the ``routing`` stack: entity failover over the cell stacks

:func:`fintech_infra.validation.validate_stack_config` validates the whole tree (these models, strictly, and
every rule that spans keys) and raises one :class:`ConfigError` naming every bad key path, the bad value and
what is allowed, before the program registers a single resource.

A cell's data-tier settings live in :mod:`fintech_infra.data_config`, its compute-tier settings in
:mod:`fintech_infra.compute_config`, and the vocabulary they share in :mod:`fintech_infra._config_base`; every
public name is importable from here as well.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from fintech_infra._config_base import DatabaseEngine, DataConcern, Environment, FrozenSettings, Hostname, Name
from fintech_infra.alert_tiers import Tier
from fintech_infra.aws_facts import ALB_IDLE_TIMEOUT_SECONDS
from fintech_infra.bucket_config import BucketSettings
from fintech_infra.chatbot_config import SlackChannel
from fintech_infra.compute_config import (
    ComputeSettings,
    EcsServiceSettings,
    EcsSettings,
    EksSettings,
)
from fintech_infra.data_config import (
    DatabaseSettings,
    RecoveryObjectives,
    RedisSettings,
    default_dr_read_replica,
    default_objectives,
)
from fintech_infra.dr_config import DrillSettings
from fintech_infra.errors import allowed
from fintech_infra.jurisdictions import (
    AWS_REGIONS,
    DEFAULT_REGISTRY,
    JurisdictionOverride,
    JurisdictionRegistry,
)
from fintech_infra.maintenance import MaintenanceSettings
from fintech_infra.queue_config import QueueSettings
from fintech_infra.repo_config import RepositoryConfig
from fintech_infra.route_config import API_HOST_ROLE

__all__ = [
    "CONFIG_NAMESPACE",
    "AlarmSettings",
    "CellConfig",
    "ComputeSettings",
    "DataConcern",
    "DatabaseEngine",
    "DatabaseSettings",
    "DeploymentIdentity",
    "DnsConfig",
    "DriftSettings",
    "EcsServiceSettings",
    "EcsSettings",
    "EdgeSettings",
    "EksSettings",
    "EntitySettings",
    "Environment",
    "MaintenanceSettings",
    "RecoveryObjectives",
    "RedisSettings",
    "RoutingConfig",
    "SecurityServices",
    "StackConfig",
    "TagValues",
    "TierSubscriptions",
    "ValidationWriter",
    "VpcSettings",
    "ZonesConfig",
    "default_dr_read_replica",
    "default_objectives",
]

CONFIG_NAMESPACE = "fintech-infra"
ROLE_ARN = r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$"
QUALIFIED_STACK = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


def _region(value: str) -> str:
    if value not in AWS_REGIONS:
        raise ValueError(f"is not an AWS region; {allowed(sorted(AWS_REGIONS))}")
    return value


Region = Annotated[str, Field(description="An AWS region code.")]


class TagValues(FrozenSettings):
    """Values for the tag convention applied to every taggable resource."""

    owner: str = Field(min_length=2, max_length=128, description="Team accountable for the stack. Required.")
    cost_center: str = Field(min_length=2, max_length=64, description="Cost center code. Required.")
    compliance_scope: Literal["pci-dss", "non-pci"] = Field(
        "pci-dss",
        description="Compliance scope tag: `pci-dss` (default) or `non-pci`, the values the policy pack allows.",
    )


class DeploymentIdentity(FrozenSettings):
    """Who deploys the stack: an assumed role in the target account."""

    account_id: str = Field(pattern=r"^\d{12}$", description="AWS account the stack deploys into. Required.")
    deploy_role_arn: str | None = Field(
        None,
        pattern=ROLE_ARN,
        description="Role every provider assumes. Defaults to none (use the caller's credentials).",
    )
    external_id: str | None = Field(None, min_length=2, description="sts:ExternalId for the assume-role call.")
    session_name: str = Field(
        "fintech-infra-deploy",
        pattern=r"^[\w+=,.@-]{2,64}$",
        description="Assume-role session name. Defaults to `fintech-infra-deploy`; a CI deploy replaces it with "
        "`fi-<commit>-<actor>` (FINTECH_INFRA_DEPLOY_COMMIT / _ACTOR, docs/deployment.md).",
    )
    source_identity: str | None = Field(
        None,
        pattern=r"^[\w+=,.@-]{2,64}$",
        description="sts:SourceIdentity of the deploy role session. Defaults to none; a CI deploy sets the actor "
        "from FINTECH_INFRA_DEPLOY_ACTOR (leave it out of stack files).",
    )
    use_instance_metadata: bool = Field(
        False,
        description=(
            "Let the providers fall back to EC2/ECS instance-metadata credentials. Defaults to false: "
            "credentials come only from the environment and the assumed deploy role."
        ),
    )

    @model_validator(mode="after")
    def _role_in_account(self) -> DeploymentIdentity:
        if self.deploy_role_arn and f"::{self.account_id}:" not in self.deploy_role_arn:
            raise ValueError(f"deploy_role_arn {self.deploy_role_arn!r} is not in account_id {self.account_id!r}")
        return self


class VpcSettings(FrozenSettings):
    """Network layout of a cell."""

    cidr: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("10.0.0.0/16"), description="VPC CIDR, /16 to /20. Defaults to 10.0.0.0/16."
    )
    az_count: int = Field(3, ge=2, le=6, description="Availability zones used. Defaults to 3.")
    nat_gateways: Literal["one_per_az", "single"] = Field(
        "one_per_az", description="`one_per_az` (default) or `single` (a cost saving for dev only)."
    )
    availability_zones: tuple[str, ...] | None = Field(
        None,
        min_length=2,
        max_length=6,
        description=(
            "Explicit AZ names (e.g. `eu-central-1a`), each in the cell's region; adding one never replaces "
            "existing subnets. Defaults to none: the region's first `az_count` AZs."
        ),
    )

    @field_validator("availability_zones")
    @classmethod
    def _unique_zones(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            for index, zone in enumerate(value):
                if zone in value[:index]:
                    raise ValueError(f"{zone!r} is listed twice (availability_zones[{index}])")
        return value

    @model_validator(mode="after")
    def _zones_match_count(self) -> VpcSettings:
        zones = self.availability_zones
        if zones is not None and "az_count" in self.model_fields_set and self.az_count != len(zones):
            raise ValueError(
                f"az_count {self.az_count} disagrees with {len(zones)} availability_zones; "
                "give only one of az_count or availability_zones"
            )
        return self

    @property
    def zone_count(self) -> int:
        """How many AZs the VPC spans: the explicit list's length, else ``az_count``."""
        return len(self.availability_zones) if self.availability_zones is not None else self.az_count

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= value.prefixlen <= 20:
            raise ValueError("prefix length must be between /16 and /20")
        if not value.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        return value


class EntitySettings(FrozenSettings):
    """A regulatory entity (a licensed legal entity) whose clients this cell serves."""

    name: Name = Field(description="Entity id used in routing, e.g. `cysec-cy`.")
    legal_name: str = Field(min_length=2, description="Registered legal name.")
    hostname: Hostname = Field(description="API hostname its clients use (host role `api` of service routes).")
    hostnames: dict[Name, Hostname] = Field(
        default_factory=dict,
        description="Further hostnames by host role, e.g. `app: app.cy.example.com`; service routes name the role. "
        "The certificate and the failover records cover each. Defaults to none.",
    )

    @field_validator("hostnames")
    @classmethod
    def _roles(cls, value: dict[str, str]) -> dict[str, str]:
        if API_HOST_ROLE in value:
            raise ValueError(
                f"{API_HOST_ROLE!r} is the role of `hostname`; allowed: any other role name (e.g. 'app', 'ws')"
            )
        return value

    @property
    def all_hostnames(self) -> tuple[str, ...]:
        """``hostname`` and then the role hostnames, in config order."""
        return (self.hostname, *self.hostnames.values())


class EdgeSettings(FrozenSettings):
    """The cell's public entry point: ALB + WAF."""

    certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$",
        description="Existing ACM certificate in the cell's region; none (default) requests one for the entity "
        "hostnames, validated by DNS.",
    )
    idle_timeout_seconds: int = Field(
        60,
        ge=ALB_IDLE_TIMEOUT_SECONDS.start,
        le=ALB_IDLE_TIMEOUT_SECONDS.stop - 1,
        description="Seconds the ALB keeps a connection with no data either way before closing it (AWS: 1-4000); "
        "it bounds an idle WebSocket. Defaults to 60 (AWS's default).",
    )
    waf_rate_limit: int = Field(
        2000, ge=100, le=2_000_000_000, description="WAF rate rule: requests per 5 minutes per IP. Defaults to 2000."
    )
    http_redirect: bool = Field(
        False,
        description="Open port 80 to the world only to redirect to HTTPS (301), for hostnames people type into a "
        "browser. Defaults to false: an API client is configured with https:// and needs no port 80.",
    )


class TierSubscriptions(FrozenSettings):
    """Who one alert tier's topic notifies, besides `alarms.email_endpoints`."""

    https_endpoints: tuple[str, ...] = Field(
        (),
        description="HTTPS endpoints (PagerDuty's or Opsgenie's CloudWatch integration URL), each a `secure:` "
        "value: they embed the integration key. Defaults to none.",
    )
    email_endpoints: tuple[str, ...] = Field((), description="Addresses for this tier only. Defaults to none.")
    slack: SlackChannel | None = Field(
        None,
        description="A Slack channel this tier notifies through AWS Chatbot (fintech_infra.chatbot). Defaults to none "
        "(off).",
    )


class AlarmSettings(FrozenSettings):
    """Thresholds of the alarms an operations team pages on."""

    db_connections_pct: int = Field(80, ge=1, le=100, description="Of the instance class's max connections.")
    cpu_pct: int = Field(80, ge=1, le=100, description="Database and cache CPU.")
    free_storage_pct: int = Field(10, ge=1, le=90, description="Alarm when free storage falls below this.")
    replica_lag_seconds: int | None = Field(None, ge=1, description="Defaults to the concern's RPO.")
    redis_memory_pct: int = Field(80, ge=1, le=100, description="Cache memory usage.")
    redis_evictions: int = Field(0, ge=0, description="Evictions per 5 minutes above which to page.")
    certificate_expiry_days: int = Field(30, ge=1, le=365, description="Days before certificate expiry.")
    alb_5xx_pct: float = Field(1.0, gt=0, le=100, description="ALB 5xx share of requests.")
    target_latency_seconds: float = Field(1.0, gt=0, le=60, description="p99 target response time.")
    email_endpoints: tuple[str, ...] = Field((), description="Addresses subscribed to both alert tiers' topics.")
    subscriptions: dict[Tier, TierSubscriptions] = Field(
        default_factory=dict,
        description="Per tier (`critical`, `warning`), further subscribers of that tier's topic. Defaults to none.",
    )
    webhook_processing_seconds: float = Field(
        5.0, gt=0, le=60, description="Payment webhook processing time (p99, application metric). Defaults to 5."
    )
    service_cpu_pct: int = Field(80, ge=1, le=100, description="ECS service CPU. Defaults to 80.")
    service_memory_pct: int = Field(80, ge=1, le=100, description="ECS service memory. Defaults to 80.")
    waf_blocked_band_width: float = Field(
        3.0,
        gt=0,
        le=10,
        description="WAF blocked requests spike: standard deviations above the anomaly detection band. Defaults to 3.",
    )


class CellConfig(FrozenSettings):
    """One regulatory jurisdiction's cell: its own regions, network, keys, data and compute."""

    jurisdiction: str = Field(description="Registry code, e.g. `cysec`. Required.")
    primary_region: str = Field(description="Must be one of the jurisdiction's primary regions. Required.")
    dr_region: str | None = Field(None, description="One of the jurisdiction's DR regions; none means no DR.")
    also_regulated_by: tuple[str, ...] = Field(
        (),
        description=(
            "Further registry codes whose entities this cell also serves (e.g. `eu-gdpr` beside `cysec`); the "
            "cell must satisfy every one's regions and retention minimums. Defaults to none."
        ),
    )
    entities: tuple[EntitySettings, ...] = Field(min_length=1, description="Regulatory entities served.")
    vpc: VpcSettings = Field(default_factory=VpcSettings, description="Network layout.")
    dr_vpc: VpcSettings | None = Field(
        None,
        description=(
            "DR-region network layout. Defaults to the primary's layout (zone count, NAT strategy) on the next "
            "CIDR block of the same size, e.g. 10.30.0.0/16 -> 10.31.0.0/16, so the two can be peered."
        ),
    )
    concerns: tuple[DatabaseSettings, ...] = Field(min_length=1, description="One database per concern.")
    redis: RedisSettings = Field(default_factory=RedisSettings, description="Cache.")
    compute: ComputeSettings = Field(default_factory=EcsSettings, description="`ecs` (default) or `eks`.")
    edge: EdgeSettings = Field(default_factory=EdgeSettings, description="ALB + WAF.")
    alarms: AlarmSettings = Field(default_factory=AlarmSettings, description="Alarm thresholds.")
    drills: DrillSettings = Field(default_factory=DrillSettings, description="Fault-injection drills (AWS FIS).")
    maintenance: MaintenanceSettings = Field(
        default_factory=MaintenanceSettings,
        description="Backup, snapshot and maintenance windows in the primary region (UTC); each defaults to the "
        "region's night.",
    )
    dr_maintenance: MaintenanceSettings = Field(
        default_factory=MaintenanceSettings,
        description="The same windows for the DR copies in the DR region; each defaults to that region's night.",
    )
    key_deletion_window_days: int = Field(30, ge=7, le=30, description="KMS deletion window (AWS: 7-30).")
    queues: tuple[QueueSettings, ...] = Field(
        (),
        description="SQS queues for asynchronous work, each in its concern's key with a dead-letter queue; ECS "
        "services name theirs in `queues`. Defaults to none.",
    )
    buckets: tuple[BucketSettings, ...] = Field(
        (),
        description="S3 buckets for application data, each in its concern's key, versioned, access-logged, keeping "
        "superseded versions for the jurisdiction's record retention and replicated to the DR region when the cell "
        "has one; ECS services name theirs in `buckets`. Defaults to none.",
    )

    @field_validator("primary_region", "dr_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return None if value is None else _region(value)


def _in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith(f".{zone}")


class ValidationWriter(FrozenSettings):
    """A stack allowed to write its certificates' ACM validation records in the shared zones."""

    deploy_role_arn: str = Field(
        pattern=ROLE_ARN,
        description=(
            "The stack's deploy role (its `deployment.deploy_role_arn`): the only principal the writer role trusts. "
            "Required."
        ),
    )
    names: tuple[Hostname, ...] = Field(
        min_length=1,
        description=(
            "Names the stack may prove control of: it may write CNAME records `_<token>.<name>` (and below) and "
            "nothing else. Required; e.g. the stack's entity hostnames, or a whole subzone."
        ),
    )


class ZonesConfig(FrozenSettings):
    """The zones stack (`global`): the public zone, delegated subzones and the validation writers."""

    zone_name: Hostname = Field(description="Public hosted zone that holds every entity hostname. Required.")
    subzones: tuple[Name, ...] = Field(
        (),
        description=(
            "Labels of subzones delegated from the zone, one per non-production environment (`dev` makes "
            "`dev.<zone_name>`). Defaults to none."
        ),
    )
    validation_writers: dict[Name, ValidationWriter] = Field(
        default_factory=dict,
        description=(
            "Cell stack name to the role its certificates' validation records are written with (a role in this "
            "account, trusted by that stack's deploy role only). Defaults to none."
        ),
    )

    @model_validator(mode="after")
    def _names_in_zone(self) -> ZonesConfig:
        for index, label in enumerate(self.subzones):
            if label in self.subzones[:index]:
                raise ValueError(f"subzone {label!r} is listed twice (subzones[{index}])")
        for writer, spec in self.validation_writers.items():
            for index, name in enumerate(spec.names):
                if not _in_zone(name, self.zone_name):
                    raise ValueError(
                        f"validation_writers.{writer}.names[{index}]: {name!r} is outside the zone; "
                        f"allowed: names under {self.zone_name}"
                    )
        return self

    @property
    def zone_names(self) -> tuple[str, ...]:
        """The zone and its subzones, most general first."""
        return (self.zone_name, *(f"{label}.{self.zone_name}" for label in self.subzones))


class DnsConfig(FrozenSettings):
    """A cell stack's certificate validation: records written in the zones stack's zones, in the same run."""

    zones_stack: str = Field(
        pattern=QUALIFIED_STACK,
        description=(
            "The stack that owns the hosted zones (`org/fintech-infra/global`), read through a StackReference; "
            "deploy it first. Required."
        ),
    )
    writer: Name | None = Field(
        None,
        description="The zones stack's `validation_writers` entry to write as. Defaults to this stack's name.",
    )


class RoutingConfig(FrozenSettings):
    """The routing stack: entity failover records over the cell stacks, in the zones stack's zone."""

    zones_stack: str = Field(
        pattern=QUALIFIED_STACK,
        description="The stack that owns the hosted zones (`org/fintech-infra/global`). Required.",
    )
    cell_stacks: dict[Name, str] = Field(
        min_length=1, description="Cell name to fully qualified stack (`org/fintech-infra/prod-eu`)."
    )
    health_check_interval_seconds: Literal[10, 30] = Field(
        10, description="Route 53 health check interval. Defaults to 10 (fast failover)."
    )
    failure_threshold: int = Field(3, ge=1, le=10, description="Failed checks before failover. Defaults to 3.")
    health_check_path: str = Field(
        "/healthz",
        pattern=r"^/",
        description="Path the health check requests on the primary ALB. Defaults to /healthz.",
    )

    @field_validator("cell_stacks")
    @classmethod
    def _qualified(cls, value: dict[str, str]) -> dict[str, str]:
        for cell, stack in value.items():
            if not re.fullmatch(QUALIFIED_STACK, stack):
                raise ValueError(f"{cell}: {stack!r} is not a fully qualified stack; allowed: <org>/<project>/<stack>")
        return value


class SecurityServices(FrozenSettings):
    """Who runs GuardDuty and Security Hub for the stack's account (docs/operations.md, "Security signals")."""

    managed_by: Literal["stack", "delegated-administrator"] = Field(
        "stack",
        description="`stack` (default): each cell region runs its own detector and hub. `delegated-administrator`: "
        "the organization's delegated administrator runs them for this account; the stack keeps the findings rule "
        "and the CIS alarms.",
    )
    administrator_account_id: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="The delegated administrator account. Required with `delegated-administrator`, else unset.",
    )

    @model_validator(mode="after")
    def _administrator_with_delegation(self) -> SecurityServices:
        delegated = self.managed_by == "delegated-administrator"
        if delegated and self.administrator_account_id is None:
            raise ValueError("managed_by: delegated-administrator needs administrator_account_id (12 digits)")
        if not delegated and self.administrator_account_id is not None:
            raise ValueError("administrator_account_id is set but managed_by is 'stack'; allowed: unset it")
        return self


class DriftSettings(FrozenSettings):
    """What the scheduled drift check (`.github/workflows/drift.yml`) does when the cloud no longer matches."""

    reconcile: bool = Field(
        False,
        description="Run `pulumi up` to put the stack back as the code says (non-production stacks only). Defaults "
        "to false: open or update the stack's drift issue and alert.",
    )


class StackConfig(FrozenSettings):
    """Everything one stack says."""

    environment: Environment = Field(description="dev, staging or prod. Required.")
    tags: TagValues = Field(description="Tag values. Required.")
    deployment: DeploymentIdentity | None = Field(None, description="Deploy identity; none uses ambient creds.")
    jurisdictions: dict[str, JurisdictionOverride] = Field(
        default_factory=dict, description="Registry overrides and additions."
    )
    cells: dict[Name, CellConfig] = Field(default_factory=dict, description="Cells by name.")
    dns: DnsConfig | None = Field(
        None,
        description=(
            "Where the cells' certificates validate: the zones stack. Defaults to none, which only suits cells "
            "that bring their own `edge.certificate_arn`."
        ),
    )
    zones: ZonesConfig | None = Field(None, description="Only in the zones (`global`) stack.")
    routing: RoutingConfig | None = Field(None, description="Only in the routing stack.")
    repository: RepositoryConfig | None = Field(None, description="Only in the repo stack (the repository's rules).")
    drift: DriftSettings = Field(default_factory=lambda: DriftSettings(), description="What drift detection does.")
    security: SecurityServices = Field(
        default_factory=lambda: SecurityServices(),
        description="Who runs GuardDuty and Security Hub for the account. Defaults to the stack's cells.",
    )

    @model_validator(mode="after")
    def _has_work(self) -> StackConfig:
        if not self.cells and self.routing is None and self.zones is None and self.repository is None:
            raise ValueError("a stack needs `cells`, `zones`, `routing` or `repository`; none is set")
        admin = self.security.administrator_account_id
        if admin is not None and self.deployment is not None and admin == self.deployment.account_id:
            raise ValueError(
                f"security.administrator_account_id: {admin!r} is the stack's own account; allowed: the "
                "organization's delegated administrator account (another account)"
            )
        if self.drift.reconcile and self.environment == "prod":
            raise ValueError(
                "drift.reconcile: true in a prod stack; allowed: false (production drift is investigated through its "
                "issue and fixed by a reviewed change, never overwritten on a schedule)"
            )
        return self

    @property
    def registry(self) -> JurisdictionRegistry:
        """The jurisdiction registry with this stack's overrides applied."""
        return DEFAULT_REGISTRY.with_overrides(self.jurisdictions)
