"""AWS facts the library and the policy pack rely on: limits, allowed values and support calendars, as data.

The mock engine accepts any value; AWS does not. Every limit, allowed value and lifecycle date that the
config validation (:mod:`fintech_infra.aws_limits`), the components and the policy pack's deployability
rules depend on is written here once, each with the source it was read from, the date it was checked and,
where only a real account can settle it, the AWS CLI command that does. The pack receives these facts as
a generated data file (``policy/fintech_guardrails/data/``), never by importing this module.

Calendars are evaluated on the day they are read (``today``), so a version that leaves standard support
turns from advisory to refused without a code change. Facts that cannot be checked offline are marked
``offline=False`` and listed in docs/deployment.md's pre-flight checklist with their ``verify`` command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ACM_DAYS_TO_EXPIRY_SOURCE",
    "ACM_DOMAIN_NAMES_PER_CERTIFICATE",
    "ACM_DOMAIN_NAME_MAX",
    "ACM_VALIDATION_WAITS",
    "ALB_CERTIFICATES_PER_LOAD_BALANCER",
    "ALB_IDLE_TIMEOUT_SECONDS",
    "ALB_RULES_PER_LOAD_BALANCER",
    "ALB_RULE_CONDITION_VALUES",
    "ALB_RULE_CONDITION_WILDCARDS",
    "ALB_RULE_PRIORITIES",
    "ALB_WEBSOCKETS",
    "AURORA_GLOBAL_ENGINE_VERSION",
    "AURORA_GLOBAL_ENGINE_VERSIONS",
    "AURORA_GLOBAL_SOURCE",
    "AUTONAME_SUFFIX_LENGTH",
    "AUTOSCALING_SERVICE_LINKED_ROLE",
    "CHECKED",
    "CLOUDTRAIL_RECURSIVE_LOGGING_SOURCE",
    "CLOUDTRAIL_SELECTORS_SOURCE",
    "DB_INSTANCE_CLASS_MEMORY_RESERVE",
    "DNS_LABEL_MAX",
    "DNS_NAME_MAX",
    "EC2_INSTANCE_TYPE_OFFERINGS",
    "ECR_IMAGE_IN_REGION",
    "ECR_REPLICATION",
    "ECR_REPLICATION_SERVICE_LINKED_ROLE",
    "ECS_BLUE_GREEN_LISTENER_SOURCE",
    "ECS_BLUE_GREEN_SCALING_SOURCE",
    "ECS_SECURITY_GROUPS_PER_SERVICE",
    "EKS_DEFAULT_VERSION",
    "EKS_UPGRADE_POLICY_SOURCE",
    "EKS_VERSIONS",
    "ELASTICACHE_WINDOW_MIN_MINUTES",
    "FARGATE_SOURCE",
    "FARGATE_TASK_SIZES",
    "FARGATE_WINDOWS_CPU_UNITS",
    "KMS_VIA_SERVICE",
    "NAME_LIMITS",
    "POSTGRES_MINOR_SOURCE",
    "POSTGRES_MIN_CREATABLE_MINOR",
    "POSTGRES_VERSIONS",
    "RDS_BACKUP_WINDOW_FORMAT",
    "RDS_ENHANCED_MONITORING_LOG_GROUP",
    "RDS_ENHANCED_MONITORING_SOURCE",
    "RDS_EXTENDED_SUPPORT_SOURCE",
    "RDS_LOG_EXPORTS",
    "RDS_LOG_EXPORTS_SOURCE",
    "RDS_LOG_GROUP_NAMES",
    "RDS_LOG_GROUP_SOURCE",
    "RDS_MAINTENANCE_WINDOW_FORMAT",
    "RDS_ORDERABLE_INSTANCE_CLASSES",
    "RDS_READ_REPLICAS",
    "RDS_WINDOW_MIN_MINUTES",
    "REGION_CLOCKS",
    "REGION_CLOCKS_SOURCE",
    "REGION_OPT_IN",
    "REQUEST_COUNT_PER_TARGET_SOURCE",
    "ROUTE53_RECORD_CONDITION_KEYS",
    "ROUTE53_TAGS_PER_RESOURCE",
    "ROUTE53_ZONE_DELEGATION",
    "SECRETS_MANAGED_BY_RDS_NOT_REPLICABLE",
    "SECRETS_REPLICA_ARN",
    "SECURITY_GROUP_RULES_SOURCE",
    "STS_ASSUME_WRITER_ROLE",
    "TAG_RULES",
    "TARGET_GROUPS_PER_FORWARD_ACTION",
    "TARGET_GROUP_ATTRIBUTES_SOURCE",
    "TARGET_GROUP_DEREGISTRATION_DELAY_SECONDS",
    "TARGET_GROUP_LB_COOKIE_SECONDS",
    "TARGET_TRACKING_METRIC_MATH_SOURCE",
    "VPC_SECURITY_GROUPS_PER_ENI",
    "VPC_SECURITY_GROUPS_PER_ENI_MAX",
    "WINDOW_FORMAT_SOURCE",
    "Fact",
    "MemoryReserve",
    "NameLimit",
    "RegionClock",
    "Source",
    "SupportWindow",
    "TagRules",
    "facts_document",
    "support_status",
]

CHECKED = dt.date(2026, 12, 7)
"""The day the facts below were last read against their sources."""


@dataclass(frozen=True)
class Source:
    """Where a fact comes from and when it was checked."""

    url: str
    quote: str = ""
    checked: dt.date = CHECKED
    verify: str = ""
    """An AWS CLI command that checks the fact in a real account (for facts an offline read cannot settle)."""
    offline: bool = True
    """False when the fact depends on the account or region and must be verified before a first deploy."""


@dataclass(frozen=True)
class Fact:
    """One limit or allowed value, with its source."""

    value: int
    what: str
    source: Source


@dataclass(frozen=True)
class SupportWindow:
    """A version's AWS support calendar."""

    version: str
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date | None
    source: Source


def support_status(window: SupportWindow, today: dt.date) -> str:
    """``standard`` before the end of standard support, ``extended`` after it, ``unsupported`` after both."""
    if today <= window.end_of_standard_support:
        return "standard"
    if window.end_of_extended_support is not None and today <= window.end_of_extended_support:
        return "extended"
    return "unsupported"


# -- ECS / Fargate ----------------------------------------------------------------------------------------

_ECS_VPC_CONFIG = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html",
    quote="There's a limit of 5 security groups that can be specified per AwsVpcConfiguration.",
)

ECS_SECURITY_GROUPS_PER_SERVICE = Fact(
    5,
    "security groups in one ECS service's (or task's) awsvpc network configuration; the VPC quota of "
    "security groups per network interface (default 5, adjustable to 16) does not lift it",
    _ECS_VPC_CONFIG,
)

_FARGATE_SIZES = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
    quote="8192 (8 vCPU): Between 16 GB and 60 GB in 4 GB increments ... 16384 (16 vCPU): Between 32GB and 120 GB "
    "in 8 GB increments ... This option requires Linux platform 1.4.0 or later.",
)


def _mib(start_gib: int, stop_gib: int, step_gib: int) -> tuple[int, ...]:
    return tuple(gib * 1024 for gib in range(start_gib, stop_gib + 1, step_gib))


FARGATE_TASK_SIZES: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _mib(1, 4, 1),
    1024: _mib(2, 8, 1),
    2048: _mib(4, 16, 1),
    4096: _mib(8, 30, 1),
    8192: _mib(16, 60, 4),
    16384: _mib(32, 120, 8),
}
"""Fargate (Linux) task CPU units -> the memory sizes (MiB) AWS accepts with it. Source: :data:`FARGATE_SOURCE`."""
FARGATE_SOURCE = _FARGATE_SIZES
FARGATE_WINDOWS_CPU_UNITS = (1024, 2048, 4096)
"""The CPU sizes a Windows task on Fargate may take (same memory table): "The CPU units cannot be less than 1 vCPU
when you use Windows containers on Fargate", and the 8 and 16 vCPU sizes are Linux only (:data:`FARGATE_SOURCE`)."""

# -- Security groups --------------------------------------------------------------------------------------

VPC_SECURITY_GROUPS_PER_ENI = Fact(
    5,
    "security groups on one network interface (the account's default quota; adjustable up to "
    "VPC_SECURITY_GROUPS_PER_ENI_MAX, and the quota times the rules per group may not exceed 1,000)",
    Source(
        "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
        quote="Security groups per network interface | 5 | Yes (up to 16) | This quota multiplied by the quota "
        "for rules per security group cannot exceed 1,000.",
        verify="aws service-quotas get-service-quota --service-code vpc --quota-code L-2AFB9258",
        offline=False,
    ),
)
VPC_SECURITY_GROUPS_PER_ENI_MAX = 16
"""The highest the per-interface quota can be raised to (same source)."""

SECURITY_GROUP_RULES_SOURCE = Source(
    "https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/",
    quote="You should not use the ec2.SecurityGroup resource with in-line rules (using the ingress and egress "
    "arguments of ec2.SecurityGroup) in conjunction with the vpc.SecurityGroupEgressRule and "
    "vpc.SecurityGroupIngressRule resources or the ec2.SecurityGroupRule resource. Doing so may cause rule "
    "conflicts, perpetual differences, and result in rules being overwritten. ... When creating a new Security "
    "Group inside a VPC, this provider will remove this default rule",
)
"""Why the library declares every rule as its own resource, and why a group without inline blocks still has no
egress: the provider revokes AWS's default allow-all egress when it creates a VPC group, whatever the
configuration (pulumi-aws 7.51.1 ``ec2/security_group.py``; terraform-provider-aws
``internal/service/ec2/vpc_security_group.go``, ``resourceSecurityGroupCreate``)."""

# -- ECS blue/green behind an Application Load Balancer -----------------------------------------------------

ECS_BLUE_GREEN_LISTENER_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html",
    quote="A primary target group for the blue service revision (current production traffic) ... An alternate "
    "target group for the green service revision (new version) ... During a blue/green deployment, Amazon ECS "
    "automatically registers tasks with the appropriate target group based on the deployment stage.",
    verify="aws ecs describe-service-deployments --cluster <cluster> --service-deployment-arns <arn> "
    "(after a deployment through a listener whose default action is a fixed-response)",
    offline=False,
)
"""The ALB layout of ECS-native blue/green: both target groups on the production rule's forward action, weights
100 (primary) and 0 (alternate), which ECS rewrites to shift traffic (weights 0-999, at most
:data:`TARGET_GROUPS_PER_FORWARD_ACTION` groups per action); a test listener rule is optional. Older
translations of the page (de, es, pt, id) also say a deployment fails when "listener rules contain a mixture of
forward and non-forward actions (redirect, fixed-response, authenticate)"; the English page, which those
translations defer to, no longer does. The library keeps each rule ECS manages forward-only, which satisfies
either reading, and lists the listener's fixed-response default in the pre-flight checks (``verify``)."""
TARGET_GROUPS_PER_FORWARD_ACTION = Fact(
    5,
    "target groups in one forward action of an ALB listener rule (weights 0-999 each)",
    Source(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html",
        quote="Target groups per action per Application Load Balancer: 5 (not adjustable)",
    ),
)

ECS_BLUE_GREEN_SCALING_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html",
    quote="The ALBRequestCountPerTarget metric for target tracking scaling policies is not supported for the "
    "blue/green deployment type.",
)
"""Why a blue/green service does not scale on the predefined ``ALBRequestCountPerTarget``: its resource label
names one target group, and after a traffic shift production runs through the other one."""
TARGET_TRACKING_METRIC_MATH_SOURCE = Source(
    "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html",
    quote="You can use any arithmetic operator (+ - * / ^), statistical function (such as AVG or SUM), or other "
    "function that CloudWatch supports. ... Any expressions used in a metric specification must eventually return "
    "a single time series.",
)
REQUEST_COUNT_PER_TARGET_SOURCE = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
    quote="RequestCountPerTarget: The average number of requests received by each target in a target group. You "
    "must specify the target group using the TargetGroup dimension. ... The only valid statistic is Sum. Note that "
    "this represents the average not the sum. Dimensions: TargetGroup; TargetGroup, LoadBalancer",
    verify="aws cloudwatch list-metrics --namespace AWS/ApplicationELB --metric-name RequestCountPerTarget "
    "--dimensions Name=TargetGroup,Value=<targetgroup/...>",
    offline=False,
)
"""The metric a blue/green service's request policy sums over both target groups (with ``FILL(..., 0)``: a
group that serves no traffic publishes no data points)."""

# -- RDS / Aurora PostgreSQL ----------------------------------------------------------------------------------

_RDS_CALENDAR = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html",
    quote="RDS for PostgreSQL 13 will reach end of standard support on February 28, 2026 (AWS Health notice); "
    "Extended Support runs up to three years after it.",
    verify="aws rds describe-db-major-engine-versions --engine postgres",
    offline=False,
)

POSTGRES_VERSIONS: Mapping[int, SupportWindow] = {
    13: SupportWindow("13", dt.date(2026, 2, 28), dt.date(2029, 2, 28), _RDS_CALENDAR),
    14: SupportWindow("14", dt.date(2027, 2, 28), dt.date(2030, 2, 28), _RDS_CALENDAR),
    15: SupportWindow("15", dt.date(2028, 2, 29), dt.date(2031, 2, 28), _RDS_CALENDAR),
    16: SupportWindow("16", dt.date(2029, 2, 28), dt.date(2032, 2, 29), _RDS_CALENDAR),
    17: SupportWindow("17", dt.date(2030, 2, 28), dt.date(2033, 2, 28), _RDS_CALENDAR),
}
"""RDS for PostgreSQL majors: end of standard support and of RDS Extended Support (Aurora PostgreSQL follows
the same major dates for 13 and 14, the two AWS has announced; the later ones are planned the same way)."""

POSTGRES_MIN_CREATABLE_MINOR: Mapping[int, str] = {14: "14.20", 15: "15.15", 16: "16.11", 17: "17.7"}
"""The oldest RDS for PostgreSQL minor per major that new instances can still use. AWS Health notices: minors
16.5-16.8 (and 14.14-14.17, 15.9-15.12, 17.1-17.4) blocked for new instances from 2026-05-01; 16.9, 16.10
(14.18, 14.19, 15.13, 15.14, 17.5, 17.6) from 2026-10-01. A major-only ``engine_version`` (``"16"``) lets RDS
pick and upgrade the minor, which is why it is the library's default."""
POSTGRES_MINOR_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html",
    quote="Starting May 1, 2026, you will not be able to create new database instances on Amazon RDS for "
    "PostgreSQL minor versions ... 16.5, 16.6, 16.7, 16.8 (AWS Health notice, 2026); the same for 16.9, 16.10 "
    "from October 1, 2026.",
    verify="aws rds describe-db-engine-versions --engine postgres --engine-version 16 "
    "--query 'DBEngineVersions[].EngineVersion'",
    offline=False,
)

AURORA_GLOBAL_ENGINE_VERSION = "16.8"
"""An Aurora global cluster takes a full version: the provider stores the actual version on every refresh, so a
major-only value would show a change on every ``pulumi up`` (terraform-provider-aws ``global_cluster.go``).
16.8 is Aurora PostgreSQL 16's long-term-support minor (release calendar: supported into 2029). Members copy it
and ignore ``engineVersion`` (provider docs), so minor upgrades of the members never fight the program."""
AURORA_GLOBAL_ENGINE_VERSIONS: Mapping[int, str] = {16: AURORA_GLOBAL_ENGINE_VERSION}
"""The full version a global cluster of each PostgreSQL major is created on (majors without an entry are refused
for Aurora with a DR region until one is added)."""
AURORA_GLOBAL_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html",
    quote="To avoid an `inconsistent final plan` error while upgrading, use the `lifecycle` `ignore_changes` for "
    "`engine_version` meta argument on the associated `rds.Cluster` resource (pulumi-aws rds.GlobalCluster docs)",
    verify="aws rds describe-db-engine-versions --engine aurora-postgresql --engine-version 16.8 "
    "--query 'DBEngineVersions[].{v:EngineVersion,global:SupportsGlobalDatabases,status:Status}'",
    offline=False,
)

RDS_WINDOW_MIN_MINUTES = Fact(
    30,
    "minutes an RDS/Aurora backup or maintenance window spans at least (hh24:mi-hh24:mi and "
    "ddd:hh24:mi-ddd:hh24:mi, UTC; the two must not overlap)",
    Source(
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
        quote="Must be in the format hh24:mi-hh24:mi. Must be in Universal Coordinated Time (UTC). Must not "
        "conflict with the preferred maintenance window. Must be at least 30 minutes.",
    ),
)
ELASTICACHE_WINDOW_MIN_MINUTES = Fact(
    60,
    "minutes an ElastiCache maintenance or snapshot window spans at least (UTC)",
    Source(
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
        quote="The minimum maintenance window is a 60 minute period.",
    ),
)

# -- EKS --------------------------------------------------------------------------------------------------

_EKS_CALENDAR = Source(
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
    quote="A minor version is under standard support in Amazon EKS for the first 14 months after it's released. "
    "Once a version is past the end of standard support date, it enters extended support for the next 12 months.",
    verify="aws eks describe-cluster-versions --region <region> "
    "--query 'clusterVersions[].{v:clusterVersion,s:status,std:endOfStandardSupportDate}'",
    offline=False,
)

EKS_VERSIONS: Mapping[str, SupportWindow] = {
    "1.30": SupportWindow("1.30", dt.date(2025, 7, 23), dt.date(2026, 7, 23), _EKS_CALENDAR),
    "1.31": SupportWindow("1.31", dt.date(2025, 11, 26), dt.date(2026, 11, 26), _EKS_CALENDAR),
    "1.32": SupportWindow("1.32", dt.date(2026, 3, 23), dt.date(2027, 3, 23), _EKS_CALENDAR),
    "1.33": SupportWindow("1.33", dt.date(2026, 7, 29), dt.date(2027, 7, 29), _EKS_CALENDAR),
    "1.34": SupportWindow("1.34", dt.date(2026, 12, 2), dt.date(2027, 12, 2), _EKS_CALENDAR),
    "1.35": SupportWindow("1.35", dt.date(2027, 3, 27), dt.date(2028, 3, 27), _EKS_CALENDAR),
}
"""EKS Kubernetes versions: end of standard and of extended support (awsdocs/amazon-eks-user-guide
``kubernetes-versions.adoc`` release calendar for 1.30-1.34; 1.35's dates follow the 14 + 12 month rule from
its release and are confirmed by ``verify`` before a first deploy)."""

EKS_DEFAULT_VERSION = "1.35"
"""The newest version in standard support on the day the calendar was checked."""

EKS_UPGRADE_POLICY_SOURCE = Source(
    "https://docs.aws.amazon.com/eks/latest/userguide/disable-extended-support.html",
    quote="You cannot disable extended support once your cluster has entered it. You can only disable extended "
    "support for clusters on standard support.",
)

# -- Names --------------------------------------------------------------------------------------------------

AUTONAME_SUFFIX_LENGTH = 8
"""Pulumi auto-naming appends ``-`` and 7 random characters to the logical name (pulumi-aws ``autonaming.go``)."""

_PULUMI_AWS_OVERRIDES = "https://github.com/pulumi/pulumi-aws/blob/master/provider/resource_overrides.go"


@dataclass(frozen=True)
class NameLimit:
    """The longest physical name AWS (or the provider at preview) accepts for a resource type."""

    max_length: int
    autonamed: bool
    """True when the physical name is the logical name plus the auto-naming suffix."""
    source: Source
    lowercase: bool = False


NAME_LIMITS: Mapping[str, NameLimit] = {
    "aws:lb/loadBalancer:LoadBalancer": NameLimit(
        32,
        True,
        Source(
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
            quote="This name must be unique per region per account, can have a maximum of 32 characters",
        ),
    ),
    "aws:lb/targetGroup:TargetGroup": NameLimit(
        32, True, Source(_PULUMI_AWS_OVERRIDES, quote='"name": tfbridge.AutoName("name", 32, "-")')
    ),
    "aws:rds/instance:Instance": NameLimit(
        63,
        True,
        Source(
            "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
            quote="Must contain from 1 to 63 letters, numbers, or hyphens.",
        ),
        lowercase=True,
    ),
    "aws:iam/role:Role": NameLimit(
        64, True, Source(_PULUMI_AWS_OVERRIDES, quote='"name": tfbridge.AutoName("name", 64, "-")')
    ),
    "aws:s3/bucket:Bucket": NameLimit(
        63,
        True,
        Source(_PULUMI_AWS_OVERRIDES, quote='AutoNameTransform("bucket", 63, strings.ToLower)'),
        lowercase=True,
    ),
    "aws:s3/bucketV2:BucketV2": NameLimit(
        63,
        True,
        Source(_PULUMI_AWS_OVERRIDES, quote='AutoNameTransform("bucket", 63, strings.ToLower)'),
        lowercase=True,
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": NameLimit(
        40,
        True,
        Source(_PULUMI_AWS_OVERRIDES, quote='AutoNameTransform("replicationGroupId", 40, strings.ToLower)'),
        lowercase=True,
    ),
    "aws:lambda/function:Function": NameLimit(
        64, True, Source(_PULUMI_AWS_OVERRIDES, quote='"name": tfbridge.AutoName("name", 64, "-")')
    ),
    "aws:sqs/queue:Queue": NameLimit(80, True, Source(_PULUMI_AWS_OVERRIDES, quote="Maxlen: 80, Randlen: 7")),
    "aws:sns/topic:Topic": NameLimit(80, True, Source(_PULUMI_AWS_OVERRIDES, quote="Maxlen: 80, Randlen: 7")),
    "aws:cloudwatch/eventRule:EventRule": NameLimit(
        64, True, Source(_PULUMI_AWS_OVERRIDES, quote='"name": tfbridge.AutoName("name", 64, "-")')
    ),
}
"""Name limits per resource type token, for the types the library creates with auto-named physical names."""

DNS_LABEL_MAX = Fact(
    63,
    "octets in one DNS label",
    Source(
        "https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html",
        quote="The maximum length of a DNS name is 253 octets. ... No label can be longer than 63 octets.",
    ),
)
DNS_NAME_MAX = Fact(253, "octets in a DNS name (text form, without the final dot)", DNS_LABEL_MAX.source)
ACM_DOMAIN_NAME_MAX = Fact(
    64,
    "octets in an ACM certificate's domain name (the Common Name); longer names go in the SANs",
    Source(
        "https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html",
        quote="the length of the domain name (technically, the Common Name) that you provide cannot exceed 64 "
        "octets (characters), including periods.",
    ),
)

# -- Tags -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagRules:
    """What AWS accepts as a tag (the common rules; Route 53 allows fewer tags per resource)."""

    key_max: int
    value_max: int
    per_resource: int
    pattern: str
    """Characters AWS's strict tag pattern allows: letters, numbers and spaces (Unicode) and ``_ . : / = + - @``."""
    reserved_prefix: str
    source: Source = field(repr=False)


TAG_RULES = TagRules(
    key_max=128,
    value_max=256,
    per_resource=50,
    pattern=r"^[\w\s.:/=+\-@]*$",
    reserved_prefix="aws:",
    source=Source(
        "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
        quote="Maximum key length - 128 Unicode characters in UTF-8 ... Maximum value length - 256 ... Generally "
        "allowed characters are: letters, numbers, and spaces representable in UTF-8, and the following characters: "
        "+ - = . _ : / @. ... Do not use aws:, AWS:, or any upper or lowercase combination of such as a prefix",
    ),
)

ROUTE53_TAGS_PER_RESOURCE = Fact(
    10,
    "tags on one Route 53 hosted zone or health check",
    Source(
        "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeTagsForResource.html",
        quote="You can add a maximum of 10 tags to a health check or a hosted zone.",
    ),
)

# -- Application Load Balancer ----------------------------------------------------------------------------------

_ALB_QUOTAS = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html",
    quote="Rules per Application Load Balancer (excluding default rules): 100; Condition values per rule: 5; "
    "Target groups per action per Application Load Balancer: 5",
    verify="aws service-quotas list-service-quotas --service-code elasticloadbalancing",
    offline=False,
)
ALB_RULES_PER_LOAD_BALANCER = Fact(100, "listener rules per ALB, default rules excluded (adjustable)", _ALB_QUOTAS)
ALB_RULE_CONDITION_VALUES = Fact(5, "condition values in one listener rule", _ALB_QUOTAS)
ALB_RULE_PRIORITIES = range(1, 50_001)
"""Listener rule priorities AWS accepts; lower is evaluated first."""
ALB_IDLE_TIMEOUT_SECONDS = range(1, 4001)
"""``idle_timeout.timeout_seconds``: 1-4000 (default 60)."""
ALB_RULE_CONDITION_WILDCARDS = Fact(5, "wildcards (`*`, `?`) in the condition values of one listener rule", _ALB_QUOTAS)
ALB_CERTIFICATES_PER_LOAD_BALANCER = Fact(
    25, "certificates per ALB, default certificates excluded (adjustable)", _ALB_QUOTAS
)
ALB_WEBSOCKETS = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html",
    quote="Application Load Balancers provide native support for WebSockets. You can upgrade an existing HTTP/1.1 "
    "connection into a WebSocket (ws or wss) connection by using an HTTP connection upgrade. When you upgrade, the "
    "TCP connection used for requests (to the load balancer as well as to the target) becomes a persistent "
    "WebSocket connection between the client and the target through the load balancer.",
)
"""An upgraded connection stays on the target that took the upgrade request, and the load balancer's idle timeout
(``idle_timeout.timeout_seconds``) closes it after that many seconds without a frame either way."""
_TARGET_GROUP_ATTRIBUTES = Source(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html",
    quote="deregistration_delay.timeout_seconds - The amount of time, in seconds, for Elastic Load Balancing to "
    "wait before changing the state of a deregistering target from draining to unused. The range is 0-3600 "
    "seconds. The default value is 300 seconds. ... stickiness.lb_cookie.duration_seconds - The time period, in "
    "seconds, during which requests from a client should be routed to the same target. ... The range is 1 second "
    "to 1 week (604800 seconds). The default value is 1 day (86400 seconds).",
)
TARGET_GROUP_DEREGISTRATION_DELAY_SECONDS = range(3601)
"""``deregistration_delay.timeout_seconds``: 0-3600 (AWS default 300), :data:`TARGET_GROUP_ATTRIBUTES_SOURCE`."""
TARGET_GROUP_LB_COOKIE_SECONDS = range(1, 604_801)
"""``stickiness.lb_cookie.duration_seconds``: 1 s to 7 days (AWS default 1 day)."""
TARGET_GROUP_ATTRIBUTES_SOURCE = _TARGET_GROUP_ATTRIBUTES
ACM_DOMAIN_NAMES_PER_CERTIFICATE = Fact(
    10,
    "domain names on one ACM certificate (the first is the subject's common name; adjustable up to 100)",
    Source(
        "https://docs.aws.amazon.com/acm/latest/userguide/acm-limits.html",
        quote="Number of domain names per ACM certificate: The default quota is 10 domain names for each ACM "
        "certificate. Your quota may be greater.",
        verify="aws service-quotas list-service-quotas --service-code acm",
        offline=False,
    ),
)


# -- RDS / Aurora: Extended Support, log exports, enhanced monitoring, connections, windows ----------------

RDS_EXTENDED_SUPPORT_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    quote="By default, this value is set to open-source-rds-extended-support, which enrolls your DB instance into "
    "Amazon RDS Extended Support. At the end of standard support, you can avoid charges for Extended Support by "
    "setting the value to open-source-rds-extended-support-disabled. In this case, creating the DB instance will "
    "fail if the DB major version is past its end of standard support date.",
)
"""Why a major past its end of standard support is refused at config time: AWS would create it and bill Extended
Support (the default), or, with Extended Support disabled, refuse it and later force a major upgrade."""

RDS_LOG_EXPORTS: Mapping[str, tuple[str, ...]] = {
    "postgres": ("postgresql", "upgrade", "iam-db-auth-error"),
    "aurora-postgresql": ("instance", "postgresql", "iam-db-auth-error"),
}
"""Log types each PostgreSQL engine can export to CloudWatch Logs (``enabled_cloudwatch_logs_exports``)."""
RDS_LOG_EXPORTS_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
    quote="RDS for PostgreSQL: Possible values are postgresql, upgrade, and iam-db-auth-error. Aurora PostgreSQL: "
    "Possible value are instance, postgresql, and iam-db-auth-error.",
)

RDS_LOG_GROUP_NAMES: Mapping[str, str] = {
    "instance": "/aws/rds/instance/{identifier}/{log_type}",
    "cluster": "/aws/rds/cluster/{identifier}/{log_type}",
}
"""Where RDS (per DB instance) and Aurora (per DB cluster) write an exported log type. RDS writes into an existing
group of that name, so a group created beforehand keeps its KMS key and retention; otherwise RDS creates one
without a key that never expires."""
RDS_LOG_GROUP_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.CloudWatch.html",
    quote="If a log group with the specified name exists, Aurora uses that log group to export log data for the "
    "Aurora DB cluster. ... Otherwise, a new log group is automatically created using the default log retention "
    "period, Never Expire (RDS for PostgreSQL: 'the PostgreSQL log data is stored within the log group "
    "/aws/rds/instance/my_instance/postgresql', USER_LogAccess.Concepts.PostgreSQL).",
)

RDS_ENHANCED_MONITORING_LOG_GROUP = "RDSOSMetrics"
"""The one log group per account and region that enhanced monitoring of every DB instance writes to."""
RDS_ENHANCED_MONITORING_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.overview.html",
    quote="By default, Enhanced Monitoring metrics are stored in the CloudWatch Logs for 30 days. To modify the "
    "amount of time the metrics are stored in the CloudWatch Logs, change the retention for the RDSOSMetrics log "
    "group in the CloudWatch console.",
    verify="aws logs describe-log-groups --log-group-name-prefix RDSOSMetrics "
    "--query 'logGroups[].{n:logGroupName,k:kmsKeyId,r:retentionInDays}'",
    offline=False,
)
RDS_READ_REPLICAS = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html",
    quote="Amazon Aurora doesn't support this operation. ... All read replica DB instances are created with backups "
    "disabled. All other attributes (including DB security groups and DB parameter groups) are inherited from the "
    "source DB instance or cluster, except as specified. ... Your source DB instance or cluster must have backup "
    "retention enabled.",
)
"""A same-region replica names its source by identifier and inherits its subnet group (pulumi-aws
``replicate_source_db``: "If replicating an Amazon RDS Database Instance in the same region, use the identifier of
the source DB, unless also specifying the dbSubnetGroupName"); it takes no master user, password or database name
(they come from the source) and keeps no automated backups or final snapshot of its own."""


@dataclass(frozen=True)
class MemoryReserve:
    """An estimate of the memory RDS keeps from ``DBInstanceClassMemory``: ``base_mib`` plus ``share`` of the class."""

    base_mib: int
    share: float
    measured: tuple[tuple[float, int], ...]
    """(nominal GiB, observed default ``max_connections``) pairs the estimate is checked against."""
    source: Source

    def reserved_bytes(self, nominal_gib: float) -> int:
        return int((self.base_mib + self.share * nominal_gib * 1024) * 1024**2)


DB_INSTANCE_CLASS_MEMORY_RESERVE = MemoryReserve(
    base_mib=300,
    share=0.02,
    # SHOW max_connections on default parameter groups (t2.small, t2.medium, t2.large/m4.large, r4.large).
    measured=((2.0, 198), (4.0, 413), (8.0, 856), (15.25, 1660)),
    source=Source(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html",
        quote="Because of memory reserved for the operating system and RDS management processes, this memory size is "
        "smaller than the value in gibibytes (GiB) shown in Hardware specifications for DB instance classes. "
        "(No formula is published. ESTIMATE: the smallest round base and share that reserve at least as much as "
        "the measured figures imply: 248, 342, 411 and 527 MiB.)",
        verify="aws rds describe-db-parameters --db-parameter-group-name default.postgres16 --query "
        "\"Parameters[?ParameterName=='max_connections'].ParameterValue\" (the formula only; the figure itself: "
        "psql -c 'SHOW max_connections' on the instance)",
        offline=False,
    ),
)
"""AWS publishes no formula for ``DBInstanceClassMemory``, only that it is smaller than nominal memory. This
estimate reserves more than every measured class implies, so a connection threshold computed from it is lower than
the real limit, never above it."""

RDS_BACKUP_WINDOW_FORMAT = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
"""``PreferredBackupWindow`` / ElastiCache ``SnapshotWindow``: ``hh24:mi-hh24:mi`` in UTC."""
RDS_MAINTENANCE_WINDOW_FORMAT = (
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
"""``PreferredMaintenanceWindow`` (RDS, Aurora, ElastiCache): ``ddd:hh24:mi-ddd:hh24:mi`` in UTC, days mon-sun."""
WINDOW_FORMAT_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    quote="PreferredBackupWindow: Must be in the format hh24:mi-hh24:mi. Must be in Universal Coordinated Time "
    "(UTC). Must not conflict with the preferred maintenance window. PreferredMaintenanceWindow: Format: "
    "ddd:hh24:mi-ddd:hh24:mi ... Valid Days: Mon, Tue, Wed, Thu, Fri, Sat, Sun. Constraints: Minimum 30-minute window.",
)


@dataclass(frozen=True)
class RegionClock:
    """Where a region's data centres keep time: its IANA zone and UTC offsets (minutes) in winter and summer."""

    zone: str
    standard_offset: int
    daylight_offset: int


_REGION_LOCATIONS = Source(
    "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html",
    quote="Region name / Geography, e.g. eu-central-1 Europe (Frankfurt), ap-southeast-4 Asia Pacific (Melbourne); "
    "the zone is the IANA time zone of that city (offsets checked against the tz database for 2026-2027).",
)
REGION_CLOCKS: Mapping[str, RegionClock] = {
    "us-east-1": RegionClock("America/New_York", -300, -240),
    "us-east-2": RegionClock("America/New_York", -300, -240),  # Ohio: Eastern time
    "us-west-1": RegionClock("America/Los_Angeles", -480, -420),
    "us-west-2": RegionClock("America/Los_Angeles", -480, -420),  # Oregon: Pacific time
    "ca-central-1": RegionClock("America/Toronto", -300, -240),  # Montreal
    "ca-west-1": RegionClock("America/Edmonton", -420, -360),  # Calgary
    "mx-central-1": RegionClock("America/Mexico_City", -360, -360),  # Queretaro; no DST since 2022
    "sa-east-1": RegionClock("America/Sao_Paulo", -180, -180),
    "eu-central-1": RegionClock("Europe/Berlin", 60, 120),  # Frankfurt
    "eu-central-2": RegionClock("Europe/Zurich", 60, 120),
    "eu-west-1": RegionClock("Europe/Dublin", 0, 60),
    "eu-west-2": RegionClock("Europe/London", 0, 60),
    "eu-west-3": RegionClock("Europe/Paris", 60, 120),
    "eu-north-1": RegionClock("Europe/Stockholm", 60, 120),
    "eu-south-1": RegionClock("Europe/Rome", 60, 120),  # Milan
    "eu-south-2": RegionClock("Europe/Madrid", 60, 120),  # Aragon
    "il-central-1": RegionClock("Asia/Jerusalem", 120, 180),  # Tel Aviv
    "me-south-1": RegionClock("Asia/Bahrain", 180, 180),
    "me-central-1": RegionClock("Asia/Dubai", 240, 240),
    "af-south-1": RegionClock("Africa/Johannesburg", 120, 120),  # Cape Town
    "ap-east-1": RegionClock("Asia/Hong_Kong", 480, 480),
    "ap-east-2": RegionClock("Asia/Taipei", 480, 480),
    "ap-south-1": RegionClock("Asia/Kolkata", 330, 330),  # Mumbai
    "ap-south-2": RegionClock("Asia/Kolkata", 330, 330),  # Hyderabad
    "ap-southeast-1": RegionClock("Asia/Singapore", 480, 480),
    "ap-southeast-2": RegionClock("Australia/Sydney", 600, 660),
    "ap-southeast-3": RegionClock("Asia/Jakarta", 420, 420),
    "ap-southeast-4": RegionClock("Australia/Melbourne", 600, 660),
    "ap-southeast-5": RegionClock("Asia/Kuala_Lumpur", 480, 480),  # Malaysia
    "ap-southeast-7": RegionClock("Asia/Bangkok", 420, 420),  # Thailand
    "ap-northeast-1": RegionClock("Asia/Tokyo", 540, 540),
    "ap-northeast-2": RegionClock("Asia/Seoul", 540, 540),
    "ap-northeast-3": RegionClock("Asia/Tokyo", 540, 540),  # Osaka
}
"""Each region's local clock, so maintenance defaults land in its local night (:mod:`fintech_infra.maintenance`)."""
REGION_CLOCKS_SOURCE = _REGION_LOCATIONS

# -- CloudTrail ---------------------------------------------------------------------------------------------

CLOUDTRAIL_RECURSIVE_LOGGING_SOURCE = Source(
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-recursive-logging.html",
    quote="when CloudTrail delivers a log file to your Amazon S3 bucket, it performs a PutObject API call. If your "
    "trail is configured to log Amazon S3 data events, this delivery operation is recorded as an event, which is "
    "then delivered to your bucket, generating another event, and so on. These are called recursive events.",
)
"""Why a trail must not log S3 data events on its own bucket (pulumi-aws 7.51.1's Trail has no ``RecursiveLogging``
argument, so the bucket is excluded with an advanced event selector)."""
CLOUDTRAIL_SELECTORS_SOURCE = Source(
    "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html",
    quote="You can use either AdvancedEventSelectors or EventSelectors, but not both. If you apply "
    "AdvancedEventSelectors to a trail, any existing EventSelectors are overwritten.",
)

# -- ACM ------------------------------------------------------------------------------------------------------

ACM_DAYS_TO_EXPIRY_SOURCE = Source(
    "https://docs.aws.amazon.com/acm/latest/userguide/cloudwatch-metrics.html",
    quote="DaysToExpiry: Number of days until a certificate expires. ACM publishes this metric twice per day for "
    "every certificate until expiration, and stops publishing it after a certificate expires. "
    "(Namespace AWS/CertificateManager, dimension CertificateArn; regional, in the certificate's Region.)",
)
# -- DNS and certificates ---------------------------------------------------------------------------------------

ROUTE53_RECORD_CONDITION_KEYS = Source(
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html",
    quote="For route53:ChangeResourceRecordSetsNormalizedRecordNames: All letters must be lowercase. The DNS name must "
    "be without the trailing dot. ... For route53:ChangeResourceRecordSetsActions, the value can be any of the "
    "following and must be uppercase: CREATE, UPSERT, DELETE. For route53:ChangeResourceRecordSetsRecordTypes: The "
    "value must be in uppercase",
)
"""The IAM condition keys that confine a validation writer role to CNAMEs named ``_*.<name>``."""

ACM_VALIDATION_WAITS = Source(
    "https://www.pulumi.com/registry/packages/aws/api-docs/acm/certificatevalidation/",
    quote="This resource represents a successful validation of an ACM certificate in concert with other resources. "
    "... deploy the required validation records and wait for validation to complete.",
)
"""A CertificateValidation waits until the certificate is issued: with no record written, until its timeout."""

ROUTE53_ZONE_DELEGATION = Source(
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/domain-name-servers-glue-records.html",
    quote="Route 53 automatically assigns a delegation set, a set of four name servers, to every hosted zone. ... "
    "update the name servers for the domain with your registrar",
    verify="dig +short NS <zone-name>   # must list the zones stack's exported name_servers",
    offline=False,
)

# -- DR: secrets, keys, images ----------------------------------------------------------------------------------

SECRETS_REPLICA_ARN = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html",
    quote="The ARN for a replicated secret is the same as the primary secret except for the Region",
)
SECRETS_MANAGED_BY_RDS_NOT_REPLICABLE = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html",
    quote="InvalidRequestException ... The secret is managed by another service, and you must use that service to "
    "update it.",
)
"""An RDS-managed master secret has no DR-region copy: a DR restore or promotion creates its own."""
KMS_VIA_SERVICE = Source(
    "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service",
    quote="The kms:ViaService condition key limits use of a KMS key to requests from specified AWS services. ... "
    "the endpoint name of the service in a Region, such as secretsmanager.us-west-2.amazonaws.com",
)
"""``kms:ViaService`` names one region's endpoint; a KMS key is regional, so the two must name the same region."""
ECR_REPLICATION = Source(
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html",
    quote="Only images pushed to a repository after replication is configured are copied. ... When configuring "
    "cross-Region replication within your own registry, specify your own account ID.",
    verify="aws ecr describe-registry --region <primary-region> --query 'replicationConfiguration.rules'",
    offline=False,
)
"""Registry-level, one configuration per registry and region; copies only pushes made after it exists."""
ECR_REPLICATION_SERVICE_LINKED_ROLE = Source(
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecr-replicationconfiguration.html",
    quote="When you create a replication configuration for a private registry, a service-linked IAM role is created "
    "in your account for the replication process.",
    verify="aws iam get-role --role-name AWSServiceRoleForECRReplication   # or: the deploy role may "
    "iam:CreateServiceLinkedRole for replication.ecr.amazonaws.com",
    offline=False,
)
ECR_IMAGE_IN_REGION = Source(
    "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html",
    quote="Returns metadata about the images in a repository.",
    verify="aws ecr describe-images --region <dr-region> --repository-name <repository> "
    "--image-ids imageDigest=<digest>",
    offline=False,
)
"""The DR copy of each image a standby service names exists before its first ``pulumi up``."""

# -- Account pre-flight -------------------------------------------------------------------------------------------

REGION_OPT_IN = Source(
    "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html",
    quote="Regions launched before March 20, 2019 are enabled by default. ... Opt-in Regions - Regions launched "
    "after March 20, 2019 are disabled by default",
    verify="aws account get-region-opt-status --region-name <region>   # ENABLED or ENABLED_BY_DEFAULT",
    offline=False,
)
EC2_INSTANCE_TYPE_OFFERINGS = Source(
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html",
    quote="Lists the instance types that are offered for the specified location.",
    verify="aws ec2 describe-instance-type-offerings --region <region> --filters Name=instance-type,Values="
    "<instance-type> --query 'InstanceTypeOfferings[].InstanceType'",
    offline=False,
)
RDS_ORDERABLE_INSTANCE_CLASSES = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html",
    quote="Describes the orderable DB instance options for a specified DB engine.",
    verify="aws rds describe-orderable-db-instance-options --region <region> --engine <engine> "
    "--db-instance-class <instance-class> --query 'length(OrderableDBInstanceOptions)'   # more than 0",
    offline=False,
)
AUTOSCALING_SERVICE_LINKED_ROLE = Source(
    "https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html",
    quote="Amazon EC2 Auto Scaling uses the service-linked role named AWSServiceRoleForAutoScaling",
    verify="aws iam get-role --role-name AWSServiceRoleForAutoScaling   # else: aws iam create-service-linked-role "
    "--aws-service-name autoscaling.amazonaws.com",
    offline=False,
)
"""The EKS node volume key grant names this role: it must exist before the first EKS cell deploys (audit B12)."""
STS_ASSUME_WRITER_ROLE = Source(
    "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
    quote="Returns a set of temporary security credentials that you can use to access AWS resources.",
    verify="aws sts assume-role --role-arn <writer-role-arn> --role-session-name preflight   # as the deploy role",
    offline=False,
)
"""The cell stack's deploy role may assume its validation writer role in the zones account."""


# -- Export -------------------------------------------------------------------------------------------------


def _source(source: Source) -> dict[str, object]:
    return {
        "url": source.url,
        "quote": source.quote,
        "checked": source.checked.isoformat(),
        "verify": source.verify,
        "offline": source.offline,
    }


def _window(window: SupportWindow) -> dict[str, object]:
    return {
        "end_of_standard_support": window.end_of_standard_support.isoformat(),
        "end_of_extended_support": None
        if window.end_of_extended_support is None
        else window.end_of_extended_support.isoformat(),
        "source": _source(window.source),
    }


def _fact(fact: Fact) -> dict[str, object]:
    return {"value": fact.value, "what": fact.what, "source": _source(fact.source)}


def facts_document() -> dict[str, object]:
    """Every fact above as plain JSON-ready data: what the policy pack's generated data file holds."""
    return {
        "checked": CHECKED.isoformat(),
        "ecs_security_groups_per_service": _fact(ECS_SECURITY_GROUPS_PER_SERVICE),
        "fargate_task_sizes": {
            "sizes": {str(cpu): list(memory) for cpu, memory in FARGATE_TASK_SIZES.items()},
            "windows_cpu": list(FARGATE_WINDOWS_CPU_UNITS),
            "source": _source(FARGATE_SOURCE),
        },
        "vpc_security_groups_per_eni": {
            **_fact(VPC_SECURITY_GROUPS_PER_ENI),
            "max": VPC_SECURITY_GROUPS_PER_ENI_MAX,
        },
        "security_group_rules": _source(SECURITY_GROUP_RULES_SOURCE),
        "ecs_blue_green_listener": _source(ECS_BLUE_GREEN_LISTENER_SOURCE),
        "ecs_blue_green_scaling": _source(ECS_BLUE_GREEN_SCALING_SOURCE),
        "target_groups_per_forward_action": _fact(TARGET_GROUPS_PER_FORWARD_ACTION),
        "postgres_versions": {str(major): _window(window) for major, window in POSTGRES_VERSIONS.items()},
        "postgres_min_creatable_minor": {
            "minors": {str(major): minor for major, minor in POSTGRES_MIN_CREATABLE_MINOR.items()},
            "source": _source(POSTGRES_MINOR_SOURCE),
        },
        "aurora_global_engine_version": {
            "value": AURORA_GLOBAL_ENGINE_VERSION,
            "source": _source(AURORA_GLOBAL_SOURCE),
        },
        "eks_versions": {version: _window(window) for version, window in EKS_VERSIONS.items()},
        "eks_default_version": EKS_DEFAULT_VERSION,
        "eks_upgrade_policy": _source(EKS_UPGRADE_POLICY_SOURCE),
        "rds_window_min_minutes": _fact(RDS_WINDOW_MIN_MINUTES),
        "elasticache_window_min_minutes": _fact(ELASTICACHE_WINDOW_MIN_MINUTES),
        "autoname_suffix_length": AUTONAME_SUFFIX_LENGTH,
        "name_limits": {
            type_: {
                "max_length": limit.max_length,
                "autonamed": limit.autonamed,
                "lowercase": limit.lowercase,
                "source": _source(limit.source),
            }
            for type_, limit in NAME_LIMITS.items()
        },
        "dns_label_max": _fact(DNS_LABEL_MAX),
        "dns_name_max": _fact(DNS_NAME_MAX),
        "acm_domain_name_max": _fact(ACM_DOMAIN_NAME_MAX),
        "tag_rules": {
            "key_max": TAG_RULES.key_max,
            "value_max": TAG_RULES.value_max,
            "per_resource": TAG_RULES.per_resource,
            "pattern": TAG_RULES.pattern,
            "reserved_prefix": TAG_RULES.reserved_prefix,
            "source": _source(TAG_RULES.source),
        },
        "route53_tags_per_resource": _fact(ROUTE53_TAGS_PER_RESOURCE),
        "alb_rules_per_load_balancer": _fact(ALB_RULES_PER_LOAD_BALANCER),
        "alb_rule_condition_values": _fact(ALB_RULE_CONDITION_VALUES),
        "alb_rule_priorities": [ALB_RULE_PRIORITIES.start, ALB_RULE_PRIORITIES.stop - 1],
        "alb_idle_timeout_seconds": [ALB_IDLE_TIMEOUT_SECONDS.start, ALB_IDLE_TIMEOUT_SECONDS.stop - 1],
        "rds_extended_support": _source(RDS_EXTENDED_SUPPORT_SOURCE),
        "rds_log_exports": {
            "types": {engine: list(types) for engine, types in RDS_LOG_EXPORTS.items()},
            "source": _source(RDS_LOG_EXPORTS_SOURCE),
        },
        "rds_log_group_names": {"patterns": dict(RDS_LOG_GROUP_NAMES), "source": _source(RDS_LOG_GROUP_SOURCE)},
        "rds_enhanced_monitoring_log_group": {
            "name": RDS_ENHANCED_MONITORING_LOG_GROUP,
            "source": _source(RDS_ENHANCED_MONITORING_SOURCE),
        },
        "maintenance_window_formats": {
            "backup": RDS_BACKUP_WINDOW_FORMAT,
            "maintenance": RDS_MAINTENANCE_WINDOW_FORMAT,
            "source": _source(WINDOW_FORMAT_SOURCE),
        },
        "cloudtrail_recursive_logging": _source(CLOUDTRAIL_RECURSIVE_LOGGING_SOURCE),
        "cloudtrail_selectors": _source(CLOUDTRAIL_SELECTORS_SOURCE),
        "acm_days_to_expiry": _source(ACM_DAYS_TO_EXPIRY_SOURCE),
        "route53_record_condition_keys": _source(ROUTE53_RECORD_CONDITION_KEYS),
        "acm_validation_waits": _source(ACM_VALIDATION_WAITS),
        "secrets_replica_arn": _source(SECRETS_REPLICA_ARN),
        "kms_via_service": _source(KMS_VIA_SERVICE),
        "ecr_replication": _source(ECR_REPLICATION),
    }
