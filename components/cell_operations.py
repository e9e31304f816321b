"""What a JurisdictionCell adds for the people who run it, once everything else exists.

- the payment webhooks' latency alarm, when the cell has a payments database (:mod:`fintech_infra.service_alarms`);
- the security signals of each cell region (:class:`~fintech_infra.security_signals.SecuritySignals`): the CIS
  filters on the trail's log group in the primary region, GuardDuty, Security Hub and the findings route in both;
- the cell's dashboard (:class:`~fintech_infra.dashboard.CellDashboard`), generated from the parts it is given.

Not a component: its children are the cell's, on each region's provider.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.bucket import SecureBucket
from fintech_infra.cell_compute import CellCompute
from fintech_infra.cell_region import CellRegion
from fintech_infra.config import CellConfig, DataConcern, SecurityServices
from fintech_infra.dashboard import CellDashboard, DashboardSources
from fintech_infra.database import FinancialDatabase
from fintech_infra.edge import Edge
from fintech_infra.redis import RedisCluster
from fintech_infra.security_signals import ConfigDelivery, SecuritySignals, config_bucket_statements
from fintech_infra.service_alarms import webhook_latency_alarm
from fintech_infra.waf import web_acl_metric_name
from fintech_infra.wiring import KeyRef

__all__ = ["CellOperations"]


class CellOperations:
    """The cell's operational layer (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: CellConfig,
        *,
        security: SecurityServices,
        primary: CellRegion,
        dr: CellRegion | None,
        trail_log_group_name: pulumi.Input[str],
        config_key: KeyRef,
        access_log_bucket: pulumi.Input[str],
        edge: Edge,
        compute: CellCompute,
        databases: Mapping[str, FinancialDatabase],
        cache: RedisCluster,
    ) -> None:
        payments = databases.get(DataConcern.PAYMENTS.value)
        if payments is not None:
            # The payment webhooks' own metric (docs/operations.md): a cell without payments has no webhooks.
            webhook_latency_alarm(
                name, cell=name, thresholds=config.alarms, route=primary.alerts.route, parent=payments
            )
        delivery = None
        if security.managed_by == "stack":
            # AWS Config's own bucket: it cannot deliver to the trail's Object Lock bucket (security_signals).
            account = aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=payments or edge)
            ).account_id
            self.config_bucket = SecureBucket(
                child(name, "config"),
                key=config_key,
                access_log_bucket=access_log_bucket,
                extra_policy_statements=config_bucket_statements(account),
                opts=primary.opts,
            )
            delivery = ConfigDelivery(bucket_name=self.config_bucket.bucket, key_arn=config_key.arn)
        self.security = [
            SecuritySignals(
                child(name, "security"),
                security,
                compute_kind=config.compute.kind,
                route=primary.alerts.route,
                trail_log_group_name=trail_log_group_name,
                config_delivery=delivery,
                opts=primary.opts,
            )
        ]
        if dr is not None:
            self.security.append(
                SecuritySignals(
                    child(name, "dr-security"),
                    security,
                    compute_kind=config.compute.kind,
                    route=dr.alerts.route,
                    # The DR recorder delivers to the primary region's bucket, with the key of that region.
                    config_delivery=delivery,
                    opts=dr.opts,
                )
            )
        self.dashboard = CellDashboard(
            name,
            DashboardSources(
                cell=name,
                region=config.primary_region,
                dr_region=config.dr_region,
                load_balancer_arn_suffix=edge.load_balancer_arn_suffix,
                web_acl_metric_name=web_acl_metric_name(child(name, "edge")),
                services=compute.watched_services,
                databases={concern: database.engine.alarm_targets for concern, database in databases.items()},
                cache_nodes=cache.node_ids,
                concerns=list(databases),
            ),
            opts=primary.opts,
        )
