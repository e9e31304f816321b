"""checks.py: the rule idiom (``require`` and the named expectations)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from fintech_guardrails.checks import (
    Expectation,
    at_least,
    at_most,
    between,
    equals,
    includes,
    is_set,
    not_empty,
    not_equal,
    one_of,
    require,
    unset_or,
)
from fintech_guardrails.model import Findings, expect
from fintech_guardrails.preview import UNKNOWN, dig
from fintech_guardrails.rules.secrets import customer_managed_key

URN = "urn:pulumi:test::fintech-infra::aws:cloudwatch/logGroup:LogGroup::audit"


@dataclass
class Subject:
    """A resource's inputs as a rule reads them (``Resource`` and ``Node`` both read through ``dig``)."""

    props: dict[str, Any] = field(default_factory=dict)

    def get(self, *path: str | int) -> Any:
        return dig(self.props, *path)


def judge(props: dict[str, Any], path: str | tuple[str, ...], expected: Expectation, **options: Any) -> Findings:
    out = Findings()
    require(Subject(props), out, path, expected, **options)
    return out


def test_an_unknown_value_is_pending_under_the_dotted_path() -> None:
    out = judge({"accessLogs": {"enabled": UNKNOWN}}, ("accessLogs", "enabled"), equals(True))
    assert out.pending == [("accessLogs.enabled", None)] and out.violations == []


def test_an_unknown_block_on_the_path_is_pending_for_the_property() -> None:
    out = judge({"accessLogs": UNKNOWN}, ("accessLogs", "bucket"), is_set)
    assert out.pending == [("accessLogs.bucket", None)] and out.violations == []


@pytest.mark.parametrize("value", [["10.0.0.0/8", UNKNOWN], {"resources": UNKNOWN}], ids=["list", "mapping"])
def test_a_value_holding_an_unknown_is_pending(value: Any) -> None:
    out = judge({"publicAccessCidrs": value}, "publicAccessCidrs", includes("10.0.0.0/8"))
    assert out.pending == [("publicAccessCidrs", None)] and out.violations == []


def test_a_nested_path_steps_through_a_block_given_as_a_list_of_one() -> None:
    assert judge({"accessLogs": [{"bucket": "lb-logs"}]}, ("accessLogs", "bucket"), is_set) == Findings()
    assert judge({"accessLogs": [{"enabled": True}]}, ("accessLogs", "bucket"), is_set).violations == [
        ("accessLogs.bucket must be set", None)
    ]


@pytest.mark.parametrize(
    ("expected", "unset_passes"),
    [
        (equals(True), False),
        (not_equal(True), True),
        (not_equal(False), True),
        (one_of(None, "required"), True),
        (one_of("required"), False),
        (at_least(1), False),
        (unset_or(at_least(30)), True),
        (unset_or(at_most(2)), True),
        (is_set, False),
        (includes("secrets"), False),
        (not_empty, False),
        (customer_managed_key, False),
    ],
    ids=lambda item: item.wording if isinstance(item, Expectation) else str(item),
)
def test_unset_reaches_the_expectation_as_none(expected: Expectation, unset_passes: bool) -> None:
    out = judge({}, "flag", expected)
    assert out.pending == []
    assert (out.violations == []) is unset_passes


MESSAGES: list[tuple[Any, Expectation, Any, str]] = [
    ("multiAz", equals(True), None, "multiAz must be true"),
    ("httpTokens", equals("required"), "optional", "httpTokens must be required"),
    ("publiclyAccessible", not_equal(True), True, "publiclyAccessible must not be true"),
    ("enableLogging", not_equal(False), False, "enableLogging must not be false"),
    ("pidMode", not_equal("host"), "host", "pidMode must not be host"),
    ("transitEncryptionMode", one_of(None, "required"), "preferred", "transitEncryptionMode must be required"),
    (
        "desyncMitigationMode",
        one_of(None, "defensive", "strictest"),
        "monitor",
        "desyncMitigationMode must be defensive or strictest",
    ),
    ("mode", one_of("a", "b", "c"), "d", "mode must be a, b or c"),
    ("backupRetentionPeriod", at_least(35, "days"), 7, "backupRetentionPeriod must be at least 35 days"),
    ("snapshotRetentionLimit", at_least(7), None, "snapshotRetentionLimit must be at least 7"),
    ("deletionWindowInDays", unset_or(at_least(30)), 7, "deletionWindowInDays must be at least 30"),
    (
        ("metadataOptions", "httpPutResponseHopLimit"),
        unset_or(at_most(2)),
        3,
        "metadataOptions.httpPutResponseHopLimit must be at most 2",
    ),
    ("monitoringInterval", between(1, 60, "seconds"), 0, "monitoringInterval must be between 1 and 60 seconds"),
    (("accessLogs", "bucket"), is_set, "", "accessLogs.bucket must be set"),
    ("logTypes", includes("api", "audit"), ["api"], "logTypes must include api, audit"),
    ("alarmActions", not_empty, [], "alarmActions must not be empty"),
    ("kmsKeyId", customer_managed_key, "alias/aws/rds", "kmsKeyId must name a customer-managed KMS key"),
]


@pytest.mark.parametrize(("path", "expected", "value", "message"), [pytest.param(*row, id=row[-1]) for row in MESSAGES])
def test_a_violation_reads_path_must_wording(path: Any, expected: Expectation, value: Any, message: str) -> None:
    steps = (path,) if isinstance(path, str) else path
    props: dict[str, Any] = {}
    if value is not None:
        props = {steps[-1]: value}
        for step in reversed(steps[:-1]):
            props = {step: props}
    assert judge(props, path, expected).violations == [(message, None)]


def test_a_custom_message_replaces_the_generated_one() -> None:
    out = judge({"alarmActions": []}, "alarmActions", not_empty, message="alarmActions must name at least one target")
    assert out.violations == [("alarmActions must name at least one target", None)]


def test_a_stack_rule_names_the_resource_in_violations_and_pending() -> None:
    failed = judge({"retentionInDays": 7}, "retentionInDays", at_least(365), urn=URN)
    assert failed.violations == [("retentionInDays must be at least 365", URN)]
    waiting = judge({"retentionInDays": UNKNOWN}, "retentionInDays", at_least(365), urn=URN)
    assert waiting.pending == [("retentionInDays", URN)]


def test_a_bool_or_none_matches_only_itself_and_is_never_a_number() -> None:
    assert not equals(True).test(1) and not equals(False).test(0) and not equals(1).test(True)
    assert not_equal(False).test(0) and not_equal(True).test(1)
    assert not one_of(None, 0).test(False) and one_of(None, 0).test(0) and one_of(True, "x").test(True)
    assert not at_least(1).test(True) and not at_most(2).test(False) and not between(0, 2).test(True)
    assert at_least(1).test(1.5) and at_most(2).test(2)


def test_odd_shapes_fail_instead_of_raising() -> None:
    assert not one_of("ELBSecurityPolicy-TLS13-1-2-2021-06").test(["ELBSecurityPolicy-TLS13-1-2-2021-06"])
    assert not includes("api").test([{"type": "api"}])
    assert includes("api").test("api")  # a single value is a list of one


# The lambdas the rules spelled out before the idiom: each named expectation judges every value the same way.
VALUES = [None, UNKNOWN, [UNKNOWN], {"a": UNKNOWN}, True, False, 0, 1, 2, 7, 35, "", "x", "host", "required", [], {}]
SPELLED_OUT = [
    pytest.param(equals(True), lambda v: v is True, id="v is True"),
    pytest.param(not_equal(True), lambda v: v is not True, id="v is not True"),
    pytest.param(not_equal(False), lambda v: v is not False, id="v is not False"),
    pytest.param(not_equal("host"), lambda v: v != "host", id="v != host"),
    pytest.param(equals("required"), lambda v: v == "required", id="v == required"),
    pytest.param(one_of(None, "required"), lambda v: v in (None, "required"), id="v in (None, required)"),
    pytest.param(is_set, lambda v: isinstance(v, str) and bool(v), id="a non-empty string"),
    pytest.param(at_least(7), lambda v: isinstance(v, (int, float)) and v >= 7, id="a number >= 7"),
    pytest.param(
        unset_or(at_least(7)),
        lambda v: v is None or (isinstance(v, (int, float)) and v >= 7),
        id="None or a number >= 7",
    ),
]


@pytest.mark.parametrize(("expected", "spelled_out"), SPELLED_OUT)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_require_judges_as_expect_did(expected: Expectation, spelled_out: Callable[[Any], bool], value: Any) -> None:
    before = Findings()
    expect(before, value, spelled_out, f"prop must {expected.wording}", what="prop")
    assert judge({"prop": value}, "prop", expected) == before
