"""The per-account pre-flight checklist of docs/deployment.md, generated from the stack files and the AWS facts.

Some facts the stacks rely on cannot be settled offline: whether a region is enabled in the account, whether an
instance class or engine version is offered there, whether a service-linked role exists, whether an image was
replicated. :mod:`fintech_infra.aws_facts` marks each of them ``offline=False`` with the AWS CLI command that
checks it (``Source.verify``, with ``<placeholders>``). This module reads every stack file, in deploy order, and
writes for each account the checks its stack needs with the placeholders filled in (regions, classes, versions,
repositories, roles). Account-only facts no stack-specific check uses are listed once, generically, so no fact
marked ``offline=False`` is ever left out (a test checks it, and that the section in docs/deployment.md is
current).

``python -m fintech_infra_gate.preflight docs/deployment.md --write`` rewrites the section between
``<!-- BEGIN PREFLIGHT -->`` and ``<!-- END PREFLIGHT -->``; ``--check`` exits 1 when it is stale (``make docs``
runs the former).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from fintech_infra import (
    alert_tiers,
    alert_topics,
    attribution,
    bucket_replication,
    chatbot_config,
    dr_steps,
    eks_tracing,
    hardening_decisions,
    hardening_facts,
    migration_facts,
    rollout_facts,
    tracing,
)
from fintech_infra import aws_facts as facts
from fintech_infra.aws_facts import Source
from fintech_infra.config import CellConfig, EcsSettings, EksSettings
from fintech_infra.dns_zones import writer_role_name
from fintech_infra.images import parse_ecr_image
from fintech_infra_gate.docs import rewrite
from fintech_infra_gate.order import dependency_levels
from fintech_infra_gate.stackfiles import Project, StackFile, load_project

__all__ = ["Check", "account_only_sources", "main", "render_checklist", "stack_checks"]

REPO_ROOT = Path(__file__).resolve().parent.parent
MARKER = "PREFLIGHT"


@dataclass(frozen=True)
class Check:
    """One thing to confirm in an account before the stack's first ``pulumi up``."""

    what: str
    command: str
    source: Source


def _fill(source: Source, *, region: str | None = None, **values: str) -> str:
    """``source.verify`` with its ``<placeholders>`` filled; ``--region`` appended where it names none."""
    command = source.verify
    for name, value in values.items():
        command = command.replace(f"<{name.replace('_', '-')}>", value)
    if region is not None:
        command = command.replace("<region>", region)
        head, sep, comment = command.partition("   #")
        if "--region" not in head and head.startswith("aws "):
            command = f"{head} --region {region}{sep}{comment}"
    return command


FACT_MODULES: tuple[ModuleType, ...] = (
    facts,
    attribution,
    hardening_facts,
    hardening_decisions,
    rollout_facts,
    alert_tiers,
    alert_topics,
    tracing,
    bucket_replication,
    migration_facts,
    chatbot_config,
    eks_tracing,
    dr_steps,
)
"""The library's modules of sourced AWS facts (each lists its facts in ``__all__``)."""


def account_only_sources() -> list[Source]:
    """Every source in the library's fact modules (:data:`FACT_MODULES`) that only an account can settle, once."""
    found: dict[int, Source] = {}

    def visit(value: Any) -> None:
        if isinstance(value, Source):
            if not value.offline:
                found.setdefault(id(value), value)
        elif isinstance(value, dict | tuple | list):
            for item in value.values() if isinstance(value, dict) else value:
                visit(item)
        elif hasattr(value, "source"):
            visit(value.source)

    for module in FACT_MODULES:
        for name in module.__all__:
            visit(getattr(module, name))
    return list(found.values())


def _regions(cell: CellConfig) -> list[str]:
    return [region for region in (cell.primary_region, cell.dr_region) if region]


def _cell_checks(cell_name: str, cell: CellConfig) -> Iterator[Check]:
    regions = _regions(cell)
    for region in regions:
        source = facts.ALB_RULES_PER_LOAD_BALANCER.source
        yield Check(
            f"ALB quotas in {region} (rules per load balancer, target groups)", _fill(source, region=region), source
        )
    # One check per engine version (or class) and region, naming the concerns that need it.
    versions: dict[tuple[str, str, str], list[str]] = {}
    classes: dict[tuple[str, str, str], list[str]] = {}
    for database in cell.concerns:
        engine = "postgres" if database.engine == "rds-instance" else "aurora-postgresql"
        for region in regions:
            if database.engine == "rds-instance" or cell.dr_region is not None:
                versions.setdefault((engine, database.engine_version, region), []).append(database.concern.value)
            classes.setdefault((engine, database.instance_class, region), []).append(database.concern.value)
    for (engine, version, region), concerns in versions.items():
        who = f"cell {cell_name} ({', '.join(concerns)})"
        if engine == "postgres":
            source = facts.POSTGRES_MINOR_SOURCE
            what = f"{who}: PostgreSQL {version} is among the versions RDS offers in {region}"
        else:
            source = facts.AURORA_GLOBAL_SOURCE
            what = f"{who}: the Aurora global cluster's version is offered in {region} and supports global databases"
        yield Check(what, _fill(source, region=region, engine_version=version.split(".")[0]), source)
    for (engine, instance_class, region), concerns in classes.items():
        source = facts.RDS_ORDERABLE_INSTANCE_CLASSES
        yield Check(
            f"cell {cell_name} ({', '.join(concerns)}): {instance_class} is offered for {engine} in {region}",
            _fill(source, region=region, engine=engine, instance_class=instance_class),
            source,
        )
    compute = cell.compute
    if isinstance(compute, EksSettings):
        calendar = facts.EKS_VERSIONS[next(iter(facts.EKS_VERSIONS))].source
        for region in regions:
            yield Check(
                f"cell {cell_name}: EKS {compute.version} is offered in {region}",
                _fill(calendar, region=region),
                calendar,
            )
            for instance_type in compute.node_instance_types:
                yield Check(
                    f"cell {cell_name}: {instance_type} nodes are offered in {region}",
                    _fill(facts.EC2_INSTANCE_TYPE_OFFERINGS, region=region, instance_type=instance_type),
                    facts.EC2_INSTANCE_TYPE_OFFERINGS,
                )
    if isinstance(compute, EcsSettings) and cell.dr_region is not None and compute.services:
        yield Check(
            f"cell {cell_name}: the {cell.primary_region} registry replicates to {cell.dr_region} before the images "
            "are pushed (only later pushes are copied; the stack then keeps the configuration)",
            _fill(facts.ECR_REPLICATION, region=cell.primary_region, primary_region=cell.primary_region),
            facts.ECR_REPLICATION,
        )
        for service in compute.services:
            image = parse_ecr_image(service.image)
            if image is None:
                continue
            digest = image.reference.partition("@")[2] or f"<digest of tag {image.reference.lstrip(':')}>"
            yield Check(
                f"cell {cell_name}: service {service.name}'s image is in the {cell.dr_region} registry",
                _fill(facts.ECR_IMAGE_IN_REGION, dr_region=cell.dr_region, repository=image.repository, digest=digest),
                facts.ECR_IMAGE_IN_REGION,
            )


def stack_checks(project: Project, stack: StackFile) -> list[Check]:
    """The account checks one stack's first ``pulumi up`` depends on, in a stable order."""
    config = stack.validated()
    checks: list[Check] = []
    regions = sorted({region for cell in config.cells.values() for region in _regions(cell)})
    for region in regions:
        checks.append(
            Check(
                f"Region {region} is enabled in the account",
                _fill(facts.REGION_OPT_IN, region=region),
                facts.REGION_OPT_IN,
            )
        )
    if any(cell.concerns for cell in config.cells.values()):
        calendar = facts.POSTGRES_VERSIONS[next(iter(facts.POSTGRES_VERSIONS))].source
        primary = sorted(cell.primary_region for cell in config.cells.values())[0]
        checks.append(
            Check("PostgreSQL majors' support dates (RDS calendar)", _fill(calendar, region=primary), calendar)
        )
    for cell_name, cell in config.cells.items():
        checks.extend(_cell_checks(cell_name, cell))
    if any(isinstance(cell.compute, EksSettings) for cell in config.cells.values()):
        source = facts.AUTOSCALING_SERVICE_LINKED_ROLE
        checks.append(
            Check(
                "The Auto Scaling service-linked role exists (the node volume key grant names it)",
                source.verify,
                source,
            )
        )
    if any(
        isinstance(cell.compute, EcsSettings) and cell.dr_region and cell.compute.services
        for cell in config.cells.values()
    ):
        source = facts.ECR_REPLICATION_SERVICE_LINKED_ROLE
        checks.append(
            Check(
                "ECR replication's service-linked role exists or the deploy role may create it", source.verify, source
            )
        )
    if config.dns is not None and config.cells:
        zones_stack = project.stack(project.stack_for_reference(config.dns.zones_stack, where="dns.zones_stack"))
        zones_account = zones_stack.validated().deployment
        account = zones_account.account_id if zones_account is not None else "<zones account>"
        role = f"arn:aws:iam::{account}:role/{writer_role_name(config.dns.writer or stack.name)}"
        source = facts.STS_ASSUME_WRITER_ROLE
        checks.append(
            Check(
                f"The deploy role may assume its validation writer role ({zones_stack.name} deployed first)",
                _fill(source, writer_role_arn=role),
                source,
            )
        )
    if config.zones is not None:
        source = facts.ROUTE53_ZONE_DELEGATION
        checks.append(
            Check(
                f"{config.zones.zone_name} is delegated to this stack's name servers (after its up, before the cells')",
                _fill(source, zone_name=config.zones.zone_name),
                source,
            )
        )
    return checks


def _item(check: Check) -> str:
    return f"- [ ] {check.what} ([source]({check.source.url})):\n  `{check.command}`"


def render_checklist(project: Project) -> str:
    """The generated section: per stack in deploy order, then the account-only facts no check above used."""
    names = [name for level in dependency_levels(project, project.stack_names()) for name in level]
    lines: list[str] = []
    used: set[int] = set()
    for name in names:
        stack = project.stack(name)
        config = stack.validated()
        account = config.deployment.account_id if config.deployment is not None else "the caller's account"
        checks = stack_checks(project, stack)
        used.update(id(check.source) for check in checks)
        lines.append(f"#### `{name}` (account {account})\n")
        lines.extend(_item(check) for check in checks)
        if not checks:
            lines.append("Nothing account-specific.")
        lines.append("")
    rest = [source for source in account_only_sources() if id(source) not in used]
    if rest:
        lines.append("#### Every account\n")
        lines.extend(f"- [ ] [{source.url}]({source.url}):\n  `{source.verify}`" for source in rest)
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the pre-flight checklist of docs/deployment.md.")
    parser.add_argument("document", nargs="?", default=str(REPO_ROOT / "docs" / "deployment.md"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the section in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if the section is stale")
    args = parser.parse_args(argv)
    path = Path(args.document)
    current = path.read_text()
    updated = rewrite(current, {MARKER: render_checklist(load_project(REPO_ROOT))})
    if args.check:
        if updated != current:
            print(f"{path} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if args.write:
        path.write_text(updated)
    else:
        sys.stdout.write(updated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
