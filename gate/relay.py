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

This module is the relay process (``python -m fintech_infra_gate.relay``) and the calls it makes, and it
imports nothing of the project but :mod:`fintech_infra_gate.policyschema`, so the process stays small. A
failed call is an ``ERROR`` answer here, never an exception; the gate's end of the pipe
(:mod:`fintech_infra_gate.relay_client`) raises :class:`~fintech_infra.errors.RelayError` for it.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator
from typing import IO, Any

from fintech_infra_gate.policyschema import schema_problems

__all__ = [
    "IN_FLIGHT",
    "AnalyzerCalls",
    "Answer",
    "main",
    "not_listening",
    "open_channel",
    "read_frame",
    "write_frame",
]

CONNECT, CALL, ANALYZE, FINISH, VALIDATE, EXIT = b"C", b"M", b"A", b"F", b"V", b"X"
OK, ERROR = b"+", b"-"
SERVICE = "/pulumirpc.Analyzer/"
MAX_MESSAGE = 400 * 1024 * 1024
_HEADER = struct.Struct(">cI")
IN_FLIGHT = 128
"""``Analyze`` calls outstanding at once: the pack's four server threads stay busy, and gRPC stays calm."""

Answer = tuple[bytes, bytes]
"""One answer as the relay frames it: (``OK``, response) or (``ERROR``, message)."""


def write_frame(stream: IO[bytes], kind: bytes, payload: bytes = b"") -> None:
    stream.write(_HEADER.pack(kind, len(payload)) + payload)


def read_frame(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    """The next frame; None at the end of the stream (or a frame cut short)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, length = _HEADER.unpack(header)
    payload = stream.read(length) if length else b""
    if len(payload) < length:
        return None
    return kind, payload


def _details(error: Any) -> str:
    return str(error.details()) if hasattr(error, "details") else str(error)


def _failed(method: str, why: str) -> Answer:
    return ERROR, f"failed in {method}: {why}".encode()


def not_listening(port: int) -> str:
    return f"did not accept a connection on port {port}"


def open_channel(port: int, timeout: float = 60.0) -> Any | None:
    """A gRPC channel to the pack on ``port``, once it accepts connections; None if it never does."""
    import grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", MAX_MESSAGE)])
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        return None
    return channel


class AnalyzerCalls:
    """Analyzer calls over one gRPC channel, bytes in and :data:`Answer` out.

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

    def connect(self, port: int) -> Answer:
        channel = open_channel(port)
        if channel is None:
            return ERROR, not_listening(port).encode()
        self._use(channel)
        return OK, b""

    def call(self, method: str, request: bytes) -> Answer:
        import grpc

        if self.channel is None:
            return _failed(method, "not connected to the pack")
        try:
            return OK, bytes(self.channel.unary_unary(SERVICE + method)(request))
        except grpc.RpcError as error:
            return _failed(method, _details(error))

    def analyze(self, request: bytes) -> None:
        # Thousands of calls in flight at once (a 16-cell stack's held requests sent together) made gRPC
        # cancel some; waiting for the oldest beyond the limit keeps the pipeline full without that.
        while len(self.pending) - self._settled >= self.in_flight:
            oldest = self.pending[self._settled]
            if oldest is not None:
                oldest.exception()  # waits; an error is answered, in order, by answers()
            self._settled += 1
        self.pending.append(self._analyze.future(request) if self.channel is not None else None)

    def answers(self) -> Iterator[Answer]:
        """Each pending ``Analyze`` answer in order, ending with the first ``ERROR`` if one failed."""
        import grpc

        pending, self.pending, self._settled = self.pending, [], 0
        for future in pending:
            if future is None:
                yield _failed("Analyze", "not connected to the pack")
                return
            try:
                yield OK, bytes(future.result())
            except grpc.RpcError as error:
                yield _failed("Analyze", _details(error))
                return

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None


# -- the relay process -----------------------------------------------------------------------------------


def _validate(payload: bytes) -> Answer:
    asked = json.loads(payload)
    checks = [(name, schema, properties) for name, schema, properties in asked["checks"]]
    return OK, json.dumps(schema_problems(checks, asked["source"])).encode()


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    calls = AnalyzerCalls()
    while (frame := read_frame(stdin)) is not None and frame[0] != EXIT:
        kind, payload = frame
        if kind == ANALYZE:
            calls.analyze(payload)
            continue
        if kind == CONNECT:
            write_frame(stdout, *calls.connect(int(payload)))
        elif kind == CALL:
            method, _, request = payload.partition(b"\0")
            write_frame(stdout, *calls.call(method.decode(), request))
        elif kind == FINISH:
            for answer in calls.answers():
                write_frame(stdout, *answer)
        elif kind == VALIDATE:
            write_frame(stdout, *_validate(payload))
        stdout.flush()
    calls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
