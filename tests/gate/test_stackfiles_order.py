"""Stack files and project config as the CLI reads them; StackReference ordering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fintech_infra.errors import ConfigError
from fintech_infra_gate.order import dependency_levels, referenced_closure, references_of
from fintech_infra_gate.stackfiles import SECRET_PLACEHOLDER, load_project, policy_config_path
from tests.gate.conftest import PACK, PROJECT


def test_project_config_defaults_tags_and_program(project):
    assert project.name == "fintech-infra"
    assert project.main == PROJECT / "stacks" / "__main__.py"
    assert project.stack_names() == ["bad", "broken", "cell-b", "dev", "global"]
    assert project.stack_tags == {
        "pulumi:project": "fintech-infra",
        "pulumi:runtime": "python",
        "pulumi:template": "gate-fixture",
        "pulumi:description": "A tiny project the gate's tests synthesize (not the real stacks).",
    }
    dev = project.stack("dev")
    # `value:` and `default:` both give defaults; a bare key belongs to the project namespace.
    assert dev.config["fintech-infra:owner"] == "platform-team"
    assert dev.config["fintech-infra:retention_days"] == 30
    assert dev.environment == "dev"


def test_secure_values_become_placeholders_marked_secret(project):
    dev = project.stack("dev")
    assert dev.secret_keys == ("fintech-infra:webhook_token",)
    token = dev.config["fintech-infra:webhook_token"]
    assert token.startswith(SECRET_PLACEHOLDER) and "AAAB" not in token


def test_missing_and_malformed_stack_files(project, tmp_path):
    with pytest.raises(ConfigError) as error:
        project.stack("qa")
    assert str(error.value) == (
        "stack 'qa': no stack file stacks/Pulumi.qa.yaml; allowed: bad, broken, cell-b, dev, global"
    )
    copy = tmp_path / "p"
    shutil.copytree(PROJECT, copy)
    (copy / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  a: [1\n")
    with pytest.raises(ConfigError) as error:
        load_project(copy).stack("dev")
    assert str(error.value).startswith(
        "stacks/Pulumi.dev.yaml line 3, column 1: while parsing a flow sequence (started on line 2): "
        "expected ',' or ']', but got the end of the file"
    )


def test_references_and_levels(project):
    assert references_of(project, project.stack("global")) == {
        "routing.cell_stacks.eu": "dev",
        "routing.cell_stacks.us": "cell-b",
    }
    assert project.stack("global").organization == "acme"
    assert dependency_levels(project, ["global"]) == [["cell-b", "dev"], ["global"]]
    assert referenced_closure(project, "global") == ["cell-b", "dev"]
    assert referenced_closure(project, "dev") == []


def test_a_cell_stack_reads_its_zones_stack_first(project, tmp_path):
    copy = tmp_path / "p"
    shutil.copytree(PROJECT, copy)
    dev = copy / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  fintech-infra:dns:\n    zones_stack: acme/fintech-infra/cell-b\n")
    zoned = load_project(copy)
    assert references_of(zoned, zoned.stack("dev")) == {"dns.zones_stack": "cell-b"}
    assert dependency_levels(zoned, ["dev"]) == [["cell-b"], ["dev"]]
    # The routing stack reads dev, which reads cell-b: cell-b first, whatever the routing stack names first.
    assert dependency_levels(zoned, ["global"]) == [["cell-b"], ["dev"], ["global"]]
    assert referenced_closure(zoned, "dev") == ["cell-b"]


def test_a_zones_stack_without_a_stack_file_is_a_config_error(tmp_path):
    copy = tmp_path / "p"
    shutil.copytree(PROJECT, copy)
    dev = copy / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  fintech-infra:dns:\n    zones_stack: acme/fintech-infra/zones\n")
    with pytest.raises(ConfigError) as error:
        dependency_levels(load_project(copy), ["dev"])
    assert str(error.value) == (
        "dev: fintech-infra:dns.zones_stack: 'acme/fintech-infra/zones' names no stack file in stacks/; "
        "allowed: bad, broken, cell-b, dev, global"
    )


def _with_global(tmp_path: Path, routing: str) -> Path:
    copy = tmp_path / "p"
    shutil.copytree(PROJECT, copy)
    (copy / "stacks" / "Pulumi.global.yaml").write_text(
        f"config:\n  fintech-infra:environment: prod\n  fintech-infra:routing:\n    cell_stacks:\n{routing}"
    )
    return copy


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (
            "      eu: acme/fintech-infra/nope\n",
            "global: fintech-infra:routing.cell_stacks.eu: 'acme/fintech-infra/nope' names no stack file in stacks/; "
            "allowed: bad, broken, cell-b, dev, global",
        ),
        (
            "      eu: acme/other/dev\n",
            "global: fintech-infra:routing.cell_stacks.eu: 'acme/other/dev' names project 'other'; "
            "allowed: fintech-infra",
        ),
        (
            "      eu: acme/fintech-infra/global\n",
            "fintech-infra: the stacks global reference each other in a cycle (routing.cell_stacks, "
            "routing.zones_stack, dns.zones_stack); a stack may not read a stack that reads it",
        ),
    ],
)
def test_bad_references_are_config_errors(tmp_path, routing, message):
    project = load_project(_with_global(tmp_path, routing))
    with pytest.raises(ConfigError) as error:
        dependency_levels(project, ["global"])
    assert str(error.value) == message


def test_policy_config_prefers_the_generated_per_policy_file(tmp_path):
    assert policy_config_path(PACK, "dev") == PACK / "config" / "dev.json"
    assert policy_config_path(PACK, "staging") is None
    (tmp_path / "config" / "pulumi").mkdir(parents=True)
    for path in (tmp_path / "config" / "dev.json", tmp_path / "config" / "pulumi" / "dev.json"):
        path.write_text("{}")
    assert policy_config_path(tmp_path, "dev") == tmp_path / "config" / "pulumi" / "dev.json"


@pytest.mark.parametrize("jobs", [1, 2])
def test_plan_all_starts_what_others_read_first_and_each_stack_once_its_references_are_done(monkeypatch, jobs):
    from concurrent.futures import Executor, Future
    from types import SimpleNamespace

    from fintech_infra_gate import runner

    real = load_project(Path(__file__).resolve().parents[2])
    started: list[str] = []
    seen_exports: dict[str, set[str]] = {}

    def fake_plan_stack(options, name, exports):
        started.append(name)
        seen_exports[name] = set(exports)
        return SimpleNamespace(exports={"stack": name})

    monkeypatch.setattr(runner, "plan_stack", fake_plan_stack)
    levels = dependency_levels(real, real.stack_names())
    results: dict = {}
    exports: dict = {}
    options = runner.GateOptions(real.root, real.root / "policy", jobs=jobs)

    class Inline(Executor):
        """Runs each task as it is handed over, so the order of hand-overs is the order of ``started``."""

        def submit(self, fn, /, *args, **kwargs):
            future: Future = Future()
            future.set_result(fn(*args, **kwargs))
            return future

    runner._run_as_ready(Inline(), options, real, levels, results, exports, set(real.stack_names()))
    reads = set(references_of(real, real.stack("routing")).values())
    assert reads == {"global", "prod-eu", "prod-au", "prod-uk"}
    assert sorted(started) == sorted(real.stack_names()) and set(results) == set(started)
    assert started[0] == "global"  # every other stack reads the zones stack
    assert set(started[1:4]) == reads - {"global"}  # then what routing reads
    assert started.index("staging") < started.index("dev")  # the smaller non-production stacks last
    assert seen_exports["routing"] >= reads  # and routing gets their exports
    assert all(seen_exports[cell] >= {"global"} for cell in ("dev", "staging", "prod-eu", "prod-au", "prod-uk"))
    assert exports["routing"] == {"stack": "routing"}
