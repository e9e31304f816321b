"""JurisdictionCell: everything one regulatory jurisdiction runs, in regions its regulator permits.

A cell composes the other components; it never inlines them. In the primary region (one explicit provider,
handed to every child through ``providers``; invokes follow it through ``parent``): the key ring, VPC and
alarm topic (:class:`~fintech_infra.cell_region.CellRegion`), an access-log sink, the audit trail, the
compute tier's groundwork (each ECS service's own security group, or the EKS cluster and its baseline: the
data stores' clients), one database per concern, the cache, the backup plan, the edge (ALB + WAF), the routing
manifest, the concerns' queues (:mod:`fintech_infra.queues`), then the services behind the edge. The compute
kind is one strategy per kind (:mod:`fintech_infra.cell_compute`), picked once from the config. In the DR
region (a second provider): keys, VPC, alarm topic, each database's DR copy (through :class:`DrPlacement`),
and a **warm standby**: a second edge and the compute tier at its floor (one task per service, or one node),
so Route 53 fails over to a live ALB.

Warm standby, not pilot light, because the trading and payments RTO (< 15 min) leaves no time to create
a load balancer, certificates and a cluster during an incident. Its standing cost per cell, at list prices
(eu-west-1, verify before budgeting): ALB ~20 USD + LCUs, WAF ~10 USD + requests, NAT gateways ~33 USD
each, interface endpoints ~7.3 USD per service per AZ (~200 USD for nine services in three AZs), one
Fargate task per service (~36 USD for 1 vCPU / 2 GB) or an EKS control plane (73 USD) plus one node, on top
of the DR database mechanisms themselves (Aurora secondary clusters, replicated backups).

Residency is decided before anything is registered (:mod:`fintech_infra.residency`): the program checks
every cell first, and the cell's providers are only ever created for the two checked regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.alert_tiers import TIERS
from fintech_infra.app_buckets import ConcernBucket, DrBucketPlacement
from fintech_infra.audit import DEPLOY_RECORDS_PREFIX, AuditTrail
from fintech_infra.backup import CellBackup
from fintech_infra.bucket import SecureBucket
from fintech_infra.cell_compute import CellCompute, ComputeScope, ServiceData, compute_tier
from fintech_infra.cell_dr import cell_drills, dr_cache, dr_runbooks, dr_schedules, restore_tests
from fintech_infra.cell_operations import CellOperations
from fintech_infra.cell_region import CellRegion
from fintech_infra.chatbot import cell_slack_alerts
from fintech_infra.compute_config import service_images, with_default_deployments
from fintech_infra.config import CellConfig, DeploymentIdentity, Environment, SecurityServices
from fintech_infra.database import FinancialDatabase
from fintech_infra.dns_validation import ZoneAccess
from fintech_infra.edge import Edge
from fintech_infra.errors import ConfigError, ResidencyError, allowed, key_path
from fintech_infra.images import ReplicationRule, image_problems, image_replication, parse_ecr_image, replication_rule
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.maintenance import resolve_windows
from fintech_infra.migration_bootstrap import MigrationRoleBootstrap
from fintech_infra.migrations import MigrationTarget
from fintech_infra.providers import RegionalProviders
from fintech_infra.queues import ConcernQueue
from fintech_infra.rds_baseline import POSTGRES_PORT
from fintech_infra.redis import RedisCluster
from fintech_infra.residency import check_regions, dr_vpc_settings
from fintech_infra.rotation import RotationFunction
from fintech_infra.rotation_templates import RotationTemplate
from fintech_infra.routing import CacheRoute, DatabaseRoute, RoutingManifest
from fintech_infra.runbook import DrRunbooks
from fintech_infra.wiring import ROTATION_CLIENT, DrPlacement

__all__ = ["JurisdictionCell"]

PLATFORM_PURPOSES = ("audit", "logs", "platform", "cache", "backup")
# audit: the trail's Object Lock replica; cache: the warm standby.
DR_PLATFORM_PURPOSES = ("audit", "logs", "platform", "backup", "cache")


class JurisdictionCell(FintechComponent):
    """One jurisdiction's cell: primary region plus a warm-standby DR region, both inside the jurisdiction."""

    TYPE: ClassVar[str] = "fintech:cell:JurisdictionCell"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "jurisdiction": "Registry code the cell is built under.",
        "primary_region": "The cell's primary region.",
        "dr_region": "The cell's DR region, or None.",
        "routing": "Entity name to the primary routing manifest document.",
        "parameters": "Entity name to the SSM path of its manifest (same path in the DR region).",
        "primary_edge": "Primary ALB: region, dns name, zone id, certificate validation records.",
        "dr_edge": "DR ALB (same shape), or None without a DR region.",
        "key_arns": "Key purpose to KMS key ARN in the primary region.",
        "recovery": "Concern to recovery mechanism and planning RPO/RTO.",
        "dashboard": "Name of the cell's CloudWatch dashboard (primary region).",
    }

    def __init__(
        self,
        name: str,
        config: CellConfig,
        *,
        jurisdiction: Jurisdiction,
        environment: Environment,
        deployment: DeploymentIdentity | None = None,
        zone_access: ZoneAccess | None = None,
        image_replication_rules: Sequence[ReplicationRule] | None = None,
        security: SecurityServices = SecurityServices(),  # noqa: B008 - frozen model, safe as a default
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``jurisdiction`` is the effective rule set (:func:`~fintech_infra.residency.check_residency` gives it);
        it is re-checked here. ``zone_access`` (the zones stack, :func:`~fintech_infra.dns_validation.read_zone_access`)
        lets the edges write their certificates' validation records; without it a requested certificate only
        validates once someone publishes the exported records. ``image_replication_rules`` are the rules of the
        primary registry's ECR replication configuration this cell writes: by default its own
        (:meth:`replication_rule`); ECR keeps one configuration per registry, so a stack whose cells share a
        primary region passes all their rules to one of them and ``()`` to the others. ``security`` says who runs
        GuardDuty and Security Hub for the account (:mod:`fintech_infra.security_signals`)."""
        if jurisdiction.code != config.jurisdiction:
            raise ConfigError(
                f"{key_path('cells', name, 'jurisdiction')}: {config.jurisdiction!r} does not match the rules "
                f"passed for {jurisdiction.code!r}; allowed: {jurisdiction.code}"
            )
        check_regions(name, config, jurisdiction)
        self._check_images(name, config, deployment)
        super().__init__(self.TYPE, name, opts, scope={"Jurisdiction": jurisdiction.code})
        # A config built in code rather than read from a stack file gets the environment's strategy here.
        config = config.model_copy(update={"compute": with_default_deployments(config.compute, environment)})
        self.cell_name = name
        self._caller_account: pulumi.Output[str] | None = None
        self.config = config
        self.jurisdiction = jurisdiction
        self.environment = environment
        self.permitted_regions = tuple(r for r in (config.primary_region, config.dr_region) if r)
        retention = jurisdiction.min_audit_log_retention_days
        concerns = [database.concern.value for database in config.concerns]
        providers = RegionalProviders(name, identity=deployment, parent=self)
        role_arn = deployment.deploy_role_arn if deployment else None

        self.primary = CellRegion(
            self,
            name,
            cell_name=name,
            config=config,
            rules=jurisdiction,
            region=config.primary_region,
            settings=config.vpc,
            purposes=list(dict.fromkeys((*concerns, *PLATFORM_PURPOSES))),
            provider=providers.get(config.primary_region),
        )
        here, keys = self.primary.opts, self.primary.keys
        self.access_logs = SecureBucket(child(name, "access-logs"), log_sink=True, opts=here)
        self.audit = AuditTrail(
            child(name, "audit"),
            key=keys.ref("audit"),
            # The trail's log group holds the audit concern's records: the audit key, not the platform logs key.
            logs_key=keys.ref("audit"),
            retention_days=retention,
            access_log_bucket=self.access_logs.bucket,
            deploy_records_writer=deployment.deploy_role_arn if deployment else None,
            opts=here,
        )
        self.dr: CellRegion | None = None
        if config.dr_region is not None:
            self.dr = CellRegion(
                self,
                child(name, "dr"),
                cell_name=name,
                config=config,
                rules=jurisdiction,
                region=config.dr_region,
                settings=dr_vpc_settings(name, config),
                purposes=list(dict.fromkeys((*concerns, *DR_PLATFORM_PURPOSES))),
                provider=providers.get(config.dr_region),
            )
            # An immutable trail survives the loss of its region: an Object Lock replica in the DR region, which the
            # jurisdiction permits (check_regions). A cell without a DR region keeps one copy (docs/components.md).
            self.dr_access_logs = SecureBucket(child(name, "dr-access-logs"), log_sink=True, opts=self.dr.opts)
            self.audit.replicate_to(
                child(name, "audit-replica"),
                key=self.dr.keys.ref("audit"),
                access_log_bucket=self.dr_access_logs.bucket,
                provider=self.dr.provider,
            )
        self._validation = (
            zone_access.validation_for(
                name,
                {
                    hostname: key_path("cells", name, "entities", index, key)
                    for index, entity in enumerate(config.entities)
                    for key, hostname in (
                        ("hostname", entity.hostname),
                        *((f"hostnames.{role}", h) for role, h in entity.hostnames.items()),
                    )
                },
                region=config.primary_region,
                parent=self,
            )
            if zone_access is not None and config.edge.certificate_arn is None
            else None
        )
        unexpected = [region for region in providers.regions if region not in self.permitted_regions]
        if unexpected:  # pragma: no cover - a guard against future edits, not reachable from config
            raise ResidencyError(f"cell {name!r}: providers for {unexpected!r}; {allowed(self.permitted_regions)}")

        # The compute tier comes before the databases: its security groups are their clients.
        compute = compute_tier(config.compute)
        self.compute = compute(self._compute_scope(name, self.primary, role_arn, retention, standby=False))
        self.dr_compute: CellCompute | None = None
        if self.dr is not None:
            self.dr_compute = compute(
                self._compute_scope(child(name, "dr"), self.dr, role_arn, retention, standby=True)
            )

        self.databases: dict[str, FinancialDatabase] = {}
        # A concern's PostgreSQL rotation function rotates its Aurora global master secret and its migration secret.
        migrated, rotations = self.compute.migrated(), dict[str, RotationFunction]()
        for index, settings in enumerate(config.concerns):
            concern = settings.concern.value
            placement = self._dr_placement(concern, with_network=True)
            generated = FinancialDatabase.generates_password(settings, placement)
            if generated or concern in migrated:
                rotations[concern] = self._rotation(concern, "postgresql-single-user", retention)
            clients = self.compute.clients(concern)
            function_group = rotations[concern].security_group_id if concern in rotations else None
            if not generated and function_group is not None:
                # Admitted as FinancialDatabase admits a generated master's function.
                clients = {**clients, ROTATION_CLIENT: function_group}
            self.databases[concern] = FinancialDatabase(
                child(name, concern),
                settings,
                cell=name,
                jurisdiction=jurisdiction,
                network=self.primary.vpc.data_network(clients),
                key=keys.ref(concern),
                dr=placement,
                alert_route=self.primary.alerts.route,
                dr_alert_route=self.dr.alerts.route if self.dr else None,
                alarms=config.alarms,
                availability_zones=self.primary.vpc.availability_zones,
                rotation=rotations[concern] if generated else None,
                monitoring_log_groups=[region.monitoring_logs for region in (self.primary, self.dr) if region],
                windows=resolve_windows(config.maintenance, config.primary_region),
                dr_windows=resolve_windows(config.dr_maintenance, config.dr_region) if config.dr_region else None,
                config_path=key_path("cells", name, "concerns", index),
                opts=here,
            )
            if not generated and concern in rotations:  # Aurora's own wiring lets a generated master's function out
                rotations[concern].allow_to(
                    child(name, f"{concern}-rotation-egress"),
                    security_group_id=self.databases[concern].security_group_id,
                    port=POSTGRES_PORT,
                    parent=self.databases[concern],
                )
        self.cache = RedisCluster(
            child(name, "cache"),
            config.redis,
            cell=name,
            network=self.primary.vpc.data_network(self.compute.clients("cache")),
            key=keys.ref("cache"),
            logs_key=keys.ref("logs"),
            log_retention_days=retention,
            alert_route=self.primary.alerts.route,
            alarms=config.alarms,
            rotation=self._rotation("cache", "elasticache-user", retention),
            windows=resolve_windows(config.maintenance, config.primary_region),
            config_path=key_path("cells", name, "redis"),
            opts=here,
        )
        self.dr_cache = (
            dr_cache(name, config, region=self.dr, compute=self.dr_compute, retention_days=retention)
            if self.dr is not None and self.dr_compute is not None
            else None
        )
        self.backup = CellBackup(
            child(name, "backup"),
            cell=name,
            jurisdiction=jurisdiction,
            key=keys.ref("backup"),
            dr=self._dr_placement("backup", with_network=False),
            resource_arns=[database.resource_arn for database in self.databases.values()],
            dr_resource_arns=[db.dr_resource_arn for db in self.databases.values() if db.dr_resource_arn is not None],
            opts=here,
        )

        self.queues = {
            queue.name: ConcernQueue(
                child(name, f"{queue.name}-queue"),
                queue,
                key=keys.ref(queue.concern.value),
                alert_route=self.primary.alerts.route,
                opts=here,
            )
            for queue in config.queues
        }
        self.buckets = self._buckets(name, config, retention)
        services = ServiceData(
            secret_arns={concern: database.master_secret_arn for concern, database in self.databases.items()},
            cache_secret_arn=self.cache.auth_secret_arn,
            keys=keys,
            queues={q.name: (q.concern.value, self.queues[q.name].queue_arn) for q in config.queues},
            buckets={b.name: (b.concern.value, self.buckets[b.name].arn) for b in config.buckets},
            queue_urls={name_: queue.queue_url for name_, queue in self.queues.items()},
            bucket_names={name_: bucket.bucket for name_, bucket in self.buckets.items()},
            migration_targets={
                concern: MigrationTarget(
                    host=database.writer_endpoint,
                    port=database.port,
                    dbname=concern,
                    security_group_id=database.security_group_id,
                    rotation=rotations[concern],
                    bootstrap=self._role_bootstrap(concern, database, rotations[concern], retention),
                    ready=[database],
                )
                for concern, database in self.databases.items()
                if concern in migrated
            },
        )
        rules = [own] if image_replication_rules is None and (own := self.replication_rule()) else []
        self.image_replication = self._image_replication(
            deployment, rules if image_replication_rules is None else image_replication_rules
        )
        self.edge = self._edge(name, self.primary, retention)
        self.routing = self._manifest(child(name, "routing"), self.primary, "primary", self.compute)
        self.compute.serve(self.edge, self.routing, services)
        self.drills = cell_drills(
            name,
            config,
            environment=environment,
            region=self.primary,
            compute=self.compute,
            edge=self.edge,
            databases=self.databases,
            account_id=self._account_id(deployment),
            retention_days=retention,
        )

        self.runbooks: DrRunbooks | None = None
        self.dr_edge: Edge | None = None
        self.dr_routing: RoutingManifest | None = None
        if self.dr is not None and self.dr_compute is not None:
            # Warm standby: a live edge and the compute tier at its floor, so DNS fails over to a working ALB.
            self.dr_edge = self._edge(child(name, "dr"), self.dr, retention)
            self.dr_routing = self._manifest(child(name, "dr-routing"), self.dr, "dr", self.dr_compute)
            # Self-sufficient: the DR region's secret replicas under its own keys, its own standby cache's
            # credentials, and no RDS-managed secret (RDS cannot replicate it; the DR runbook promotes or restores).
            standby = ServiceData(
                secret_arns={
                    concern: database.dr_secret_arn
                    for concern, database in self.databases.items()
                    if database.dr_secret_arn is not None
                },
                cache_secret_arn=self.dr_cache.auth_secret_arn if self.dr_cache is not None else None,
                keys=self.dr.keys,
            )
            self.dr_compute.serve(self.dr_edge, self.dr_routing, standby)
            self.runbooks = dr_runbooks(
                name,
                config,
                regions=(self.primary, self.dr),
                computes=(self.compute, self.dr_compute),
                caches=(self.cache, self.dr_cache),
                databases=self.databases,
                account_id=self._account_id(deployment),
                # The routing stack's account holds the health checks (fintech_infra.dr_dns): the zones stack's.
                dns_account_id=zone_access.account() if zone_access is not None else self._account_id(deployment),
                retention_days=retention,
            )
        self.schedules = dr_schedules(
            name,
            config,
            environment=environment,
            jurisdiction=jurisdiction.code,
            regions=(self.primary, self.dr),
            drills=self.drills,
            runbooks=self.runbooks,
            account_id=self._account_id(deployment),
        )
        self.restore_tests = restore_tests(
            name,
            config,
            jurisdiction=jurisdiction.code,
            region=self.primary,
            backup=self.backup,
            databases=self.databases,
            alerts=self.primary.alerts.route,
        )

        self.operations = CellOperations(
            name,
            config,
            security=security,
            primary=self.primary,
            dr=self.dr,
            trail_log_group_name=self.audit.log_group_name,
            config_key=keys.ref("audit"),
            access_log_bucket=self.access_logs.bucket,
            edge=self.edge,
            compute=self.compute,
            databases=self.databases,
            cache=self.cache,
        )
        self.slack = cell_slack_alerts(
            name,
            config,
            permitted_regions=sorted(jurisdiction.permitted_regions),
            routes=[region.alerts.route for region in (self.primary, self.dr) if region is not None],
            opts=here,
        )
        self.register_outputs({output: getattr(self, f"_out_{output}")() for output in self.OUTPUTS})

    # -- building blocks ----------------------------------------------------------------------------------

    def _buckets(self, name: str, config: CellConfig, retention: int) -> dict[str, ConcernBucket]:
        """The concerns' application-data buckets, each replicated into a bucket in the DR region (whose server
        access logs go to the cell's DR log sink: S3 delivers access logs only within a region)."""
        if not config.buckets:
            return {}
        dr_logs = self.dr_access_logs if self.dr else None
        return {
            bucket.name: ConcernBucket(
                child(name, f"{bucket.name}-bucket"),
                bucket,
                region=config.primary_region,
                key=self.primary.keys.ref(bucket.concern.value),
                access_log_bucket=self.access_logs.bucket,
                retention_days=retention,
                dr=None
                if self.dr is None or dr_logs is None
                else DrBucketPlacement(
                    region=self.dr.region,
                    provider=self.dr.provider,
                    key=self.dr.keys.ref(bucket.concern.value),
                    access_log_bucket=dr_logs.bucket,
                ),
                opts=self.primary.opts,
            )
            for bucket in config.buckets
        }

    def _compute_scope(
        self, prefix: str, region: CellRegion, role_arn: str | None, retention: int, *, standby: bool
    ) -> ComputeScope:
        return ComputeScope(
            cell=self.cell_name,
            jurisdiction=self.jurisdiction.code,
            config=self.config,
            region=region,
            prefix=prefix,
            log_retention_days=retention,
            deploy_role_arn=role_arn,
            standby=standby,
        )

    @staticmethod
    def _check_images(name: str, config: CellConfig, deployment: DeploymentIdentity | None) -> None:
        """A standby can only pull what ECR replication copies: this account's images in the primary region."""
        if config.dr_region is None:
            return
        account = deployment.account_id if deployment is not None else None
        problems = [
            problem
            for index, image in enumerate(service_images(config.compute))
            for problem in image_problems(
                key_path("cells", name, "compute", "services", index, "image"),
                image,
                primary_region=config.primary_region,
                account_id=account,
            )
        ]
        if problems:
            raise ConfigError("\n".join(problems), problems=problems)

    def _account_id(self, deployment: DeploymentIdentity | None) -> pulumi.Input[str]:
        """The account the cell deploys to: the stack's deployment identity, else the caller's (looked up once)."""
        if deployment is not None:
            return deployment.account_id
        if self._caller_account is None:
            caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            self._caller_account = caller.account_id
        account: pulumi.Output[str] = self._caller_account
        return account

    def replication_rule(self) -> ReplicationRule | None:
        """What this cell needs replicated: its services' repositories to its DR region (cells with DR)."""
        return self.replication_rule_of(self.config)

    @staticmethod
    def replication_rule_of(config: CellConfig) -> ReplicationRule | None:
        """:meth:`replication_rule` of a cell config, before the cell exists (the stack merges them)."""
        return replication_rule(config.dr_region, service_images(config.compute))

    def _image_replication(
        self, deployment: DeploymentIdentity | None, rules: Sequence[ReplicationRule]
    ) -> aws.ecr.ReplicationConfiguration | None:
        """The primary registry's ECR replication to the DR region(s) (the standby pulls from there)."""
        if not rules:
            return None
        images = [image for ref in service_images(self.config.compute) if (image := parse_ecr_image(ref)) is not None]
        account: pulumi.Input[str] = (
            deployment.account_id
            if deployment is not None
            else images[0].account
            if images
            else aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        )
        return image_replication(self.cell_name, account_id=account, rules=rules, opts=self.primary.opts)

    def _dr_placement(self, purpose: str, *, with_network: bool) -> DrPlacement | None:
        """Where ``purpose``'s DR copy lives; ``with_network`` adds the DR region's data subnets and clients."""
        if self.dr is None or self.dr_compute is None:
            return None
        return DrPlacement(
            region=self.dr.region,
            provider=self.dr.provider,
            key=self.dr.keys.ref(purpose),
            network=self.dr.vpc.data_network(self.dr_compute.clients(purpose)) if with_network else None,
        )

    def _rotation(self, purpose: str, template: RotationTemplate, retention: int) -> RotationFunction:
        # In the primary region only: Secrets Manager rotates a replicated secret there and replicates it.
        return RotationFunction(
            child(self.cell_name, f"{purpose}-rotation"),
            template=template,
            subnet_ids=self.primary.vpc.private_subnet_ids,
            vpc_id=self.primary.vpc.vpc_id,
            vpc_cidr=self.primary.vpc.cidr,
            key=self.primary.keys.ref(purpose),
            logs_key=self.primary.keys.ref("logs"),
            log_retention_days=retention,
            # A PostgreSQL rotation logs in to its concern's database; the cache's rotates users through the API.
            data_concerns=(purpose,) if template == "postgresql-single-user" else (),
            opts=self.primary.opts,
        )

    def _role_bootstrap(
        self, concern: str, database: FinancialDatabase, rotation: RotationFunction, retention: int
    ) -> MigrationRoleBootstrap:
        # In the rotation function's group: it already reaches this database and the Secrets Manager endpoint.
        assert rotation.security_group_id is not None  # the cell's rotation functions make their own groups
        return MigrationRoleBootstrap(
            child(self.cell_name, f"{concern}-role-bootstrap"),
            concern=concern,
            master_secret_arn=database.master_secret_arn,
            subnet_ids=self.primary.vpc.private_subnet_ids,
            security_group_id=rotation.security_group_id,
            key=self.primary.keys.ref(concern),
            log_retention_days=retention,
            secrets_endpoint=rotation.endpoint,
            opts=self.primary.opts,
        )

    def _edge(self, prefix: str, region: CellRegion, retention: int) -> Edge:
        return Edge(
            child(prefix, "edge"),
            self.config.edge,
            cell=self.cell_name,
            network=region.vpc.app_network(),
            hostnames=[hostname for entity in self.config.entities for hostname in entity.all_hostnames],
            alert_route=region.alerts.route,
            alarms=self.config.alarms,
            waf_logs_key=region.keys.ref("logs"),
            log_retention_days=retention,
            validation=self._validation,
            opts=region.opts,
        )

    def _manifest(self, name: str, region: CellRegion, role: str, compute: CellCompute) -> RoutingManifest:
        primary = role == "primary"
        routes = [
            DatabaseRoute(
                concern=database.settings.concern,
                writer=database.writer_endpoint if primary else database.dr_endpoint,
                reader=database.reader_endpoint if primary else database.dr_endpoint,
                port=database.port,
                secret_arn=database.master_secret_arn if primary else database.dr_secret_arn,
                source=database,
            )
            for database in self.databases.values()
        ]
        # The DR manifest names the warm-standby cache (redis.dr_nodes); without one, no cache there.
        cache_cluster = self.cache if primary else self.dr_cache
        cache = (
            CacheRoute(
                primary=cache_cluster.primary_endpoint,
                reader=cache_cluster.reader_endpoint,
                port=cache_cluster.port,
                auth_secret_arn=cache_cluster.auth_secret_arn,
                source=cache_cluster,
            )
            if cache_cluster is not None
            else None
        )
        return RoutingManifest(
            name,
            cell=self.cell_name,
            owner=self,
            jurisdiction=self.jurisdiction.code,
            role="primary" if primary else "dr",
            region=region.region,
            permitted_regions=self.permitted_regions,
            entities=self.config.entities,
            databases=routes,
            cache=cache,
            key=region.keys.ref("platform"),
            kubernetes=compute.kubernetes(),
            opts=region.opts,
        )

    # -- outputs ------------------------------------------------------------------------------------------

    def _out_jurisdiction(self) -> str:
        return self.jurisdiction.code

    def _out_primary_region(self) -> str:
        return self.config.primary_region

    def _out_dr_region(self) -> str | None:
        return self.config.dr_region

    def _out_routing(self) -> pulumi.Output[Any]:
        return self.routing.documents

    def _out_parameters(self) -> dict[str, str]:
        return dict(self.routing.parameter_names)

    @staticmethod
    def _edge_output(region: str, edge: Edge) -> dict[str, Any]:
        return {
            "region": region,
            "alb_dns_name": edge.dns_name,
            "alb_zone_id": edge.zone_id,
            "certificate_validation_records": edge.certificate_validation_records,
        }

    def _out_primary_edge(self) -> dict[str, Any]:
        return self._edge_output(self.config.primary_region, self.edge)

    def _out_dr_edge(self) -> dict[str, Any] | None:
        if self.dr is None or self.dr_edge is None:
            return None
        return self._edge_output(self.dr.region, self.dr_edge)

    def _out_dashboard(self) -> pulumi.Output[str]:
        return self.operations.dashboard.name

    def _out_key_arns(self) -> dict[str, pulumi.Output[str]]:
        return {purpose: self.primary.keys.key(purpose).arn for purpose in self.primary.keys.purposes}

    def _out_recovery(self) -> dict[str, dict[str, Any]]:
        return {
            concern: {
                "mechanism": database.recovery_mechanism,
                "expected_rpo_seconds": database.expected_rpo_seconds,
                "expected_rto_seconds": database.expected_rto_seconds,
                "dr_mechanisms": database.dr_mechanisms,
            }
            for concern, database in self.databases.items()
        }

    @property
    def export(self) -> dict[str, Any]:
        """The cell's entry in the stack's ``cells`` output, read by the global stack (``dns.CELL_EXPORT``)."""
        return {
            "jurisdiction": self.jurisdiction.code,
            "also_regulated_by": list(self.config.also_regulated_by),
            "primary_region": self.config.primary_region,
            "dr_region": self.config.dr_region,
            "entities": [entity.model_dump() for entity in self.config.entities],
            "primary": self._out_primary_edge(),
            "dr": self._out_dr_edge(),
            "routing": self._out_routing(),
            "parameters": self._out_parameters(),
            "keys": self._out_key_arns(),
            "runbook_role_arn": self.runbooks.role_arn if self.runbooks is not None else None,
            "recovery": self._out_recovery(),
            # Where the drift check and other CI alerts publish (the primary region's warning topic: a drift is
            # investigated in working hours), and both tiers' topics for anything else that alerts.
            "alarm_topic": self.primary.alerts.route.warning,
            "alert_topics": {tier: self.primary.alerts.route.arn(tier) for tier in TIERS},
            # What the pipeline's migration step runs before the services roll (docs/deployment.md).
            "migrations": {concern: task.launch for concern, task in self.compute.migrations.items()},
            # Where CI leaves each deploy's record, and for how long Object Lock keeps it (docs/deployment.md).
            "deploy_records": {
                "bucket": self.audit.bucket_name,
                "prefix": DEPLOY_RECORDS_PREFIX,
                "retain_days": self.jurisdiction.min_audit_log_retention_days,  # the trail bucket's lock
            },
        }
