"""What a stack file can say about a cell's compute tier: ECS Fargate services or an EKS cluster.

Also the guard on service environments: a variable whose name looks like a credential must come from a
secret reference, never a plaintext value (:func:`looks_like_secret`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from fintech_infra import aws_facts, versions
from fintech_infra._config_base import ROTATION_CLIENT, DataConcern, FrozenSettings, Name
from fintech_infra.aws_facts import TARGET_GROUP_DEREGISTRATION_DELAY_SECONDS, TARGET_GROUP_LB_COOKIE_SECONDS
from fintech_infra.eks_config import EksAlertSettings, EksServiceSettings, GitOpsSettings
from fintech_infra.errors import allowed
from fintech_infra.rollout_facts import BAKE_MINUTES, CANARY_PERCENT, LINEAR_STEP_PERCENT
from fintech_infra.route_config import RouteSettings

__all__ = [
    "FARGATE_CPU_UNITS",
    "SHIFTING_DEPLOYMENTS",
    "WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS",
    "ComputeSettings",
    "EcsServiceSettings",
    "EcsSettings",
    "EksAlertSettings",
    "EksServiceSettings",
    "EksSettings",
    "GitOpsSettings",
    "RolloutSettings",
    "RouteSettings",
    "default_deployment",
    "looks_like_secret",
    "service_images",
    "with_default_deployments",
]

WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS = 120
"""The least ALB idle timeout a cell with a WebSocket service may have: twice the 60 s ping interval common to
WebSocket servers, so one late ping does not cost the connection (the ALB default, 60, races the ping)."""

FARGATE_CPU_UNITS = (256, 512, 1024, 2048, 4096, 8192, 16384)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "PRIVATEKEY", "AUTHKEY")
_SECRET_TOKENS = frozenset({"PWD", "PASS", "KEY", "KEYS", "DSN", "CERT", "PEM"})
_NOT_SECRET_SUFFIXES = ("_KEY_ARN", "_KEY_ID", "_KEY_ALIAS")
_SECRET_REFERENCE = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?"
    r"|ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]+)$"
)


def looks_like_secret(env_name: str) -> bool:
    """True for an environment variable name that suggests a credential (``DB_PASSWORD``, ``API_KEY``)."""
    upper = env_name.upper()
    if upper.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(word in upper for word in _SECRET_WORDS) or bool(_SECRET_TOKENS & set(upper.split("_")))


Deployment = Literal["rolling", "blue_green", "canary", "linear"]
SHIFTING_DEPLOYMENTS = frozenset({"blue_green", "canary", "linear"})
"""Strategies in which ECS shifts the production listener rule between two target groups."""


def default_deployment(environment: str) -> Deployment:
    """Production shifts traffic gradually (canary); elsewhere a rolling update is enough."""
    return "canary" if environment == "prod" else "rolling"


class RolloutSettings(FrozenSettings):
    """How a traffic-shifting deployment proceeds, and when it rolls back by itself."""

    bake_minutes: int = Field(
        10,
        ge=int(BAKE_MINUTES.low),
        le=int(BAKE_MINUTES.high),
        description="Minutes both revisions stay up after the last shift, so a rollback is a listener flip. "
        "Defaults to 10.",
    )
    canary_percent: float = Field(
        10.0, description=f"canary: traffic to the new revision first ({CANARY_PERCENT.words()} %). Defaults to 10."
    )
    canary_bake_minutes: int = Field(
        10,
        ge=int(BAKE_MINUTES.low),
        le=int(BAKE_MINUTES.high),
        description="canary: minutes at the canary percentage before the rest shifts. Defaults to 10.",
    )
    linear_step_percent: float = Field(
        10.0, description=f"linear: traffic shifted per step ({LINEAR_STEP_PERCENT.words()} %). Defaults to 10."
    )
    linear_step_bake_minutes: int = Field(
        6,
        ge=int(BAKE_MINUTES.low),
        le=int(BAKE_MINUTES.high),
        description="linear: minutes between steps. Defaults to 6.",
    )
    rollback_error_rate_pct: float = Field(
        1.0, gt=0, le=100, description="Roll back when a target group's 5xx share exceeds this. Defaults to 1."
    )
    rollback_latency_p95_seconds: float = Field(
        1.0, gt=0, le=60, description="Roll back when a target group's p95 response time exceeds this. Defaults to 1."
    )

    @field_validator("canary_percent")
    @classmethod
    def _canary(cls, value: float) -> float:
        if not CANARY_PERCENT.allows(value):
            raise ValueError(f"{value!r} is not a canary percentage; allowed: {CANARY_PERCENT.words()}")
        return value

    @field_validator("linear_step_percent")
    @classmethod
    def _step(cls, value: float) -> float:
        if not LINEAR_STEP_PERCENT.allows(value):
            raise ValueError(f"{value!r} is not a linear step; allowed: {LINEAR_STEP_PERCENT.words()}")
        return value


class EcsServiceSettings(FrozenSettings):
    """One Fargate service."""

    # A rejected `environment` or `secrets` value may be a pasted credential: keep it out of error text.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: Name = Field(description="Service name, unique in the cell. Required.")
    image: str = Field(min_length=3, description="Container image, ideally pinned by digest. Required.")
    cpu: int = Field(512, description="Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Defaults to 512.")
    memory_mb: int = Field(1024, ge=512, le=122880, description="Task memory in MiB. Defaults to 1024.")
    container_port: int = Field(8080, ge=1024, le=65535, description="Port the container listens on. Defaults to 8080.")
    health_check_path: str = Field(
        "/healthz", pattern=r"^/", description="ALB health check path. Defaults to `/healthz`."
    )
    health_check_grace_seconds: int = Field(
        60, ge=0, le=1800, description="Seconds ALB health checks are ignored after a task starts. Defaults to 60."
    )
    min_tasks: int = Field(2, ge=1, le=1000, description="Auto scaling floor (and the initial count). Defaults to 2.")
    max_tasks: int = Field(10, ge=1, le=1000, description="Auto scaling ceiling. Defaults to 10.")
    cpu_target_pct: int = Field(
        60, ge=10, le=90, description="Average CPU the CPU scaling policy tracks. Defaults to 60."
    )
    requests_per_target: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="ALB requests per task per minute the request policy tracks. Defaults to 1000.",
    )
    concerns: tuple[DataConcern, ...] = Field(
        (),
        description="Data concerns whose databases it may reach: each one's database security group admits "
        "this service's own group, and it may read that database's master secret. Defaults to none.",
    )
    cache: bool = Field(
        False,
        description="Whether it reaches the cell's cache: the cache's security group admits this service's own "
        "group, and it may read the cache's auth secret. Defaults to False.",
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Env var name to a Secrets Manager secret ARN (optionally with `:json-key::`) or an SSM "
        "parameter ARN; never plaintext values. Defaults to none.",
    )
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Non-secret env vars; names that look like credentials are rejected. Defaults to none.",
    )
    deployment: Deployment | None = Field(
        None,
        description="`rolling`, `blue_green`, `canary` or `linear` (ECS-native; the last three shift the production "
        "listener rule between two target groups and roll back on the deployment alarms). Defaults to `canary` in "
        "prod, `rolling` elsewhere.",
    )
    rollout: RolloutSettings = Field(
        default_factory=RolloutSettings, description="Traffic shifting steps, bake times and rollback alarms."
    )

    @property
    def shifts_traffic(self) -> bool:
        """ECS moves the production rule between two target groups (blue/green, canary, linear)."""
        return self.deployment in SHIFTING_DEPLOYMENTS

    queues: tuple[Name, ...] = Field(
        (),
        description="The cell's queues it sends to and receives from (`queues[].name`), each of a concern it "
        "declares; its task role may use these and no other, and its container reads each one's URL from "
        "`QUEUE_URL_<NAME>` (name upper-cased, `-` as `_`; primary region only). Defaults to none.",
    )
    buckets: tuple[Name, ...] = Field(
        (),
        description="The cell's application-data buckets it reads and writes objects in (`buckets[].name`), each "
        "of a concern it declares; its task role may use these and no other, and its container reads each one's S3 "
        "name from `BUCKET_NAME_<NAME>` (name upper-cased, `-` as `_`; primary region only). Defaults to none.",
    )
    route: RouteSettings = Field(
        default_factory=RouteSettings,
        description="Its listener rule on the cell's HTTPS listener: host roles, path patterns and priority "
        "(:mod:`fintech_infra.route_config`). Defaults to any host, `/*`, priority in service order.",
    )
    websocket: bool = Field(
        False,
        description="It holds WebSocket connections: the cell's ALB keeps idle connections open for "
        "`edge.idle_timeout_seconds` (which must then be at least "
        f"{WEBSOCKET_MIN_IDLE_TIMEOUT_SECONDS}), and its health check path must lie outside its WebSocket paths "
        "(the ALB's check is a plain GET, never upgraded). Defaults to False.",
    )
    deregistration_delay_seconds: int = Field(
        30,
        ge=TARGET_GROUP_DEREGISTRATION_DELAY_SECONDS.start,
        le=TARGET_GROUP_DEREGISTRATION_DELAY_SECONDS.stop - 1,
        description="Seconds a task leaving its target group (scale-in, a deployment) keeps serving the "
        "connections it has before the ALB cuts them (AWS: 0-3600). Defaults to 30; a WebSocket gateway wants "
        "the time its clients need to reconnect elsewhere.",
    )
    stickiness_seconds: int | None = Field(
        None,
        ge=TARGET_GROUP_LB_COOKIE_SECONDS.start,
        le=TARGET_GROUP_LB_COOKIE_SECONDS.stop - 1,
        description="Duration of the ALB's `lb_cookie` stickiness (AWS: 1-604800): a client's requests keep "
        "going to the task that served its first. Defaults to none (no stickiness).",
    )

    execute_command: bool = Field(
        False,
        description="Allow ECS Exec into tasks (break-glass; sessions logged to the cluster's encrypted log group). "
        "Defaults to False.",
    )

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_CPU_UNITS:
            raise ValueError(f"is not a Fargate CPU size; {allowed(FARGATE_CPU_UNITS)}")
        return value

    @field_validator("environment")
    @classmethod
    def _no_secrets_in_environment(cls, value: dict[str, str]) -> dict[str, str]:
        for env_name in value:
            if not _ENV_NAME.match(env_name):
                raise ValueError(f"{env_name!r} is not an environment variable name; allowed: [A-Za-z_][A-Za-z0-9_]*")
            if looks_like_secret(env_name):
                raise ValueError(
                    f"{env_name!r} looks like a credential; plaintext values are not allowed for it: "
                    "move it to `secrets` as a Secrets Manager ARN"
                )
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_references(cls, value: dict[str, str]) -> dict[str, str]:
        for env_name, reference in value.items():
            if not _ENV_NAME.match(env_name):
                raise ValueError(f"{env_name!r} is not an environment variable name; allowed: [A-Za-z_][A-Za-z0-9_]*")
            if not _SECRET_REFERENCE.match(reference):
                # The value may itself be a pasted secret, so it is never echoed.
                raise ValueError(
                    f"{env_name!r} is not a secret reference; allowed: a Secrets Manager secret ARN "
                    "or an SSM parameter ARN (the value is not shown)"
                )
        return value

    @model_validator(mode="after")
    def _bounds(self) -> EcsServiceSettings:
        if self.max_tasks < self.min_tasks:
            raise ValueError("max_tasks must be at least min_tasks")
        both = sorted(set(self.secrets) & set(self.environment))
        if both:
            raise ValueError(f"{both!r} are set in both `secrets` and `environment`; set each name once")
        return self


class EcsSettings(FrozenSettings):
    """Run the cell's services on ECS Fargate."""

    kind: Literal["ecs"] = Field("ecs", description="Compute discriminator. Defaults to `ecs`.")
    services: tuple[EcsServiceSettings, ...] = Field(default=(), description="Fargate services. Defaults to none.")

    @model_validator(mode="after")
    def _distinct_names(self) -> EcsSettings:
        # Each service's group is admitted by the data stores under the service's name (one rule per name).
        names = [service.name for service in self.services]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(
                    f"services[{index}].name: {name!r} is listed twice (first at services[{names.index(name)}]); "
                    "each service's resources are named after it, so allowed: a name no other service of the cell has"
                )
        if ROTATION_CLIENT in names:
            raise ValueError(
                f"services[{names.index(ROTATION_CLIENT)}].name: {ROTATION_CLIENT!r} is taken by the data stores' "
                "rotation function; allowed: any other name"
            )
        return self


_GRAVITON = re.compile(r"^[a-z]+\d+[a-z-]*g[a-z-]*\.")
_RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class EksSettings(FrozenSettings):
    """Run the cell's services on EKS."""

    kind: Literal["eks"] = Field("eks", description="Compute discriminator. Defaults to `eks`.")
    version: str = Field(
        aws_facts.EKS_DEFAULT_VERSION,
        pattern=r"^1\.\d{2}$",
        description=(
            "Kubernetes version, in EKS standard support on the day the program runs (the cluster's upgrade policy "
            f"is STANDARD). Defaults to {aws_facts.EKS_DEFAULT_VERSION}."
        ),
    )
    node_instance_types: tuple[str, ...] = Field(
        ("m7g.large",), min_length=1, description="Node instance types. Defaults to (m7g.large,) (Graviton)."
    )
    ami_type: Literal[
        "AL2023_ARM_64_STANDARD", "AL2023_x86_64_STANDARD", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64"
    ] = Field(
        "AL2023_ARM_64_STANDARD",
        description="Node AMI family; its architecture must match the instance types. "
        "Defaults to AL2023_ARM_64_STANDARD.",
    )
    node_disk_gb: int = Field(50, ge=20, le=16384, description="Encrypted root volume per node (gp3). Defaults to 50.")
    node_min: int = Field(3, ge=1, le=100, description="Node group floor (and the initial size). Defaults to 3.")
    node_max: int = Field(6, ge=1, le=450, description="Node group ceiling. Defaults to 6.")
    public_endpoint_cidrs: tuple[str, ...] = Field(
        (), description="Public API access only from these CIDRs; empty (default) keeps the API private."
    )
    namespaces: dict[Name, tuple[DataConcern, ...]] = Field(
        default_factory=dict,
        description="Workload namespace to the data concerns its workloads reach; empty (default) gives one "
        "namespace per concern of the cell, named after it.",
    )
    services: tuple[EksServiceSettings, ...] = Field(
        (), description="Services run on the cluster, each in its concern's namespace. Defaults to none."
    )
    gitops: GitOpsSettings | None = Field(
        None, description="Argo CD's repository, path and credential reference; required when services are set."
    )
    alerts: EksAlertSettings = Field(
        default_factory=EksAlertSettings, description="Golden-signal thresholds of the Prometheus alert rules."
    )
    break_glass_role_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$",
        description="The emergency role mapped as cluster admin beside the deploy role; no other principal gets "
        "an access entry. Defaults to none (the deploy role only).",
    )

    @field_validator("version")
    @classmethod
    def _in_standard_support(cls, value: str) -> str:
        problem = versions.eks_version_problem(value, today=dt.date.today())
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("namespaces")
    @classmethod
    def _no_reserved_namespaces(cls, value: dict[str, tuple[DataConcern, ...]]) -> dict[str, tuple[DataConcern, ...]]:
        for namespace in value:
            if namespace in _RESERVED_NAMESPACES:
                raise ValueError(
                    f"{namespace!r} is reserved; workloads never run in {', '.join(_RESERVED_NAMESPACES)}: "
                    "name a workload namespace"
                )
        return value

    @model_validator(mode="after")
    def _bounds(self) -> EksSettings:
        if self.node_max < self.node_min:
            raise ValueError("node_max must be at least node_min")
        for cidr in self.public_endpoint_cidrs:
            network = ipaddress.ip_network(cidr, strict=False)
            if network.prefixlen == 0:
                raise ValueError(f"public_endpoint_cidrs may not contain {cidr!r}: name the admin networks")
        arm = "ARM_64" in self.ami_type
        mismatched = [t for t in self.node_instance_types if bool(_GRAVITON.match(t)) != arm]
        if mismatched:
            raise ValueError(
                f"node_instance_types {mismatched!r} do not match ami_type {self.ami_type!r}; "
                f"allowed: {'Graviton (e.g. m7g.large)' if arm else 'x86 (e.g. m7i.large)'} types, or change ami_type"
            )
        return self


ComputeSettings = Annotated[EcsSettings | EksSettings, Field(discriminator="kind")]


def with_default_deployments(compute: ComputeSettings, environment: str) -> ComputeSettings:
    """``compute`` with each ECS service that names no deployment strategy given the environment's default."""
    if not isinstance(compute, EcsSettings) or all(service.deployment for service in compute.services):
        return compute
    services = tuple(
        service if service.deployment else service.model_copy(update={"deployment": default_deployment(environment)})
        for service in compute.services
    )
    return compute.model_copy(update={"services": services})


def service_images(compute: EcsSettings | EksSettings) -> list[str]:
    """The image of each service of the compute tier, in config order (ECS tasks or EKS Deployments)."""
    return [service.image for service in compute.services]
