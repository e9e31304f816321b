"""The gate's speed-ups (gate/speedups.py): only while a program runs, off with the switch, and one that
cannot work (an SDK upgrade removed what it swaps) leaves the program to the SDK and says so."""

from __future__ import annotations

import gc

import pulumi_aws as aws
import pytest
from pulumi.runtime import resource as sdk_resource

from fintech_infra.testing import synthesize
from fintech_infra_gate import speedups

SDK_STACK_WALK = sdk_resource._get_stack_trace


def _program(seen: list[tuple[bool, bool]]):
    """A program that notes whether the SDK's own stack walk is in place, and whether the collector runs."""

    def run() -> None:
        seen.append((sdk_resource._get_stack_trace is SDK_STACK_WALK, gc.isenabled()))
        aws.sns.Topic("topic")

    return run


def test_during_synthesis_skips_the_stack_walk_and_pauses_the_collector_only_meanwhile(monkeypatch):
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    seen: list[tuple[bool, bool]] = []
    assert gc.isenabled()
    with speedups.during_synthesis():
        recording = synthesize(_program(seen))
    assert seen == [(False, False)] and sdk_resource._get_stack_trace is SDK_STACK_WALK and gc.isenabled()
    assert recording.named("topic").custom  # the program still registered normally
    gc.disable()  # a caller that runs with the collector off keeps it off
    try:
        with speedups.during_synthesis():
            synthesize(_program(seen))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("value", ["0", "false", "Off", "no"])
def test_the_switch_turns_them_off(monkeypatch, value):
    monkeypatch.setenv(speedups.SWITCH, value)
    seen: list[tuple[bool, bool]] = []
    with speedups.during_synthesis():
        synthesize(_program(seen))
    assert seen == [(True, True)] and not speedups.enabled()
    speedups.collector_off()
    assert gc.isenabled()


def _as_after_an_sdk_upgrade(monkeypatch) -> None:
    """The SDK no longer has the function the speed-up swaps (renamed, say); forked workers inherit this."""
    monkeypatch.setattr(speedups, "_STACK_WALK", ("pulumi.runtime.resource", "_get_stack_trace_before_the_upgrade"))


def test_a_missing_sdk_function_leaves_the_program_to_the_sdk_and_is_a_notice(monkeypatch):
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    assert speedups.notices() == ()
    _as_after_an_sdk_upgrade(monkeypatch)
    seen: list[tuple[bool, bool]] = []
    with speedups.during_synthesis():
        synthesize(_program(seen))
    assert seen == [(True, False)]  # the SDK's own stack walk; the collector is still paused
    (notice,) = speedups.notices()
    assert notice.startswith("fintech-infra: speedups off: the SDK's stack walk is not skipped: pulumi 3.")
    assert notice.endswith(
        "has no pulumi.runtime.resource._get_stack_trace_before_the_upgrade; verdicts are unchanged, only slower"
    )
    monkeypatch.setenv(speedups.SWITCH, "0")
    assert speedups.notices() == ()  # switched off on purpose: nothing to report


def test_the_console_script_says_it_once(monkeypatch, capfd, no_pack_left):
    from fintech_infra_gate.cli import main
    from tests.gate.conftest import PACK, PROJECT

    monkeypatch.delenv(speedups.SWITCH, raising=False)
    _as_after_an_sdk_upgrade(monkeypatch)
    capfd.readouterr()
    assert main(["plan", "--stack", "dev", "--project-dir", str(PROJECT), "--policy-pack", str(PACK)]) == 0
    assert capfd.readouterr().err.splitlines() == list(speedups.notices())
    assert len(speedups.notices()) == 1
