"""Benchmark the offline gate: each shipped stack, ``plan --all``, and a synthetic estate of 1, 4 and 16 cells.

Every measurement runs in a fresh interpreter (the SDK keeps runtime state per process, and peak memory is
only meaningful per process). For each target: cloud resources and registrations (the gate report's two
counts, ``fintech_infra_gate.result.COUNT_DEFINITION``), wall seconds, registrations per second (the SDK's
work scales with registrations, providers and components included), synthesis vs policy seconds, the
policy share, bare mock-engine synthesis of the same program (no policy pack) for the ``gate / bare`` ratio,
and peak RSS of the gate and of the policy pack process. Writes a Markdown table to stdout
and ``benchmarks/results.md``.

    python -m benchmarks.gate                       # everything
    python -m benchmarks.gate --profile dev         # cProfile one gate run (top functions)
    python -m benchmarks.gate --project-dir D --policy-pack P --skip-estate
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.md"
SIZES = (1, 4, 16)
TARGETS = {
    "plan_all_registrations_per_second": 400.0,
    "single_stack_vs_bare": 1.25,
    "policy_share": 0.2,
}


def _measure(mode: str, project_dir: Path, pack_dir: Path, stack: str, preview: bool) -> dict[str, Any]:
    """Runs inside the fresh interpreter: one gate run or one bare synthesis."""
    from fintech_infra_gate.order import referenced_closure
    from fintech_infra_gate.runner import GateOptions, plan_stack, synthesize_stack
    from fintech_infra_gate.stackfiles import load_project

    # Both modes run as the console script does: with the cyclic collector off for the whole (short-lived)
    # process. With it on, the collections the gate defers until a synthesis ends would land in the
    # gate's measurement (StackResult, AnalyzeStack) but after the bare one had already stopped the clock.
    gc.disable()
    started = time.perf_counter()
    if mode == "gate":
        result = plan_stack(GateOptions(project_dir, pack_dir, preview=preview), stack)
        wall = time.perf_counter() - started
        timings = result.timings
        row = {
            "cloud_resources": result.cloud_resource_count,
            "registrations": result.registration_count,
            "wall": wall,
            "synthesis": timings.synthesis + timings.references,
            "policy": timings.policy,
            "pack_wait": timings.pack_start_wait,
            "mandatory": len(result.verdict.mandatory),
        }
    else:
        project = load_project(project_dir)
        exports: dict[str, Any] = {}
        for name in [*referenced_closure(project, stack), stack]:
            recording = synthesize_stack(project, project.stack(name), preview=preview, exports=exports)
            exports[name] = recording.exports
        row = {
            "cloud_resources": len(recording.custom_resources()),
            "registrations": len(recording.resources),
            "wall": time.perf_counter() - started,
        }
    row["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["pack_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return row


def _subprocess(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.gate", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark run {args} failed:\n{completed.stderr[-3000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def measure_stack(project_dir: Path, pack_dir: Path, stack: str, preview: bool = False) -> dict[str, Any]:
    common = ["--project-dir", str(project_dir), "--policy-pack", str(pack_dir), "--stack", stack]
    common += ["--preview"] if preview else []
    gate = _subprocess("--measure", "gate", *common)
    bare = _subprocess("--measure", "bare", *common)
    gate["bare"] = bare["wall"]
    return gate


def measure_all(project_dir: Path, pack_dir: Path, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "plan.json"
        script = Path(sys.executable).parent / "fintech-infra"
        command = [str(script), "plan", "--all", "--format", "json", "--output", str(output)]
        command += ["--project-dir", str(project_dir), "--policy-pack", str(pack_dir), "--jobs", str(jobs)]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if completed.returncode == 2:
            raise RuntimeError(f"plan --all failed:\n{completed.stderr[-3000:]}")
        plan = json.loads(output.read_text())
    stacks = plan["stacks"]
    return {
        "cloud_resources": plan["resource_counts"]["cloud_resources"],
        "registrations": plan["resource_counts"]["registrations"],
        "wall": wall,
        "synthesis": sum(s["timings"]["synthesis"] + s["timings"]["references"] for s in stacks),
        "policy": sum(s["timings"]["policy"] for s in stacks),
        "mandatory": sum(1 for s in stacks for f in s["verdict"]["findings"] if f["enforcement"] == "mandatory"),
    }


def _row(name: str, m: dict[str, Any]) -> str:
    rate = m["registrations"] / m["wall"] if m["wall"] else 0.0
    busy = m.get("synthesis", 0.0) + m.get("policy", 0.0)
    share = m.get("policy", 0.0) / busy if busy else 0.0
    ratio = f"{m['wall'] / m['bare']:.2f}x" if m.get("bare") else "-"
    bare = f"{m['bare']:.2f}" if m.get("bare") else "-"
    rss = f"{m['rss_mb']:.0f} / {m['pack_rss_mb']:.0f}" if "rss_mb" in m else "-"
    return (
        f"| {name} | {m['cloud_resources']} | {m['registrations']} | {m['wall']:.2f} | {rate:.0f} | "
        f"{m.get('synthesis', 0):.2f} | {m.get('policy', 0):.2f} | {share:.0%} | {bare} | {ratio} | {rss} | "
        f"{m.get('mandatory', '-')} |"
    )


HEADER = [
    "| Target | Cloud resources | Registrations | Wall s | Registrations/s | Synthesis s | Policy s "
    "| Policy share | Bare synthesis s | Gate / bare | Peak RSS MB gate / pack | Mandatory |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def run(project_dir: Path, pack_dir: Path, *, jobs: int, estate: bool, preview: bool) -> str:
    from fintech_infra_gate.stackfiles import load_project

    project = load_project(project_dir)
    rows: list[str] = []
    measured: dict[str, dict[str, Any]] = {}
    for stack in project.stack_names():
        try:
            measured[stack] = measure_stack(project_dir, pack_dir, stack, preview)
        except RuntimeError as error:
            rows.append(f"| stack `{stack}` | failed: {str(error).splitlines()[-1][:100]} |")
            continue
        rows.append(_row(f"stack `{stack}`", measured[stack]))
    everything = measure_all(project_dir, pack_dir, jobs)
    rows.append(_row(f"`plan --all` (--jobs {jobs}, end to end)", everything))
    estate_rows: dict[int, dict[str, Any]] = {}
    if estate:
        from benchmarks.estate import write_estate

        with tempfile.TemporaryDirectory() as scratch:
            names = write_estate(project_dir, Path(scratch), SIZES)
            for size, name in names.items():
                estate_rows[size] = measure_stack(Path(scratch), pack_dir, name, preview)
                rows.append(_row(f"estate, {size} cell{'s' if size > 1 else ''}", estate_rows[size]))
    verdicts = []
    rate = everything["registrations"] / everything["wall"]
    verdicts.append(
        f"- `plan --all`: {rate:.0f} registrations/s (target >= {TARGETS['plan_all_registrations_per_second']:.0f})"
    )
    worst = max((m["wall"] / m["bare"], s) for s, m in measured.items() if m.get("bare"))
    verdicts.append(f"- single stack vs bare synthesis: worst {worst[0]:.2f}x on `{worst[1]}` (target <= 1.25x)")
    shares = [m["policy"] / (m["synthesis"] + m["policy"]) for m in [*measured.values(), *estate_rows.values()]]
    verdicts.append(f"- policy share of busy time: at most {max(shares):.0%} (target < 20%)")
    if len(estate_rows) == len(SIZES):
        per = {size: m["wall"] / m["registrations"] * 1000 for size, m in estate_rows.items()}
        verdicts.append(
            "- growth: "
            + ", ".join(f"{size} cells {per[size]:.2f} ms/registration" for size in SIZES)
            + f" (16-cell / 1-cell per-registration cost {per[16] / per[1]:.2f}; 1.00 is perfectly linear)"
        )
    header = [
        "# Offline gate benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"mode: {'preview' if preview else 'known values'}. Wall seconds include the policy pack's start-up; "
        "each stack runs in a fresh interpreter (imports excluded from stack rows, included end to end for "
        "`plan --all`).",
        "",
    ]
    return "\n".join([*header, *HEADER, *rows, "", *verdicts]) + "\n"


def profile(project_dir: Path, pack_dir: Path, stack: str, preview: bool) -> None:
    from fintech_infra_gate.runner import GateOptions, plan_stack

    profiler = cProfile.Profile()
    profiler.enable()
    plan_stack(GateOptions(project_dir, pack_dir, preview=preview), stack)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gate", description=__doc__.split("\n")[0])
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--policy-pack", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--preview", action="store_true")
    parser.add_argument("--skip-estate", action="store_true")
    parser.add_argument("--profile", metavar="STACK")
    parser.add_argument("--measure", choices=("gate", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--stack", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results.md")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    pack_dir = (args.policy_pack or project_dir / "policy").resolve()
    if args.measure:
        print(json.dumps(_measure(args.measure, project_dir, pack_dir, args.stack, args.preview)))
        return 0
    if args.profile:
        profile(project_dir, pack_dir, args.profile, args.preview)
        return 0
    table = run(project_dir, pack_dir, jobs=args.jobs, estate=not args.skip_estate, preview=args.preview)
    sys.stdout.write(table)
    if not args.no_write:
        RESULTS.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
