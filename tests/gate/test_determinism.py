"""Two runs of one stack give the same reports, byte for byte apart from timings.

The shipped ``dev`` stack, not the fixture project: its resources register in a different order from run to
run under the SDK's asynchronous engine (the fixture program is written to keep its order fixed). Each run
is separate processes with a different ``PYTHONHASHSEED``, so set and dict order built from hashed strings
differs too: ``plan`` writes the JSON and the Mermaid diagram, then ``render`` turns that JSON into every
other format and the Graphviz diagram.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "fintech-infra"
RENDERS = {"report.txt": "text", "report.md": "markdown", "report.sarif": "sarif", "junit.xml": "junit"}
TIMINGS = (
    # JSON: the per-stack phase timings and the run's wall seconds.
    (re.compile(r'("(?:synthesis|policy|pack_start_wait|references|total|wall_seconds)": )[-0-9.e+]+'), r"\1T"),
    # JUnit: time attributes; text: the verdict line's "(3.42 s)".
    (re.compile(r'( time=")[0-9.]+(")'), r"\1T\2"),
    (re.compile(r"\(\d+\.\d\d s\)"), "(T s)"),
)


def _run(*args: str, seed: int) -> str:
    completed = subprocess.run(
        [str(SCRIPT), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": str(seed)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def _plan_and_render(directory: Path, seed: int) -> dict[str, str]:
    directory.mkdir()
    plan = directory / "plan.json"
    _run(
        "plan",
        "--stack",
        "dev",
        "--format",
        "json",
        "--output",
        str(plan),
        "--graph",
        str(directory / "arch.mmd"),
        seed=seed,
    )
    for name, fmt in RENDERS.items():
        extra = ["--graph", str(directory / "arch.dot")] if fmt == "text" else []
        _run("render", str(plan), "--format", fmt, "--output", str(directory / name), *extra, seed=seed)
    files = {}
    for path in sorted(directory.iterdir()):
        text = path.read_text(encoding="utf-8")
        for pattern, replacement in TIMINGS:
            text = pattern.sub(replacement, text)
        files[path.name] = text
    return files


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str]]:
    scratch = tmp_path_factory.mktemp("determinism")
    return _plan_and_render(scratch / "first", seed=1), _plan_and_render(scratch / "second", seed=2)


def test_two_runs_render_every_format_byte_for_byte_alike(runs):
    first, second = runs
    assert sorted(first) == [
        "arch.dot",
        "arch.mmd",
        "junit.xml",
        "plan.json",
        "report.md",
        "report.sarif",
        "report.txt",
    ]
    for name in first:
        diff = list(difflib.unified_diff(first[name].splitlines(), second[name].splitlines(), lineterm="", n=1))
        assert not diff, f"{name} differs between two runs:\n" + "\n".join(diff[:40])


def test_the_tree_holds_every_registration(runs):
    text = runs[0]["report.txt"]
    header = re.search(
        r"\nResources: (\d+) cloud resources; (\d+) registrations incl\. providers and components\n", text
    )
    assert header is not None
    tree = text[header.end() : text.index("Cloud resources per type:")].splitlines()
    # "- type xN: names" stands for N resources, "- type: name" and "+ component" for one each.
    shown = sum(int(m.group(1)) if (m := re.match(r"\s*- \S+ x(\d+):", line)) else 1 for line in tree)
    assert shown == int(header.group(2))
    assert "        - aws:lambda/permission:Permission: dev-cache-rotation-invoke" in tree


def test_what_the_runs_compare_includes_the_diagram_edges_and_the_paths(runs):
    """The byte-for-byte comparison covers the parts built from references and path notes, not just names."""
    dot, text, markdown = runs[0]["arch.dot"], runs[0]["report.txt"], runs[0]["report.md"]
    assert re.search(r"n_\w+_edge_api_rule_ListenerRule -> n_\w+_api_service_Service \[label=\"forward\"\]", dot)
    assert re.search(r"internet -> n_\w+_web_acl_WebAcl;", dot)
    assert "  entity cysec-cy: ingress 1, data 14, keys 14, alerts 2 proved" in text  # a critical and a warning topic
    assert "**Paths** (functional guardrails): 31 proved, 0 broken" in markdown
