"""An Analyze call costs the guardrails of the resource's own type, not the size of the pack.

With the pack's speed-ups installed (:mod:`fintech_guardrails.speedups`, what ``policy/__main__.py`` runs), the
servicer builds a request's properties once and visits only the policies indexed under the resource's type
(:func:`fintech_guardrails.registry.type_set`) plus those with open type tests and the stack policies, so for a
guardrail of another type neither its rule, nor the registry's wrapper, nor even its enforcement-level lookup
runs. These tests add up to 500 guardrails for a type the resource is not and count what runs per Analyze.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pulumi.runtime import proto
from pulumi_policy import policy as sdk

from fintech_guardrails import PACK_NAME, speedups, speedups_servicer
from fintech_guardrails.catalog import guardrails
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.registry import REGISTRY, Guardrail
from tests.policy.harness import BASE_CONFIG, struct

RDS = "aws:rds/instance:Instance"
OTHER = "aws:sqs/queue:Queue"


@pytest.fixture(autouse=True)
def speedups_installed() -> Iterator[None]:
    was = speedups.installed()
    assert speedups.install()
    yield
    if not was:
        speedups.uninstall()


def _dummies(count: int, calls: list[str]) -> list[Guardrail]:
    """``count`` resource guardrails for another type, each recording when its rule runs."""

    def check(resource: Resource, out: Findings) -> None:
        calls.append(resource.type)

    template = REGISTRY["rds-multi-az"]
    return [replace(template, name=f"dummy-{index}", types=(OTHER,), check=check) for index in range(count)]


def _servicer(policies: list[Any]) -> Any:
    service = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.1.0", policies, sdk.EnforcementLevel.MANDATORY)
    request = proto.ConfigureAnalyzerRequest()
    for policy in policies:
        config = proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=struct(BASE_CONFIG))
        request.policyConfig[policy.name].CopyFrom(config)
    service.Configure(request, None)
    return service


def _analyze_counting(service: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"props": 0, "validate": 0, "visited": 0}
    props, validate = speedups_servicer._props, speedups_servicer._validate
    level = service._get_enforcement_level

    def counting_level(policy: Any) -> Any:
        counts["visited"] += 1
        return level(policy)

    def counting_props(*args: Any) -> Any:
        counts["props"] += 1
        return props(*args)

    def counting_validate(*args: Any) -> Any:
        counts["validate"] += 1
        return validate(*args)

    monkeypatch.setattr(speedups_servicer, "_props", counting_props)
    monkeypatch.setattr(speedups_servicer, "_validate", counting_validate)
    monkeypatch.setattr(service, "_get_enforcement_level", counting_level)
    request = proto.AnalyzeRequest(type=RDS, properties=struct({"engine": "postgres"}), urn="urn:db", name="db")
    service.Analyze(request, None)
    return counts


@pytest.mark.parametrize("extra", [0, 50, 500])
def test_guardrails_for_other_types_add_no_validation_per_resource(extra: int, monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    pack = [guardrail.policy() for guardrail in guardrails()]
    dummies = [guardrail.policy() for guardrail in _dummies(extra, calls)]
    counts = _analyze_counting(_servicer(pack + dummies), monkeypatch)
    for_rds = sum(1 for g in guardrails() if g.kind == "resource" and g.applies(RDS))
    # Visited: the RDS guardrails, those over an open set of types, and the stack policies (skipped by kind).
    visited = sum(1 for g in guardrails() if g.kind == "stack" or g.applies_to is not None or RDS in g.types)
    assert counts == {"props": 1, "validate": for_rds, "visited": visited}
    assert calls == [], "no rule of another type ran"


def test_the_same_guardrails_do_run_for_their_own_type(monkeypatch: pytest.MonkeyPatch):
    """The counting above can fail: the dummies validate (and their rules run) for the type they name."""
    calls: list[str] = []
    service = _servicer([guardrail.policy() for guardrail in _dummies(5, calls)])
    request = proto.AnalyzeRequest(type=OTHER, properties=struct({}), urn="urn:q", name="q")
    service.Analyze(request, None)
    assert calls == [OTHER] * 5
