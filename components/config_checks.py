"""The rules of a stack config that span keys: regions and residency, networks, names that become URNs,
references between keys, production relaxations and recovery objectives.

Each check takes the typed :class:`~fintech_infra.config.StackConfig` (defaults resolved) and yields
problems, one line each, naming the key path, the value and what is allowed. :data:`CHECKS` is the list
the validation pass (:mod:`fintech_infra.validation`) runs, all of them, before any resource is
registered; AWS's own limits are in :mod:`fintech_infra.config_limits`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from fintech_infra import versions
from fintech_infra._config_base import DataConcern
from fintech_infra.chatbot_config import slack_region_problems
from fintech_infra.config import CellConfig, EcsSettings, EksSettings, StackConfig
from fintech_infra.dr_steps import cell_shape, computed_rto
from fintech_infra.eks_config import EksWorkloads, eks_problems
from fintech_infra.errors import ConfigError, ResidencyError, allowed, key_path
from fintech_infra.images import image_problems
from fintech_infra.maintenance import MaintenanceSettings, resolve_windows, window_problems
from fintech_infra.recovery import lag_alarm_seconds, plan_recovery
from fintech_infra.residency import dr_vpc_settings, effective_jurisdiction, region_problems
from fintech_infra.runbook_steps import failover_steps

__all__ = ["CHECKS", "Check", "Problem"]


class Problem(str):
    """A problem line; ``residency`` marks a region outside what a jurisdiction permits."""

    residency: bool = False

    @classmethod
    def of(cls, error: ConfigError) -> Problem:
        problem = cls(str(error))
        problem.residency = isinstance(error, ResidencyError)
        return problem


Check = Callable[[StackConfig], Iterator[str]]


def _cells(config: StackConfig) -> Iterator[tuple[str, str, CellConfig]]:
    for name, cell in config.cells.items():
        yield name, key_path("cells", name), cell


def jurisdictions_and_regions(config: StackConfig) -> Iterator[str]:
    """Every cell's jurisdiction is known and its regions, DR network and zones are ones it permits."""
    try:
        registry = config.registry
    except ConfigError as error:
        yield Problem.of(error)
        return
    for name, _, cell in _cells(config):
        try:
            rules = effective_jurisdiction(name, cell, registry)
        except ConfigError as error:
            yield Problem.of(error)
            continue
        for problem in region_problems(name, cell, rules):
            yield Problem.of(problem)


def networks_apart(config: StackConfig) -> Iterator[str]:
    """A cell's DR network does not overlap its primary network (the two are peered and routed)."""
    for name, at, cell in _cells(config):
        if cell.dr_region is None or cell.dr_vpc is None:
            continue
        primary, dr = cell.vpc.cidr, cell.dr_vpc.cidr
        if primary.overlaps(dr):
            try:
                suggestion = f", e.g. {dr_vpc_settings(name, cell.model_copy(update={'dr_vpc': None})).cidr}"
            except ConfigError:
                suggestion = ""
            what = "is" if primary == dr else "overlaps"
            yield (
                f"{at}.dr_vpc.cidr: {str(dr)!r} {what} vpc.cidr {str(primary)!r}; the primary and DR networks are "
                f"peered, so their ranges must be apart; allowed: a private range outside {primary}{suggestion}"
            )


def names_unique(config: StackConfig) -> Iterator[str]:
    """Names that become URNs or AWS names are unique: entities, services, and cells against DR prefixes."""
    for _, at, cell in _cells(config):
        entity_names = [entity.name for entity in cell.entities]
        for index, name in enumerate(entity_names):
            if name in entity_names[:index]:
                first = entity_names.index(name)
                yield f"{at}.entities[{index}].name: {name!r} is listed twice (first at entities[{first}])"
        # Repeated service names are refused by EcsSettings itself, with the same key path.
    for name, at, _ in _cells(config):
        base = name.removesuffix("-dr")
        if base != name and base in config.cells and config.cells[base].dr_region is not None:
            yield (
                f"{at}: cell name {name!r} is the prefix cell {base!r} gives its DR-region resources, so both "
                f"would register the same resource names; allowed: a cell name not ending in '-dr'"
            )
    hostnames: dict[str, str] = {}
    for name, _, cell in _cells(config):
        for index, entity in enumerate(cell.entities):
            named = {"hostname": entity.hostname} | {f"hostnames.{role}": h for role, h in entity.hostnames.items()}
            for key, hostname in named.items():
                where = key_path("cells", name, "entities", index, key)
                if hostname in hostnames:
                    yield f"{where}: {hostname!r} is already used at {hostnames[hostname]}"
                hostnames.setdefault(hostname, where)


def concerns_referenced(config: StackConfig) -> Iterator[str]:
    """Each concern has one database; services and namespaces reach only concerns the cell has, once each."""
    for _, at, cell in _cells(config):
        first: dict[DataConcern, int] = {}
        for index, database in enumerate(cell.concerns):
            if database.concern in first:
                yield (
                    f"{at}.concerns[{index}].concern: {database.concern.value!r} is listed twice "
                    f"(first at concerns[{first[database.concern]}]); each concern gets its own database"
                )
            first.setdefault(database.concern, index)
        present = sorted(concern.value for concern in first)
        users: dict[str, tuple[DataConcern, ...]] = {}
        if isinstance(cell.compute, EcsSettings):
            users = {f"compute.services[{i}].concerns": s.concerns for i, s in enumerate(cell.compute.services)}
        elif isinstance(cell.compute, EksSettings):
            users = {f"compute.namespaces.{ns}": concerns for ns, concerns in cell.compute.namespaces.items()}
        for where, concerns in users.items():
            for index, concern in enumerate(concerns):
                if concern in concerns[:index]:
                    yield f"{at}.{where}[{index}]: {concern.value!r} is listed twice; allowed: each concern once"
                elif concern not in first:
                    yield (
                        f"{at}.{where}[{index}]: {concern.value!r} has no database in this cell; "
                        f"{allowed(present)} (or add a concerns entry for it)"
                    )


def production_settings(config: StackConfig) -> Iterator[str]:
    """Production keeps Multi-AZ databases and one NAT gateway per AZ."""
    if config.environment != "prod":
        return
    for _, at, cell in _cells(config):
        for index, database in enumerate(cell.concerns):
            if not database.multi_az:
                yield f"{at}.concerns[{index}].multi_az: False is not allowed in prod; allowed: True"
        if cell.vpc.nat_gateways == "single":
            yield f"{at}.vpc.nat_gateways: 'single' is not allowed in prod; allowed: one_per_az"


def recovery_objectives(config: StackConfig) -> Iterator[str]:
    """Every concern's objectives are met by a mechanism its configuration runs (as FinancialDatabase plans)."""
    for _, at, cell in _cells(config):
        for index, database in enumerate(cell.concerns):
            try:
                plan_recovery(
                    database.objectives,
                    engine=database.engine,
                    multi_az=database.multi_az,
                    has_dr=cell.dr_region is not None,
                    dr_read_replica=bool(database.dr_read_replica),
                    path=key_path(at, "concerns", index),
                    dr_path=f"{at}.dr_region",
                    replica_lag_alarm_seconds=lag_alarm_seconds(database.objectives, cell.alarms.replica_lag_seconds),
                )
            except ConfigError as error:
                yield str(error)


def runbook_rto(config: StackConfig) -> Iterator[str]:
    """Each region-scoped RTO is at least what the failover runbook's steps add up to (fintech_infra.dr_steps)."""
    for name, at, cell in _cells(config):
        shape = cell_shape(name, cell)
        if shape is None:
            continue
        computed = computed_rto(failover_steps(shape))
        for index, database in enumerate(cell.concerns):
            objectives, concern = database.objectives, database.concern.value
            if objectives is None or objectives.scope != "region" or concern not in computed:
                continue
            if computed[concern] > objectives.rto_seconds:
                yield (
                    f"{key_path(at, 'concerns', index)}.objectives.rto_seconds: {objectives.rto_seconds!r} cannot be "
                    f"met by the failover runbook's steps (computed {computed[concern]} s for {concern}, docs/dr.md); "
                    f"allowed: at least {computed[concern]}, or a faster DR mechanism (engine: aurora, or "
                    "dr_read_replica: true)"
                )
        if config.environment == "prod" and cell.redis.dr_nodes == 0:
            yield f"{at}.redis.dr_nodes: 0 is not allowed in prod (no cache in the DR region); allowed: 1 to 6"


def aurora_global_versions(config: StackConfig) -> Iterator[str]:
    """An Aurora concern with a DR region (a global database) has a full version the global cluster can take."""
    for _, at, cell in _cells(config):
        if cell.dr_region is None:
            continue
        for index, database in enumerate(cell.concerns):
            problem = versions.aurora_global_version_problem(database.engine_version)
            if database.engine == "aurora" and problem:
                yield f"{at}.concerns[{index}].engine_version: {database.engine_version!r} {problem}"


def maintenance_windows(config: StackConfig) -> Iterator[str]:
    """Backup, snapshot and maintenance windows are well formed, long enough and apart, in each region."""
    for _, at, cell in _cells(config):
        for key, settings, region in (
            ("maintenance", cell.maintenance, cell.primary_region),
            ("dr_maintenance", cell.dr_maintenance, cell.dr_region),
        ):
            if region is not None:
                yield from (f"{at}.{key}: {p}" for p in window_problems(resolve_windows(settings, region)))
            elif settings != MaintenanceSettings():
                yield f"{at}.{key}: is set without a dr_region; allowed: a dr_region, or remove it"


def replicable_images(config: StackConfig) -> Iterator[str]:
    """A cell with a DR region pulls its standby's images from the DR registry that ECR replication fills."""
    account = config.deployment.account_id if config.deployment is not None else None
    for _, at, cell in _cells(config):
        if cell.dr_region is None:
            continue
        for parts, image in _image_paths(cell.compute):
            path = key_path(at, "compute", *parts)
            yield from image_problems(path, image, primary_region=cell.primary_region, account_id=account)


def _image_paths(compute: EcsSettings | EksSettings) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every image the compute tier pulls (:func:`service_images`) with the key path under ``compute`` naming it."""
    if isinstance(compute, EcsSettings):
        for index, service in enumerate(compute.services):
            yield ("services", index, "image"), service.image
            if service.tracing is not None:
                yield ("services", index, "tracing", "collector_image"), service.tracing.collector_image
        return
    for index, eks_service in enumerate(compute.services):
        yield ("services", index, "image"), eks_service.image
    if compute.tracing is not None:
        yield ("tracing", "collector_image"), compute.tracing.collector_image


def eks_services(config: StackConfig) -> Iterator[str]:
    """EKS services: a namespace for each concern, images by digest outside dev, Argo CD's repository with them."""
    yield from eks_problems(
        [
            (
                name,
                EksWorkloads(
                    namespaces=cell.compute.namespaces, services=cell.compute.services, gitops=cell.compute.gitops
                ),
                [database.concern.value for database in cell.concerns],
            )
            for name, cell in config.cells.items()
            if isinstance(cell.compute, EksSettings)
        ],
        environment=config.environment,
        deploy_role_arn=config.deployment.deploy_role_arn if config.deployment else None,
    )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
PINNED_ENVIRONMENTS = ("staging", "prod")
"""Where a tag is not enough: what runs must be exactly the image the pipeline scanned and the gate saw."""


def pinned_images(config: StackConfig) -> Iterator[str]:
    """In staging and prod every service image is pinned by digest (a tag can be moved to other bytes)."""
    if config.environment not in PINNED_ENVIRONMENTS:
        return
    for _, at, cell in _cells(config):
        if isinstance(cell.compute, EksSettings) and cell.compute.tracing is not None:
            image = cell.compute.tracing.collector_image  # the services' own images: eks_services
            if not _DIGEST.search(image):
                yield (
                    f"{key_path(at, 'compute', 'tracing', 'collector_image')}: {image!r} is not pinned by digest; "
                    f"allowed in {config.environment}: <registry>/<repository>@sha256:<64 hex digits>"
                )
        if not isinstance(cell.compute, EcsSettings):
            continue
        for index, service in enumerate(cell.compute.services):
            if not _DIGEST.search(service.image):
                yield (
                    f"{key_path(at, 'compute', 'services', index, 'image')}: {service.image!r} is not pinned by "
                    f"digest; allowed in {config.environment}: <registry>/<repository>@sha256:<64 hex digits> (the "
                    "digest the image scan passed; a tag can later name other bytes)"
                )


def slack_channels(config: StackConfig) -> Iterator[str]:
    """A cell with a Slack channel can reach AWS Chatbot's API from a region it permits, from every region it has."""
    for name, at, cell in _cells(config):
        tiers = [tier for tier, own in cell.alarms.subscriptions.items() if own.slack is not None]
        if not tiers:
            continue
        try:
            rules = effective_jurisdiction(name, cell, config.registry)
        except ConfigError:
            continue  # jurisdictions_and_regions reports it
        regions = [cell.primary_region, *([cell.dr_region] if cell.dr_region else [])]
        yield from slack_region_problems(
            key_path(at, "alarms", "subscriptions"), tiers, regions, sorted(rules.permitted_regions)
        )


CHECKS: tuple[Check, ...] = (
    jurisdictions_and_regions,
    networks_apart,
    names_unique,
    concerns_referenced,
    production_settings,
    recovery_objectives,
    runbook_rto,
    aurora_global_versions,
    maintenance_windows,
    replicable_images,
    pinned_images,
    eks_services,
    slack_channels,
)
"""Every cross-key rule, in the order its problems are reported."""
