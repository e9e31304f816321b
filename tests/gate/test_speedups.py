"""The gate's speed-ups (gate/speedups.py): only while a program runs, off with the switch, and when one
cannot work (an SDK upgrade removed what it swaps) the gate says so once and the plan is the same."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from pulumi.runtime import resource as sdk_resource

from fintech_infra.testing import synthesize
from fintech_infra_gate import speedups
from fintech_infra_gate.cli import main
from tests.gate.conftest import PROJECT, comparable_plan

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


def test_the_pack_reads_the_same_switch_the_same_way():
    from fintech_guardrails import speedups as pack_speedups

    assert pack_speedups.SWITCH == speedups.SWITCH
    for value in ("", "1", "0", "false", "FALSE", "no", "off", "yes", " 0 "):
        environ = {speedups.SWITCH: value}
        assert pack_speedups.enabled(environ) == speedups.enabled(environ), value


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


def _plan_all(tmp_path: Path, name: str, pack: Path) -> tuple[int, Any]:
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(PROJECT, project)
        for stack in ("bad", "broken"):
            (project / "stacks" / f"Pulumi.{stack}.yaml").unlink()
    out = tmp_path / f"{name}.json"
    options = ["--project-dir", str(project), "--policy-pack", str(pack)]
    code = main(["plan", "--all", "--format", "json", "--output", str(out), *options])
    return code, comparable_plan(json.loads(out.read_text()))


def _real_pack_with_another_sdk_digest(tmp_path: Path) -> Path:
    """The shipped pack, as if the installed pulumi-policy were not the one its speed-ups were written for."""
    pack = tmp_path / "pack"
    shutil.copytree(Path(__file__).resolve().parents[2] / "policy", pack, ignore=shutil.ignore_patterns("__pycache__"))
    module = pack / "fintech_guardrails" / "speedups.py"
    text = module.read_text()
    from fintech_guardrails.speedups import SDK_DIGEST

    assert SDK_DIGEST in text
    module.write_text(text.replace(SDK_DIGEST, "0" * 64))
    return pack


def test_speedups_that_cannot_work_are_reported_once_per_run_and_change_no_verdict(
    tmp_path, monkeypatch, capfd, no_pack_left
):
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    pack = _real_pack_with_another_sdk_digest(tmp_path)
    capfd.readouterr()
    expected = _plan_all(tmp_path, "expected", Path(__file__).resolve().parents[2] / "policy")
    assert capfd.readouterr().err == ""
    _as_after_an_sdk_upgrade(monkeypatch)
    degraded = _plan_all(tmp_path, "degraded", pack)
    lines = capfd.readouterr().err.splitlines()
    assert degraded == expected
    assert len(lines) == 2, lines  # three stacks, three pack processes, two workers: each notice once
    pack_line, gate = sorted(lines)
    assert gate.startswith("fintech-infra: speedups off: the SDK's stack walk is not skipped")
    assert pack_line.startswith("fintech-guardrails: speedups off: pulumi-policy ")
    assert "is not the SDK they were written for (digest " in pack_line
    assert pack_line.endswith("); results are unchanged, only slower")


@pytest.mark.parametrize("switch", ["1", "0"])
def test_the_pack_reads_the_switch_from_the_gates_environment(tmp_path, monkeypatch, switch, no_pack_left):
    """Switched off, the pack does not even try its speed-ups, so a changed SDK has nothing to report."""
    from fintech_infra_gate.analyzer import PolicyPackProcess

    monkeypatch.setenv(speedups.SWITCH, switch)
    with PolicyPackProcess(_real_pack_with_another_sdk_digest(tmp_path), project="p", stack="s") as process:
        process.port()
    assert len(process.notices()) == (1 if switch == "1" else 0)
