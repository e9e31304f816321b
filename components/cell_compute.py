"""The cell's compute tier, one strategy per kind: ECS Fargate services (:class:`EcsCompute`) or an EKS
cluster with its Kubernetes baseline (:class:`EksCompute`).

The cell picks the strategy once, from the config's compute kind (:func:`compute_tier`), and builds one
per region. Each answers the same questions, so the cell never asks which kind it runs:

- on construction, what the region needs before the databases: ECS makes each service's own security
  group; EKS makes the cluster, whose node group is every store's client;
- :meth:`~CellCompute.clients`: the security groups a data store admits, by label;
- :meth:`~CellCompute.kubernetes`: the routing manifests' Kubernetes part (ECS: none; ECS services get
  the manifests' SSM parameters injected instead);
- :meth:`~CellCompute.serve`: the targets the edge gets and the services behind them.

An ECS service wears exactly one security group, its own, however many concerns it declares: each
concern's database group admits the groups of the services that declare that concern (one ingress rule per
service, on the database's side), and the cache admits the services that declare ``cache``. AWS allows at
most five groups per service (:data:`fintech_infra.aws_facts.ECS_SECURITY_GROUPS_PER_SERVICE`); a marker
group per concern would need one more group per concern, and reach that limit with four concerns and the cache.

A standby tier (the DR region's warm standby) runs at its floor: one task per service, or one node. It must
start with the primary region gone, so it depends on nothing there: its services pull their images from the DR
region's registry (:func:`~fintech_infra.images.dr_image`, filled by ECR replication) and read the DR region's
secrets under the DR region's keys (the :class:`ServiceData` the cell builds for that region).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra._tags import data_concerns_tag
from fintech_infra.alarms import service_alarms
from fintech_infra.app_buckets import bucket_name_variable, grant_bucket_access
from fintech_infra.app_checks import hosts_by_role
from fintech_infra.cell_region import CellRegion, data_cidrs
from fintech_infra.config import CellConfig, ComputeSettings, EcsServiceSettings, EcsSettings, EksSettings
from fintech_infra.ecs import EcsCluster
from fintech_infra.edge import Edge
from fintech_infra.eks import EksCluster
from fintech_infra.eks_config import EksServiceSettings, service_namespace
from fintech_infra.eks_platform import EksPlatform, PlatformNetwork, ServiceRoute, service_identity
from fintech_infra.eks_pod_network import NamespaceTraffic, PodSecurityGroups
from fintech_infra.eks_tracing import ClusterTracing
from fintech_infra.fargate import FargateService
from fintech_infra.images import dr_image
from fintech_infra.k8s_baseline import KubernetesBaseline
from fintech_infra.kms import KeyRing
from fintech_infra.migration_config import MIGRATION_CLIENT, MigrationPlan
from fintech_infra.migrations import MigrationTarget, MigrationTask, migration_group
from fintech_infra.queues import grant_queue_access, queue_url_variable
from fintech_infra.rds_baseline import POSTGRES_PORT
from fintech_infra.redis import REDIS_PORT
from fintech_infra.route_config import plan_routes
from fintech_infra.routing import KubernetesTarget, RoutingManifest
from fintech_infra.service_alarms import ecs_service_alarms
from fintech_infra.wiring import KeyRef

__all__ = [
    "ROUTING_ENV_PREFIX",
    "CellCompute",
    "ComputeScope",
    "EcsCompute",
    "EksCompute",
    "ServiceData",
    "compute_tier",
]

ROUTING_ENV_PREFIX = "FINTECH_ROUTING_"
"""ECS services read each entity's routing manifest (a SecureString in SSM) in ``FINTECH_ROUTING_<ENTITY>``."""


@dataclass(frozen=True)
class ComputeScope:
    """What a compute tier reads from its cell and its region."""

    cell: str
    jurisdiction: str
    config: CellConfig
    region: CellRegion
    prefix: str
    """Prefix of the tier's children: the cell's name, or ``<cell>-dr`` in the DR region."""
    log_retention_days: int
    deploy_role_arn: str | None
    standby: bool


@dataclass(frozen=True)
class ServiceData:
    """The data stores a region's services may use: their secrets there, and the keys those are encrypted with.

    Everything in one region: the primary region's secrets under its keys, or, for the warm standby, the DR
    region's replicas under the DR region's keys.
    """

    secret_arns: Mapping[str, pulumi.Output[str]]
    """Concern to the database's master secret in this region (a concern without one there is left out)."""
    cache_secret_arn: pulumi.Output[str] | None
    """The cache's ``auth`` secret; None where there is no cache (the DR region rebuilds it on failover)."""
    keys: KeyRing
    """This region's keys (one per concern, and ``cache`` where there is a cache)."""
    queues: Mapping[str, tuple[str, pulumi.Output[str]]] = field(default_factory=dict)
    """Queue name to its concern and ARN in this region (the primary only: queues are not replicated)."""
    buckets: Mapping[str, tuple[str, pulumi.Output[str]]] = field(default_factory=dict)
    """Bucket name to its concern and ARN in this region (the primary only: the DR replicas are read on failover)."""
    queue_urls: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Queue name to its URL, passed to the services that list it (:func:`~fintech_infra.queues.queue_url_variable`)."""
    bucket_names: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Bucket name to its S3 name, passed to the services that list it
    (:func:`~fintech_infra.app_buckets.bucket_name_variable`)."""
    migration_targets: Mapping[str, MigrationTarget] = field(default_factory=dict)
    """Concern to its database as the concern's migration task sees it (the primary only: migrations run where
    the writer is)."""

    def environment(self, queues: Sequence[str], buckets: Sequence[str]) -> dict[str, pulumi.Input[str]]:
        """The variables naming a service's queues and buckets in this region (none where they are not here)."""
        found: dict[str, pulumi.Input[str]] = {
            queue_url_variable(queue): self.queue_urls[queue] for queue in queues if queue in self.queue_urls
        }
        for bucket in buckets:
            if bucket in self.bucket_names:
                found[bucket_name_variable(bucket)] = self.bucket_names[bucket]
        return found

    def readable(self, concerns: Sequence[str], *, cache: bool) -> list[pulumi.Input[str]]:
        """The secrets a service of ``concerns`` may read: its concerns' that exist here, and the cache's if it
        uses the cache and there is one here."""
        found: list[pulumi.Input[str]] = [self.secret_arns[c] for c in concerns if c in self.secret_arns]
        return found + ([self.cache_secret_arn] if cache and self.cache_secret_arn is not None else [])

    def decrypt_keys(self, concerns: Sequence[str], *, cache: bool) -> list[KeyRef]:
        """The keys those secrets are encrypted with, in this region."""
        found = [self.keys.ref(c) for c in concerns if c in self.secret_arns]
        return found + ([self.keys.ref("cache")] if cache and self.cache_secret_arn is not None else [])


class CellCompute(Protocol):
    """One region's compute tier, whatever its kind."""

    watched_services: list[tuple[pulumi.Input[str], str]]
    """(cluster name, service name) of each service whose CloudWatch metrics the cell's dashboard shows."""

    def clients(self, concern: str) -> dict[str, pulumi.Input[str]]:
        """Security groups the data store of ``concern`` (or ``cache``) admits, by a stable label."""
        ...

    def kubernetes(self) -> KubernetesTarget | None:
        """Where the routing manifests go inside the cluster; None without one."""
        ...

    def migrated(self) -> frozenset[str]:
        """The concerns that get a migration task here (their databases admit it and rotate its secret)."""
        ...

    @property
    def migrations(self) -> Mapping[str, MigrationTask]:
        """Each migrated concern's task, once :meth:`serve` has built them."""
        ...

    def serve(self, edge: Edge, routing: RoutingManifest, data: ServiceData) -> None:
        """Targets on ``edge`` and the services behind them, reading ``routing``'s manifests and ``data``."""
        ...

    def scale_target(self) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        """The cluster's name, and the node group's (EKS), that the DR runbooks scale; after :meth:`serve`."""
        ...


def compute_tier(settings: ComputeSettings) -> Callable[[ComputeScope], CellCompute]:
    """The strategy for the config's compute kind, bound to its settings: build one per region with it."""
    if settings.kind == "ecs":
        return lambda scope: EcsCompute(settings, scope)
    return lambda scope: EksCompute(settings, scope)


class EcsCompute:
    """ECS: one security group per service and per concern's migration task (before the databases, which admit
    them), then a cluster, one Fargate service per service and one migration task definition per concern."""

    def __init__(self, settings: EcsSettings, scope: ComputeScope) -> None:
        self._settings, self._scope = settings, scope
        self.watched_services: list[tuple[pulumi.Input[str], str]] = []
        self.cluster: EcsCluster | None = None
        self.service_groups: dict[str, aws.ec2.SecurityGroup] = {
            service.name: self._service_group(service) for service in settings.services
        }
        # Migrations run against the writer, in the primary region: the warm standby has none.
        self.migration_plans: dict[str, MigrationPlan] = (
            {}
            if scope.standby
            else settings.migrations.plans([d.concern.value for d in scope.config.concerns], settings.services)
        )
        self.migration_groups: dict[str, aws.ec2.SecurityGroup] = {
            concern: migration_group(
                child(self._migration_name(concern), "sg"),
                concern=concern,
                vpc_id=scope.region.vpc.vpc_id,
                opts=scope.region.opts,
            )
            for concern in self.migration_plans
        }
        self._migrations: dict[str, MigrationTask] = {}

    @property
    def migrations(self) -> Mapping[str, MigrationTask]:
        return self._migrations

    def clients(self, concern: str) -> dict[str, pulumi.Input[str]]:
        """The groups of the services that declare ``concern`` (``cache``: that declare ``cache``), by service, and
        the concern's migration task's (label ``migrations``)."""
        found: dict[str, pulumi.Input[str]] = {
            service.name: self.service_groups[service.name].id
            for service in self._settings.services
            if (service.cache if concern == "cache" else concern in service.concerns)
        }
        if concern in self.migration_groups:
            found[MIGRATION_CLIENT] = self.migration_groups[concern].id
        return found

    def kubernetes(self) -> KubernetesTarget | None:
        return None

    def migrated(self) -> frozenset[str]:
        return frozenset(self.migration_plans)

    def _migration_name(self, concern: str) -> str:
        return child(self._scope.prefix, f"migrate-{concern}")

    def scale_target(self) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        assert self.cluster is not None, "scale_target() is read after serve()"
        return self.cluster.cluster_name, None

    def serve(self, edge: Edge, routing: RoutingManifest, data: ServiceData) -> None:
        scope, region = self._scope, self._scope.region
        self.cluster = cluster = EcsCluster(
            child(scope.prefix, "ecs"),
            cell=scope.cell,
            exec_key=region.keys.ref("platform"),
            logs_key=region.keys.ref("logs"),
            log_retention_days=scope.log_retention_days,
            opts=region.opts,
        )
        self._migration_tasks(cluster, data)
        manifests = {
            ROUTING_ENV_PREFIX + entity.upper().replace("-", "_"): parameter.arn
            for entity, parameter in routing.parameters.items()
        }
        routes = plan_routes(
            [(service.name, service.route) for service in self._settings.services], hosts_by_role(scope.config)
        )
        for service, route in zip(self._settings.services, routes, strict=True):
            settings = (
                service.model_copy(update={"min_tasks": 1, "image": dr_image(service.image, region.region)})
                if scope.standby
                else service
            )
            group = self.service_groups[service.name]
            target = edge.add_service_target(
                service.name,
                port=service.container_port,
                health_check_path=service.health_check_path,
                app_security_group_id=group.id,
                path_patterns=route.path_patterns,
                host_headers=route.hosts,
                priority=route.priority,
                blue_green=service.shifts_traffic,  # canary and linear shift traffic on the blue/green layout
                deregistration_delay_seconds=service.deregistration_delay_seconds,
                stickiness_seconds=service.stickiness_seconds,
            )
            concerns = [concern.value for concern in service.concerns if concern.value in data.secret_arns]
            fargate = FargateService(
                child(scope.prefix, service.name),
                settings,
                cluster=cluster,
                subnet_ids=region.vpc.private_subnet_ids,
                security_group_ids=[group.id],
                logs_key=region.keys.ref("logs"),
                log_retention_days=scope.log_retention_days,
                vpc_id=region.vpc.vpc_id,
                **target.fargate_args(),
                alert_route=region.alerts.route,
                injected_secrets=manifests,
                resource_environment=data.environment(service.queues, service.buckets),
                secret_arns_readable=data.readable(concerns, cache=service.cache),
                secret_keys=data.decrypt_keys(concerns, cache=service.cache),
                # The routing manifests ECS injects are SecureStrings under the platform key.
                injected_keys=[region.keys.ref("platform")],
                opts=region.opts,
            )
            own = [data.queues[queue] for queue in service.queues if queue in data.queues]
            if own:
                grant_queue_access(
                    child(scope.prefix, service.name),
                    role=fargate.task_role,
                    queue_arns=[arn for _, arn in own],
                    keys=[data.keys.ref(concern) for concern in dict.fromkeys(concern for concern, _ in own)],
                    parent=fargate,
                )
            own_buckets = [data.buckets[bucket] for bucket in service.buckets if bucket in data.buckets]
            if own_buckets:
                grant_bucket_access(
                    child(scope.prefix, service.name),
                    role=fargate.task_role,
                    bucket_arns=[arn for _, arn in own_buckets],
                    keys=[data.keys.ref(concern) for concern in dict.fromkeys(concern for concern, _ in own_buckets)],
                    parent=fargate,
                )
            service_alarms(
                fargate,
                child(scope.prefix, service.name),
                service=service.name,
                load_balancer_arn_suffix=target.load_balancer_arn_suffix,
                target_group_arn_suffixes=[
                    suffix for suffix in (target.arn_suffix, target.alternate_arn_suffix) if suffix is not None
                ],
                thresholds=scope.config.alarms,
                route=region.alerts.route,
            )
            if not scope.standby:  # the standby's one task per service idles until a failover
                self.watched_services.append((cluster.cluster_name, service.name))
                ecs_service_alarms(
                    child(scope.prefix, service.name),
                    cluster_name=cluster.cluster_name,
                    service_name=fargate.service.name,
                    thresholds=scope.config.alarms,
                    route=region.alerts.route,
                    parent=fargate,
                )

    def _migration_tasks(self, cluster: EcsCluster, data: ServiceData) -> None:
        scope, region = self._scope, self._scope.region
        for concern, plan in self.migration_plans.items():
            target = data.migration_targets.get(concern)
            if target is None:  # pragma: no cover - the cell passes a target for every concern it migrates
                raise ValueError(f"{scope.prefix}: no database given for {concern!r}'s migration task")
            self._migrations[concern] = MigrationTask(
                self._migration_name(concern),
                plan,
                cluster=cluster,
                target=target,
                security_group=self.migration_groups[concern],
                subnet_ids=region.vpc.private_subnet_ids,
                key=data.keys.ref(concern),
                log_retention_days=scope.log_retention_days,
                opts=region.opts,
            )

    def _service_group(self, service: EcsServiceSettings) -> aws.ec2.SecurityGroup:
        """A service's own group: the edge adds its ingress; egress to HTTPS (APIs through NAT or endpoints) and,
        for what the service declares, to the data subnets on the PostgreSQL and cache ports.

        Every rule is its own resource (no inline blocks, see :mod:`fintech_infra.data_access`): the edge adds
        the ALB's ingress rule to this group later. Data egress is keyed by availability zone.
        """
        prefix, region = self._scope.prefix, self._scope.region
        name = child(prefix, f"{service.name}-sg")
        group = aws.ec2.SecurityGroup(
            name,
            vpc_id=region.vpc.vpc_id,
            description=f"Service {service.name}: ingress from the edge only",
            tags=data_concerns_tag([*(c.value for c in service.concerns), *(["cache"] if service.cache else [])]),
            opts=region.opts,
        )

        def egress(role: str, port: int, cidr: str, description: str) -> None:
            aws.vpc.SecurityGroupEgressRule(
                child(name, role),
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
                description=description,
                tags={},
                opts=region.opts,
            )

        egress("https-out", 443, "0.0.0.0/0", "HTTPS out (AWS APIs through NAT or interface endpoints)")
        zones = dict(zip(region.vpc.availability_zones, data_cidrs(region.vpc), strict=True))
        for zone, cidr in zones.items():
            if service.concerns:
                egress(f"postgres-out-{zone}", POSTGRES_PORT, cidr, f"PostgreSQL in the data subnet of {zone}")
            if service.cache:
                egress(f"cache-out-{zone}", REDIS_PORT, cidr, f"Cache in the data subnet of {zone}")
        return group


class EksCompute:
    """EKS: the cluster, its Kubernetes baseline and one security group per workload namespace first (those
    groups are the data stores' clients), then a target group per service and the platform that fills them
    (:class:`~fintech_infra.eks_platform.EksPlatform`)."""

    def __init__(self, settings: EksSettings, scope: ComputeScope) -> None:
        self._settings, self._scope = settings, scope
        # Its services' signals are in Prometheus (eks_alerts), not CloudWatch: nothing for the dashboard's ECS row.
        self.watched_services: list[tuple[pulumi.Input[str], str]] = []
        region, role_arn = scope.region, scope.deploy_role_arn
        self.namespaces = self._namespaces(settings, scope.config)
        admins = tuple(arn for arn in (role_arn, settings.break_glass_role_arn) if arn)
        self.cluster = EksCluster(
            child(scope.prefix, "eks"),
            settings.model_copy(update={"node_min": 1}) if scope.standby else settings,
            cell=scope.cell,
            network=region.vpc.app_network(),
            secrets_key=region.keys.ref("platform"),
            logs_key=region.keys.ref("logs"),
            log_retention_days=scope.log_retention_days,
            admin_role_arns=admins,
            kubeconfig_role_arn=role_arn,
            opts=region.opts,
        )
        ports = sorted({service.container_port for service in settings.services}) or [8080]
        self.traffic = self._traffic(settings, self.namespaces)
        self.baseline = KubernetesBaseline(
            child(scope.prefix, "k8s-baseline"),
            cell=scope.cell,
            jurisdiction=scope.jurisdiction,
            namespaces=self.namespaces,
            provider=self.cluster.kubernetes_provider,
            vpc_cidr=region.vpc.cidr,
            data_cidrs=data_cidrs(region.vpc),
            ingress_ports=ports,
            cache_namespaces=[namespace for namespace, traffic in self.traffic.items() if traffic.cache],
            opts=region.opts,
        )
        self.tracing = (
            ClusterTracing(
                child(scope.prefix, "tracing"),
                settings.tracing.model_copy(
                    update={"collector_image": dr_image(settings.tracing.collector_image, region.region)}
                )
                if scope.standby
                else settings.tracing,
                cell=scope.cell,
                jurisdiction=scope.jurisdiction,
                region=region.region,
                issuer=self.cluster.oidc_issuer_url,
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                provider=self.cluster.kubernetes_provider,
                vpc_cidr=region.vpc.cidr,
                data_cidrs=data_cidrs(region.vpc),
                workload_namespaces=list(self.namespaces),
                opts=pulumi.ResourceOptions.merge(region.opts, pulumi.ResourceOptions(depends_on=[self.baseline])),
            )
            if settings.tracing is not None
            else None
        )
        self.pod_groups = PodSecurityGroups(
            scope.prefix,
            namespaces=self.traffic,
            vpc_id=region.vpc.vpc_id,
            vpc_cidr=region.vpc.cidr,
            data_cidrs=dict(zip(region.vpc.availability_zones, data_cidrs(region.vpc), strict=True)),
            cluster_security_group_id=self.cluster.cluster_security_group_id,
            provider=self.cluster.kubernetes_provider,
            opts=region.opts,
            depends_on=[self.baseline],
        )

    def clients(self, concern: str) -> dict[str, pulumi.Input[str]]:
        """The pod groups of the namespaces that reach ``concern`` (``cache``: whose services declare the cache)."""
        return {
            f"pods-{namespace}": self.pod_groups.groups[namespace].id
            for namespace, traffic in self.traffic.items()
            if (traffic.cache if concern == "cache" else concern in traffic.concerns)
        }

    def migrated(self) -> frozenset[str]:
        return frozenset()  # a Kubernetes Job per concern, which the team's GitOps repository owns (docs/deployment.md)

    @property
    def migrations(self) -> Mapping[str, MigrationTask]:
        return {}

    def scale_target(self) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        return self.cluster.cluster_name, self.cluster.node_group.node_group_name

    def kubernetes(self) -> KubernetesTarget | None:
        return KubernetesTarget(
            provider=self.cluster.kubernetes_provider,
            namespaces=list(self.namespaces),
            depends_on=[self.baseline],
        )

    def serve(self, edge: Edge, routing: RoutingManifest, data: ServiceData) -> None:
        scope, region = self._scope, self._scope.region
        routes = []
        for service in self._settings.services:
            namespace = service_namespace(self._settings.namespaces, service.concern)
            if namespace is None:  # pragma: no cover - refused by the config validation pass
                raise ValueError(f"service {service.name!r} has no namespace")
            target = edge.add_service_target(
                service.name,
                port=service.container_port,
                health_check_path=service.health_check_path,
                app_security_group_id=self.pod_groups.groups[namespace].id,
                path_patterns=service.path_patterns,
            )
            if scope.standby:  # the warm standby pulls from the DR region's registry (ECR replication)
                service = service.model_copy(update={"image": dr_image(service.image, region.region)})
            identity = service_identity(
                service,
                secret_arns=data.secret_arns,
                cache_secret_arn=data.cache_secret_arn,
                keys={purpose: data.keys.ref(purpose) for purpose in data.keys.purposes},
            )
            routes.append(ServiceRoute(service, namespace, target.arn, identity))
        EksPlatform(
            child(scope.prefix, "eks-platform"),
            self._settings,
            cell=scope.cell,
            jurisdiction=scope.jurisdiction,
            cluster=self.cluster,
            cluster_key=scope.prefix,
            network=PlatformNetwork(
                region=region.region,
                vpc_id=region.vpc.vpc_id,
                vpc_cidr=region.vpc.cidr,
                data_cidrs=data_cidrs(region.vpc),
                private_subnet_ids=region.vpc.private_subnet_ids,
                alert_route=region.alerts.route,
            ),
            services=routes,
            standby=scope.standby,
            opts=pulumi.ResourceOptions.merge(region.opts, pulumi.ResourceOptions(depends_on=[routing])),
        )

    @staticmethod
    def _namespaces(settings: EksSettings, config: CellConfig) -> dict[str, tuple[str, ...]]:
        if settings.namespaces:
            return {ns: tuple(c.value for c in concerns) for ns, concerns in settings.namespaces.items()}
        return {database.concern.value: (database.concern.value,) for database in config.concerns}

    @staticmethod
    def _traffic(settings: EksSettings, namespaces: Mapping[str, tuple[str, ...]]) -> dict[str, NamespaceTraffic]:
        by_namespace: dict[str, list[EksServiceSettings]] = {namespace: [] for namespace in namespaces}
        for service in settings.services:
            namespace = service_namespace(settings.namespaces, service.concern)
            if namespace in by_namespace:
                by_namespace[namespace].append(service)
        return {
            namespace: NamespaceTraffic(
                concerns=namespaces[namespace],
                ports=tuple(sorted({service.container_port for service in services})),
                cache=any(service.cache for service in services),
                external_https=any(service.external_endpoints for service in services),
            )
            for namespace, services in by_namespace.items()
        }
