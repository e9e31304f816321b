"""`plan --all --shard K/N`: a stable partition of the stack files that respects StackReference order, and
`render` joining the shards' plans into the plan `--all` gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fintech_infra.errors import ConfigError
from fintech_infra_gate.cli import main
from fintech_infra_gate.order import dependency_levels, referenced_closure
from fintech_infra_gate.result import PlanResult
from fintech_infra_gate.shards import Shard, parse_shard, shard_stacks, split_stacks, stack_weight
from fintech_infra_gate.stackfiles import load_project
from tests.gate.conftest import PACK, PROJECT

REAL = load_project(Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8])
def test_the_shards_partition_the_stacks(count: int) -> None:
    parts = split_stacks(REAL, count)
    assert shard_stacks(REAL, Shard(count, count)) == parts[-1]  # K/N is item K-1 of the split
    judged = [name for part in parts for name in part]
    assert sorted(judged) == REAL.stack_names()  # every stack once
    assert len(judged) == len(set(judged))


@pytest.mark.parametrize("count", [2, 3, 4])
def test_each_shard_lists_its_stacks_after_what_they_read(count: int) -> None:
    for part in split_stacks(REAL, count):
        for position, name in enumerate(part):
            later = set(part[position + 1 :])
            assert not later & set(referenced_closure(REAL, name)), (name, part)


def test_the_split_is_stable_whatever_order_the_files_are_listed_in() -> None:
    names = REAL.stack_names()
    for count in (2, 3):
        forward = split_stacks(REAL, count, names)
        assert forward == split_stacks(REAL, count, list(reversed(names))) == split_stacks(REAL, count)


def test_the_split_balances_by_size_from_the_stack_files() -> None:
    weights = {name: stack_weight(REAL.stack(name)) for name in REAL.stack_names()}
    assert weights["prod-eu"] > weights["dev"] > weights["global"]  # a DR cell weighs more than a single-region one
    first, second = split_stacks(REAL, 2)
    heavy = {"prod-eu", "prod-uk", "prod-au", "staging"}
    assert heavy & set(first) and heavy & set(second)  # the big stacks are not all on one runner


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/2/3"])
def test_a_malformed_shard_is_refused_naming_the_form(text: str) -> None:
    with pytest.raises(ConfigError, match=r"--shard: .* is not a shard; allowed: K/N with 1 <= K <= N"):
        parse_shard(text)


def test_shard_only_with_all(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--project-dir", str(PROJECT), "--policy-pack", str(PACK), "--stack", "dev", "--shard", "1/2"])
    assert code == 2
    assert "--shard 1/2: only with --all" in capsys.readouterr().err


def test_joined_shards_give_the_plan_of_all(tmp_path: Path, no_pack_left: None, monkeypatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    for name in ("bad", "broken"):
        (project / "stacks" / f"Pulumi.{name}.yaml").unlink()
    base = ["plan", "--all", "--project-dir", str(project), "--policy-pack", str(PACK), "--format", "json"]
    assert main([*base, "--output", str(tmp_path / "all.json")]) == 0
    shards = []
    for index in (1, 2):
        shards.append(tmp_path / f"shard{index}.json")
        assert main([*base, "--shard", f"{index}/2", "--output", str(shards[-1])]) == 0
    judged = [[stack["stack"] for stack in json.loads(path.read_text())["stacks"]] for path in shards]
    assert sorted(judged[0] + judged[1]) == ["cell-b", "dev", "global"]
    assert all(judged)  # both runners have work
    # global reads dev and cell-b: whichever shard judges it synthesized what it reads there first.
    monkeypatch.chdir(project)
    joined = tmp_path / "joined.json"
    assert main(["render", *map(str, shards), "--format", "json", "--output", str(joined)]) == 0
    whole, parts = (PlanResult.from_dict(json.loads(p.read_text())) for p in (tmp_path / "all.json", joined))
    order = [name for level in dependency_levels(load_project(project), ["global"]) for name in level]
    assert [stack.stack for stack in parts.stacks] == [stack.stack for stack in whole.stacks] == order
    assert [(s.stack, s.cloud_resource_count, s.passed) for s in parts.stacks] == [
        (s.stack, s.cloud_resource_count, s.passed) for s in whole.stacks
    ]


def test_a_stack_in_two_joined_plans_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dev.json"
    assert (
        main(
            [
                "plan",
                "--project-dir",
                str(PROJECT),
                "--policy-pack",
                str(PACK),
                "--stack",
                "dev",
                "--format",
                "json",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["render", str(out), str(out)]) == 2
    assert "stack 'dev' is in two of the plans being joined" in capsys.readouterr().err
