"""The Aurora PostgreSQL mode of :class:`~fintech_infra.database.FinancialDatabase`.

Without a DR region: one regional cluster, storage encrypted with the concern's key, the master password
managed by RDS in Secrets Manager (``manage_master_user_password`` with the concern's key), and
``aurora_instances`` instances alternating across the data subnets' AZs.

With a DR region: an Aurora Global Database (a global cluster, this cluster as primary, a secondary
cluster in the DR region encrypted with the DR key). RDS cannot manage the master password of a global
cluster, so the password is generated and handled like this:

1. ``aws.secretsmanager.get_random_password_output`` (the Secrets Manager ``GetRandomPassword`` API) makes
   it at deploy time. It is never in code or stack config, and it is wrapped in ``Output.secret``.
2. It reaches AWS only through *write-only* inputs: ``master_password_wo`` (with
   ``master_password_wo_version``) on the cluster, and ``secret_string_wo`` (with
   ``secret_string_wo_version``) on a ``SecretVersion`` of a secret encrypted with the concern's key and
   replicated to the DR region under the DR key. Write-only inputs never appear in state outputs; Pulumi
   keeps the input encrypted as a secret and shows no diff for it, so the fresh value the invoke returns on
   every later run is ignored and the database and the secret keep the same password.
3. Rotation: pass a ``postgresql-single-user`` :class:`~fintech_infra.rotation.RotationFunction` (the cell
   does) and the secret rotates every 30 days: the function changes the password on the writer, Aurora
   replicates it to the secondary, Secrets Manager replicates the secret. The rotation is configured after
   the writer instances and the first secret value exist. Bumping ``PASSWORD_VERSION`` still resets both
   the cluster and the secret to a fresh generated password.
4. DR: the secret's replica in the DR region (``dr_secret_arn``) is what the DR region's workloads read. Its
   ``host`` is the primary writer's, as replicas copy the value: DR workloads take the endpoint from the DR
   routing manifest and only the credentials from the secret.

Versions. A standalone cluster takes ``engine_version`` as given (a major by default, ``"16"``): Aurora picks
the minor and upgrades it in the maintenance window, and the provider shows no drift while the actual version
starts with the major. A global cluster cannot: the provider stores the global cluster's actual version on every
read, so a major alone would show a change on every ``pulumi up``. It is therefore created on a full version
(:func:`~fintech_infra.versions.aurora_global_version`: the pinned one, or the major's long-term-support minor
from :data:`~fintech_infra.aws_facts.AURORA_GLOBAL_ENGINE_VERSIONS`), both member clusters copy it and carry
``ignore_changes=["engineVersion"]`` as the provider's GlobalCluster documentation requires (otherwise an upgrade
fails with "inconsistent final plan"), and cluster instances set no version at all. Upgrading a global database
is a planned change: raise the pinned version and the provider upgrades the global cluster (for a minor it calls
ModifyDBCluster on each member, because ModifyGlobalCluster does not upgrade Aurora PostgreSQL minors;
terraform-provider-aws#45398); AWS upgrades secondaries before the primary, and managed failover needs every
member on the same version. A major upgrade also needs the new major's parameter group family and
``allow_major_version_upgrade``, which this component does not set.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.rds_baseline import (
    MASTER_USERNAME,
    POSTGRES_PORT,
    DatabaseWindows,
    EngineWiring,
    backup_safety,
    cluster_parameter_group,
    data_network,
    data_safety,
    export_log_groups,
    instance_baseline,
    stateful,
)
from fintech_infra.secrets import AppSecret
from fintech_infra.versions import aurora_global_version
from fintech_infra.wiring import DrPlacement, KeyRef

if TYPE_CHECKING:
    from fintech_infra.rotation import RotationFunction

__all__ = ["AURORA_ENGINE", "LOG_EXPORTS", "PASSWORD_VERSION", "AuroraCluster"]

AURORA_ENGINE = "aurora-postgresql"
PASSWORD_VERSION = 1
"""Version of the generated master password of a global cluster; bump to rotate."""
LOG_EXPORTS = ["postgresql"]  # Aurora PostgreSQL has no "upgrade" log (aws_facts.RDS_LOG_EXPORTS).


def _zone_for(names: list[str], *, index: int) -> str:
    return names[index % len(names)]


class AuroraCluster:
    """Builds the Aurora children of a FinancialDatabase (not a component: its parent is the database)."""

    def __init__(self, wiring: EngineWiring) -> None:
        parent, name, settings = wiring.parent, wiring.name, wiring.settings
        key, dr, family, security_group = wiring.key, wiring.dr, wiring.family, wiring.security_group
        self._parent, self._name, self._settings = parent, name, settings
        self._monitoring_role_arn = wiring.monitoring_role_arn
        self._monitoring_log_groups = list(wiring.monitoring_log_groups)
        params = cluster_parameter_group(
            name, settings, family=family, role="params", opts=pulumi.ResourceOptions(parent=parent)
        )
        zones = self._zones(wiring.availability_zones)

        self.global_cluster: aws.rds.GlobalCluster | None = None
        credentials: dict[str, Any]
        # A standalone cluster takes the major and lets Aurora manage minors; a global cluster needs a full
        # version, which its members copy and then ignore (the provider's documented setup for upgrades).
        engine_version = settings.engine_version if dr is None else aurora_global_version(settings.engine_version)
        member_ignores = [] if dr is None else ["engineVersion"]
        if dr is None:
            credentials = {"manage_master_user_password": True, "master_user_secret_kms_key_id": key.arn}
        else:
            self.global_cluster = aws.rds.GlobalCluster(
                child(name, "global"),
                global_cluster_identifier=physical(name, "global"),
                engine=AURORA_ENGINE,
                engine_version=engine_version,
                database_name=settings.concern.value,
                storage_encrypted=True,
                deletion_protection=True,
                opts=stateful(pulumi.ResourceOptions(parent=parent)),
            )
            password = cast(
                "pulumi.Output[str]",
                pulumi.Output.secret(
                    aws.secretsmanager.get_random_password_output(
                        password_length=40,
                        # RDS refuses '/', '"', '@' and spaces in master passwords.
                        exclude_punctuation=True,
                        require_each_included_type=True,
                        opts=pulumi.InvokeOutputOptions(parent=parent),
                    ).random_password
                ),
            )
            credentials = {
                "master_password_wo": password,
                "master_password_wo_version": PASSWORD_VERSION,
                "global_cluster_identifier": self.global_cluster.id,
            }

        cluster_logs = export_log_groups(
            name,
            "cluster",
            kind="cluster",
            identifier=wiring.identifier,
            log_types=LOG_EXPORTS,
            key=key,
            retention_days=wiring.log_retention_days,
            parent=parent,
        )
        self.cluster = aws.rds.Cluster(
            child(name, "cluster"),
            cluster_identifier=wiring.identifier,
            engine=AURORA_ENGINE,
            engine_version=engine_version,
            database_name=settings.concern.value,
            master_username=MASTER_USERNAME,
            db_subnet_group_name=wiring.subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=params.name,
            port=POSTGRES_PORT,
            storage_encrypted=True,
            kms_key_id=key.arn,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            preferred_backup_window=wiring.windows.backup,
            preferred_maintenance_window=wiring.windows.maintenance,
            **data_safety(name, settings),
            **credentials,
            opts=stateful(
                pulumi.ResourceOptions(parent=parent),
                ignore_changes=[
                    "snapshotIdentifier",
                    "globalClusterIdentifier",
                    "replicationSourceIdentifier",
                    *member_ignores,
                ],
                depends_on=cluster_logs,
            ),
        )
        self.instances = self._instances(
            "instance", self.cluster, key.arn, zones, wiring.windows, pulumi.ResourceOptions(parent=parent)
        )

        self.writer_endpoint: pulumi.Output[str] = self.cluster.endpoint
        self.reader_endpoint: pulumi.Output[str] = self.cluster.reader_endpoint
        self.resource_arn: pulumi.Output[str] = self.cluster.arn
        self.dr_endpoint: pulumi.Output[str] | None = None
        self.dr_resource_arn: pulumi.Output[str] | None = None
        self.dr_secret_arn: pulumi.Output[str] | None = None
        self.secondary: aws.rds.Cluster | None = None
        self.dr_network: tuple[aws.ec2.SecurityGroup, aws.rds.SubnetGroup] | None = None
        if dr is None:
            self.master_secret_arn: pulumi.Output[str] = self.cluster.master_user_secrets.apply(
                lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
            )
        else:
            secret = self._password_secret(key, dr, password, wiring.rotation, security_group)
            self.master_secret_arn, self.dr_secret_arn = secret.arn, secret.replica_arn
            assert dr.network is not None  # checked by FinancialDatabase before registration
            dr_opts = pulumi.ResourceOptions(parent=parent, provider=dr.provider)
            dr_sg, dr_subnets = data_network(name, settings, dr.network, parent=parent, dr_provider=dr.provider)
            self.dr_network = (dr_sg, dr_subnets)
            dr_params = cluster_parameter_group(name, settings, family=family, role="dr-params", opts=dr_opts)
            assert wiring.dr_windows is not None  # set whenever there is a DR placement
            dr_windows = wiring.dr_windows
            dr_identifier = physical(name, "dr")
            dr_logs = export_log_groups(
                name,
                "dr-cluster",
                kind="cluster",
                identifier=dr_identifier,
                log_types=LOG_EXPORTS,
                key=dr.key,
                retention_days=wiring.log_retention_days,
                parent=parent,
                provider=dr.provider,
            )
            self.secondary = aws.rds.Cluster(
                child(name, "dr-cluster"),
                cluster_identifier=dr_identifier,
                engine=AURORA_ENGINE,
                engine_version=engine_version,
                global_cluster_identifier=self.global_cluster.id if self.global_cluster else None,
                db_subnet_group_name=dr_subnets.name,
                vpc_security_group_ids=[dr_sg.id],
                db_cluster_parameter_group_name=dr_params.name,
                storage_encrypted=True,
                kms_key_id=dr.key.arn,
                enabled_cloudwatch_logs_exports=LOG_EXPORTS,
                preferred_backup_window=dr_windows.backup,
                preferred_maintenance_window=dr_windows.maintenance,
                # backup_safety, not data_safety: the secondary has never carried allow_major_version_upgrade.
                **backup_safety(name, settings, final_snapshot="dr-final"),
                opts=stateful(
                    dr_opts,
                    # A secondary can only join once the primary has a writer.
                    depends_on=[*self.instances, *dr_logs],
                    ignore_changes=[
                        "globalClusterIdentifier",
                        "replicationSourceIdentifier",
                        "snapshotIdentifier",
                        *member_ignores,
                    ],
                ),
            )
            self.dr_instances = self._instances("dr-instance", self.secondary, dr.key.arn, None, dr_windows, dr_opts)
            self.dr_endpoint = self.secondary.reader_endpoint
            self.dr_resource_arn = self.secondary.arn

    @property
    def alarm_targets(self) -> Mapping[str, Sequence[pulumi.Input[str]]]:
        """Identifiers the database alarms watch."""
        return {
            "writer": [instance.identifier for instance in self.instances],
            "cluster": [self.cluster.cluster_identifier],
            "dr_clusters": [self.secondary.cluster_identifier] if self.secondary is not None else [],
        }

    def _zones(self, given: Sequence[str] | None) -> pulumi.Output[list[str]]:
        if given:
            return pulumi.Output.from_input(list(given))
        # Every cell VPC spans at least the region's first two zones (VpcSettings.az_count >= 2).
        found = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self._parent)
        )
        return found.names.apply(lambda names: sorted(names)[:2])

    def _instances(
        self,
        role: str,
        cluster: aws.rds.Cluster,
        key_arn: pulumi.Input[str],
        zones: pulumi.Output[list[str]] | None,
        windows: DatabaseWindows,
        opts: pulumi.ResourceOptions,
    ) -> list[aws.rds.ClusterInstance]:
        settings = self._settings
        instances = []
        for number in range(1, settings.aurora_instances + 1):
            zone = zones.apply(functools.partial(_zone_for, index=number - 1)) if zones is not None else None
            instances.append(
                aws.rds.ClusterInstance(
                    child(self._name, f"{role}-{number}"),
                    identifier=physical(self._name, f"{role}-{number}"),
                    cluster_identifier=cluster.id,
                    # No engine_version: an instance runs its cluster's version (the provider docs: they must match).
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    instance_class=settings.instance_class,
                    availability_zone=zone,
                    promotion_tier=min(number - 1, 15),
                    # Backups belong to the cluster; an instance only has a maintenance window.
                    preferred_maintenance_window=windows.maintenance,
                    copy_tags_to_snapshot=True,
                    **instance_baseline(settings, key_arn=key_arn, monitoring_role_arn=self._monitoring_role_arn),
                    # Enhanced monitoring writes to RDSOSMetrics; it must exist with its key and retention first.
                    opts=stateful(opts, depends_on=self._monitoring_log_groups),
                )
            )
        return instances

    def _password_secret(
        self,
        key: KeyRef,
        dr: DrPlacement,
        password: pulumi.Output[str],
        rotation: RotationFunction | None,
        security_group: aws.ec2.SecurityGroup,
    ) -> AppSecret:
        waits: list[pulumi.Resource] = []
        if rotation is not None:
            rotation.allow_to(
                child(self._name, "rotation-egress"),
                security_group_id=security_group.id,
                port=POSTGRES_PORT,
                parent=self._parent,
            )
            # The function logs in to the writer, so the rotation waits for it and for the function's network.
            waits = [*self.instances, *rotation.ready]
        # The secret's shape is what AWS's PostgreSQL rotation function expects.
        value = pulumi.Output.json_dumps(
            {
                "engine": "postgres",
                "username": MASTER_USERNAME,
                "password": password,
                "host": self.cluster.endpoint,
                "port": POSTGRES_PORT,
                "dbname": self._settings.concern.value,
            }
        )
        secret = AppSecret(
            child(self._name, "master"),
            key=key,
            description=f"{self._settings.concern.value} Aurora global cluster master credentials",
            dr=dr,
            value_wo=value,
            value_wo_version=PASSWORD_VERSION,
            rotation_lambda_arn=rotation.function_arn if rotation is not None else None,
            rotation_days=rotation.rotation_days if rotation is not None else 30,
            rotation_after=waits,
            opts=pulumi.ResourceOptions(parent=self._parent),
        )
        return secret
