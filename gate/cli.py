"""``fintech-infra plan``: the offline preview gate; ``fintech-infra render``: re-render a saved plan;
``fintech-infra pack``: the policy pack this package ships, for a team's project.

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 bad config, a program error or a policy
pack that would not run (one `error:` block goes to stderr, without a traceback unless --debug, and no
output file is written or replaced).

With ``--output`` the report goes to the file and stdout still gets the one-line verdict (PASS or FAIL
with the counts); ``--quiet`` prints only that line.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from fintech_infra.attribution import ACTOR_VARIABLE, COMMIT_VARIABLE, attribution_from
from fintech_infra.errors import ConfigError, FintechInfraError, ProgramError
from fintech_infra_gate import pack, speedups
from fintech_infra_gate.analyzer import pack_version
from fintech_infra_gate.deploy_record import AwsCliS3, ObjectWriter, build_record, write_record
from fintech_infra_gate.formats import FORMATS, render, render_sarif
from fintech_infra_gate.graph import GRAPH_SUFFIXES, graph_text
from fintech_infra_gate.order import dependency_levels
from fintech_infra_gate.report import verdict_line
from fintech_infra_gate.result import PlanResult
from fintech_infra_gate.runner import GateOptions, plan, plan_stack
from fintech_infra_gate.shards import join_plans, parse_shard, shard_stacks
from fintech_infra_gate.stackfiles import Project, find_project_dir, load_project

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "main"]

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def _plain(text: str) -> str:
    """Docstring text for a terminal: RST inline literals (double backticks) and single backticks dropped."""
    return re.sub(r"``(.+?)``|`(.+?)`", lambda match: match.group(1) or match.group(2), text)


def _parser() -> argparse.ArgumentParser:
    doc = _plain(__doc__ or "")
    parser = argparse.ArgumentParser(
        prog="fintech-infra",
        description=doc.split("\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan_cmd = commands.add_parser(
        "plan",
        help="synthesize stacks offline and judge them with the policy pack",
        description=_plain(
            "Synthesize a stack under the Pulumi mock engine (no cloud account, no Pulumi CLI) and judge it "
            "with the policy pack over the analyzer protocol `pulumi preview --policy-pack` uses; values AWS "
            "would compute are plausible stand-ins (--preview leaves them unknown)."
        ),
    )
    which = plan_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="the stack file stacks/Pulumi.<STACK>.yaml to plan")
    which.add_argument("--all", action="store_true", help="every stack file, referenced stacks first")
    plan_cmd.add_argument(
        "--shard",
        metavar="K/N",
        help="with --all: plan only shard K of N (a stable split of the stack files, for a CI matrix; join the "
        "shards' --format json plans with: fintech-infra render)",
    )
    plan_cmd.add_argument(
        "--preview", action="store_true", help="a first preview: provider-computed values are unknown"
    )
    plan_cmd.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default text)")
    plan_cmd.add_argument("--output", type=Path, help="write the report here; stdout gets only the one-line verdict")
    plan_cmd.add_argument("--quiet", action="store_true", help="print only the one-line verdict (PASS or FAIL)")
    plan_cmd.add_argument("--graph", type=Path, help="also write an architecture diagram (.mmd or .dot)")
    plan_cmd.add_argument("--project-dir", type=Path, help="the Pulumi project (default: nearest Pulumi.yaml)")
    plan_cmd.add_argument("--policy-pack", type=Path, help="the policy pack directory (default: <project>/policy)")
    plan_cmd.add_argument(
        "--jobs", type=int, default=int(os.environ.get("JOBS", "2")), help="parallel stacks for --all (default 2)"
    )
    plan_cmd.add_argument(
        "--debug", action="store_true", help="on an error, also print the traceback (of the program or the gate)"
    )
    render_cmd = commands.add_parser(
        "render",
        help="re-render a saved --format json plan in another format",
        description=_plain(
            "Render a plan saved with `plan --format json` as text, sarif, junit or markdown, so CI "
            "plans once and publishes every format."
        ),
    )
    render_cmd.add_argument(
        "plan_json", type=Path, nargs="+", help="a file written by plan --format json; several (shards) are joined"
    )
    render_cmd.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format")
    render_cmd.add_argument("--output", type=Path, help="write here; stdout gets only the one-line verdict")
    render_cmd.add_argument("--quiet", action="store_true", help="print only the one-line verdict (PASS or FAIL)")
    render_cmd.add_argument("--graph", type=Path, help="also write the architecture diagram (.mmd or .dot)")
    render_cmd.add_argument("--stack-dir", default="stacks", help="stack file directory for SARIF locations")
    pack_cmd = commands.add_parser(
        "pack",
        help="the policy pack this package ships: copy it into a project, or show where it is",
        description=_plain(
            "Copy the fintech-guardrails policy pack into a folder of your project, for "
            "`pulumi preview --policy-pack DIR`, `pulumi policy publish` and `fintech-infra plan --policy-pack DIR`."
        ),
    )
    record_cmd = commands.add_parser(
        "record-deploy",
        help="write a deploy's audit record into a cell's Object Lock audit bucket (CI, after pulumi up)",
        description=_plain(
            "Write one JSON record (stack, commit, actor, approvers, the gate plan's SHA-256, the Pulumi update, "
            "times) under deployments/ in the bucket, locked in compliance mode for the retention. The commit and "
            "the actor come from FINTECH_INFRA_DEPLOY_COMMIT and FINTECH_INFRA_DEPLOY_ACTOR; the write goes "
            "through the AWS CLI."
        ),
    )
    record_cmd.add_argument("--stack", required=True)
    record_cmd.add_argument("--bucket", required=True, help="the cell's cells.<cell>.deploy_records.bucket output")
    record_cmd.add_argument("--retain-days", type=int, required=True, help="cells.<cell>.deploy_records.retain_days")
    record_cmd.add_argument("--plan", type=Path, required=True, help="the gate's JSON plan the deploy was approved on")
    record_cmd.add_argument("--update-id", required=True, help="the Pulumi update (pulumi stack history)")
    record_cmd.add_argument("--outcome", choices=("succeeded", "failed"), required=True)
    record_cmd.add_argument("--started", required=True, help="ISO 8601 time with offset")
    record_cmd.add_argument("--finished", required=True, help="ISO 8601 time with offset")
    record_cmd.add_argument("--approver", action="append", default=[], help="a reviewer who approved (repeat)")
    record_cmd.add_argument("--run-url", default="", help="the CI run")
    record_cmd.add_argument("--dry-run", action="store_true", help="print the record, write nothing")
    pack_what = pack_cmd.add_mutually_exclusive_group(required=True)
    pack_what.add_argument("--export", type=Path, metavar="DIR", help="copy the pack into DIR (new or empty)")
    pack_what.add_argument("--path", action="store_true", help="print the folder of the installed pack (read only)")
    return parser


def _pack(args: argparse.Namespace) -> int:
    try:
        if args.path:
            print(pack.pack_dir())
            return EXIT_OK
        files = pack.export(args.export)
    except FintechInfraError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    where = args.export
    print(f"fintech-guardrails {pack_version(where) or '(no version)'}: {len(files)} files in {where}")
    print(f"its virtualenv: python -m venv {where}/venv && {where}/venv/bin/pip install -r {where}/requirements.txt")
    return EXIT_OK


def _record_deploy(args: argparse.Namespace, client: ObjectWriter | None = None) -> int:
    try:
        attribution = attribution_from(os.environ)
        if attribution is None:
            raise ConfigError(f"{COMMIT_VARIABLE} and {ACTOR_VARIABLE}: unset; allowed: the deploy's commit and actor")
        record = build_record(
            stack=args.stack,
            attribution=attribution,
            approvers=args.approver,
            plan=args.plan,
            update_id=args.update_id,
            outcome=args.outcome,
            started=args.started,
            finished=args.finished,
            run_url=args.run_url,
        )
        if args.dry_run:
            sys.stdout.write(record.body().decode("utf-8"))
            return EXIT_OK
        request = write_record(record, bucket=args.bucket, retain_days=args.retain_days, client=client or AwsCliS3())
    except (FintechInfraError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"recorded s3://{args.bucket}/{request['Key']} (locked until {request['ObjectLockRetainUntilDate']})")
    return EXIT_OK


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so a reader never sees a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _check_graph(path: Path | None) -> None:
    if path is not None and path.suffix not in GRAPH_SUFFIXES:
        raise ConfigError(f"--graph {str(path)!r}: unknown diagram format; allowed: {', '.join(GRAPH_SUFFIXES)}")


def run_plan(args: argparse.Namespace) -> tuple[PlanResult, Project]:
    project_dir = (args.project_dir or find_project_dir(Path.cwd())).resolve()
    project = load_project(project_dir)
    pack_dir = (args.policy_pack or project_dir / "policy").resolve()
    _check_graph(args.graph)
    if args.jobs < 1:
        raise ConfigError(f"--jobs: {args.jobs!r} is not a positive number of workers")
    options = GateOptions(project_dir=project_dir, pack_dir=pack_dir, preview=args.preview, jobs=args.jobs)
    if args.shard is not None and not args.all:
        raise ConfigError(f"--shard {args.shard}: only with --all; allowed: --all --shard K/N")
    if args.all and args.shard is not None:
        started = time.perf_counter()
        names = shard_stacks(project, parse_shard(args.shard))
        if not names:  # more shards than stacks: this runner has nothing to judge
            return PlanResult(stacks=(), wall_seconds=time.perf_counter() - started), project
        return plan(options, names), project
    if args.all:
        return plan(options), project
    started = time.perf_counter()
    stack = plan_stack(options, args.stack)
    return PlanResult(stacks=(stack,), wall_seconds=time.perf_counter() - started), project


def _render_saved(args: argparse.Namespace) -> int:
    plans = []
    for path in args.plan_json:
        try:
            plans.append(PlanResult.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"error: {path}: not a plan saved with --format json ({error})", file=sys.stderr)
            return EXIT_ERROR
    try:
        _check_graph(args.graph)
        result = plans[0] if len(plans) == 1 else join_plans(plans, order=_stack_order())
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    text = render_sarif(result, stack_dir=args.stack_dir) if args.format == "sarif" else FORMATS[args.format](result)
    _deliver(args, result, text)
    if args.graph is not None:
        _write_atomically(args.graph, graph_text(result, args.graph))
    return EXIT_OK if result.passed else EXIT_VIOLATIONS


def _stack_order() -> list[str]:
    """The order ``plan --all`` reports stacks in, when the project is here; else none (joined by name)."""
    try:
        project = load_project(find_project_dir(Path.cwd()))
        return [name for level in dependency_levels(project, project.stack_names()) for name in level]
    except FintechInfraError:
        return []


def _deliver(args: argparse.Namespace, result: PlanResult, report: str) -> None:
    """The report to ``--output`` (and the verdict line to stdout), or the verdict line alone (``--quiet``),
    or the report to stdout."""
    if args.output is not None:
        _write_atomically(args.output, report)
    if args.output is not None or args.quiet:
        print(verdict_line(result))
    else:
        sys.stdout.write(report)


def _fail(message: str, detail: str = "", *, hint: bool = True) -> None:
    """One ``error:`` block on stderr (the traceback only with --debug), then any speed-up notices."""
    print(f"error: {message}", file=sys.stderr)
    if detail:
        print(detail.rstrip(), file=sys.stderr)
    elif hint and message.startswith(("internal error", "stack ")):
        print("(run with --debug for the traceback)", file=sys.stderr)
    _tell(speedups.notices())


def _tell(notices: Sequence[str]) -> None:
    """Each speed-up that is off against the user's wish (the gate's own, the packs'), once per run."""
    for notice in dict.fromkeys(notices):
        print(notice, file=sys.stderr)


def _exit_now(code: int) -> NoReturn:
    """End the console script without the interpreter's teardown of every imported module.

    After a plan the process holds the whole provider SDK; tearing it down object by object takes about
    a second, longer than rendering the report. Output is flushed and atexit handlers (which stop any
    pack process still running) run first, so nothing observable is skipped.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script (``argv`` None: read ``sys.argv`` and exit the process) or an in-process call."""
    if argv is None:
        speedups.collector_off()  # a short-lived process that ends with os._exit
    code = _main(argv)
    if argv is None:
        _exit_now(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        return _render_saved(args)
    if args.command == "pack":
        return _pack(args)
    if args.command == "record-deploy":
        return _record_deploy(args)
    try:
        result, project = run_plan(args)
        report = render(result, args.format, project_root=project.root, stack_dir=project.stack_dir)
        diagram = graph_text(result, args.graph) if args.graph is not None else None
    except FintechInfraError as error:
        detail = error.detail if isinstance(error, ProgramError) else ""
        _fail(str(error), detail if args.debug else "", hint=bool(detail) and not args.debug)
        return EXIT_ERROR
    except Exception as error:  # a bug in the gate: still one error block and exit 2, never exit 1's meaning
        _fail(f"internal error: {type(error).__name__}: {error}", traceback.format_exc() if args.debug else "")
        return EXIT_ERROR
    _tell((*speedups.notices(), *result.notices))
    _deliver(args, result, report)
    if diagram is not None:
        _write_atomically(args.graph, diagram)
    return EXIT_OK if result.passed else EXIT_VIOLATIONS


if __name__ == "__main__":
    sys.exit(main())
