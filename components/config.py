"""StackConfig: the one pydantic model tree for everything a stack file can say.

A stack file (``stacks/Pulumi.<stack>.yaml``) holds these keys under the ``fintech-infra`` namespace::

    fintech-infra:environment   dev | staging | prod
    fintech-infra:tags          owner, cost_center, compliance_scope
    fintech-infra:deployment    the identity that deploys the stack (assumed role per account)
    fintech-infra:jurisdictions overrides and additions to the jurisdiction registry
    fintech-infra:cells         one entry per regulatory jurisdiction cell
    fintech-infra:routing       only in the ``global`` stack: the shared zone and the cell stacks

:func:`load_stack_config` validates the whole tree and raises one :class:`ConfigError` naming every bad
key path, the bad value and what is allowed, before the program registers a single resource.

A cell's data-tier settings live in :mod:`fintech_infra.data_config`, its compute-tier settings in
:mod:`fintech_infra.compute_config`, and the vocabulary they share in :mod:`fintech_infra._config_base`; every
public name is importable from here as well.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fintech_infra import versions
from fintech_infra._config_base import DatabaseEngine, DataConcern, Environment, FrozenSettings, Hostname, Name
from fintech_infra.compute_config import (
    ComputeSettings,
    EcsServiceSettings,
    EcsSettings,
    EksSettings,
)
from fintech_infra.data_config import DatabaseSettings, RecoveryObjectives, RedisSettings, default_objectives
from fintech_infra.eks_config import EksWorkloads, eks_problems
from fintech_infra.errors import ConfigError, ResidencyError, allowed, key_path
from fintech_infra.jurisdictions import (
    AWS_REGIONS,
    DEFAULT_REGISTRY,
    JurisdictionOverride,
    JurisdictionRegistry,
)
from fintech_infra.maintenance import MaintenanceSettings, resolve_windows, window_problems

__all__ = [
    "CONFIG_NAMESPACE",
    "AlarmSettings",
    "CellConfig",
    "ComputeSettings",
    "DataConcern",
    "DatabaseEngine",
    "DatabaseSettings",
    "DeploymentIdentity",
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
    "StackConfig",
    "TagValues",
    "VpcSettings",
    "default_objectives",
    "load_stack_config",
    "read_pulumi_config",
]

CONFIG_NAMESPACE = "fintech-infra"


def _region(value: str) -> str:
    if value not in AWS_REGIONS:
        raise ValueError(f"is not an AWS region; {allowed(sorted(AWS_REGIONS))}")
    return value


Region = Annotated[str, Field(description="An AWS region code.")]


class TagValues(FrozenSettings):
    """Values for the tag convention applied to every taggable resource."""

    owner: str = Field(min_length=2, max_length=128, description="Team accountable for the stack. Required.")
    cost_center: str = Field(min_length=2, max_length=64, description="Cost center code. Required.")
    compliance_scope: str = Field(
        "pci-dss", min_length=2, max_length=64, description="Compliance scope tag. Defaults to `pci-dss`."
    )


class DeploymentIdentity(FrozenSettings):
    """Who deploys the stack: an assumed role in the target account."""

    account_id: str = Field(pattern=r"^\d{12}$", description="AWS account the stack deploys into. Required.")
    deploy_role_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$",
        description="Role every provider assumes. Defaults to none (use the caller's credentials).",
    )
    external_id: str | None = Field(None, min_length=2, description="sts:ExternalId for the assume-role call.")
    session_name: str = Field(
        "fintech-infra-deploy", description="Assume-role session name. Defaults to `fintech-infra-deploy`."
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
    hostname: Hostname = Field(description="API hostname its clients use.")


class EdgeSettings(FrozenSettings):
    """The cell's public entry point: ALB + WAF."""

    certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$",
        description="Existing ACM certificate in the cell's region; none (default) requests one for the entity "
        "hostnames, validated by DNS.",
    )
    waf_rate_limit: int = Field(
        2000, ge=100, le=2_000_000_000, description="WAF rate rule: requests per 5 minutes per IP. Defaults to 2000."
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
    email_endpoints: tuple[str, ...] = Field((), description="Addresses subscribed to the alarm topic.")


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

    @field_validator("primary_region", "dr_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return None if value is None else _region(value)


class RoutingConfig(FrozenSettings):
    """The global stack: the shared DNS zone and the cell stacks it routes to."""

    zone_name: Hostname = Field(description="Public hosted zone that holds every entity hostname.")
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
            if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", stack):
                raise ValueError(f"{cell}: {stack!r} is not a fully qualified stack; allowed: <org>/<project>/<stack>")
        return value


class StackConfig(FrozenSettings):
    """Everything one stack says."""

    environment: Environment = Field(description="dev, staging or prod. Required.")
    tags: TagValues = Field(description="Tag values. Required.")
    deployment: DeploymentIdentity | None = Field(None, description="Deploy identity; none uses ambient creds.")
    jurisdictions: dict[str, JurisdictionOverride] = Field(
        default_factory=dict, description="Registry overrides and additions."
    )
    cells: dict[Name, CellConfig] = Field(default_factory=dict, description="Cells by name.")
    routing: RoutingConfig | None = Field(None, description="Only in the global stack.")

    @model_validator(mode="after")
    def _has_work(self) -> StackConfig:
        if not self.cells and self.routing is None:
            raise ValueError("a stack needs `cells` or `routing`; neither is set")
        return self

    @property
    def registry(self) -> JurisdictionRegistry:
        """The jurisdiction registry with this stack's overrides applied."""
        return DEFAULT_REGISTRY.with_overrides(self.jurisdictions)


_NOT_PERMITTED = "is not permitted for"


def _rules_problems(config: StackConfig) -> list[str]:
    """Checks that need the registry or span several keys; each problem names its key path."""
    problems: list[str] = []
    try:
        registry = config.registry
    except ConfigError as error:
        return [str(error)]
    for cell_name, cell in config.cells.items():
        at = key_path("cells", cell_name)
        if cell.jurisdiction not in registry:
            problems.append(
                f"{at}.jurisdiction: {cell.jurisdiction!r} is not a known jurisdiction; {allowed(registry)}"
            )
            continue
        rules = registry[cell.jurisdiction]
        if cell.primary_region not in rules.primary_regions:
            problems.append(
                f"{at}.primary_region: {cell.primary_region!r} {_NOT_PERMITTED} {rules.code}; "
                f"{allowed(rules.primary_regions)}"
            )
        if cell.dr_region is not None:
            if cell.dr_region not in rules.dr_regions:
                problems.append(
                    f"{at}.dr_region: {cell.dr_region!r} {_NOT_PERMITTED} {rules.code}; {allowed(rules.dr_regions)}"
                )
            elif cell.dr_region == cell.primary_region:
                problems.append(
                    f"{at}.dr_region: {cell.dr_region!r} is the primary region; a DR copy needs another "
                    f"region; {allowed(r for r in rules.dr_regions if r != cell.primary_region)}"
                )
        seen: dict[DataConcern, int] = {}
        for index, database in enumerate(cell.concerns):
            if database.concern in seen:
                problems.append(
                    f"{at}.concerns[{index}].concern: {database.concern.value!r} is listed twice "
                    f"(first at concerns[{seen[database.concern]}]); each concern gets its own database"
                )
            seen.setdefault(database.concern, index)
            global_problem = versions.aurora_global_version_problem(database.engine_version)
            if cell.dr_region is not None and database.engine == "aurora" and global_problem:
                problems.append(f"{at}.concerns[{index}].engine_version: {database.engine_version!r} {global_problem}")
        entity_names = [entity.name for entity in cell.entities]
        for index, name in enumerate(entity_names):
            if name in entity_names[:index]:
                problems.append(f"{at}.entities[{index}].name: {name!r} is listed twice")
        for key, settings, region in (
            ("maintenance", cell.maintenance, cell.primary_region),
            ("dr_maintenance", cell.dr_maintenance, cell.dr_region),
        ):
            if region is not None:
                problems.extend(f"{at}.{key}: {p}" for p in window_problems(resolve_windows(settings, region)))
            elif settings != MaintenanceSettings():
                problems.append(f"{at}.{key}: is set without a dr_region; allowed: a dr_region, or remove it")
        if config.environment == "prod":
            for index, database in enumerate(cell.concerns):
                if not database.multi_az:
                    problems.append(f"{at}.concerns[{index}].multi_az: False is not allowed in prod; allowed: True")
            if cell.vpc.nat_gateways == "single":
                problems.append(f"{at}.vpc.nat_gateways: 'single' is not allowed in prod; allowed: one_per_az")
    problems.extend(
        eks_problems(
            [
                (
                    name,
                    EksWorkloads(
                        namespaces=cell.compute.namespaces, services=cell.compute.services, gitops=cell.compute.gitops
                    ),
                    [database.concern.value for database in cell.concerns],
                )
                for name, cell in config.cells.items()
                if isinstance(cell.compute, EksSettings)
            ],
            environment=config.environment,
            deploy_role_arn=config.deployment.deploy_role_arn if config.deployment else None,
        )
    )
    hostnames: dict[str, str] = {}
    for cell_name, cell in config.cells.items():
        for index, entity in enumerate(cell.entities):
            where = key_path("cells", cell_name, "entities", index, "hostname")
            if entity.hostname in hostnames:
                problems.append(f"{where}: {entity.hostname!r} is already used at {hostnames[entity.hostname]}")
            hostnames.setdefault(entity.hostname, where)
    return problems


def _resolve_defaults(config: StackConfig) -> StackConfig:
    cells = {}
    for name, cell in config.cells.items():
        concerns = tuple(
            database
            if database.objectives is not None
            else database.model_copy(
                update={
                    "objectives": default_objectives(
                        config.environment, database.concern, has_dr_region=cell.dr_region is not None
                    )
                }
            )
            for database in cell.concerns
        )
        cells[name] = cell.model_copy(update={"concerns": concerns})
    return config.model_copy(update={"cells": cells})


def _fields_at(model: Any, loc: Sequence[str | int]) -> list[str] | None:
    """The field names of the model found by walking ``loc`` from ``model``; None if it can't be found."""
    current: Any = model
    for part in loc:
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is Annotated:
            current, origin, args = args[0], typing.get_origin(args[0]), typing.get_args(args[0])
        if origin in (types.UnionType, typing.Union):
            members = [arg for arg in args if arg is not type(None)]
            by_kind = {
                getattr(member, "model_fields", {}).get("kind", None): member
                for member in members
                if isinstance(member, type) and issubclass(member, BaseModel)
            }
            kinds = {field.default: member for field, member in by_kind.items() if field is not None}
            if part in kinds:
                current = kinds[part]
                continue
            current = members[0] if len(members) == 1 else None
            if current is None:
                return None
            origin, args = typing.get_origin(current), typing.get_args(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif origin in (dict, Mapping) and args:
            current = args[1]
        elif origin in (tuple, list, Sequence) and args:
            current = args[0]
        else:
            return None
    while typing.get_origin(current) in (Annotated, types.UnionType, typing.Union):
        members = [arg for arg in typing.get_args(current) if arg is not type(None)]
        current = members[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _describe(error: Mapping[str, Any]) -> str:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    # A discriminated union puts the tag (`ecs`/`eks`) in the location; the stack file has no such key.
    shown = tuple(part for part in loc if part not in ("ecs", "eks") or loc.index(part) == 0)
    path = key_path(*shown) if shown else "(stack)"
    kind = error["type"]
    if kind == "extra_forbidden":
        fields = _fields_at(StackConfig, loc[:-1])
        known = allowed(fields) if fields else "remove it"
        return f"{path}: unknown key; {known}"
    if kind == "missing":
        return f"{path}: is required but missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], Mapping):
        return f"{path}: {error['input']!r} {message[0].lower()}{message[1:]}"
    return f"{path}: {message}"


def load_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config (keys without the namespace) into a :class:`StackConfig`.

    Raises one :class:`ConfigError` listing every problem, one line each.
    """
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as error:
        items = error.errors(include_url=False)
        # A list whose only item failed also reports "too short"; the item's own error says it better.
        failing_items = {tuple(item["loc"][:-2]) for item in items if len(item["loc"]) >= 2}
        items = [i for i in items if not (i["type"] == "too_short" and tuple(i["loc"]) in failing_items)]
        problems = [_describe(item) for item in items]
        raise ConfigError(_join(problems), problems=problems) from None
    problems = _rules_problems(config)
    if problems:
        # A region outside the jurisdiction is the residency case callers may want to tell apart.
        error_type = ResidencyError if any(_NOT_PERMITTED in problem for problem in problems) else ConfigError
        raise error_type(_join(problems), problems=problems)
    return _resolve_defaults(config)


def _join(problems: Sequence[str]) -> str:
    if len(problems) == 1:
        return f"invalid stack config: {problems[0]}"
    return "invalid stack config:\n" + "\n".join(f"  - {problem}" for problem in problems)


def read_pulumi_config() -> dict[str, Any]:
    """Every ``fintech-infra:*`` key of the running stack, with structured values parsed.

    Reads both the SDK's in-process config and the ``PULUMI_CONFIG`` the CLI hands a program, so it
    behaves the same under ``pulumi up`` and under the mock engine.
    """
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{CONFIG_NAMESPACE}:"
    raw: dict[str, Any] = {}
    for key, value in merged.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        raw[name] = value
    return raw
