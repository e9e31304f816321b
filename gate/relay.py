"""Carry the gate's analyzer calls to the policy pack from a small process of its own, as the engine does.

Under ``pulumi preview`` the engine is a process apart from the program: the program registers resources
and the engine makes the analyzer calls. The gate runs the program in its own process, whose core is the
one that bounds the gate's speed, so the calls are made by a relay: a second process, small to start
(gRPC and the policy-config checker), that receives each request as serialized bytes over a pipe and
calls the pack. It never parses an analyzer message (bytes in, bytes out). Made from the gate's process,
each ``Analyze`` cost that core about 0.25 ms of gRPC client work plus thread hand-offs under the GIL;
through the relay it costs a pipe write, and the client work runs on the core the pack already uses.

Frames, both ways: one byte of kind, four bytes of big-endian length, the payload.

* gate -> relay: ``CONNECT`` (the pack's port), ``CALL`` (method name, NUL, request), ``ANALYZE`` (request;
  pipelined, no answer yet), ``FINISH`` (answer every ``ANALYZE`` so far), ``VALIDATE`` (policy config to
  check against the pack's schemas, JSON), ``EXIT``.
* relay -> gate: ``OK`` (response) or ``ERROR`` (message) for ``CONNECT``, each ``CALL`` and ``VALIDATE``
  (its ``OK`` holds the problems found, JSON); for ``FINISH`` one ``OK`` per ``ANALYZE`` in the order sent,
  or an ``ERROR`` at the first that failed.

The policy config is validated here too, as the engine validates it: the JSON Schema library takes 0.08 s
to import, which is a twentieth of a small stack's synthesis when paid on the program's core.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterator
from typing import IO, Any

from fintech_infra_gate.policyconfig import Check, schema_problems

__all__ = ["AnalyzerCalls", "LocalRelay", "Relay", "RelayError", "local_channels_open", "main", "open_channel"]

CONNECT, CALL, ANALYZE, FINISH, VALIDATE, EXIT = b"C", b"M", b"A", b"F", b"V", b"X"
OK, ERROR = b"+", b"-"
SERVICE = "/pulumirpc.Analyzer/"
MAX_MESSAGE = 400 * 1024 * 1024
_HEADER = struct.Struct(">cI")
IN_FLIGHT = 128
"""``Analyze`` calls outstanding at once: the pack's four server threads stay busy, and gRPC stays calm."""
_PIPE_BYTES = 1 << 20
"""Pipe buffer asked for on Linux (its default maximum): a burst of registrations never blocks the program."""
_WRITE_BUFFER = 1 << 16
"""Bytes of ``Analyze`` requests gathered before a write to the relay's pipe."""


class RelayError(Exception):
    """The relay (or the pack behind it) answered with an error, or went away."""


def _write(stream: IO[bytes], kind: bytes, payload: bytes = b"") -> None:
    stream.write(_HEADER.pack(kind, len(payload)) + payload)


def _read(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, length = _HEADER.unpack(header)
    payload = stream.read(length) if length else b""
    if len(payload) < length:
        return None
    return kind, payload


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
            _write(stdin, kind, payload)
            if flush:
                stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._gone() from None

    def _answer(self) -> bytes:
        _, stdout = self._streams()
        frame = _read(stdout)
        if frame is None:
            raise self._gone()
        kind, payload = frame
        if kind == ERROR:
            raise RelayError(payload.decode(errors="replace"))
        return payload

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
        """:func:`~fintech_infra_gate.policyconfig.schema_problems`, run in the relay process."""
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
                _write(process.stdin, EXIT)
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


# -- the calls themselves (made in the relay process, or in this one by LocalRelay) ---------------------


def _details(error: Any) -> str:
    return str(error.details()) if hasattr(error, "details") else str(error)


def open_channel(port: int, timeout: float = 60.0) -> Any:
    """A gRPC channel to the pack on ``port``, once it accepts connections; :class:`RelayError` if it never does."""
    import grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", MAX_MESSAGE)])
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise RelayError(f"did not accept a connection on port {port}") from None
    return channel


class AnalyzerCalls:
    """Analyzer calls over one gRPC channel, bytes in and bytes out; failures raise :class:`RelayError`.

    ``Analyze`` calls are pipelined, at most ``in_flight`` outstanding, and answered in the order sent.
    """

    def __init__(self, channel: Any = None, *, in_flight: int = IN_FLIGHT) -> None:
        self.channel: Any = None
        self.in_flight = in_flight
        self.pending: list[Any] = []
        self._settled = 0
        if channel is not None:
            self._use(channel)

    def _use(self, channel: Any) -> None:
        self.channel = channel
        self._analyze = channel.unary_unary(SERVICE + "Analyze")

    def connect(self, port: int) -> None:
        self._use(open_channel(port))

    def call(self, method: str, request: bytes) -> bytes:
        import grpc

        if self.channel is None:
            raise RelayError(f"failed in {method}: not connected to the pack")
        try:
            return bytes(self.channel.unary_unary(SERVICE + method)(request))
        except grpc.RpcError as error:
            raise RelayError(f"failed in {method}: {_details(error)}") from None

    def analyze(self, request: bytes) -> None:
        # Thousands of calls in flight at once (a 16-cell stack's held requests sent together) made gRPC
        # cancel some; waiting for the oldest beyond the limit keeps the pipeline full without that.
        while len(self.pending) - self._settled >= self.in_flight:
            oldest = self.pending[self._settled]
            if oldest is not None:
                oldest.exception()  # waits; an error is raised, in order, by answers()
            self._settled += 1
        self.pending.append(self._analyze.future(request) if self.channel is not None else None)

    def answers(self) -> Iterator[bytes]:
        """Each pending ``Analyze`` answer in order; raises at the first that failed."""
        import grpc

        pending, self.pending, self._settled = self.pending, [], 0
        for future in pending:
            if future is None:
                raise RelayError("failed in Analyze: not connected to the pack")
            try:
                yield bytes(future.result())
            except grpc.RpcError as error:
                raise RelayError(f"failed in Analyze: {_details(error)}") from None

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None


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
            self._calls.connect(port)

    def call(self, method: str, request: bytes) -> bytes:
        with self._lock:
            return self._calls.call(method, request)

    def validate(self, checks: list[Check], source: str) -> list[str]:
        return schema_problems(checks, source)

    def analyze(self, request: bytes) -> None:
        with self._lock:
            self._calls.analyze(request)
            self.sent += 1

    def finish(self) -> list[bytes]:
        with self._lock:
            self.sent = 0
            return list(self._calls.answers())

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


# -- the relay process -----------------------------------------------------------------------------------


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    calls = AnalyzerCalls()
    while (frame := _read(stdin)) is not None and frame[0] != EXIT:
        kind, payload = frame
        try:
            if kind == ANALYZE:
                calls.analyze(payload)
                continue
            if kind == CONNECT:
                calls.connect(int(payload))
                _write(stdout, OK)
            elif kind == CALL:
                method, _, request = payload.partition(b"\0")
                _write(stdout, OK, calls.call(method.decode(), request))
            elif kind == FINISH:
                for answer in calls.answers():
                    _write(stdout, OK, answer)
            elif kind == VALIDATE:
                asked = json.loads(payload)
                checks = [(name, schema, properties) for name, schema, properties in asked["checks"]]
                _write(stdout, OK, json.dumps(schema_problems(checks, asked["source"])).encode())
        except RelayError as error:
            _write(stdout, ERROR, str(error).encode())
        stdout.flush()
    calls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
