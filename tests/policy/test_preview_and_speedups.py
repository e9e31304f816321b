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


def test_stack_policies_of_one_request_share_one_index_only_with_speedups() -> None:
    from types import SimpleNamespace

    from fintech_guardrails import model
    from fintech_guardrails.model import Stack
    from fintech_guardrails.settings import Settings

    def resource(name: str) -> SimpleNamespace:
        props = {"bucket": name}
        return SimpleNamespace(
            resource_type="aws:s3/bucket:Bucket", name=name, urn=f"urn:{name}", opts=None, props=props
        )

    shared = [resource("a"), resource("b")]
    tags = {"Jurisdiction": "eu-gdpr"}
    was = speedups.installed()
    speedups.uninstall()
    try:
        # Plain: nothing is cached by identity; every Stack builds its own index and copies its own props.
        first, second = Stack(shared, Settings(), tags), Stack(list(shared), Settings(), tags)
        assert second.nodes is not first.nodes
        assert second.nodes[0].props == first.nodes[0].props and second.nodes[0].props is not first.nodes[0].props
        assert model.props_of(shared[0].props) is not model.props_of(shared[0].props)
        assert speedups.install()
        first, second = Stack(shared, Settings(), tags), Stack(list(shared), Settings(), tags)
        assert second.nodes is first.nodes and second.settings is not first.settings
        assert model.props_of(shared[0].props) is model.props_of(shared[0].props)
        # Other resource objects (the SDK's own loop builds new ones per policy), or other tags: a new index.
        assert Stack([resource("a"), resource("b")], Settings(), tags).nodes is not first.nodes
        assert Stack(shared, Settings(), {}).nodes is not first.nodes
        assert [node.name for node in first.of_type("aws:s3/bucket:Bucket")] == ["a", "b"]
    finally:
        if not was:
            speedups.uninstall()


def test_start_installs_unless_switched_off_and_names_the_reason_when_it_cannot(monkeypatch) -> None:
    import gc
    import io

    from pulumi_policy import policy as sdk

    tuned: list[str] = []  # the pack's collector tuning, noted rather than applied to the test process
    monkeypatch.setattr(gc, "freeze", lambda: tuned.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *threshold: tuned.append("threshold"))
    was = speedups.installed()
    speedups.uninstall()
    try:
        said = io.StringIO()
        assert speedups.start({speedups.SWITCH: "0"}, said) is False and not speedups.installed()
        assert speedups.start({}, said) is True and speedups.installed() and said.getvalue() == ""
        speedups.uninstall()
        monkeypatch.setattr(sdk._PolicyAnalyzerServicer, "AnalyzeStack", lambda self, request, context: None)
        assert speedups.start({}, said) is False and not speedups.installed()
        (line,) = said.getvalue().splitlines()
        assert line.startswith("fintech-guardrails: speedups off: pulumi-policy 1.21.0 is not the SDK they were")
        assert line.endswith(f", written for {speedups.SDK_DIGEST[:12]}); results are unchanged, only slower")
        assert line == speedups.refusal()
        assert tuned == ["freeze", "threshold"] * 2  # switched off: not tuned; refused: tuned all the same
    finally:
        monkeypatch.undo()
        if was:
            assert speedups.install()
