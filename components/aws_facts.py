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
    "ACM_DOMAIN_NAME_MAX",
    "ACM_VALIDATION_WAITS",
    "ALB_IDLE_TIMEOUT_SECONDS",
    "ALB_RULES_PER_LOAD_BALANCER",
    "ALB_RULE_CONDITION_VALUES",
    "ALB_RULE_PRIORITIES",
    "AURORA_GLOBAL_ENGINE_VERSION",
    "AURORA_GLOBAL_SOURCE",
    "AUTONAME_SUFFIX_LENGTH",
    "AUTOSCALING_SERVICE_LINKED_ROLE",
    "CHECKED",
    "DNS_LABEL_MAX",
    "DNS_NAME_MAX",
    "EC2_INSTANCE_TYPE_OFFERINGS",
    "ECR_IMAGE_IN_REGION",
    "ECR_REPLICATION",
    "ECR_REPLICATION_SERVICE_LINKED_ROLE",
    "ECS_SECURITY_GROUPS_PER_SERVICE",
    "EKS_DEFAULT_VERSION",
    "EKS_UPGRADE_POLICY_SOURCE",
    "EKS_VERSIONS",
    "ELASTICACHE_WINDOW_MIN_MINUTES",
    "FARGATE_SOURCE",
    "FARGATE_TASK_SIZES",
    "KMS_VIA_SERVICE",
    "NAME_LIMITS",
    "POSTGRES_MINOR_SOURCE",
    "POSTGRES_MIN_CREATABLE_MINOR",
    "POSTGRES_VERSIONS",
    "RDS_ORDERABLE_INSTANCE_CLASSES",
    "RDS_WINDOW_MIN_MINUTES",
    "REGION_OPT_IN",
    "ROUTE53_RECORD_CONDITION_KEYS",
    "ROUTE53_TAGS_PER_RESOURCE",
    "ROUTE53_ZONE_DELEGATION",
    "SECRETS_MANAGED_BY_RDS_NOT_REPLICABLE",
    "SECRETS_REPLICA_ARN",
    "STS_ASSUME_WRITER_ROLE",
    "TAG_RULES",
    "Fact",
    "NameLimit",
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
            "source": _source(FARGATE_SOURCE),
        },
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
        "route53_record_condition_keys": _source(ROUTE53_RECORD_CONDITION_KEYS),
        "acm_validation_waits": _source(ACM_VALIDATION_WAITS),
        "secrets_replica_arn": _source(SECRETS_REPLICA_ARN),
        "kms_via_service": _source(KMS_VIA_SERVICE),
        "ecr_replication": _source(ECR_REPLICATION),
    }
