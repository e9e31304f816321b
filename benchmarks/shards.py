"""Benchmark ``plan --all --shard K/N``: a 64-cell estate (16 stack files of 4 cells, plus the zones stack)
gated on 1, 2 and 4 shards.

Each shard runs as its own ``fintech-infra plan --all --shard K/N`` process, one after another, as each CI
runner of a matrix would run it alone; the matrix's wall time is its slowest shard. Per shard: stacks,
registrations, wall seconds and milliseconds per registration (a shard stays linear in its resources when
that figure holds from 1 to 4 shards). Prints a Markdown table.

    python -m benchmarks.shards                      # 16 x 4 cells, shards 1, 2, 4
    python -m benchmarks.shards --stacks 4 --cells-per-stack 1 --shards 1 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.estate import write_split_estate

ROOT = Path(__file__).resolve().parents[1]


def run_shard(project: Path, pack: Path, shard: str, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "plan.json"
        command = [str(Path(sys.executable).parent / "fintech-infra"), "plan", "--all", "--shard", shard]
        command += ["--project-dir", str(project), "--policy-pack", str(pack), "--jobs", str(jobs)]
        command += ["--format", "json", "--output", str(out)]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            raise SystemExit(f"shard {shard} failed ({completed.returncode}): {completed.stderr[-2000:]}")
        plan = json.loads(out.read_text(encoding="utf-8"))
    return {
        "shard": shard,
        "stacks": len(plan["stacks"]),
        "registrations": plan["resource_counts"]["registrations"],
        "wall": wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shards", description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=16)
    parser.add_argument("--cells-per-stack", type=int, default=4)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--jobs", type=int, default=2, help="parallel stacks inside each shard (default 2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "estate"
        write_split_estate(ROOT, project, stacks=args.stacks, cells_per_stack=args.cells_per_stack)
        print(f"{args.stacks} stacks x {args.cells_per_stack} cells, --jobs {args.jobs} per shard\n")
        print("| Shards | Shard | Stacks | Registrations | Wall s | ms / registration |")
        print("|---:|---:|---:|---:|---:|---:|")
        matrix = {}
        for count in args.shards:
            rows = [run_shard(project, ROOT / "policy", f"{k}/{count}", args.jobs) for k in range(1, count + 1)]
            for row in rows:
                per = 1000 * row["wall"] / max(row["registrations"], 1)
                print(
                    f"| {count} | {row['shard']} | {row['stacks']} | {row['registrations']} | "
                    f"{row['wall']:.1f} | {per:.2f} |",
                    flush=True,
                )
            matrix[count] = max(row["wall"] for row in rows)
        print()
        for count, wall in matrix.items():
            print(f"- {count} shard(s): matrix wall time {wall:.1f} s ({matrix[args.shards[0]] / wall:.2f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
