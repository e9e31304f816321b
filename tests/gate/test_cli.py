"""`fintech-infra plan`: exit codes, every report format, --preview, --graph, --all, atomic output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from fintech_infra_gate.cli import main
from fintech_infra_gate.result import COUNT_DEFINITION, PlanResult
from tests.gate.conftest import PACK, PROJECT

BASE = ["plan", "--project-dir", str(PROJECT), "--policy-pack", str(PACK)]


def plan(*args: str) -> int:
    return main([*BASE, *args])


@pytest.fixture(scope="module")
def dev_json(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("json") / "dev.json"
    assert plan("--stack", "dev", "--format", "json", "--output", str(out)) == 0
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_compliant_stack_exits_0_with_the_text_report(capsys, no_pack_left):
    assert plan("--stack", "dev") == 0
    out = capsys.readouterr().out
    assert "Resources: 6 cloud resources; 8 registrations incl. providers and components\n" in out
    assert "+ eu  fintech:fixture:Cell (eu-west-1)  4 cloud resources" in out
    assert "- aws:sns/topic:Topic x2: eu-alerts [ignoreChanges=tags], eu-audit [ignoreChanges=tags]" in out
    assert "- aws:kms/key:Key: eu-key [protect]" in out
    assert "  - pulumi:providers:aws: eu-aws\n" in out
    assert "      2  aws:sns/topic:Topic" in out
    assert "Policy pack fixture-guardrails@0.1.0: 2 policies, analyzed the stack and each of its 8 registrations" in out
    assert "  ~ topic-encrypted  eu-audit (aws:sns/topic:Topic): exempt: RISK-12 until 2099-01-01" in out
    assert "Not applicable: 7 results\n  - topic-encrypted: 7 resources (applies to SNS topics only)\n" in out
    assert "PASS dev: 0 mandatory, 0 advisory, 1 exempted, 0 pending" in out
    assert out.splitlines()[-1].startswith("PASS: 1 stack, 6 cloud resources; 0 mandatory, 0 advisory, 1 exempted, ")


def test_violation_exits_1_and_names_policy_severity_resource_and_reference(capsys, no_pack_left):
    assert plan("--stack", "bad") == 1
    out = capsys.readouterr().out
    assert "Mandatory violations: 1" in out
    assert "  x topic-encrypted  [mandatory, severity high]" in out
    assert "      resource: eu-alerts (aws:sns/topic:Topic)" in out
    assert "      message:  kmsMasterKeyId must name a customer-managed key." in out
    assert "      compliance: PCI DSS 4.0.1 3.5.1" in out
    assert "      remediation: Pass a KMS key to the topic." in out
    assert re.fullmatch(
        r"FAIL: 1 stack, 3 cloud resources; 1 mandatory, 0 advisory, 0 exempted, 0 pending; "
        r"mandatory violations in bad \(\d+\.\d\d s\)",
        out.rstrip().splitlines()[-1],
    )


def test_broken_config_exits_2_and_writes_nothing(tmp_path, capsys, no_pack_left):
    out, graph = tmp_path / "report.json", tmp_path / "arch.mmd"
    out.write_text("previous report\n")
    code = plan("--stack", "broken", "--format", "json", "--output", str(out), "--graph", str(graph))
    assert code == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "error: stacks/Pulumi.broken.yaml: environment: 'qa' is not an environment; allowed: dev, staging, prod\n"
    )
    assert out.read_text() == "previous report\n"
    assert not graph.exists()
    assert list(tmp_path.iterdir()) == [out]


def test_unknown_stack_exits_2_naming_the_stack_files(capsys):
    assert plan("--stack", "nope") == 2
    assert capsys.readouterr().err == (
        "error: stack 'nope': no stack file stacks/Pulumi.nope.yaml; allowed: bad, broken, cell-b, dev, global\n"
    )


def test_program_error_exits_2_with_the_traceback_only_with_debug(tmp_path, capsys, no_pack_left):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "stacks" / "__main__.py").write_text("raise KeyError('region')\n")
    command = ["plan", "--project-dir", str(project), "--policy-pack", str(PACK), "--stack", "dev"]
    assert main(command) == 2
    assert capsys.readouterr().err == (
        "error: stack 'dev': the program failed: KeyError: 'region'\n(run with --debug for the traceback)\n"
    )
    assert main([*command, "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: stack 'dev': the program failed: KeyError: 'region'\nTraceback")


def test_json_round_trips(dev_json):
    result = PlanResult.from_dict(dev_json)
    assert json.loads(json.dumps(result.to_dict())) == dev_json
    assert dev_json["version"] == 1 and dev_json["passed"] is True
    assert dev_json["resource_counts"] == {"cloud_resources": 6, "registrations": 8, "definition": COUNT_DEFINITION}
    (stack,) = result.stacks
    assert stack.stack == "dev" and stack.environment == "dev"
    assert stack.counts_by_type()["aws:sns/topic:Topic"] == 2
    assert [e.policy for e in stack.verdict.exemptions] == ["topic-encrypted"]
    # Exports (which may hold secrets) and input values never reach a report.
    assert "exports" not in dev_json["stacks"][0]
    assert "offline-placeholder" not in json.dumps(dev_json)


def test_sarif_has_the_required_fields(tmp_path, capsys):
    out = tmp_path / "bad.sarif"
    assert plan("--stack", "bad", "--format", "sarif", "--output", str(out)) == 1
    # The report goes to the file; stdout still says PASS or FAIL, in one line.
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("FAIL: 1 stack, 3 cloud resources; 1 mandatory, 0 advisory, 0 exempted, 0 pending; ")
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "fintech-infra-gate"
    rules = run["tool"]["driver"]["rules"]
    assert {rule["id"] for rule in rules} == {"topic-encrypted", "topics-have-arns"}
    (result,) = run["results"]
    assert result["ruleId"] == "topic-encrypted"
    assert rules[result["ruleIndex"]]["id"] == "topic-encrypted"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "bad: eu-alerts (aws:sns/topic:Topic): kmsMasterKeyId must name a customer-managed key."
    )
    (location,) = result["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.bad.yaml"
    assert location["logicalLocations"][0]["fullyQualifiedName"].endswith("aws:sns/topic:Topic::eu-alerts")
    assert rules[0]["properties"]["framework"] == "PCI DSS 4.0.1 3.5.1"


def test_quiet_prints_only_the_verdict_line(dev_json, tmp_path, capsys):
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(dev_json))
    assert main(["render", str(saved), "--quiet"]) == 0
    assert capsys.readouterr().out == (
        f"PASS: 1 stack, 6 cloud resources; 0 mandatory, 0 advisory, 1 exempted, 0 pending "
        f"({dev_json['wall_seconds']:.2f} s)\n"
    )


@pytest.mark.parametrize("command", [[], ["plan"], ["render"]])
def test_help_is_plain_text(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: fintech-infra" in out
    assert "`" not in out


def test_sarif_records_exemptions_as_suppressed_results(tmp_path):
    out = tmp_path / "dev.sarif"
    assert plan("--stack", "dev", "--format", "sarif", "--output", str(out)) == 0
    (result,) = json.loads(out.read_text())["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "justification": "exempt: RISK-12 until 2099-01-01"}]
    assert result["level"] == "note"


def test_junit_parses_with_a_failure_per_violated_policy(tmp_path):
    out = tmp_path / "bad.xml"
    assert plan("--stack", "bad", "--format", "junit", "--output", str(out)) == 1
    root = ElementTree.parse(out).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "stack bad"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    failure = cases["topic-encrypted"].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert "eu-alerts (aws:sns/topic:Topic): kmsMasterKeyId must name a customer-managed key." in (failure.text or "")
    assert cases["topics-have-arns"].find("failure") is None


def test_markdown_is_a_pull_request_comment(capsys):
    assert plan("--stack", "bad", "--format", "markdown") == 1
    out = capsys.readouterr().out
    assert out.startswith("## Offline policy gate failed\n")
    assert "| `bad` **FAIL** | known values | 3 | 1 | 0 | 0 | 0 |" in out
    assert (
        "| `topic-encrypted` | mandatory | high | eu-alerts (aws:sns/topic:Topic) | "
        "kmsMasterKeyId must name a customer-managed key. | PCI DSS 4.0.1 3.5.1 |"
    ) in out


def test_preview_mode_reports_what_cannot_be_known_yet(capsys):
    assert plan("--stack", "dev", "--preview") == 0
    out = capsys.readouterr().out
    assert "(project fintech-infra, environment dev, preview (provider-computed values unknown))" in out
    assert "Pending until values are known: 2 checks (not violations" in out
    assert "  ? topic-encrypted  eu-alerts (aws:sns/topic:Topic): can't run policy 'topic-encrypted'" in out
    assert "  ? topics-have-arns  stack dev: can't run policy 'topics-have-arns'" in out
    assert "PASS dev: 0 mandatory, 0 advisory, 1 exempted, 2 pending\n" in out


@pytest.mark.parametrize("suffix", [".mmd", ".dot"])
def test_graph_shows_cells_regions_and_routing(tmp_path, suffix, capsys):
    graph = tmp_path / f"arch{suffix}"
    assert plan("--stack", "dev", "--graph", str(graph)) == 0
    text = graph.read_text()
    assert "cell eu - eu-west-1" in text
    assert "KMS keys x1" in text
    assert text.startswith("flowchart LR\n" if suffix == ".mmd" else "digraph fintech_infra {\n")


def test_unknown_graph_format_is_a_config_error(tmp_path, capsys):
    assert plan("--stack", "dev", "--graph", str(tmp_path / "arch.png")) == 2
    assert "unknown diagram format; allowed: .mmd, .dot" in capsys.readouterr().err


def test_single_stack_reads_the_stacks_it_references(capsys):
    assert plan("--stack", "global") == 0
    out = capsys.readouterr().out
    assert "aws:sns/topic:Topic x2: route-eu, route-us" in out


def test_all_orders_references_and_runs_cells_in_parallel(tmp_path, no_pack_left):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    for name in ("bad", "broken"):
        (project / "stacks" / f"Pulumi.{name}.yaml").unlink()
    out = tmp_path / "all.json"
    args = [
        "plan",
        "--all",
        "--jobs",
        "2",
        "--format",
        "json",
        "--output",
        str(out),
        "--graph",
        str(tmp_path / "a.mmd"),
    ]
    assert main([*args, "--project-dir", str(project), "--policy-pack", str(PACK)]) == 0
    result = PlanResult.from_dict(json.loads(out.read_text()))
    assert [stack.stack for stack in result.stacks] == ["cell-b", "dev", "global"]
    assert result.stacks[-1].references == {"routing.cell_stacks.eu": "dev", "routing.cell_stacks.us": "cell-b"}
    graph = (tmp_path / "a.mmd").read_text()
    assert all(
        f'subgraph n_stack_{name.replace("-", "_")}["stack {name} ' in graph for name in ("cell-b", "dev", "global")
    )


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "fintech-infra"
    completed = subprocess.run(
        [str(script), *BASE, "--stack", "broken"], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: stacks/Pulumi.broken.yaml: environment: 'qa' is not an environment")
