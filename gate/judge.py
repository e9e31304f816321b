"""Judge a recording: send its resources to a running pack and turn the pack's answers into a :class:`Verdict`.

:func:`judge` is the one call a test makes (``from fintech_infra_gate.judge import judge``; the ``judge_policy``
fixture of :mod:`fintech_infra_gate.pytest_plugin` keeps one pack per session). :func:`judge_recording` does
it after synthesis, in this process, with a pack the caller started; :class:`StreamingJudge` does it while
the program still registers resources, through a relay (:mod:`fintech_infra_gate.relay`), as
``fintech-infra plan`` does. The pack process and the protocol calls are :mod:`fintech_infra_gate.analyzer`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from fintech_infra.testing import RecordedResource, Recording, engine_config
from fintech_infra_gate.analyzer import PolicyPackProcess, pack_version
from fintech_infra_gate.policyconfig import read_policy_config
from fintech_infra_gate.relay_client import LocalRelay, Relay, RelayError
from fintech_infra_gate.requests import (
    Providers,
    analyze_request,
    analyze_requests,
    stack_analyze_request,
    stack_request,
)
from fintech_infra_gate.stackfiles import policy_config_path
from fintech_infra_gate.verdict import (
    ENFORCEMENT_LEVELS,
    SEVERITIES,
    Finding,
    NotApplicable,
    PolicyInfo,
    Verdict,
    is_undeterminable,
)

__all__ = ["StreamingJudge", "judge", "judge_recording"]


def _policy_infos(info: analyzer_pb2.AnalyzerInfo, levels: Mapping[str, str]) -> tuple[PolicyInfo, ...]:
    infos = []
    for policy in info.policies:
        framework = policy.framework
        parts = [framework.name, framework.version, framework.reference]
        infos.append(
            PolicyInfo(
                name=policy.name,
                description=policy.description,
                enforcement=levels.get(policy.name, ENFORCEMENT_LEVELS[policy.enforcementLevel]),
                severity=SEVERITIES[policy.severity],
                kind="stack" if policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                framework=" ".join(part for part in parts if part),
                framework_url=framework.specification,
                tags=tuple(policy.tags),
                remediation=policy.remediation_steps,
                url=policy.url,
            )
        )
    return tuple(infos)


def _collect(
    response: analyzer_pb2.AnalyzeResponse, urn: str, findings: list[Finding], skipped: list[NotApplicable]
) -> None:
    for diagnostic in response.diagnostics:
        enforcement = ENFORCEMENT_LEVELS[diagnostic.enforcementLevel]
        severity = SEVERITIES[diagnostic.severity]
        findings.append(
            Finding(
                policy=diagnostic.policyName,
                pack=diagnostic.policyPackName,
                enforcement=enforcement,
                severity=severity,
                urn=diagnostic.urn or urn,
                message=diagnostic.message,
                description=diagnostic.description,
                undeterminable=is_undeterminable(diagnostic.message, enforcement, severity),
            )
        )
    for item in response.not_applicable:
        skipped.append(NotApplicable(policy=item.policy_name, urn=urn, reason=item.reason))


def judge_recording(
    recording: Recording,
    process: PolicyPackProcess,
    *,
    policy_config: Mapping[str, Any] | None = None,
    policy_config_source: str = "policy config",
    stack_config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
    provider_config: Mapping[str, Any] | None = None,
) -> Verdict:
    """Run the whole protocol against ``process`` (started if needed) and return the pack's verdict."""
    info = process.info()
    levels = process.configure(policy_config or {}, source=policy_config_source)
    process.configure_stack(config=engine_config(stack_config or {}), secret_keys=secret_keys, tags=tags or {})
    requests = analyze_requests(recording, provider_config=provider_config or stack_config or {})
    findings: list[Finding] = []
    skipped: list[NotApplicable] = []
    for request, response in zip(requests, process.analyze_all(requests), strict=True):
        _collect(response, request.urn, findings, skipped)
    stack = stack_request(recording, provider_config=provider_config or stack_config or {})
    _collect(process.analyze_stack(stack), "", findings, skipped)
    return Verdict(
        pack=info.name,
        pack_version=pack_version(process.pack_dir) or info.version,
        policies=_policy_infos(info, levels),
        findings=tuple(findings),
        not_applicable=tuple(skipped),
        analyzed=len(requests),
    )


def judge(
    recording: Recording,
    *,
    policy_pack: str | Path = "policy",
    policy_config: Mapping[str, Any] | str | Path | None = None,
    stack_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    process: PolicyPackProcess | None = None,
) -> Verdict:
    """Judge ``recording`` with a policy pack exactly as the gate (and the Pulumi engine) does.

    ``policy_config`` is the ``--policy-pack-config`` object or a path to its JSON file; by default the
    pack's ``config/<environment>.json`` for the ``<project>:environment`` in ``stack_config``. Pass a
    started ``process`` to reuse one pack across calls (the ``judge_policy`` pytest fixture does); otherwise a
    pack process is started and always stopped before this returns::

        verdict = judge(synthesize(program, config=config), stack_config=config)
        assert verdict.passed, verdict.mandatory
    """
    pack_dir = Path(policy_pack)
    config = dict(stack_config or {})
    if policy_config is None:
        found = policy_config_path(pack_dir, config.get(f"{recording.project}:environment"))
        policy_config = found if found is not None else {}
    given = read_policy_config(Path(policy_config)) if isinstance(policy_config, str | Path) else policy_config
    owned = process is None
    if process is None:
        process = PolicyPackProcess(
            pack_dir,
            project=recording.project,
            stack=recording.stack,
            dry_run=recording.preview,
            config=engine_config(config),
        )
    try:
        return judge_recording(
            recording,
            process,
            policy_config=given,
            stack_config=config,
            tags={"pulumi:project": recording.project, **(tags or {})},
        )
    finally:
        if owned:
            process.close()


class StreamingJudge:
    """Analyze resources while the program still registers them, as the engine does during an update.

    The calls go through a :class:`~fintech_infra_gate.relay_client.Relay`, so this process (the one running the
    program) only serializes each request and writes it to a pipe. A background thread waits for the pack,
    sends ``GetAnalyzerInfo``, ``Configure`` and ``ConfigureStack``; resources that register before that
    are held and sent right after, in order, then each one as it registers (:meth:`submit`, called from
    the SDK's RPC threads). :meth:`finish` collects the answers, sends ``AnalyzeStack`` and returns the
    verdict.
    """

    def __init__(
        self,
        process: PolicyPackProcess,
        relay: Relay | LocalRelay,
        *,
        policy_config: Mapping[str, Any] | None = None,
        policy_config_source: str = "policy config",
        stack_config: Mapping[str, Any] | None = None,
        secret_keys: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.process, self.relay = process, relay
        self.policy_config, self.source = dict(policy_config or {}), policy_config_source
        self.stack_config = dict(stack_config or {})
        self.secret_keys, self.tags = tuple(secret_keys), dict(tags or {})
        self.providers = Providers(process.project, process.stack, self.stack_config)
        self._lock = threading.Lock()
        self._held: list[RecordedResource] = []
        self._live = False
        self._urns: list[str] = []
        self._levels: dict[str, str] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._configure, name="analyzer-configure", daemon=True)

    def start(self) -> StreamingJudge:
        self.relay.start()
        self.process.use_relay(self.relay)
        self._thread.start()
        return self

    def _send(self, request: analyzer_pb2.AnalyzeRequest) -> None:
        self.relay.analyze(request.SerializeToString())
        self._urns.append(request.urn)

    def submit(self, resource: RecordedResource) -> None:
        with self._lock:
            if self._error is not None:
                return
            if not self._live:
                self._held.append(resource)
                return
            try:
                self._send(analyze_request(resource, self.providers))
            except RelayError as error:  # reported by finish() on the caller's thread
                self._error = self.process._fail(str(error))

    def _configure(self) -> None:
        try:
            self._levels = self.process.configure(self.policy_config, source=self.source)
            self.process.configure_stack(
                config=engine_config(self.stack_config), secret_keys=self.secret_keys, tags=self.tags
            )
            with self._lock:
                self._send(stack_analyze_request(self.process.project, self.process.stack))
                for resource in self._held:
                    self._send(analyze_request(resource, self.providers))
                self._held.clear()
                self._live = True
        except BaseException as error:  # reported by finish() on the caller's thread
            with self._lock:
                self._error = self.process._fail(str(error)) if isinstance(error, RelayError) else error

    def cancel(self) -> None:
        """Synthesis failed: nothing more will be sent. The caller closes the relay and the process without
        waiting for the pack to finish starting (a refused config is reported at once); the configuration
        thread then fails on the closed pack and ends, and :meth:`stopped` waits for that."""
        with self._lock:
            self._error = self._error or RuntimeError("synthesis failed")

    def stopped(self, timeout: float) -> None:
        """Wait (up to ``timeout``) for the configuration thread to end, after the pack was closed."""
        self._thread.join(timeout)

    def finish(self, recording: Recording) -> Verdict:
        self._thread.join()
        if self._error is not None:
            raise self._error
        try:
            answers = self.relay.finish()
        except RelayError as error:
            raise self.process._fail(str(error)) from None
        findings: list[Finding] = []
        skipped: list[NotApplicable] = []
        for urn, answer in zip(self._urns, answers, strict=True):
            _collect(analyzer_pb2.AnalyzeResponse.FromString(answer), urn, findings, skipped)
        stack = stack_request(recording, provider_config=self.stack_config)
        _collect(self.process.analyze_stack(stack), "", findings, skipped)
        info = self.process.info()
        return Verdict(
            pack=info.name,
            pack_version=pack_version(self.process.pack_dir) or info.version,
            policies=_policy_infos(info, self._levels),
            findings=tuple(findings),
            not_applicable=tuple(skipped),
            analyzed=len(self._urns),
        )
