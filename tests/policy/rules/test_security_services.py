"""security_services.py: in production every cell region runs GuardDuty and Security Hub, or declares who does.

Cases start from the real prod cell (:mod:`tests.policy.paths_fixture`) and remove or change one part each.
"""

from __future__ import annotations

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import Edit, cell, cell_preview, edit

POLICY = "security-services-on-in-production"
DR_DETECTOR = "eu-dr-security-guardduty"


def dropping(*types: str, region: str | None = None) -> Edit:
    def apply(resources: list[R]) -> list[R]:
        return [r for r in resources if not (r.type in types and (region is None or r.region == region))]

    return apply


def delegated(account: str) -> Edit:
    """The account's GuardDuty and Security Hub run from the organization's delegated administrator."""

    def apply(resources: list[R]) -> list[R]:
        kept = [
            r
            for r in resources
            if r.type
            not in (
                t.GUARDDUTY_DETECTOR,
                t.GUARDDUTY_FEATURE,
                t.SECURITYHUB_ACCOUNT,
                t.SECURITYHUB_STANDARD,
                t.CONFIG_RECORDER,
                t.CONFIG_RECORDER_STATUS,
                t.CONFIG_DELIVERY_CHANNEL,
            )
        ]
        for rule in (r for r in kept if r.type == t.EVENT_RULE):
            rule.props["tags"]["SecurityServices"] = f"delegated-administrator:{account}"
        return kept

    return apply


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False, env: str = "prod") -> Case:
    resources = cell_preview() if preview else cell()
    changed = change(resources) if change else resources
    return Case(title, expect, changed, config={"environment": env}, unknown=preview)  # type: ignore[arg-type]


PARTIAL_RECORDER = edit(
    "eu-dr-security-config-recorder", lambda r: r.props["recordingGroup"].update(allSupported=False)
)
NO_GLOBAL_TYPES = edit(
    "eu-security-config-recorder", lambda r: r.props["recordingGroup"].update(includeGlobalResourceTypes=False)
)
NO_RUNTIME = edit("eu-security-guardduty-runtime-monitoring", lambda r: r.props.update(status="DISABLED"))

CASES = {
    POLICY: [
        case("the real cell: GuardDuty, Security Hub and the findings route in both regions, CIS filters", "pass"),
        case("no GuardDuty detector in the DR region", "fail", dropping(t.GUARDDUTY_DETECTOR, region="eu-west-1")),
        case("Runtime Monitoring disabled", "fail", NO_RUNTIME),
        case("no PCI DSS standard", "fail", dropping(t.SECURITYHUB_STANDARD, region="eu-central-1")),
        case("no findings route to the critical topic", "fail", dropping(t.EVENT_TARGET)),
        case("no CIS metric filters", "fail", dropping(t.LOG_METRIC_FILTER)),
        case("no AWS Config recorder in the DR region", "fail", dropping(t.CONFIG_RECORDER, region="eu-west-1")),
        case("the DR region's recorder records only some resource types", "fail", PARTIAL_RECORDER),
        case("no recorder records the global types (IAM)", "fail", NO_GLOBAL_TYPES),
        case("delegated to the organization's administrator, declared", "pass", delegated("444444444444")),
        case("delegated without an account", "fail", delegated("")),
        case("a staging stack is not judged", "pass", dropping(t.GUARDDUTY_DETECTOR), env="staging"),
        case("at a first preview: the standards ARNs are known", "pass", preview=True),
        case(
            "at a first preview, a missing detector fails already", "fail", dropping(t.GUARDDUTY_DETECTOR), preview=True
        ),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def test_messages_name_the_region_and_what_is_missing() -> None:
    result = run_case(POLICY, case("messages", "fail", NO_RUNTIME))
    (message,) = [m.split("\n", 1)[-1] for m in result.messages(POLICY)]
    assert message == "eu-central-1: GuardDuty protections not enabled: RUNTIME_MONITORING"
