"""Every speed-up can go without changing a verdict: the gate plans the shipped stacks with all of them
(gate/speedups.py, gate/preload.py, policy/fintech_guardrails/speedups*.py) and with none
(``FINTECH_INFRA_SPEEDUPS=0``), and the two plans are the same but for timings.

The shipped stacks pass their own policy config with nothing to report, which would make the comparison
trivial, so dev and staging are judged against the production config here: their verdicts then hold
mandatory violations (dev keeps 7 days of RDS backups, production asks for more) next to the clean ones.
"""

from __future__ import annotations

import shutil

from fintech_infra_gate import speedups
from fintech_infra_gate.runner import GateOptions, plan
from tests.gate.conftest import comparable_plan
from tests.stacks.test_stacks import ROOT

STACKS = ["global", "repo", "dev", "prod-au"]
"""The gate end to end on the zones, the repository's rules, ECS in one region (dev, judged against prod's config
so its verdict holds violations) and EKS with a DR region (prod-au). The ECS-with-Aurora-and-DR path (prod-eu)
is compared answer by answer, with and without the pack's speed-ups, in tests/policy/test_speedups_equivalence.py;
planning every stack twice cost 49 s of a suite whose target is 3 minutes."""


def test_every_shipped_stack_gets_the_same_verdict_without_any_speedup(tmp_path, monkeypatch):
    pack = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    if (ROOT / "policy" / "venv").is_dir():  # the pack's own interpreter, as PulumiPolicy.yaml names it
        (pack / "venv").symlink_to(ROOT / "policy" / "venv")
    for environment in ("dev", "staging"):
        shutil.copy(pack / "config" / "pulumi" / "prod.json", pack / "config" / "pulumi" / f"{environment}.json")
    options = GateOptions(project_dir=ROOT, pack_dir=pack, jobs=2)
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    fast = plan(options, STACKS)
    monkeypatch.setenv(speedups.SWITCH, "0")  # read by the gate, and by each pack from the gate's environment
    slow = plan(options, STACKS)
    assert {stack.stack for stack in fast.stacks} == set(STACKS)
    failed = {stack.stack for stack in fast.stacks if not stack.passed}
    assert failed == {"dev"}
    assert comparable_plan(slow.to_dict()) == comparable_plan(fast.to_dict())
    print(f"plan --all: {fast.wall_seconds:.1f} s with the speed-ups, {slow.wall_seconds:.1f} s without")
    assert fast.notices == slow.notices == ()
