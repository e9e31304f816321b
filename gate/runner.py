"""Plan stacks: synthesize the program under the mock engine, then judge it with the policy pack.

One stack runs in one process: the pack is launched first so its start-up overlaps synthesis, the program
runs under :func:`fintech_infra.testing.synthesize` with the stack file's config (and the gate's speed-ups,
:mod:`fintech_infra_gate.speedups`), and each resource is sent
to the pack as it registers, through a relay process (:mod:`fintech_infra_gate.relay`) so the gRPC client work
runs beside the pack rather than on the program's core. ``--all`` runs the stacks in parallel worker
processes (the SDK's runtime state is per process), each stack once the stacks it reads through
``StackReference`` are done (:mod:`fintech_infra_gate.order`), handing it their exports.

On Linux the workers are forked from a parent that has already imported what the program needs
(:mod:`fintech_infra_gate.preload`, a speed-up too) and started the policy pack of every stack, one after another on the
second core while the parent imports; no worker pays the imports again. Both cores are busy with
synthesis there, so a worker makes its pack's calls itself (:class:`~fintech_infra_gate.relay_client.LocalRelay`):
a relay process per stack would only add its start-up (``plan --all`` took 6.0 s with them, 5.45 s without).
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from fintech_infra.errors import ConfigError, ProgramError
from fintech_infra.testing import RecordedResource, Recording, engine_config, synthesize
from fintech_infra_gate import speedups
from fintech_infra_gate.analyzer import PolicyPackProcess, channels_open
from fintech_infra_gate.judge import StreamingJudge
from fintech_infra_gate.order import dependency_levels, referenced_closure, references_of
from fintech_infra_gate.policyconfig import read_policy_config
from fintech_infra_gate.preload import GATE_MODULES, preload
from fintech_infra_gate.relay_client import LocalRelay, Relay
from fintech_infra_gate.result import PlanResult, StackResult, Timings
from fintech_infra_gate.stackfiles import Project, StackFile, load_project

__all__ = ["GateOptions", "ProgramError", "plan", "plan_stack", "stack_exports", "synthesize_stack"]

Exports = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class GateOptions:
    project_dir: Path
    pack_dir: Path
    preview: bool = False
    jobs: int = 2


def _program(project: Project) -> Callable[[], None]:
    target = project.main.parent if project.main.name == "__main__.py" else project.main

    def program() -> None:
        # A directory runs its __main__.py with the directory first on sys.path, as the language host does.
        runpy.run_path(str(target), run_name="__main__")

    return program


def _qualified_outputs(stack: StackFile, references: Mapping[str, str], exports: Exports) -> dict[str, Any]:
    """StackReference answers keyed by the fully qualified names the program passes."""
    qualified = stack.references
    return {qualified[path]: dict(exports[name]) for path, name in references.items() if name in exports}


def _where(project: Project, stack: StackFile) -> str:
    return str(stack.path.relative_to(project.root)) if stack.path.is_relative_to(project.root) else stack.path.name


def synthesize_stack(
    project: Project,
    stack: StackFile,
    *,
    preview: bool,
    exports: Exports | None = None,
    on_register: Callable[[RecordedResource], None] | None = None,
) -> Recording:
    """Run the project's program for ``stack`` under the mock engine."""
    references = references_of(project, stack)
    try:
        with speedups.during_synthesis():
            return synthesize(
                _program(project),
                project=project.name,
                stack=stack.name,
                config=stack.config,
                secret_keys=stack.secret_keys,
                preview=preview,
                stack_outputs=_qualified_outputs(stack, references, exports or {}),
                default_region=stack.aws_region,
                on_register=on_register,
            )
    except ConfigError as error:
        raise ConfigError(f"{_where(project, stack)}: {error}", problems=error.problems) from error
    except pulumi.RunError as error:  # the SDK's "clean exit": a message for the user, not a crash
        raise ConfigError(f"{_where(project, stack)}: {error}") from error
    except Exception as error:  # the program's own failure; its traceback is shown with --debug (exit 2)
        raise ProgramError(
            f"stack {stack.name!r}: the program failed: {type(error).__name__}: {error}", traceback.format_exc()
        ) from error


_PRESTARTED: dict[tuple[str, bool], tuple[PolicyPackProcess, Relay | LocalRelay]] = {}
"""Packs and relays the ``--all`` parent started before forking its workers, by (stack, preview); a worker
takes its own."""


def _pack_process(options: GateOptions, project: Project, stack: StackFile) -> PolicyPackProcess:
    return PolicyPackProcess(
        options.pack_dir,
        project=project.name,
        stack=stack.name,
        organization=stack.organization,
        dry_run=options.preview,
        config=engine_config(stack.config),
    )


def plan_stack(options: GateOptions, name: str, exports: Exports | None = None) -> StackResult:
    """Plan one stack. Without ``exports``, the stacks it references are synthesized first in this process."""
    started = time.perf_counter()
    project = load_project(options.project_dir)
    stack = project.stack(name)
    references = references_of(project, stack)
    policy_path = project.policy_config_path(options.pack_dir, stack.environment)
    policy_config = read_policy_config(policy_path)
    reference_seconds = 0.0
    if exports is None:
        collected: dict[str, Mapping[str, Any]] = {}
        for referenced in referenced_closure(project, name):
            collected[referenced] = synthesize_stack(
                project, project.stack(referenced), preview=options.preview, exports=collected
            ).exports
        exports = collected
        reference_seconds = time.perf_counter() - started
    prestarted = _PRESTARTED.pop((name, options.preview), None)
    pack, relay = prestarted or (_pack_process(options, project, stack), Relay())
    with pack as process, relay:
        judge = StreamingJudge(
            process,
            relay,
            policy_config=policy_config,
            policy_config_source=str(policy_path.relative_to(options.pack_dir.parent)) if policy_path else "",
            stack_config=stack.config,
            secret_keys=stack.secret_keys,
            tags=project.stack_tags,
        ).start()
        synthesis_started = time.perf_counter()
        try:
            recording = synthesize_stack(
                project, stack, preview=options.preview, exports=exports, on_register=judge.submit
            )
        except BaseException:
            # Close the pack at once rather than wait for it to finish starting: a refused config is reported
            # in a fraction of a second. The configuration thread then fails on the closed pack and ends.
            judge.cancel()
            process.close()
            relay.close()
            judge.stopped(process.stop_timeout)
            raise
        synthesis = time.perf_counter() - synthesis_started
        # Policy time is what remains after synthesis: the Analyze calls ran alongside it on the pack's core.
        policy_started = time.perf_counter()
        verdict = judge.finish(recording)
        policy = time.perf_counter() - policy_started
        pack_wait = process.startup_seconds
    notices = process.notices()
    timings = Timings(
        synthesis=synthesis,
        policy=policy,
        pack_start_wait=pack_wait,
        references=reference_seconds,
        total=time.perf_counter() - started,
    )
    return StackResult.of(
        recording, verdict, environment=stack.environment, timings=timings, references=references, notices=notices
    )


def stack_exports(options: GateOptions, name: str, exports: Exports) -> Mapping[str, Any]:
    """Synthesize ``name`` for its exports alone (a stack another shard judges, read here by StackReference)."""
    project = load_project(options.project_dir)
    return synthesize_stack(project, project.stack(name), preview=options.preview, exports=exports).exports


def _forking() -> bool:
    # Elsewhere fork is unsafe (macOS) or missing (Windows); spawned workers import everything themselves.
    # A process that already talks gRPC to a pack (a library caller's) spawns too: gRPC state isn't fork-safe.
    return sys.platform.startswith("linux") and not channels_open()


def _executor(jobs: int) -> Executor | None:
    if jobs <= 1:
        return None
    # fork only from a parent that holds no gRPC channel and no SDK runtime state yet (see plan()).
    method = "fork" if _forking() else "spawn"
    context = multiprocessing.get_context(method)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=speedups.collector_off)


def _prestart(options: GateOptions, project: Project, names: list[str]) -> threading.Thread:
    """Start the packs of ``names`` on a background thread, one after another, each once the previous is up.

    One at a time, the packs' start-ups share one core while the parent imports on the other; all six at
    once competed with the parent's imports for both cores and delayed the fork by about 0.7 s. The caller
    joins the thread before forking (no thread may be inside ``Popen`` at the fork).
    """
    queued = []
    for name in names:
        key = (name, options.preview)
        if key not in _PRESTARTED:
            _PRESTARTED[key] = (_pack_process(options, project, project.stack(name)), LocalRelay())
            queued.append(_PRESTARTED[key][0])

    def start_in_turn() -> None:
        for process in queued:
            process.start()
            process.wait_listening()  # a pack that fails is reported by the worker that connects to it

    starter = threading.Thread(target=start_in_turn, name="pack-starter", daemon=True)
    starter.start()
    return starter


def _stop_prestarted() -> None:
    while _PRESTARTED:
        _, (process, relay) = _PRESTARTED.popitem()
        relay.close()
        process.close()


_SMALLER_LAST = {"staging": 1, "dev": 2}
"""Environments whose stacks are smaller by design, in the order they are left for last."""


def _run_as_ready(
    executor: Executor,
    options: GateOptions,
    project: Project,
    levels: list[list[str]],
    results: dict[str, StackResult],
    exports: dict[str, Mapping[str, Any]],
    judged: set[str],
) -> None:
    """Plan every stack of ``levels`` on ``executor``, each as soon as the stacks it reads are done.

    At most ``options.jobs`` stacks are handed over at a time, so the next one is always chosen then: a stack
    other stacks read goes first (the stacks waiting for it can start sooner), then by level, then production
    before staging before dev (non-production stacks are smaller by design: single-AZ, no DR region; the
    small ones last keep both workers busy to the end), then by name. A stack that reads others (``global``)
    runs beside the last independent ones instead of after them. A stack outside ``judged`` is only
    synthesized, for the exports the judged stacks read.
    """
    stacks = {name: project.stack(name) for level in levels for name in level}
    reads = {name: set(references_of(project, stack).values()) for name, stack in stacks.items()}
    read_by = {name: sum(name in wanted for wanted in reads.values()) for name in reads}
    rank = {
        name: (-read_by[name], depth, _SMALLER_LAST.get(stacks[name].environment or "", 0), name)
        for depth, level in enumerate(levels)
        for name in level
    }
    waiting = set(reads)
    running: dict[Future[Any], str] = {}
    while waiting or running:
        ready = sorted((name for name in waiting if reads[name] <= exports.keys()), key=rank.__getitem__)
        for name in ready[: max(options.jobs - len(running), 0)]:
            waiting.discard(name)
            job = plan_stack if name in judged else stack_exports
            running[executor.submit(job, options, name, dict(exports))] = name
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            name = running.pop(future)
            outcome = future.result()  # a stack's error ends the run (the caller cancels the rest)
            if name in judged:
                results[name] = outcome
                exports[name] = outcome.exports
            else:
                exports[name] = outcome


def plan(options: GateOptions, names: list[str] | None = None) -> PlanResult:
    """Plan ``names`` (every stack file when None) in dependency order; the stacks they read but that are not
    among them are synthesized for their exports, not judged."""
    started = time.perf_counter()
    project = load_project(options.project_dir)
    wanted = names if names is not None else project.stack_names()
    if not wanted:
        raise ConfigError(f"{project.stack_dir.name}/: no Pulumi.<stack>.yaml stack files to plan")
    levels = dependency_levels(project, wanted)
    judged = set(wanted)
    results: dict[str, StackResult] = {}
    exports: dict[str, Mapping[str, Any]] = {}
    parallel = any(len(level) > 1 for level in levels)
    executor = _executor(options.jobs) if parallel else None
    starter: threading.Thread | None = None
    try:
        if executor is not None and _forking():
            # Workers fork at the first submit: start every stack's pack (one at a time, on the other core),
            # and import what the program and the gate need meanwhile, so both happen before the fork and
            # neither is repeated per worker (whose collector is off: it never walks the inherited pages).
            starter = _prestart(options, project, [name for level in levels for name in level if name in judged])
            if speedups.enabled():
                preload(project.main, project.root, also=GATE_MODULES)
            starter.join()
        if executor is None:
            for level in levels:
                for name in level:
                    if name in judged:
                        results[name] = plan_stack(options, name, dict(exports))
                        exports[name] = results[name].exports
                    else:
                        exports[name] = stack_exports(options, name, dict(exports))
        else:
            _run_as_ready(executor, options, project, levels, results, exports, judged)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if starter is not None:
            starter.join()
        # The workers used (and stopped) these packs; the parent started them, so it reaps them.
        _stop_prestarted()
    ordered = [results[name] for level in levels for name in level if name in judged]
    return PlanResult(stacks=tuple(ordered), wall_seconds=time.perf_counter() - started)
