"""Run a real policy pack as the Pulumi engine does, and make the analyzer gRPC calls to it.

The pack runs as its own process, started the way the CLI's ``pulumi-analyzer-policy-python`` shim starts
it: ``python -u -m pulumi.policy <engine-address> <pack-dir>`` with ``PULUMI_PROJECT``, ``PULUMI_STACK``,
``PULUMI_DRY_RUN``, ``PULUMI_ORGANIZATION`` and ``PULUMI_CONFIG`` set and the pack directory as working
directory. The pack prints its port; then ``GetAnalyzerInfo``, ``Configure``, ``ConfigureStack``, ``Analyze``
for every resource (inputs), ``AnalyzeStack`` once (outputs), and the process is stopped.

``pulumi.policy``'s entry point never connects to the engine address (it configures the runtime without
one, so a pack's ``pulumi.log`` calls go to its stderr, which the gate captures), so no engine service is
served here; the argument is still passed because the shim's contract requires it. Turning a recording
into those calls and the answers into a verdict is :mod:`fintech_infra_gate.judge`'s.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from fintech_infra.errors import PolicyPackError, RelayError
from fintech_infra_gate.policyconfig import reconcile
from fintech_infra_gate.policyschema import Check, schema_problems
from fintech_infra_gate.relay import AnalyzerCalls, not_listening, open_channel
from fintech_infra_gate.relay_client import LocalRelay, Relay, answered, local_channels_open
from fintech_infra_gate.stackfiles import PULUMI_CONFIG_MAX_BYTES
from fintech_infra_gate.verdict import (
    ENFORCEMENT_LEVELS,
)

__all__ = ["SPEEDUPS_OFF", "PolicyPackError", "PolicyPackProcess", "channels_open", "pack_python", "pack_version"]

ENGINE_ADDRESS = "127.0.0.1:0"
IN_FLIGHT = 16
"""Analyze calls kept in flight: enough to keep the pack's four server threads busy without a queue."""

SPEEDUPS_OFF = re.compile(r"^[\w.-]+: speedups off: .+$", re.MULTILINE)
"""A line a pack writes to its stderr when it runs without its speed-ups (say, after an SDK upgrade):
``<pack>: speedups off: <why>``. The gate shows it once per run (:meth:`PolicyPackProcess.notices`)."""

_LIVE: weakref.WeakSet[PolicyPackProcess] = weakref.WeakSet()


def _stop_all() -> None:
    for process in list(_LIVE):
        process.close()


atexit.register(_stop_all)


def channels_open() -> bool:
    """True while this process holds a gRPC channel to a pack (forking then would share gRPC's state)."""
    return any(process._channel is not None for process in list(_LIVE)) or local_channels_open()


def pack_python(pack_dir: Path) -> str:
    """The interpreter the shim would use: the pack's ``virtualenv`` option, else this one."""
    manifest = pack_dir / "PulumiPolicy.yaml"
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        runtime = (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get("runtime")
        venv = runtime.get("options", {}).get("virtualenv") if isinstance(runtime, Mapping) else None
        if venv:
            # Not resolve(): a venv's python is a symlink, and following it would leave the venv.
            candidate = os.path.abspath(pack_dir / str(venv) / "bin" / "python")
            if os.path.exists(candidate):
                return candidate
    return sys.executable


def pack_version(pack_dir: Path) -> str | None:
    """``version`` from ``PulumiPolicy.yaml``: the CLI reports it instead of the SDK's fixed ``0.0.1``."""
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        version = (yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}).get("version")
        return str(version) if version else None
    return None


class PolicyPackProcess:
    """One running policy pack plugin. Use as a context manager; it is always stopped on exit."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str,
        organization: str = "organization",
        dry_run: bool = False,
        config: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        if not (self.pack_dir / "__main__.py").is_file():
            raise PolicyPackError(f"policy pack {str(pack_dir)!r}: no __main__.py; pass --policy-pack")
        self.project, self.stack, self.organization, self.dry_run = project, stack, organization, dry_run
        self.config = dict(config or {})
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._port: int | None = None
        self._relay: Relay | LocalRelay | None = None
        self._relay_connected = False
        self.startup_seconds = 0.0
        self._started_at = 0.0
        self._owner = 0
        """The process that started the pack: only it can wait for the pack (a forked worker may use it)."""
        self._drainer: threading.Thread | None = None
        self.last_stderr = ""

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> PolicyPackProcess:
        """Launch the process without waiting for it (so synthesis can overlap its start-up)."""
        if self._process is not None:
            return self
        config_json = json.dumps(self.config)
        if len(config_json.encode("utf-8")) > PULUMI_CONFIG_MAX_BYTES:
            # Popen would fail with E2BIG ("Argument list too long"), as the Pulumi CLI does (pulumi/pulumi#20402).
            raise PolicyPackError(
                f"policy pack {str(self.pack_dir)!r}: the stack config is {len(config_json.encode()):,} bytes in "
                f"PULUMI_CONFIG; allowed: at most {PULUMI_CONFIG_MAX_BYTES:,} (Linux's limit on one environment string)"
            )
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_CONFIG": config_json,
        }
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the process; closed in close()
        self._started_at = time.perf_counter()
        self._owner = os.getpid()
        self._process = subprocess.Popen(
            [pack_python(self.pack_dir), "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        _LIVE.add(self)
        # A caller that drops the object without close() (or a garbage-collected one at exit, which the
        # atexit hook no longer sees) must not leave the pack running.
        # Not at exit: _stop_all closes what is still alive then, and reads its stderr first.
        weakref.finalize(self, _terminate, self._process, self._owner, self._stderr).atexit = False
        return self

    def wait_listening(self, timeout: float | None = None) -> bool:
        """Block until the pack has printed its port (or exited), without reading it; False on timeout.

        Lets a caller start packs one after another, each once the previous one is up, so their start-ups
        do not compete with each other for the cores; :meth:`connect` still reads the port as before.
        """
        process = self._process
        if process is None or process.stdout is None:
            return False
        wait = self.start_timeout if timeout is None else timeout
        ready, _, _ = select.select([process.stdout.fileno()], [], [], wait)
        return bool(ready)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()

    def notices(self) -> tuple[str, ...]:
        """The pack's :data:`SPEEDUPS_OFF` lines, read from its stderr (after :meth:`close` too)."""
        return tuple(found.group(0) for found in SPEEDUPS_OFF.finditer(self.stderr_text() or self.last_stderr))

    def _fail(self, what: str) -> PolicyPackError:
        tail = self.stderr_text()[-4000:]
        return PolicyPackError(f"policy pack {str(self.pack_dir)!r} {what}" + (f":\n{tail}" if tail else ""))

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + self.start_timeout
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(f"printed no port within {self.start_timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._process.wait(timeout=self.stop_timeout)
                    raise self._fail(f"exited with code {self._process.returncode} before it printed its port")
                buffer += chunk
        line = buffer.partition(b"\n")[0]
        # Anything the pack prints later must not fill the pipe and block its server threads.
        self._drainer = threading.Thread(target=_drain, args=(self._process.stdout,), daemon=True)
        self._drainer.start()
        try:
            return int(line.strip())
        except ValueError:
            raise self._fail(f"printed {line[:80]!r} instead of a port") from None

    def port(self) -> int:
        """Wait for the pack to print its port; idempotent."""
        if self._port is None:
            self.start()
            self._port = self._read_port()
            self.startup_seconds = time.perf_counter() - self._started_at
        return self._port

    def use_relay(self, relay: Relay | LocalRelay) -> None:
        """Make every later call through ``relay`` (:mod:`fintech_infra_gate.relay`) instead of a channel here."""
        self._relay, self._relay_connected = relay, False

    def connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """Wait for the port, open the channel; idempotent."""
        if self._stub is not None:
            return self._stub
        self._channel = open_channel(self.port(), self.start_timeout)
        if self._channel is None:
            raise self._fail(not_listening(self.port()))
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def close(self) -> None:
        """Stop the process: terminate, then kill if it has not exited within ``stop_timeout``."""
        _LIVE.discard(self)
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._stub = None
        process, self._process = self._process, None
        if process is not None and os.getpid() != self._owner:
            # A worker forked after the pack started: it can signal the pack but not wait for it (the
            # parent reaps it, so its pid is not reused meanwhile). The pack's stdout closes when it exits.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, sig)
                if self._drainer is None:
                    break
                self._drainer.join(self.stop_timeout)
                if not self._drainer.is_alive():
                    break
        elif process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            if self._drainer is not None:
                self._drainer.join(self.stop_timeout)  # the pack has exited: its stdout is at EOF
            process.stdout.close()
        self.last_stderr = self.stderr_text() or self.last_stderr
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> PolicyPackProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- protocol --------------------------------------------------------------------------------------

    def _call(self, method: str, request: Any) -> Any:
        if self._relay is not None:
            try:
                if not self._relay_connected:
                    self._relay.connect(self.port())
                    self._relay_connected = True
                return _RESPONSES[method].FromString(self._relay.call(method, request.SerializeToString()))
            except RelayError as error:
                raise self._fail(str(error)) from None
        stub = self.connect()
        try:
            return getattr(stub, method)(request)
        except grpc.RpcError as error:
            raise self._fail(f"failed in {method}: {error.details() if hasattr(error, 'details') else error}") from None

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        if self._info is None:
            self._info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        return self._info

    def configure(self, given: Mapping[str, Any], *, source: str = "policy config") -> dict[str, str]:
        """Send ``Configure`` with every policy's resolved settings; returns policy name -> enforcement."""
        info = self.info()
        policies = {
            policy.name: (
                ENFORCEMENT_LEVELS[policy.enforcementLevel],
                json_format.MessageToDict(policy.configSchema) if policy.HasField("configSchema") else None,
            )
            for policy in info.policies
        }
        initial = {
            name: {
                "enforcementLevel": ENFORCEMENT_LEVELS[c.enforcementLevel],
                **json_format.MessageToDict(c.properties),
            }
            for name, c in info.initialConfig.items()
        }
        resolved = reconcile(policies, initial, given, source=source, validate=self._validate)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, settings in resolved.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = ENFORCEMENT_LEVELS.index(settings.enforcement)
            if settings.properties:
                entry.properties.update(dict(settings.properties))
        self._call("Configure", request)
        return {name: settings.enforcement for name, settings in resolved.items()}

    def _validate(self, checks: list[Check], source: str) -> list[str]:
        if self._relay is None:
            return schema_problems(checks, source)
        try:
            return self._relay.validate(checks, source)
        except RelayError as error:
            raise self._fail(str(error)) from None

    def configure_stack(
        self, *, config: Mapping[str, str], secret_keys: Iterable[str], tags: Mapping[str, str]
    ) -> None:
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack,
                project=self.project,
                organization=self.organization,
                dry_run=self.dry_run,
                config=dict(config),
                config_secret_keys=list(secret_keys),
                tags=dict(tags),
            ),
        )

    def analyze_all(self, requests: list[analyzer_pb2.AnalyzeRequest]) -> list[analyzer_pb2.AnalyzeResponse]:
        """``Analyze`` every request, keeping :data:`IN_FLIGHT` calls outstanding; answers in request order."""
        self.connect()
        calls = AnalyzerCalls(self._channel, in_flight=IN_FLIGHT)
        for request in requests:
            calls.analyze(request.SerializeToString())
        try:
            return [analyzer_pb2.AnalyzeResponse.FromString(answered(answer)) for answer in calls.answers()]
        except RelayError as error:
            raise self._fail(str(error)) from None

    def analyze_stack(self, request: analyzer_pb2.AnalyzeStackRequest) -> analyzer_pb2.AnalyzeResponse:
        return self._call("AnalyzeStack", request)  # type: ignore[no-any-return]


_RESPONSES: dict[str, Any] = {
    "GetAnalyzerInfo": analyzer_pb2.AnalyzerInfo,
    "Configure": empty_pb2.Empty,
    "ConfigureStack": analyzer_pb2.AnalyzerStackConfigureResponse,
    "AnalyzeStack": analyzer_pb2.AnalyzeResponse,
}


def _terminate(process: subprocess.Popen[bytes], owner: int, stderr: IO[bytes]) -> None:
    if os.getpid() == owner and process.poll() is None:
        process.kill()
        process.wait()
    for stream in (process.stdout, stderr):
        with contextlib.suppress(OSError, ValueError):
            if stream is not None:
                stream.close()


def _drain(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        while stream.read(65536):
            pass
