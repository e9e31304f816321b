"""Edge: the cell's only public entry point, an internet-facing ALB behind a WAF, HTTPS only.

- ALB in the public subnets: deletion protection, invalid header fields dropped, desync mitigation
  ``strictest``, WAF fail-closed, access logs to a :class:`~fintech_infra.bucket.SecureBucket` log sink
  (ELB log delivery writes only to SSE-S3 buckets; the sink's policy admits the region's log-delivery
  principal, the regional ELB account in regions opened before August 2022 and
  ``logdelivery.elasticloadbalancing.amazonaws.com`` elsewhere, for this account's prefix only).
- Its security group is the one place in the library open to the world: 443 from ``0.0.0.0/0`` and ``::/0``,
  and 80 only with ``edge.http_redirect`` (a browser-facing hostname). Egress goes only to the application
  security groups, on their ports, one rule per :meth:`Edge.add_service_target` call (which also adds the
  matching ingress rule on the app's group).
- HTTPS listener with ``ELBSecurityPolicy-TLS13-1-2-2021-06`` (TLS 1.3 and 1.2 only), HSTS and
  ``nosniff``/``DENY`` response headers; a default 404 so only routed paths reach a service (kept with ECS
  blue/green, whose rules stay forward-only: :mod:`fintech_infra.edge_targets` says why). With
  ``edge.http_redirect``, a listener on 80 only redirects to HTTPS (301); without it (the default) nothing
  listens on 80 and no rule admits it.
- WAF: see :mod:`fintech_infra.waf`. Alarms on the cell's topic: 5xx share of requests and p99 latency.

Certificate flow (the entity hostnames' ACM certificate, DNS-validated, its records written through
``validation`` in the zones stack's zones): :mod:`fintech_infra.edge_certificate`. Routes to services
(target groups, listener rules, the matching security group rules): :mod:`fintech_infra.edge_targets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child, physical
from fintech_infra.alarms import certificate_expiry_alarm
from fintech_infra.alert_tiers import EVALUATIONS, AlertRoute, tiered_alarm
from fintech_infra.bucket import SecureBucket
from fintech_infra.config import AlarmSettings, EdgeSettings
from fintech_infra.edge_certificate import dns_validated_certificate
from fintech_infra.edge_targets import ServiceTarget, service_target
from fintech_infra.errors import ConfigError, key_path
from fintech_infra.service_alarms import waf_blocked_spike_alarm
from fintech_infra.waf import WAF_LOG_PREFIX, web_acl, web_acl_logging, web_acl_metric_name
from fintech_infra.wiring import AppNetwork, KeyRef, ValidationZones

__all__ = [
    "ALB_ACCESS_LOG_PREFIX",
    "ELB_LOG_DELIVERY",
    "LEGACY_ELB_ACCOUNTS",
    "TLS_POLICY",
    "Edge",
    "elb_log_delivery_principal",
]

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only, forward-secret ciphers."""
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
LEGACY_ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378", "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}  # fmt: skip
"""Regions opened before August 2022 deliver ALB access logs as the regional ELB account, not the service
principal (ELB user guide, "Enable access logs": bucket policy per region)."""


def elb_log_delivery_principal(region: str) -> dict[str, str]:
    """The principal ALB access-log delivery writes as in ``region``."""
    account = LEGACY_ELB_ACCOUNTS.get(region)
    return {"AWS": f"arn:aws:iam::{account}:root"} if account else {"Service": ELB_LOG_DELIVERY}


ALB_ACCESS_LOG_PREFIX = "alb"
WORLD = (("ipv4", "0.0.0.0/0"), ("ipv6", "::/0"))
HSTS = "max-age=31536000; includeSubDomains; preload"


def _validate(name: str, settings: EdgeSettings, network: AppNetwork, hostnames: Sequence[str]) -> None:
    problems: list[str] = []
    if len(list(network.public_subnet_ids)) < 2:
        problems.append(
            f"{key_path(name, 'network', 'public_subnet_ids')}: {len(list(network.public_subnet_ids))} subnet(s); "
            "allowed: two or more (an ALB spans at least two availability zones)"
        )
    if settings.certificate_arn is None and not hostnames:
        problems.append(
            f"{key_path(name, 'hostnames')}: [] with no edge.certificate_arn; allowed: the entity hostnames the "
            "certificate must cover, or an existing certificate ARN"
        )
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


class Edge(FintechComponent):
    """Internet-facing ALB (HTTPS only) with a WAF web ACL, access logs and alarms."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "load_balancer_arn": "ARN of the ALB.",
        "load_balancer_arn_suffix": "ARN suffix of the ALB (CloudWatch dimension).",
        "dns_name": "DNS name of the ALB (alias target).",
        "zone_id": "Hosted zone id of the ALB (alias target).",
        "security_group_id": "The ALB's security group.",
        "https_listener_arn": "The HTTPS listener services attach rules to.",
        "web_acl_arn": "The WAF web ACL associated with the ALB.",
        "certificate_arn": "The listener's ACM certificate.",
        "certificate_validation_records": "DNS records (name, type, value) that validate a requested certificate.",
        "access_log_bucket": "Bucket receiving ALB access logs.",
        "waf_log_group_name": "Encrypted `aws-waf-logs-` log group of the web ACL.",
    }

    def __init__(
        self,
        name: str,
        settings: EdgeSettings,
        *,
        cell: str,
        network: AppNetwork,
        hostnames: Sequence[str],
        alert_route: AlertRoute,
        alarms: AlarmSettings | None = None,
        waf_logs_key: KeyRef,
        log_retention_days: int,
        validation: ValidationZones | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        _validate(name, settings, network, hostnames)
        super().__init__("fintech:edge:Edge", name, opts)
        alarms = alarms or AlarmSettings()
        self._name = name
        self._network = network
        self._next_priority = 100
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region

        def log_delivery(bucket_arn: pulumi.Output[str]) -> list[pulumi.Input[dict[str, Any]]]:
            return [
                {
                    "Sid": "AllowElbAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": region.apply(elb_log_delivery_principal),
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, f"/{ALB_ACCESS_LOG_PREFIX}/AWSLogs/", account, "/*"),
                }
            ]

        self.access_logs = SecureBucket(
            child(name, "access-logs"),
            log_sink=True,
            extra_policy_statements=log_delivery,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.security_group = aws.ec2.SecurityGroup(
            child(name, "alb-sg"),
            vpc_id=network.vpc_id,
            description=f"Internet-facing ALB of cell {cell}: HTTPS in"
            + (" (80 only redirects)" if settings.http_redirect else "")
            + ", app ports out",
            revoke_rules_on_delete=True,
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        ports = [(443, "HTTPS from the internet")]
        if settings.http_redirect:
            ports.append((80, "HTTP from the internet, redirected to HTTPS"))
        for port, purpose in ports:
            for family, cidr in WORLD:
                aws.vpc.SecurityGroupIngressRule(
                    child(name, f"alb-in-{port}-{family}"),
                    security_group_id=self.security_group.id,
                    description=purpose,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr if family == "ipv4" else None,
                    cidr_ipv6=cidr if family == "ipv6" else None,
                    tags={},
                    opts=pulumi.ResourceOptions(parent=self),
                )

        self.load_balancer = aws.lb.LoadBalancer(
            child(name, "alb"),
            load_balancer_type="application",
            internal=False,
            subnets=list(network.public_subnet_ids),
            security_groups=[self.security_group.id],
            enable_deletion_protection=True,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_waf_fail_open=False,
            enable_http2=True,
            # Bounds an idle WebSocket as well as a keep-alive connection (aws_facts.ALB_WEBSOCKETS).
            idle_timeout=settings.idle_timeout_seconds,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=self.access_logs.bucket, prefix=ALB_ACCESS_LOG_PREFIX, enabled=True
            ),
            tags={},
            # ELB checks it can write to the bucket when access logs are enabled: the policy must exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access_logs]),
        )

        self.certificate_validation_records: pulumi.Output[list[dict[str, str]]]
        if settings.certificate_arn is not None:
            certificate_arn: pulumi.Input[str] = settings.certificate_arn
            self.certificate_validation_records = pulumi.Output.from_input([])
        else:
            certificate_arn, self.certificate_validation_records = dns_validated_certificate(
                name, hostnames, validation, parent=self
            )

        self.https_listener = aws.lb.Listener(
            child(name, "https"),
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", status_code="404", message_body="Not Found"
                    ),
                )
            ],
            routing_http_response_strict_transport_security_header_value=HSTS,
            routing_http_response_x_content_type_options_header_value="nosniff",
            routing_http_response_x_frame_options_header_value="DENY",
            routing_http_response_server_enabled=False,
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.http_listener: aws.lb.Listener | None = None
        if settings.http_redirect:
            self.http_listener = self._http_redirect(name)

        self.web_acl = web_acl(name, rate_limit=settings.waf_rate_limit, parent=self)
        aws.wafv2.WebAclAssociation(
            child(name, "waf-association"),
            resource_arn=self.load_balancer.arn,
            web_acl_arn=self.web_acl.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.waf_log_group, _ = web_acl_logging(
            name,
            acl=self.web_acl,
            key=waf_logs_key,
            retention_days=log_retention_days,
            log_group_name=f"{WAF_LOG_PREFIX}{physical(pulumi.get_stack(), cell, name, limit=200)}",
            parent=self,
        )
        self._alarms(name, alarms, alert_route)
        waf_blocked_spike_alarm(
            name,
            web_acl_metric_name=web_acl_metric_name(name),
            region=region,
            thresholds=alarms,
            route=alert_route,
            parent=self,
        )
        # Requested or given, the certificate is watched where ACM publishes its metric: its (this) region.
        certificate_expiry_alarm(
            self,
            child(name, "certificate-expiry"),
            certificate_arn=certificate_arn,
            thresholds=alarms,
            route=alert_route,
        )

        self.load_balancer_arn: pulumi.Output[str] = self.load_balancer.arn
        self.load_balancer_arn_suffix: pulumi.Output[str] = self.load_balancer.arn_suffix
        self.dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.zone_id: pulumi.Output[str] = self.load_balancer.zone_id
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self.https_listener_arn: pulumi.Output[str] = self.https_listener.arn
        self.web_acl_arn: pulumi.Output[str] = self.web_acl.arn
        self.certificate_arn: pulumi.Output[str] = pulumi.Output.from_input(certificate_arn)
        self.access_log_bucket: pulumi.Output[str] = self.access_logs.bucket
        self.waf_log_group_name: pulumi.Output[str] = self.waf_log_group.name
        self.register_outputs({key: getattr(self, key) for key in self.OUTPUTS})

    def _http_redirect(self, name: str) -> aws.lb.Listener:
        """Port 80 for browsers that type a bare hostname: a permanent redirect to HTTPS, and nothing else."""
        return aws.lb.Listener(
            child(name, "http-redirect"),
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def add_service_target(
        self,
        name: str,
        *,
        port: int,
        health_check_path: str,
        app_security_group_id: pulumi.Input[str],
        path_patterns: Sequence[str] = ("/*",),
        host_headers: Sequence[str] = (),
        priority: int | None = None,
        blue_green: bool = False,
        deregistration_delay_seconds: int = 30,
        stickiness_seconds: int | None = None,
    ) -> ServiceTarget:
        """Route matching HTTPS requests to a new IP target group on ``port`` and open exactly that path.

        Creates the target group (and, for ``blue_green``, its alternate), a listener rule on the HTTPS
        listener, egress from the ALB's group to ``app_security_group_id`` on ``port`` and the matching
        ingress on the app's group. Rules get priorities 100, 110, ... in call order unless ``priority``.
        ``deregistration_delay_seconds`` is how long a leaving target drains; ``stickiness_seconds`` turns on
        ``lb_cookie`` stickiness for that long.
        """
        if not 1 <= port <= 65535:
            raise ConfigError(f"{key_path(self._name, name, 'port')}: {port!r} is not a port; allowed: 1-65535")
        rule_priority = priority if priority is not None else self._next_priority
        self._next_priority = max(self._next_priority, rule_priority) + 10
        return service_target(
            child(self._name, name),
            name,
            port=port,
            health_check_path=health_check_path,
            app_security_group_id=app_security_group_id,
            path_patterns=path_patterns,
            host_headers=host_headers,
            priority=rule_priority,
            blue_green=blue_green,
            deregistration_delay_seconds=deregistration_delay_seconds,
            stickiness_seconds=stickiness_seconds,
            vpc_id=self._network.vpc_id,
            https_listener_arn=self.https_listener.arn,
            alb_security_group_id=self.security_group.id,
            load_balancer_arn_suffix=self.load_balancer.arn_suffix,
            parent=self,
        )

    def _alarms(self, name: str, alarms: AlarmSettings, route: AlertRoute) -> None:
        """The 5xx share of requests pages (``critical``); p99 target latency warns."""
        dimensions = {"LoadBalancer": self.load_balancer.arn_suffix}
        period = EVALUATIONS["critical"].period

        def metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric_name,
                    dimensions=dimensions,
                    period=period,
                    stat="Sum",
                ),
            )

        # The user-facing 5xx rate: a critical alarm a fault-injection drill stops on (fintech_infra.drills).
        self.error_rate_alarm = tiered_alarm(
            child(name, "alb-5xx-rate"),
            tier="critical",
            route=route,
            description=f"ALB 5xx responses above {alarms.alb_5xx_pct}% of requests",
            threshold=alarms.alb_5xx_pct,
            treat_missing_data="notBreaching",
            metric_queries=[
                metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
                metric("target5xx", "HTTPCode_Target_5XX_Count"),
                metric("requests", "RequestCount"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression="100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests",
                    label="5xx % of requests",
                    return_data=True,
                ),
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        tiered_alarm(
            child(name, "alb-latency-p99"),
            tier="warning",
            route=route,
            description=f"ALB target p99 response time above {alarms.target_latency_seconds}s",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=dimensions,
            extended_statistic="p99",
            threshold=alarms.target_latency_seconds,
            treat_missing_data="notBreaching",
            opts=pulumi.ResourceOptions(parent=self),
        )
