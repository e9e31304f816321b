"""Real component output for the path guardrails' case tables: one cell, synthesized by the shipped program.

The cell is prod-eu's, smaller: two entities, primary eu-central-1 and DR eu-west-1, crm on an RDS instance
(automated-backups replication to the DR region) and trading on an Aurora global database, the cache, and one
blue/green ECS service behind the edge. :func:`cell` is what the program registers with known values (the gate's
default); :func:`cell_preview` the same at a first preview, where provider-computed values are unknown. Each case
starts from one of them, as the analyzer would see it in ``AnalyzeStack`` (outputs, parents, property
dependencies), and breaks it by hand (:class:`Edit`).
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from fintech_infra.testing import Recording, synthesize
from fintech_infra_gate.requests import to_struct
from tests.policy.harness import R
from tests.stacks.test_stacks import stack_config

ROOT = Path(__file__).resolve().parents[2]
IMAGE = (
    "333333333333.dkr.ecr.eu-central-1.amazonaws.com/fintech-api@sha256:"
    "5f0c6c8e0b8e4f0c9d2b7a1e3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
)
HOSTS = {"cysec-cy": "api.cy.fintech.example.com", "eu-nl": "api.eu.fintech.example.com"}

CELL: dict[str, Any] = {
    "jurisdiction": "cysec",
    "also_regulated_by": ["eu-gdpr"],
    "primary_region": "eu-central-1",
    "dr_region": "eu-west-1",
    "entities": [{"name": name, "legal_name": f"Example {name}", "hostname": host} for name, host in HOSTS.items()],
    "vpc": {"cidr": "10.30.0.0/16", "az_count": 2},
    "concerns": [
        {"concern": "crm", "instance_class": "db.r6g.large", "allocated_storage_gb": 100},
        {
            "concern": "trading",
            "engine": "aurora",
            "instance_class": "db.r6g.large",
            "aurora_instances": 2,
            "objectives": {"rpo_seconds": 30, "rto_seconds": 600},
        },
    ],
    "redis": {"node_type": "cache.r7g.large", "nodes": 2},
    "compute": {
        "kind": "ecs",
        "services": [
            {
                "name": "api",
                "image": IMAGE,
                "cpu": 512,
                "memory_mb": 1024,
                "min_tasks": 2,
                "max_tasks": 4,
                "concerns": ["crm", "trading"],
                "cache": True,
                "deployment": "blue_green",
            }
        ],
    },
    "alarms": {
        "email_endpoints": ["oncall@fintech.example.com"],
        # A secure: value in a stack file; the whole `cells` key is then secret (SECRET_KEYS).
        "subscriptions": {
            "critical": {"https_endpoints": ["https://events.pagerduty.com/integration/example/enqueue"]}
        },
    },
}
SECRET_KEYS = ("fintech-infra:cells",)


def config(cell: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "aws:region": "eu-central-1",
        "fintech-infra:environment": "prod",
        "fintech-infra:tags": {"owner": "platform", "cost_center": "cc-1"},
        "fintech-infra:deployment": {
            "account_id": "333333333333",
            "deploy_role_arn": "arn:aws:iam::333333333333:role/fintech-infra-deploy",
        },
        "fintech-infra:cells": {"eu": cell or CELL},
    }


def _program() -> None:
    runpy.run_path(str(ROOT / "stacks" / "__main__.py"))


@cache
def recording(preview: bool = False) -> Recording:
    return synthesize(_program, stack="paths", config=config(), preview=preview, secret_keys=SECRET_KEYS)


def resources(rec: Recording) -> list[R]:
    """The recording as ``AnalyzeStack`` sees it: outputs, parents and property dependencies (harness URNs)."""
    items = [r for r in rec.resources if not r.is_provider]
    urns = {r.urn: R(r.type, r.name).urn for r in items}
    found = []
    for r in items:
        deps = {prop: [urns[u] for u in targets if u in urns] for prop, targets in r.property_dependencies.items()}
        found.append(
            R(
                r.type,
                r.name,
                json_format.MessageToDict(to_struct(dict(r.outputs))),
                region=r.region,
                parent=urns.get(r.parent or ""),
                deps={prop: targets for prop, targets in deps.items() if targets},
            )
        )
    return found


def cell() -> list[R]:
    """The cell with known values (a fresh deep copy: cases edit it)."""
    return resources(recording())


def cell_preview() -> list[R]:
    """The cell at a first preview: every provider-computed value unknown."""
    return resources(recording(True))


Edit = Callable[[list[R]], list[R]]


def named(resources_: Iterable[R], name: str, type_: str | None = None) -> R:
    found = [r for r in resources_ if r.name == name and (type_ is None or r.type == type_)]
    assert len(found) == 1, f"{name}: {len(found)} resources"
    return found[0]


def edit(name: str, change: Callable[[R], None], type_: str | None = None) -> Edit:
    """An edit of one resource's properties (in place, on the copy a case gets)."""

    def apply(resources_: list[R]) -> list[R]:
        change(named(resources_, name, type_))
        return resources_

    return apply


def without(*names: str) -> Edit:
    def apply(resources_: list[R]) -> list[R]:
        return [r for r in resources_ if r.name not in names]

    return apply


def chain(*edits: Edit) -> Edit:
    def apply(resources_: list[R]) -> list[R]:
        for step in edits:
            resources_ = step(resources_)
        return resources_

    return apply


def _replace(value: Any, swaps: dict[str, str]) -> Any:
    text = json.dumps(value)
    for old, new in swaps.items():
        text = text.replace(old, new)
    return json.loads(text)


def clone(name: str, swaps: dict[str, str], type_: str | None = None) -> Edit:
    """Add a copy of one resource, every occurrence of each ``swaps`` key in its name, properties and dependencies
    replaced (``{"eu-edge-api": "eu-edge-web"}`` copies the api service's target group as the web service's)."""

    def apply(resources_: list[R]) -> list[R]:
        original = named(resources_, name, type_)
        copy_ = R(
            original.type,
            _replace(original.name, swaps),
            _replace(original.props, swaps),
            region=original.region,
            parent=original.parent,
            deps=_replace(original.deps, swaps),
        )
        return [*resources_, copy_]

    return apply


def add(*items: R) -> Edit:
    def apply(resources_: list[R]) -> list[R]:
        return [*resources_, *items]

    return apply


ORG = "organization/fintech-infra"


@cache
def routing_recording() -> Recording:
    """The shipped routing stack over the cell above (and the shipped zones stack): its failover records."""
    zones = synthesize(_program, stack="global", config=stack_config("global"))
    routing = stack_config("routing")
    routing["fintech-infra:routing"] = {**routing["fintech-infra:routing"], "cell_stacks": {"eu": f"{ORG}/paths"}}
    outputs = {f"{ORG}/global": dict(zones.exports), f"{ORG}/paths": dict(recording().exports)}
    return synthesize(_program, stack="routing", config=routing, stack_outputs=outputs)


def routing() -> list[R]:
    return resources(routing_recording())
