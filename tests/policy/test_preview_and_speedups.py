"""preview.py helpers, and speedups.py: the patched servicer changes no rule case's outcome (see also
test_speedups_equivalence.py)."""

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UnknownValueError, unknown_checking_proxy

from fintech_guardrails import speedups
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, plain, present
from tests.policy.harness import run_case
from tests.policy.test_registry import CASES


def test_plain_copies_out_of_the_proxy_without_raising() -> None:
    proxied = unknown_checking_proxy({"a": UNKNOWN_BOOLEAN_VALUE, "b": [{"c": UNKNOWN_BOOLEAN_VALUE}], "d": 1})
    with pytest.raises(UnknownValueError):
        _ = "a" in proxied  # Mapping.__contains__ reads the value
    copied = plain(proxied)
    assert copied == {"a": UNKNOWN, "b": [{"c": UNKNOWN}], "d": 1}
    assert contains_unknown(copied["b"]) and not contains_unknown(copied["d"])


def test_dig_and_presence() -> None:
    props = {"accessLogs": [{"enabled": True}], "vpc": UNKNOWN}
    assert dig(props, "accessLogs", "enabled") is True
    assert dig(props, "vpc", "id") is UNKNOWN and dig(props, "missing", "x") is None
    assert present(UNKNOWN) and not present("") and present("x")
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list(UNKNOWN) is UNKNOWN
    assert is_unknown("04da6b54-80e4-46f7-96ec-b56ff0331ba9")


def test_an_unknown_has_no_truth_value() -> None:
    # A rule that forgets to test for unknown raises, and the registry reports that fail-closed.
    with pytest.raises(TypeError):
        bool(UNKNOWN)


def test_speedups_change_no_outcome() -> None:
    assert speedups.install() and speedups.installed()
    mismatches = [
        (policy, case.title)
        for policy, cases in CASES.items()
        for case in cases
        if run_case(policy, case).outcome(policy) != case.expect
    ]
    assert mismatches == []


def test_stack_policies_of_one_request_share_one_index_of_the_same_resources() -> None:
    from types import SimpleNamespace

    from fintech_guardrails.model import Stack
    from fintech_guardrails.settings import Settings

    def resource(name: str) -> SimpleNamespace:
        return SimpleNamespace(resource_type="aws:s3/bucket:Bucket", name=name, urn=f"urn:{name}", opts=None)

    shared = [resource("a"), resource("b")]
    tags = {"Jurisdiction": "eu-gdpr"}
    first, second = Stack(shared, Settings(), tags), Stack(list(shared), Settings(), tags)
    assert second.nodes is first.nodes and second.settings is not first.settings
    # Other resource objects (the SDK's own loop builds new ones per policy), or other tags: a new index.
    assert Stack([resource("a"), resource("b")], Settings(), tags).nodes is not first.nodes
    assert Stack(shared, Settings(), {}).nodes is not first.nodes
    assert [node.name for node in first.of_type("aws:s3/bucket:Bucket")] == ["a", "b"]
