"""paths_failover.py: each concern can run from its DR region; DNS fails over to the DR load balancer.

Cell cases start from the real cell (:mod:`tests.policy.paths_fixture`: crm on replicated backups, trading on an
Aurora global database, a warm standby pulling replicated images); routing cases from the real routing stack over
that cell. Each break is one issue 13 names: a DR manifest without a writer or pointing at the primary region, a
DR copy under the primary region's key, a standby image nobody replicates, an RTO the copies cannot meet, a
failover record pair that does not fail over.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import Edit, cell, cell_preview, edit, named, routing, without

POLICY = "failover-paths-complete"
MANIFEST = "eu-dr-routing-ssm-cysec-cy"


def manifest(change: Callable[[dict[str, Any]], None]) -> Edit:
    """An edit of the DR routing manifest's document (the SSM parameter's JSON value)."""

    def apply(parameter: R) -> None:
        document = json.loads(parameter.props["value"]["value"])
        change(document["databases"])
        parameter.props["value"]["value"] = json.dumps(document)

    return edit(MANIFEST, apply)


def primary_secret(databases: dict[str, Any]) -> None:
    databases["trading"]["secret_arn"] = databases["trading"]["secret_arn"].replace("eu-west-1", "eu-central-1")


def no_writer(databases: dict[str, Any]) -> None:
    databases["trading"]["writer"] = None


def primary_key(resources: list[R]) -> list[R]:
    copy, key = named(resources, "eu-trading-dr-cluster"), named(resources, "eu-keys-trading-key", t.KMS_KEY)
    copy.props["kmsKeyId"], copy.deps["kmsKeyId"] = key.props["arn"], [key.urn]
    return resources


def primary_image(task: R) -> None:
    containers = json.loads(task.props["containerDefinitions"])
    containers[0]["image"] = containers[0]["image"].replace(".eu-west-1.", ".eu-central-1.")
    task.props["containerDefinitions"] = json.dumps(containers)


def record(resources: list[R], role: str) -> R:
    return next(r for r in resources if r.type == t.ROUTE53_RECORD and r.name == f"routing-cysec-cy-{role}")


def secondary_to_primary(resources: list[R]) -> list[R]:
    record(resources, "secondary").props["aliases"] = record(resources, "primary").props["aliases"]
    return resources


def unchecked(resources: list[R]) -> list[R]:
    primary = record(resources, "primary")
    primary.props.pop("healthCheckId")
    primary.deps.pop("healthCheckId", None)
    return resources


def check_on_dr(resources: list[R]) -> list[R]:
    check = named(resources, "routing-cysec-cy-health")
    check.props["fqdn"] = record(resources, "secondary").props["aliases"][0]["name"]
    return resources


def case(
    title: str, expect: str, change: Edit | None = None, *, preview: bool = False, dns: bool = False, **config: Any
) -> Case:
    resources = routing() if dns else cell_preview() if preview else cell()
    changed = change(resources) if change else resources
    return Case(title, expect, changed, config=config, unknown=preview)  # type: ignore[arg-type]


TIGHT_CRM: dict[str, Any] = {"objectives": {"crm": {"rpoSeconds": 900, "rtoSeconds": 120, "scope": "region"}}}

CASES = {
    POLICY: [
        case("the real cell: every concern, and the standby, can run from eu-west-1", "pass"),
        case("the real routing stack: PRIMARY checked, SECONDARY to the DR load balancer", "pass", dns=True),
        case("the DR manifest points trading's secret at the primary region", "fail", manifest(primary_secret)),
        case("the DR manifest names no writer for trading", "fail", manifest(no_writer)),
        case("crm's declared RTO of two minutes, which promoting its replica cannot meet", "fail", **TIGHT_CRM),
        case("the DR copy under the primary region's key", "fail", primary_key),
        case(
            "the standby pulls its image from the primary region's registry",
            "fail",
            edit("eu-dr-api-task", primary_image),
        ),
        case("nothing replicates the image to the DR registry", "fail", without("eu-ecr-replication")),
        case("the SECONDARY record points at the primary load balancer", "fail", secondary_to_primary, dns=True),
        case("the PRIMARY record has no health check", "fail", unchecked, dns=True),
        case("the health check watches the DR load balancer", "fail", check_on_dr, dns=True),
        case("no SECONDARY record", "fail", without("routing-cysec-cy-secondary"), dns=True),
        case("at a first preview: the DR manifests are unknown", "pending", preview=True),
        case("at a first preview, a DR copy under the primary key is known already", "fail", primary_key, preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit | None = None, *, dns: bool = False, **config: Any) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change, dns=dns, **config))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(POLICY))


def test_each_break_names_the_link() -> None:
    assert messages(manifest(primary_secret)) == [
        f"DR manifest {MANIFEST} points trading's secret at eu-central-1: unreadable with eu-central-1 down"
    ]
    assert messages(manifest(no_writer)) == [
        f"DR manifest {MANIFEST} names no writer for trading, although eu-trading-dr-cluster can be promoted in "
        "eu-west-1"
    ]
    assert messages(**TIGHT_CRM) == [
        "crm: the declared RTO of 120 s cannot be met in eu-west-1: the fastest copy, eu-crm-dr-replica "
        "(cross-region-read-replica), takes 300 s"
    ]
    image = messages(edit("eu-dr-api-task", primary_image))
    assert image == ["eu-dr-api-task in eu-west-1 pulls its image from the registry of eu-central-1"]
    assert messages(without("eu-ecr-replication")) == [
        "nothing replicates fintech-api to eu-west-1: the standby's image is never there"
    ]
    (secondary,) = messages(secondary_to_primary, dns=True)
    assert secondary.startswith("api.cy.fintech.example.com: the SECONDARY record points at eu-edge-alb-")
    assert secondary.endswith(
        "in eu-central-1, not at a load balancer of another region than the primary's (eu-central-1)"
    )
    assert messages(unchecked, dns=True) == [
        "api.cy.fintech.example.com: the PRIMARY record has no health check, so Route 53 always considers it healthy "
        "and never fails over"
    ]


def test_a_proved_failover_names_copy_key_writer_secret_and_rto() -> None:
    (reason,) = run_case(POLICY, case("proved", "pass")).reasons(POLICY)
    trading = next(part for part in reason.split("; ") if '"subject":"trading failover"' in part)
    for link in (
        "aurora-global-database eu-trading-dr-cluster",
        "key eu-dr-keys-trading-key",
        '"writer eu-trading-dr-cluster-',
        '"secret eu-trading-master-secret-',
        "RTO 60 s <= 900 s declared",
    ):
        assert link in trading, link
