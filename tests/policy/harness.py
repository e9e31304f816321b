"""Drive the pack through the SDK's own analyzer servicer with real protobuf messages.

Each case goes over the same wire path the engine uses (``Configure``, ``Analyze``/``AnalyzeStack`` with
``google.protobuf.Struct`` properties), so the unknown-checking proxy, not-applicable reporting and
enforcement levels are the SDK's, not a re-implementation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

import fintech_guardrails.rules  # noqa: F401  (registers every guardrail)
from fintech_guardrails import PACK_NAME
from fintech_guardrails.catalog import policies
from fintech_guardrails.registry import REGISTRY

U = UNKNOWN_STRING_VALUE
"""An unknown value as the engine sends it during preview (any sentinel works for the pack)."""
UB = UNKNOWN_BOOLEAN_VALUE
UN = UNKNOWN_NUMBER_VALUE
TODAY = "2025-06-01"
BASE_CONFIG: dict[str, Any] = {"environment": "prod", "today": TODAY}
Outcome = Literal["pass", "fail", "pending"]


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::fintech-infra::{type_}::{name}"


@dataclass
class R:
    """One resource of a case: type, logical name, properties and the joins the engine would send."""

    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    region: str | None = "eu-central-1"
    parent: str | None = None
    deps: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    cluster: str | None = None
    """For a Kubernetes object: the API server of the cluster its provider's kubeconfig points at."""

    @property
    def urn(self) -> str:
        return urn(self.type, self.name)


@dataclass
class Case:
    title: str
    expect: Outcome
    resources: Sequence[R]
    config: Mapping[str, Any] = field(default_factory=dict)
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    unknown: bool = False
    """True for a case whose inputs hold values unknown during preview."""


@dataclass
class Result:
    diagnostics: list[Any]
    not_applicable: list[Any]

    def outcome(self, policy: str) -> Outcome:
        if any(d.policyName == policy for d in self.diagnostics):
            return "fail"
        if any(n.policy_name == policy and "pending:" in n.reason for n in self.not_applicable):
            return "pending"
        return "pass"

    def messages(self, policy: str) -> list[str]:
        return [d.message for d in self.diagnostics if d.policyName == policy]

    def reasons(self, policy: str) -> list[str]:
        return [n.reason for n in self.not_applicable if n.policy_name == policy]


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(value)), message)
    return message


@cache
def _policies() -> list[Any]:
    return policies()


def servicer(config: Mapping[str, Any] | None = None, names: Sequence[str] = ()) -> Any:
    """A servicer for the whole pack (or ``names``), configured like the engine would."""
    chosen = [p for p in _policies() if not names or p.name in names]
    service = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.1.0", chosen, sdk.EnforcementLevel.MANDATORY)
    request = proto.ConfigureAnalyzerRequest()
    for policy in chosen:
        # The engine always sends a level; a PolicyConfig without one would mean ADVISORY (proto default 0).
        level = proto.MANDATORY if policy.enforcement_level == sdk.EnforcementLevel.MANDATORY else proto.ADVISORY
        properties = struct({**BASE_CONFIG, **(config or {})})
        request.policyConfig[policy.name].CopyFrom(proto.PolicyConfig(enforcementLevel=level, properties=properties))
    service.Configure(request, None)
    return service


def _provider(region: str | None) -> proto.AnalyzerProviderResource:
    props = {"region": region} if region else {}
    return proto.AnalyzerProviderResource(
        type="pulumi:providers:aws", properties=struct(props), urn=urn("pulumi:providers:aws", "cell"), name="cell"
    )


def _kubernetes_provider(server: str) -> proto.AnalyzerProviderResource:
    kubeconfig = json.dumps({"clusters": [{"name": "c", "cluster": {"server": server}}]})
    return proto.AnalyzerProviderResource(
        type="pulumi:providers:kubernetes",
        properties=struct({"kubeconfig": kubeconfig}),
        urn=urn("pulumi:providers:kubernetes", server),
        name=server,
    )


def analyze(
    resource: R,
    *,
    config: Mapping[str, Any] | None = None,
    policy: str | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> Result:
    service = servicer(config, [policy] if policy else ())
    if stack_tags:
        service.ConfigureStack(proto.AnalyzerStackConfigureRequest(tags=dict(stack_tags)), None)
    request = proto.AnalyzeRequest(
        type=resource.type,
        properties=struct(resource.props),
        urn=resource.urn,
        name=resource.name,
        options=proto.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent or ""),
    )
    if resource.region is not None:
        request.provider.CopyFrom(_provider(resource.region))
    response = service.Analyze(request, None)
    return Result(list(response.diagnostics), list(response.not_applicable))


def analyze_stack(
    resources: Sequence[R],
    *,
    config: Mapping[str, Any] | None = None,
    policy: str | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> Result:
    service = servicer(config, [policy] if policy else ())
    if stack_tags:
        service.ConfigureStack(proto.AnalyzerStackConfigureRequest(tags=dict(stack_tags)), None)
    request = proto.AnalyzeStackRequest()
    for item in resources:
        entry = request.resources.add()
        entry.type = item.type
        entry.urn = item.urn
        entry.name = item.name
        entry.properties.CopyFrom(struct(item.props))
        entry.options.CopyFrom(proto.AnalyzerResourceOptions(protect=item.protect))
        if item.parent:
            entry.parent = item.parent
        if item.region is not None and item.type.startswith("aws:"):
            entry.provider.CopyFrom(_provider(item.region))
        if item.cluster is not None:
            entry.provider.CopyFrom(_kubernetes_provider(item.cluster))
        for prop, urns in item.deps.items():
            entry.propertyDependencies[prop].urns.extend(urns)
            entry.dependencies.extend(urns)
    response = service.AnalyzeStack(request, None)
    return Result(list(response.diagnostics), list(response.not_applicable))


def run_case(policy: str, case: Case) -> Result:
    """Run one case; a rule that raised (reported fail-closed) is a test error, not a "fail" outcome."""
    guardrail = REGISTRY[policy]
    if guardrail.kind == "resource":
        assert len(case.resources) == 1, "a resource-policy case has exactly one resource"
        result = analyze(case.resources[0], config=case.config, policy=policy, stack_tags=case.stack_tags)
    else:
        result = analyze_stack(case.resources, config=case.config, policy=policy, stack_tags=case.stack_tags)
    crashed = [message for message in result.messages(policy) if "the rule raised" in message]
    assert not crashed, crashed
    return result


def tags(**extra: str) -> dict[str, str]:
    """The convention tags as the stack-wide transformation writes them (prod, CySEC)."""
    return {
        "Environment": "prod",
        "ManagedBy": "fintech-infra",
        "ComplianceScope": "pci-dss",
        "Jurisdiction": "cysec",
        "CostCenter": "cc-1",
        "Owner": "platform",
        **extra,
    }


def rc(
    type_: str, props: Mapping[str, Any], expect: Outcome, title: str, *, unknown: bool = False, **options: Any
) -> Case:
    """A resource-policy case: one resource of ``type_`` with ``props``."""
    return Case(title, expect, [R(type_, "subject", dict(props), **options)], unknown=unknown)


def case_params(cases: Mapping[str, Sequence[Case]]) -> list[Any]:
    import pytest

    return [
        pytest.param(policy, case, id=f"{policy}: {case.title}") for policy, items in cases.items() for case in items
    ]
