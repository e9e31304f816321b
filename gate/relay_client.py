"""The gate's end of the analyzer relay: :class:`Relay` drives a relay process, :class:`LocalRelay` makes
the same calls in this process. Both raise :class:`~fintech_infra.errors.RelayError` for a failed call.

The relay process and its frames are :mod:`fintech_infra_gate.relay`'s; this module holds what only the
gate's own process needs, so the relay process imports none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from typing import IO

from fintech_infra.errors import RelayError
from fintech_infra_gate.policyschema import Check, schema_problems
from fintech_infra_gate.relay import (
    ANALYZE,
    CALL,
    CONNECT,
    ERROR,
    EXIT,
    FINISH,
    VALIDATE,
    AnalyzerCalls,
    Answer,
    read_frame,
    write_frame,
)

__all__ = ["LocalRelay", "Relay", "RelayError", "answered", "local_channels_open"]

_PIPE_BYTES = 1 << 20
"""Pipe buffer asked for on Linux (its default maximum): a burst of registrations never blocks the program."""
_WRITE_BUFFER = 1 << 16
"""Bytes of ``Analyze`` requests gathered before a write to the relay's pipe."""


def answered(answer: Answer) -> bytes:
    """The response in ``answer``; :class:`RelayError` with its message if it is an ``ERROR``."""
    kind, payload = answer
    if kind == ERROR:
        raise RelayError(payload.decode(errors="replace"))
    return payload


def _widen(stream: IO[bytes]) -> None:
    with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
        import fcntl  # Linux has F_SETPIPE_SZ; elsewhere the default pipe buffer stays

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class Relay:
    """The gate's end of one relay process. Start it early (its start-up overlaps the pack's), then
    :meth:`connect` it to the pack's port; :meth:`close` always stops it."""

    def __init__(self, *, stop_timeout: float = 5.0) -> None:
        self.stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._owner = 0
        self.sent = 0
        """``ANALYZE`` frames written since the last :meth:`finish`."""

    def start(self) -> Relay:
        if self._process is None:
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the process
            self._owner = os.getpid()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "fintech_infra_gate.relay"],
                bufsize=_WRITE_BUFFER,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
            assert self._process.stdin is not None
            _widen(self._process.stdin)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _streams(self) -> tuple[IO[bytes], IO[bytes]]:
        process = self.start()._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        return process.stdin, process.stdout

    def _send(self, kind: bytes, payload: bytes = b"", *, flush: bool = True) -> None:
        stdin, _ = self._streams()
        try:
            write_frame(stdin, kind, payload)
            if flush:
                stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._gone() from None

    def _answer(self) -> bytes:
        _, stdout = self._streams()
        frame = read_frame(stdout)
        if frame is None:
            raise self._gone()
        return answered(frame)

    def _gone(self) -> RelayError:
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            tail = self._stderr.read().decode(errors="replace").strip()[-2000:]
        return RelayError("the analyzer relay exited" + (f":\n{tail}" if tail else ""))

    def connect(self, port: int) -> None:
        with self._lock:
            self._send(CONNECT, str(port).encode())
            self._answer()

    def call(self, method: str, request: bytes) -> bytes:
        """One call, answered before this returns (``GetAnalyzerInfo``, ``Configure``, ``AnalyzeStack``...)."""
        with self._lock:
            self._send(CALL, method.encode() + b"\0" + request)
            return self._answer()

    def validate(self, checks: list[Check], source: str) -> list[str]:
        """:func:`~fintech_infra_gate.policyschema.schema_problems`, run in the relay process."""
        with self._lock:
            self._send(VALIDATE, json.dumps({"checks": checks, "source": source}).encode())
            return list(json.loads(self._answer()))

    def analyze(self, request: bytes) -> None:
        """Send one ``Analyze`` without waiting for its answer; safe from any thread."""
        with self._lock:
            # Left in the write buffer until it fills (or a call flushes it): each write to the pipe lets
            # go of the GIL, and taking it back cost the program's thread up to a switch interval.
            self._send(ANALYZE, request, flush=False)
            self.sent += 1

    def finish(self) -> list[bytes]:
        """Every ``Analyze`` answer since the last finish, in the order they were sent."""
        with self._lock:
            self._send(FINISH)
            count, self.sent = self.sent, 0
            return [self._answer() for _ in range(count)]

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(OSError, ValueError):
                assert process.stdin is not None
                write_frame(process.stdin, EXIT)
                process.stdin.close()
            if os.getpid() == self._owner:
                try:
                    process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            else:
                # A forked worker can't wait for its parent's child: it asks the relay to exit (above),
                # and the parent, which started it, reaps it.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()


_LOCAL: weakref.WeakSet[LocalRelay] = weakref.WeakSet()


def local_channels_open() -> bool:
    """True while a :class:`LocalRelay` of this process holds a channel (forking then is unsafe)."""
    return any(relay.open for relay in list(_LOCAL))


class LocalRelay:
    """:class:`Relay`'s interface with the calls made in this process (its gRPC channel lives here)."""

    def __init__(self) -> None:
        self._calls = AnalyzerCalls()
        self._lock = threading.Lock()
        self.sent = 0
        _LOCAL.add(self)

    def start(self) -> LocalRelay:
        return self

    def connect(self, port: int) -> None:
        with self._lock:
            answered(self._calls.connect(port))

    def call(self, method: str, request: bytes) -> bytes:
        with self._lock:
            return answered(self._calls.call(method, request))

    def validate(self, checks: list[Check], source: str) -> list[str]:
        return schema_problems(checks, source)

    def analyze(self, request: bytes) -> None:
        with self._lock:
            self._calls.analyze(request)
            self.sent += 1

    def finish(self) -> list[bytes]:
        with self._lock:
            self.sent = 0
            return [answered(answer) for answer in self._calls.answers()]

    @property
    def open(self) -> bool:
        return self._calls.channel is not None

    def close(self) -> None:
        with self._lock:
            self._calls.close()

    def __enter__(self) -> LocalRelay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
