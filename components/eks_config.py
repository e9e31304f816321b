"""What a stack file can say about the workloads of an EKS cell: its services, GitOps and alert thresholds.

:class:`~fintech_infra.compute_config.EksSettings` holds these. Checks that need the rest of the cell (the
service's concern must be one of the cell's, the image pinned by digest outside dev) are in
:func:`eks_problems`, which the stack-config validation pass runs with the other cross-key rules.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from pydantic import ConfigDict, Field, field_validator, model_validator

from fintech_infra._config_base import ROTATION_CLIENT, DataConcern, FrozenSettings, Hostname, Name
from fintech_infra.errors import key_path

__all__ = [
    "IMAGE_DIGEST",
    "EksAlertSettings",
    "EksServiceSettings",
    "EksWorkloads",
    "ExternalEndpoint",
    "GitOpsSettings",
    "eks_problems",
    "service_namespace",
]

IMAGE_DIGEST = re.compile(r"^[a-z0-9][a-z0-9.-]*(:\d+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$")
"""An image reference pinned by digest: ``<registry>/<repository>@sha256:<64 hex>`` (a tag may not stand in)."""
_QUANTITY_CPU = re.compile(r"^\d+m$|^\d+(\.\d+)?$")
_QUANTITY_MEMORY = re.compile(r"^\d+(Mi|Gi)$")
_INTERNAL = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8")
)
"""Addresses inside the VPC, peered networks, link-local (instance metadata), carrier-grade NAT, loopback."""
_ROLE_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$"
_SECRET_ARN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$"  # noqa: S105 (a pattern for secret ARNs)


class ExternalEndpoint(FrozenSettings):
    """A third-party API a service calls over HTTPS (a payment provider, a market-data feed)."""

    host: Hostname = Field(description="The endpoint's hostname, for the record and the docs. Required.")
    cidrs: tuple[str, ...] = Field(
        (),
        description="Public CIDRs the provider publishes for it; egress on 443 only to these. Empty (default) "
        "allows 443 to any public address (Kubernetes NetworkPolicies cannot match hostnames).",
    )

    @field_validator("cidrs")
    @classmethod
    def _public_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            network = ipaddress.ip_network(cidr, strict=False)
            if network.prefixlen == 0 or any(network.overlaps(inner) for inner in _INTERNAL):
                raise ValueError(f"{cidr!r} is not a public provider range; allowed: the provider's published CIDRs")
        return value


class EksServiceSettings(FrozenSettings):
    """One service on the cell's EKS cluster: a Deployment behind its own ALB target group."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: Name = Field(description="Service name, unique in the cell. Required.")
    image: str = Field(
        min_length=3,
        description="Container image; pinned by digest (`<registry>/<repo>@sha256:<64 hex>`) outside dev. Required.",
    )
    concern: DataConcern = Field(
        description="The data concern it serves: it runs in that concern's namespace, reaches only that "
        "concern's database and reads only its secret. Required."
    )
    cache: bool = Field(False, description="Whether it reaches the cell's cache. Defaults to False.")
    container_port: int = Field(8080, ge=1024, le=65535, description="Port the container listens on. Defaults to 8080.")
    health_check_path: str = Field(
        "/healthz", pattern=r"^/", description="ALB health check and readiness probe path. Defaults to `/healthz`."
    )
    path_patterns: tuple[str, ...] = Field(
        ("/*",), min_length=1, description="ALB path patterns routed to it. Defaults to (`/*`,)."
    )
    min_replicas: int = Field(2, ge=1, le=100, description="HorizontalPodAutoscaler floor. Defaults to 2.")
    max_replicas: int = Field(10, ge=1, le=500, description="HorizontalPodAutoscaler ceiling. Defaults to 10.")
    cpu_target_pct: int = Field(60, ge=10, le=90, description="Average CPU utilisation tracked. Defaults to 60.")
    cpu_request: str = Field("250m", description="Container CPU request. Defaults to 250m.")
    cpu_limit: str = Field("1", description="Container CPU limit. Defaults to 1.")
    memory_request: str = Field("512Mi", description="Container memory request. Defaults to 512Mi.")
    memory_limit: str = Field("1Gi", description="Container memory limit. Defaults to 1Gi.")
    external_endpoints: tuple[ExternalEndpoint, ...] = Field(
        (),
        description="Third-party HTTPS APIs it calls; only services that declare one get egress to 443 outside "
        "the VPC. Defaults to none.",
    )

    @field_validator("cpu_request", "cpu_limit")
    @classmethod
    def _cpu(cls, value: str) -> str:
        if not _QUANTITY_CPU.match(value):
            raise ValueError(f"{value!r} is not a CPU quantity; allowed: e.g. '250m' or '1'")
        return value

    @field_validator("memory_request", "memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _QUANTITY_MEMORY.match(value):
            raise ValueError(f"{value!r} is not a memory quantity; allowed: e.g. '512Mi' or '1Gi'")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> EksServiceSettings:
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas must be at least min_replicas")
        return self


class GitOpsSettings(FrozenSettings):
    """Argo CD in the cluster: one Application per service, synced from a Git repository."""

    repo_url: str = Field(
        pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?/[A-Za-z0-9._/-]+$",
        description="HTTPS URL of the repository holding the rendered manifests. Required.",
    )
    revision: str = Field("main", min_length=1, max_length=255, description="Branch, tag or commit. Defaults to main.")
    path: str = Field(
        "clusters",
        pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$",
        description="Folder in the repository under which each cluster's services live "
        "(`<path>/<cluster>/<service>`). Defaults to `clusters`.",
    )
    credential_secret_arn: str = Field(
        pattern=_SECRET_ARN,
        description="Secrets Manager secret (JSON with `username` and `password`, e.g. a read-only deploy token) "
        "that External Secrets copies into Argo CD's repository secret; never the value itself. Required.",
    )
    sso_issuer_url: str | None = Field(
        None,
        pattern=r"^https://\S+$",
        description="OIDC issuer for Argo CD single sign-on; none (default) leaves SSO off and the admin login "
        "disabled (access through `kubectl` port-forward with the cluster's access entries).",
    )
    sso_client_id: str | None = Field(None, min_length=1, description="OIDC client id, with sso_issuer_url.")
    admin_group: str = Field(
        "platform-admins",
        min_length=1,
        description="SSO group given Argo CD's admin role. Defaults to platform-admins.",
    )
    readonly_group: str = Field(
        "platform-readers", min_length=1, description="SSO group given read-only access. Defaults to platform-readers."
    )

    @model_validator(mode="after")
    def _sso_pair(self) -> GitOpsSettings:
        if (self.sso_issuer_url is None) != (self.sso_client_id is None):
            raise ValueError("sso_issuer_url and sso_client_id go together; set both or neither")
        return self


class EksAlertSettings(FrozenSettings):
    """The golden-signal thresholds of the cluster's Prometheus alert rules."""

    order_latency_p95_seconds: float = Field(0.5, gt=0, le=60, description="Order latency p95. Defaults to 0.5.")
    transaction_failure_pct: float = Field(0.1, gt=0, le=100, description="Failed transactions share. Defaults to 0.1.")
    error_rate_pct: float = Field(1.0, gt=0, le=100, description="5xx share of requests. Defaults to 1.")
    restarts_per_15m: int = Field(3, ge=1, le=100, description="Container restarts in 15 minutes. Defaults to 3.")
    container_cpu_pct: int = Field(80, ge=1, le=100, description="Container CPU use of its limit. Defaults to 80.")
    container_memory_pct: int = Field(80, ge=1, le=100, description="Container memory of its limit. Defaults to 80.")


def service_namespace(namespaces: Mapping[str, Sequence[DataConcern]], concern: DataConcern) -> str | None:
    """The namespace a service of ``concern`` runs in: the concern's own (named after it) unless ``namespaces``
    (EksSettings.namespaces) is set, then the one namespace that reaches the concern; None when none or
    several do."""
    if not namespaces:
        return concern.value
    reaching = [namespace for namespace, concerns in namespaces.items() if concern in concerns]
    return reaching[0] if len(reaching) == 1 else None


class EksWorkloads(FrozenSettings):
    """The parts of EksSettings the cross-key checks read (EksSettings satisfies it)."""

    namespaces: dict[str, tuple[DataConcern, ...]]
    services: tuple[EksServiceSettings, ...]
    gitops: GitOpsSettings | None


def _problems_for(
    cell: str,
    where: str,
    settings: EksWorkloads,
    concerns: Sequence[str],
    environment: str,
    deploy_role_arn: str | None,
) -> list[str]:
    problems = []
    names = [service.name for service in settings.services]
    for index, service in enumerate(settings.services):
        at = f"{where}.services[{index}]"
        if service.name in names[:index]:
            problems.append(f"{at}.name: {service.name!r} is listed twice; allowed: one service per name")
        if service.name == ROTATION_CLIENT:
            problems.append(f"{at}.name: {service.name!r} is taken by the rotation function; allowed: another name")
        if service.concern.value not in concerns:
            problems.append(
                f"{at}.concern: {service.concern.value!r} is not a concern of this cell; allowed: {', '.join(concerns)}"
            )
        elif service_namespace(settings.namespaces, service.concern) is None:
            problems.append(
                f"{at}.concern: {service.concern.value!r} is reached by no namespace or by several in "
                f"{where}.namespaces; allowed: exactly one namespace per concern a service declares"
            )
        if environment != "dev" and not IMAGE_DIGEST.match(service.image):
            # The reference is an image name, not a secret, so it may be shown.
            problems.append(
                f"{at}.image: {service.image!r} is not pinned by digest; allowed in {environment}: "
                "<registry>/<repository>@sha256:<64 hex digits>"
            )
    if settings.services and settings.gitops is None:
        problems.append(
            f"{where}.gitops: is not set but services are; allowed: a repo_url and credential_secret_arn "
            "(Argo CD syncs each service from the repository)"
        )
    if settings.services and deploy_role_arn is None:
        problems.append(
            f"{where}: services need fintech-infra:deployment.deploy_role_arn; the cluster's access entries map "
            "the deploy role and break_glass_role_arn, and nothing else"
        )
    return problems


def eks_problems(
    cells: Sequence[tuple[str, EksWorkloads, Sequence[str]]], *, environment: str, deploy_role_arn: str | None
) -> list[str]:
    """Each EKS cell's service problems: ``cells`` holds (cell name, its EKS settings, its concerns)."""
    problems: list[str] = []
    for cell, settings, concerns in cells:
        where = key_path("cells", cell, "compute")
        problems.extend(_problems_for(cell, where, settings, concerns, environment, deploy_role_arn))
    return problems
