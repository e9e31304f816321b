"""speedups.py: the patched servicer answers every request of real stacks byte for byte as the SDK's does.

Shipped stacks are synthesized with the gate's own code (stack files, StackReference exports, preview
unknowns), turned into the requests the engine sends (gate/requests.py), and judged in-process by
the whole pack's servicer configured as the gate configures it, once with the SDK's ``Analyze``/
``AnalyzeStack`` and once with the speedup; the deterministic serializations of all responses must match.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import policy as sdk

from fintech_guardrails import PACK_NAME, speedups, speedups_servicer
from fintech_guardrails.catalog import guardrails, policies
from fintech_guardrails.registry import REGISTRY, type_filter
from fintech_infra_gate.order import referenced_closure
from fintech_infra_gate.policyconfig import read_policy_config, reconcile
from fintech_infra_gate.requests import analyze_requests, stack_request
from fintech_infra_gate.runner import synthesize_stack
from fintech_infra_gate.stackfiles import load_project
from fintech_infra_gate.verdict import ENFORCEMENT_LEVELS

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policy"
LEVELS = {
    # One of each level the SDK treats specially, on resource and stack policies.
    "rds-storage-encrypted-cmk": "disabled",
    "rds-backup-retention": "advisory",
    "kms-key-rotation-enabled": "remediate",
    "s3-bucket-public-access-block": "advisory",
    "concern-separation": "disabled",
}
SCENARIOS = {
    # name: (stack, preview, policy config environment, extra policy config)
    "dev": ("dev", False, "dev", {}),
    "prod-eu": ("prod-eu", False, "prod", {}),
    "dev-against-prod": ("dev", False, "prod", {}),
    "dev-against-prod-levels": ("dev", False, "prod", LEVELS),
    "prod-eu-preview": ("prod-eu", True, "prod", {}),
    "dev-against-prod-preview": ("dev", True, "prod", LEVELS),
}


@pytest.fixture(scope="module", autouse=True)
def restore_install_state() -> Iterator[None]:
    was = speedups.installed()
    yield
    if was:
        assert speedups.install()
    else:
        speedups.uninstall()


@pytest.fixture(scope="module")
def requests() -> dict[tuple[str, bool], tuple[list[bytes], bytes, dict[str, str]]]:
    """Per (stack, preview): every Analyze request, the AnalyzeStack request, and the stack tags."""
    project = load_project(ROOT)
    found: dict[tuple[str, bool], tuple[list[bytes], bytes, dict[str, str]]] = {}
    for stack_name, preview in {(stack, preview) for stack, preview, *_ in SCENARIOS.values()}:
        exports: dict[str, Any] = {}
        for name in referenced_closure(project, stack_name):
            exports[name] = synthesize_stack(project, project.stack(name), preview=preview, exports=exports).exports
        stack = project.stack(stack_name)
        recording = synthesize_stack(project, stack, preview=preview, exports=exports)
        analyze = [r.SerializeToString() for r in analyze_requests(recording, provider_config=stack.config)]
        whole = stack_request(recording, provider_config=stack.config).SerializeToString()
        found[stack_name, preview] = (analyze, whole, dict(project.stack_tags))
    return found


def _servicer(environment: str, extra: Mapping[str, Any], tags: Mapping[str, str]) -> Any:
    """The whole pack's servicer, configured the way the gate's ``PolicyPackProcess.configure`` does."""
    service = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies(), sdk.EnforcementLevel.MANDATORY)
    info = service.GetAnalyzerInfo(empty_pb2.Empty(), None)
    schemas = {
        p.name: (
            ENFORCEMENT_LEVELS[p.enforcementLevel],
            json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else None,
        )
        for p in info.policies
    }
    given = read_policy_config(load_project(ROOT).policy_config_path(PACK_DIR, environment))
    given = {**given, **{name: {**given.get(name, {}), "enforcementLevel": level} for name, level in extra.items()}}
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, settings in reconcile(schemas, {}, given).items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = ENFORCEMENT_LEVELS.index(settings.enforcement)
        if settings.properties:
            entry.properties.update(dict(settings.properties))
    service.Configure(request, None)
    service.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags=dict(tags)), None)
    return service


def _answers(speedup: bool, scenario: str, requests: Any) -> list[bytes]:
    stack, preview, environment, extra = SCENARIOS[scenario]
    analyze, whole, tags = requests[stack, preview]
    if speedup:
        assert speedups.install()
    else:
        speedups.uninstall()
    service = _servicer(environment, extra, tags)
    answers = [service.Analyze(analyzer_pb2.AnalyzeRequest.FromString(r), None) for r in analyze]
    answers.append(service.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest.FromString(whole), None))
    return [answer.SerializeToString(deterministic=True) for answer in answers]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_speedup_answers_exactly_as_the_sdk(scenario: str, requests: Any) -> None:
    expected = _answers(False, scenario, requests)
    assert _answers(True, scenario, requests) == expected


def test_the_scenarios_exercise_every_kind_of_answer(requests: Any) -> None:
    """Guards the comparison above against comparing empty answers."""
    seen: dict[str, set[str]] = {}
    for scenario in ("dev-against-prod-levels", "dev-against-prod-preview"):
        for raw in _answers(True, scenario, requests):
            answer = analyzer_pb2.AnalyzeResponse.FromString(raw)
            for d in answer.diagnostics:
                seen.setdefault("level", set()).add(ENFORCEMENT_LEVELS[d.enforcementLevel])
                seen.setdefault("policy", set()).add(d.policyName)
            seen.setdefault("not_applicable", set()).update(n.reason[:8] for n in answer.not_applicable)
    assert {"mandatory", "advisory"} <= seen["level"]
    assert "pending:" in seen["not_applicable"]
    assert "rds-backup-retention" in seen["policy"]  # advisory here; mandatory without LEVELS
    assert not {"rds-storage-encrypted-cmk", "concern-separation"} & seen["policy"]


def test_type_filters_are_the_guardrails_own() -> None:
    built = {policy.name: policy for policy in policies()}
    for guardrail in guardrails():
        applies = type_filter(built[guardrail.name])
        if guardrail.kind == "resource":
            assert applies is not None and applies == guardrail.applies
        else:
            assert applies is None
    assert type_filter(sdk.StackValidationPolicy("x", "x", validate=lambda args, report: None)) is None


def test_policies_cannot_change_what_the_next_policy_sees(requests: Any) -> None:
    _, whole, tags = requests["dev", False]
    seen: list[tuple[int, str, int, Any]] = []

    def vandal(args: Any, report: Any) -> None:
        first = next(r for r in args.resources if r.dependencies and r.provider)
        for attempt in (
            lambda: first.props.__setitem__("x", 1),
            lambda: first.dependencies.append(first),
            lambda: first.property_dependencies.clear(),
            lambda: setattr(first, "name", "renamed"),
            lambda: setattr(first.opts, "protect", True),
            lambda: setattr(first.provider, "urn", ""),
        ):
            with pytest.raises((TypeError, AttributeError), match="read-only"):
                attempt()
        args.resources.clear()  # its own list: allowed

    def witness(args: Any, report: Any) -> None:
        first = next(r for r in args.resources if r.dependencies and r.provider)
        seen.append((len(args.resources), first.name, len(first.dependencies), "x" in first.props))

    assert speedups.install()
    chosen: list[sdk.Policy] = [
        sdk.StackValidationPolicy(name, name, validate=check) for name, check in (("a", vandal), ("b", witness))
    ]
    service = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", chosen, sdk.EnforcementLevel.MANDATORY)
    service.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags=dict(tags)), None)
    message = analyzer_pb2.AnalyzeStackRequest.FromString(whole)
    answer = service.AnalyzeStack(message, None)
    assert list(answer.diagnostics) == [] and list(answer.not_applicable) == []
    first = next(r for r in message.resources if r.dependencies and r.HasField("provider"))
    assert seen == [(len(message.resources), first.name, len(first.dependencies), False)]


def test_install_refuses_a_changed_sdk_and_the_pack_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    speedups.uninstall()
    original = sdk._PolicyAnalyzerServicer.AnalyzeStack
    monkeypatch.setattr(sdk._PolicyAnalyzerServicer, "AnalyzeStack", lambda self, request, context: None)
    assert speedups.install() is False and not speedups.installed()
    monkeypatch.setattr(sdk._PolicyAnalyzerServicer, "AnalyzeStack", original)
    assert sdk._PolicyAnalyzerServicer.Analyze is not speedups_servicer.analyze
    service = _servicer("prod", {}, {})
    bucket = analyzer_pb2.AnalyzeRequest(
        type="aws:s3/bucket:Bucket", urn="urn:pulumi:s::p::aws:s3/bucket:Bucket::b", name="b"
    )
    answer = service.Analyze(bucket, None)
    assert {d.policyName for d in answer.diagnostics} & {g.name for g in REGISTRY.values() if g.kind == "resource"}
    assert speedups.install() and sdk._PolicyAnalyzerServicer.Analyze is speedups_servicer.analyze
