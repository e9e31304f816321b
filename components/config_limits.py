"""What AWS would refuse at ``pulumi up``, refused at config time instead.

``pulumi preview`` and the mock engine accept any name or size; AWS rejects them at ``pulumi up``, after other
resources of the same update were created. Each check here judges the typed
:class:`~fintech_infra.config.StackConfig` against the facts in :mod:`fintech_infra.aws_facts` (each with its
AWS source and the date it was checked): Fargate CPU/memory pairs, the physical names Pulumi derives from
cell and service names (:data:`fintech_infra._naming.AUTONAMED`), DNS labels and names, the ACM domain name,
tag values, alarm e-mail addresses and HTTPS endpoints, and certificate ARNs. :data:`CHECKS` is run by the
validation pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from fintech_infra._naming import DerivedName, cell_autonamed
from fintech_infra.aws_facts import (
    ACM_DOMAIN_NAME_MAX,
    AUTONAME_SUFFIX_LENGTH,
    DNS_LABEL_MAX,
    DNS_NAME_MAX,
    FARGATE_TASK_SIZES,
    NAME_LIMITS,
    TAG_RULES,
)
from fintech_infra.config import CellConfig, EcsSettings, EksSettings, Environment, StackConfig
from fintech_infra.config_secrets import HIDDEN, OFFLINE_SECRET_PLACEHOLDER
from fintech_infra.dr_config import rehearsals
from fintech_infra.errors import key_path

__all__ = ["CHECKS", "derived_names", "fargate_memory_allowed"]

Check = Callable[[StackConfig], Iterator[str]]

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?$")
_ARN_REGION_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):")
_WHAT = {
    "aws:lb/loadBalancer:LoadBalancer": "load balancer",
    "aws:lb/targetGroup:TargetGroup": "target group",
    "aws:iam/role:Role": "IAM role",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:sqs/queue:Queue": "SQS queue",
}


def fargate_memory_allowed(cpu: int) -> str:
    """The memory sizes Fargate takes with ``cpu`` units, in words (``2048 to 8192 MiB in steps of 1024``)."""
    sizes = FARGATE_TASK_SIZES.get(cpu, ())
    if len(sizes) <= 3:
        return ", ".join(map(str, sizes)) + " MiB"
    return f"{sizes[0]} to {sizes[-1]} MiB in steps of {sizes[1] - sizes[0]}"


def fargate_task_sizes(config: StackConfig) -> Iterator[str]:
    """Each Fargate service's CPU and memory are a pair AWS accepts (RegisterTaskDefinition's table)."""
    for name, cell in config.cells.items():
        if not isinstance(cell.compute, EcsSettings):
            continue
        for index, service in enumerate(cell.compute.services):
            if service.cpu in FARGATE_TASK_SIZES and service.memory_mb not in FARGATE_TASK_SIZES[service.cpu]:
                yield (
                    f"{key_path('cells', name, 'compute', 'services', index, 'memory_mb')}: {service.memory_mb!r} "
                    f"is not a Fargate memory size for cpu {service.cpu}; allowed with cpu {service.cpu}: "
                    f"{fargate_memory_allowed(service.cpu)}"
                )


def derived_names(cell_name: str, cell: CellConfig, environment: Environment) -> list[DerivedName]:
    """The logical names of the auto-named resources cell ``cell_name`` registers (:data:`AUTONAMED`)."""
    compute = cell.compute
    services = (
        [(service.name, service.shifts_traffic) for service in compute.services]
        if isinstance(compute, EcsSettings)
        else [(service.name, False) for service in compute.services]
    )
    concerns = [database.concern.value for database in cell.concerns]
    return cell_autonamed(
        cell_name,
        has_dr=cell.dr_region is not None,
        compute=compute.kind,
        services=services,
        concerns=concerns,
        gitops=isinstance(compute, EksSettings) and compute.gitops is not None,
        queues=[queue.name for queue in cell.queues],
        buckets=[bucket.name for bucket in cell.buckets],
        migrations=list(compute.migrations.plans(concerns, compute.services))
        if isinstance(compute, EcsSettings)
        else [],
        dr_cache=cell.redis.dr_nodes > 0,
        rehearsals=rehearsals(
            cell.drills, environment, has_dr=cell.dr_region is not None, has_databases=bool(cell.concerns)
        ),
    )


def _longest_allowed(value: str, names: Sequence[DerivedName]) -> tuple[int, DerivedName]:
    """The longest ``value`` every name in ``names`` still fits with, and the name that binds it."""

    def room(name: DerivedName) -> int:
        limit = NAME_LIMITS[name.type_token]
        suffix = AUTONAME_SUFFIX_LENGTH if limit.autonamed else 0
        return limit.max_length - suffix - (len(name.logical) - len(value))

    binding = min(names, key=room)
    return room(binding), binding


def physical_name_lengths(config: StackConfig) -> Iterator[str]:
    """Cell and service names leave every auto-named physical name within AWS's limit, Pulumi's suffix included."""
    for cell_name, cell in config.cells.items():
        names = [name for name in derived_names(cell_name, cell, config.environment) if name.type_token in NAME_LIMITS]
        # The cell's name is judged on the names only it shapes; a service's on the names it shapes with the cell's.
        cell_only = [name for name in names if name.service is None]
        by_key: dict[str, tuple[str, list[DerivedName]]] = {key_path("cells", cell_name): (cell_name, cell_only)}
        if isinstance(cell.compute, EcsSettings):
            for index, service in enumerate(cell.compute.services):
                mine = [name for name in names if name.service == service.name]
                if mine:
                    by_key[key_path("cells", cell_name, "compute", "services", index, "name")] = (service.name, mine)
        for where, (value, derived) in by_key.items():
            if not derived:
                continue
            longest, binding = _longest_allowed(value, derived)
            if len(value) <= longest:
                continue
            limit = NAME_LIMITS[binding.type_token]
            total = len(binding.logical) + (AUTONAME_SUFFIX_LENGTH if limit.autonamed else 0)
            what = "cell name" if where.count(".") == 1 else "service name"
            allowed_text = (
                f"a {what} of at most {longest} characters"
                if longest > 0
                else f"a shorter cell name first ({cell_name!r} leaves no room for a service name)"
            )
            yield (
                f"{where}: {what} {value!r} ({len(value)} characters) makes the {_WHAT[binding.type_token]} name "
                f"{binding.logical!r} {total} characters with Pulumi's {AUTONAME_SUFFIX_LENGTH}-character suffix, "
                f"over AWS's {limit.max_length} for {binding.type_token}; allowed: {allowed_text}"
            )
            if what == "cell name":
                break  # the services' names are judged once the cell's name fits


def _dns_problems(where: str, hostname: str) -> Iterator[str]:
    long_labels = [label for label in hostname.split(".") if len(label) > DNS_LABEL_MAX.value]
    if long_labels:
        yield (
            f"{where}: {hostname!r} has a {len(long_labels[0])}-character label {long_labels[0][:20] + '...'!r}; "
            f"allowed: labels of at most {DNS_LABEL_MAX.value} characters"
        )
    if len(hostname) > DNS_NAME_MAX.value:
        yield f"{where}: {hostname!r} is {len(hostname)} characters; allowed: at most {DNS_NAME_MAX.value}"


def dns_names(config: StackConfig) -> Iterator[str]:
    """Hostnames fit DNS (labels of 63, names of 253) and the certificate's domain name fits ACM's 64."""
    if config.zones is not None:
        for index, zone in enumerate(config.zones.zone_names):
            where = "zones.zone_name" if index == 0 else key_path("zones", "subzones", index - 1)
            yield from _dns_problems(where, zone)
    for cell_name, cell in config.cells.items():
        for index, entity in enumerate(cell.entities):
            where = key_path("cells", cell_name, "entities", index, "hostname")
            yield from _dns_problems(where, entity.hostname)
        first = cell.entities[0].hostname
        if cell.edge.certificate_arn is None and len(first) > ACM_DOMAIN_NAME_MAX.value:
            yield (
                f"{key_path('cells', cell_name, 'entities', 0, 'hostname')}: {first!r} ({len(first)} characters) is "
                f"the certificate's domain name, which ACM limits to {ACM_DOMAIN_NAME_MAX.value}; allowed: a first "
                f"entity hostname of at most {ACM_DOMAIN_NAME_MAX.value} characters (the others go in the "
                "certificate's alternative names), or an existing certificate in edge.certificate_arn"
            )


def _tag_value_problem(where: str, value: str) -> str | None:
    if len(value) > TAG_RULES.value_max:
        return f"{where}: {value[:20] + '...'!r} is {len(value)} characters; allowed: at most {TAG_RULES.value_max}"
    if not re.fullmatch(TAG_RULES.pattern, value):
        bad = sorted({char for char in value if not re.fullmatch(TAG_RULES.pattern, char)})
        return (
            f"{where}: {value!r} has characters AWS refuses in a tag value ({' '.join(map(repr, bad))}); "
            "allowed: letters, digits, spaces and _ . : / = + - @"
        )
    if value.lower().startswith(TAG_RULES.reserved_prefix):
        reserved = TAG_RULES.reserved_prefix
        return f"{where}: {value!r} starts with {reserved!r}, which AWS reserves; allowed: any other prefix"
    return None


def tag_values(config: StackConfig) -> Iterator[str]:
    """Tag values from config (owner, cost center, compliance scope, jurisdiction codes) are ones AWS accepts."""
    values = {f"tags.{key}": str(value) for key, value in config.tags.model_dump().items()}
    values.update({f"jurisdictions.{code}": code for code in config.jurisdictions})
    for where, value in values.items():
        problem = _tag_value_problem(where, value)
        if problem:
            yield problem


def alarm_emails(config: StackConfig) -> Iterator[str]:
    """Alarm e-mail endpoints are e-mail addresses (SNS refuses the subscription otherwise)."""
    for cell_name, cell in config.cells.items():
        lists: dict[tuple[str, ...], tuple[str, ...]] = {("alarms",): cell.alarms.email_endpoints}
        lists.update(
            {("alarms", "subscriptions", tier): own.email_endpoints for tier, own in cell.alarms.subscriptions.items()}
        )
        for parts, addresses in lists.items():
            for index, address in enumerate(addresses):
                if not _EMAIL.match(address):
                    yield (
                        f"{key_path('cells', cell_name, *parts, 'email_endpoints', index)}: {address!r} is not an "
                        "e-mail address; allowed: name@domain, e.g. oncall@example.com"
                    )


def alarm_https_endpoints(config: StackConfig) -> Iterator[str]:
    """Alarm HTTPS endpoints are https:// URLs with a host (SNS delivers to http:// too, in plain text).

    The value is never printed (it embeds an integration key). A ``secure:`` value the gate cannot decrypt reads
    as :data:`~fintech_infra.config_secrets.OFFLINE_SECRET_PLACEHOLDER`: it is judged when the program runs with
    the decrypted value."""
    for cell_name, cell in config.cells.items():
        for tier, own in cell.alarms.subscriptions.items():
            for index, url in enumerate(own.https_endpoints):
                if url.startswith(OFFLINE_SECRET_PLACEHOLDER) or _HTTPS_URL.match(url):
                    continue
                yield (
                    f"{key_path('cells', cell_name, 'alarms', 'subscriptions', tier, 'https_endpoints', index)}: "
                    f"{HIDDEN} is not an https:// URL; allowed: an https://host/path URL such as the CloudWatch "
                    "integration URL PagerDuty or Opsgenie gives, set with `pulumi config set --secret --path`"
                )


def certificate_arns(config: StackConfig) -> Iterator[str]:
    """An existing certificate is in the cell's primary region and the deploy account (an ALB uses only those)."""
    for cell_name, cell in config.cells.items():
        arn = cell.edge.certificate_arn
        match = _ARN_REGION_ACCOUNT.match(arn or "")
        if arn is None or match is None:
            continue
        where = key_path("cells", cell_name, "edge", "certificate_arn")
        if match["region"] != cell.primary_region:
            yield (
                f"{where}: {arn!r} is in {match['region']}, but the cell's load balancer is in "
                f"{cell.primary_region}; allowed: an ACM certificate in {cell.primary_region}"
            )
        account = config.deployment.account_id if config.deployment is not None else None
        if account is not None and match["account"] != account:
            yield (
                f"{where}: {arn!r} is in account {match['account']}, not the deploy account {account}; "
                f"allowed: a certificate in account {account}"
            )


CHECKS: tuple[Check, ...] = (
    fargate_task_sizes,
    physical_name_lengths,
    dns_names,
    tag_values,
    alarm_emails,
    alarm_https_endpoints,
    certificate_arns,
)
"""Every AWS-limit check, in the order its problems are reported."""
