"""The gate's speed-ups: what makes a run faster without changing what it records or the verdict.

* :func:`during_synthesis` pauses the cyclic garbage collector while a program runs, and skips the SDK's walk
  of the Python stack on every registration (it swaps the private ``pulumi.runtime.resource._get_stack_trace``);
* :func:`collector_off` leaves the collector off for the whole of a short-lived gate process;
* :mod:`fintech_infra_gate.preload` warms the ``--all`` parent before it forks its workers.

The harness (:mod:`fintech_infra.testing`) does none of this: it runs a program as ``pulumi up`` does, and
the gate applies these around its calls to it. The policy pack keeps its own speed-ups
(``policy/fintech_guardrails/speedups.py``).

One switch turns every speed-up off, the gate's and the pack's: ``FINTECH_INFRA_SPEEDUPS=0`` (also ``false``,
``no``, ``off``) in the gate's environment, which its pack processes inherit. ``tests/stacks/test_speedups_off.py``
plans every shipped stack both ways and compares the verdicts.

A speed-up whose precondition is gone (an SDK upgrade removed the private function it swaps) stays off, and
:func:`notices` says which and why, one line each; the gate prints each such line once per run on stderr.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["SWITCH", "collector_off", "during_synthesis", "enabled", "notices"]

SWITCH = "FINTECH_INFRA_SPEEDUPS"
"""The environment variable that turns every speed-up off (the policy pack reads the same one)."""
_OFF = ("0", "false", "no", "off")

_STACK_WALK = ("pulumi.runtime.resource", "_get_stack_trace")
"""The SDK function :func:`during_synthesis` swaps: (module, name)."""


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when :data:`SWITCH` is ``0``, ``false``, ``no`` or ``off``; on otherwise."""
    value = (os.environ if environ is None else environ).get(SWITCH, "")
    return value.strip().lower() not in _OFF


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _stack_walk() -> tuple[Any, Any] | None:
    """The SDK module whose stack walk is swapped, and the empty trace that replaces it; None if either is gone."""
    module_name, function = _STACK_WALK
    try:
        module = importlib.import_module(module_name)
        from pulumi.runtime.proto import source_pb2

        empty = source_pb2.StackTrace
    except (ImportError, AttributeError):
        return None
    return (module, empty) if callable(getattr(module, function, None)) else None


def notices() -> tuple[str, ...]:
    """One line per speed-up that is switched on but cannot work with the SDK installed, saying why."""
    if not enabled() or _stack_walk() is not None:
        return ()
    return (
        f"fintech-infra: speedups off: the SDK's stack walk is not skipped: pulumi {_version('pulumi')} has no "
        f"{'.'.join(_STACK_WALK)}; verdicts are unchanged, only slower",
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a program runs; it is re-enabled (if it was) afterwards.

    A synthesis allocates millions of objects that stay alive until it ends (Outputs, futures, the
    recording), so every collection re-walks a growing live set and frees almost nothing: with CPython's
    defaults the collections were about a third of a stack's synthesis, and with a raised young threshold
    still 11% (prod-uk 2.04 s -> 1.82 s; the 16-cell estate 15.1 s -> 13.5 s for 33 MB more peak memory,
    724 MB). Garbage made meanwhile is collected by the next automatic collection after the run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _without_stack_traces() -> Iterator[None]:
    """Skip the SDK's walk of the Python stack on every registration while a program runs; restored after.

    The walk only feeds the source position and stack trace sent with each registration, which the mock
    monitor records neither of; it is about 15% of a synthesis (prod-eu: 0.95 s -> 0.82 s CPU, warm).
    Without the function to swap (see :func:`notices`) the program runs with the SDK's own walk.
    """
    found = _stack_walk()
    if found is None:
        yield
        return
    module, empty = found
    function = _STACK_WALK[1]
    saved = getattr(module, function)
    setattr(module, function, empty)
    try:
        yield
    finally:
        setattr(module, function, saved)


@contextlib.contextmanager
def during_synthesis() -> Iterator[None]:
    """The speed-ups for one synthesis (collector paused, stack walk skipped); nothing when switched off."""
    if not enabled():
        yield
        return
    with _collector_paused(), _without_stack_traces():
        yield


def collector_off() -> None:
    """Leave the cyclic collector off in this process (the console script, an ``--all`` worker).

    Both are short-lived and end with the run, so the ~150,000 objects of cyclic garbage each synthesis
    leaves are freed at exit rather than traced on the way to the next stack (0.1-0.25 s a stack).
    """
    if enabled():
        gc.disable()
