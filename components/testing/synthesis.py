"""Run a Pulumi program under the SDK's mock engine and record every resource it registers.

:class:`RecordingMonitor` is the SDK's mock monitor, recording each registration with its options;
:func:`synthesize` runs a program with it and returns the :class:`~fintech_infra.testing.Recording`. The
program runs as the SDK runs it, with nothing patched: the gate adds its speed-ups around this call
(:mod:`fintech_infra_gate.speedups`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from fintech_infra.testing.plausible_values import DEFAULT_REGION, PlausibleValues
from fintech_infra.testing.recording import PROVIDER_PREFIX, UNKNOWN, RecordedResource, Recording

__all__ = ["RecordingMonitor", "engine_config", "synthesize"]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, recording each registration with its options."""

    def __init__(self, mocks: PlausibleValues, listener: Callable[[RecordedResource], None] | None = None) -> None:
        super().__init__(mocks)
        self.values = mocks
        self.requests: list[tuple[Any, str, str | None, dict[str, Any]]] = []
        self.recorded: list[RecordedResource] = []
        self.listener = listener
        """Called with each resource as it registers (from the SDK's RPC threads), e.g. to analyze it at once."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack's type out of its children's URNs; the SDK's mock does not.
        if parent and parent.split("::")[2] == "pulumi:pulumi:Stack":
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        if request.type.startswith(PROVIDER_PREFIX):
            inputs = rpc.deserialize_properties(request.object)
            region = inputs.get("region") if isinstance(inputs, Mapping) else None
            self.values.provider_regions[response.urn] = str(region or self.values.default_region)
        state = self.resources[response.urn].state if response.urn in self.resources else {}
        if self.values.preview and request.custom and not request.type.startswith(PROVIDER_PREFIX):
            state = self._preview_state(request)
        self.requests.append((request, response.urn, response.id or None, dict(state or {})))
        recorded = _record_one(self, request, response.urn, response.id or None, dict(state or {}))
        self.recorded.append(recorded)
        if self.listener is not None:
            self.listener(recorded)
        return response

    def _preview_state(self, request: Any) -> dict[str, Any]:
        """Outputs as a first preview shows them: the inputs (unknowns kept), every computed output unknown."""
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        inputs = dict(inputs) if isinstance(inputs, Mapping) else {}
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=rpc.deserialize_properties(request.object),
            provider=request.provider,
            resource_id=request.importId,
            custom=True,
        )
        _, known = self.values.known_state(args)
        return {**{key: UNKNOWN for key in known if key not in inputs}, **_sentinels(inputs)}


def _sentinels(value: Any) -> Any:
    """Unknown values as the :data:`UNKNOWN` sentinel string, so recorded outputs stay plain data."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _sentinels(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sentinels(item) for item in value]
    return value


def _options_list(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def _record_one(
    monitor: RecordingMonitor, request: Any, urn: str, resource_id: str | None, state: Any
) -> RecordedResource:
    provider_regions = monitor.values.provider_regions
    inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
    provider_urn = request.provider.split("::", 4)[:4] if request.provider else None
    provider = "::".join(provider_urn) if provider_urn else None
    region: str | None
    if request.type.startswith(PROVIDER_PREFIX):
        region = provider_regions.get(urn)
    elif not request.custom:
        region = None
    else:
        own = inputs.get("region") if isinstance(inputs, Mapping) else None
        region = str(own) if own else provider_regions.get(provider or "", monitor.values.default_region)
    property_dependencies = {key: _options_list(deps.urns) for key, deps in request.propertyDependencies.items()}
    return RecordedResource(
        urn=urn,
        type=request.type,
        name=request.name,
        custom=bool(request.custom),
        id=resource_id,
        parent=request.parent or None,
        provider=provider,
        inputs=inputs if isinstance(inputs, Mapping) else {},
        raw_inputs=request.object,
        outputs=state,
        protect=bool(request.protect),
        retain_on_delete=bool(request.retainOnDelete),
        delete_before_replace=bool(request.deleteBeforeReplace),
        depends_on=_options_list(request.dependencies),
        ignore_changes=_options_list(request.ignoreChanges),
        property_dependencies=property_dependencies,
        aliases=tuple(alias.urn for alias in request.aliases if alias.urn),
        additional_secret_outputs=_options_list(request.additionalSecretOutputs),
        region=region,
    )


def engine_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as the engine hands it to a program or a policy pack: structured values JSON-encoded."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _unwrap_secrets(value.get("value"))
        return {key: _unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(item) for item in value]
    return value


def _resolve(value: Any) -> Any:
    """Plain data for a stack export: Outputs awaited, unknowns as :data:`UNKNOWN`, secrets unwrapped."""
    return _unwrap_secrets(_sync_await(rpc.serialize_property(value, [], None, keep_output_values=False)))


def synthesize(
    program: Callable[[], None],
    *,
    project: str = "fintech-infra",
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    preview: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    default_region: str | None = None,
    secret_keys: Sequence[str] = (),
    on_register: Callable[[RecordedResource], None] | None = None,
) -> Recording:
    """Run ``program`` under the mock engine and return what it registered.

    ``config`` holds full keys (``"fintech-infra:environment"``); structured values may be given as
    Python data. ``stack_outputs`` answers ``StackReference`` look-ups by fully qualified stack name.
    ``preview`` leaves provider-computed outputs unknown, as in a first preview (the recorded ``outputs`` then
    hold :data:`UNKNOWN` for them). ``secret_keys`` names config keys the program reads as secrets, as a
    stack file's ``secure:`` values are. ``on_register`` sees each resource as it registers, the way the
    engine hands each registration to analyzers while the program still runs. Errors the program raises
    (a :class:`~fintech_infra.errors.ConfigError`, say) propagate unchanged.
    """
    full_config = engine_config(config or {})
    values = PlausibleValues(preview=preview, stack_outputs=stack_outputs)
    values.default_region = default_region or str((config or {}).get("aws:region") or DEFAULT_REGION)
    monitor = RecordingMonitor(values, on_register)
    return _run(program, values, monitor, project=project, stack=stack, config=full_config, secret_keys=secret_keys)


def _run(
    program: Callable[[], None],
    values: PlausibleValues,
    monitor: RecordingMonitor,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
) -> Recording:
    preview = values.preview
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.ROOT.set(None)
        pulumi_mocks.set_mocks(values, project=project, stack=stack, preview=preview, monitor=monitor)
        set_all_config(dict(config), list(secret_keys))
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
        root = settings.get_root_resource()
        raw_exports: Mapping[str, Any] = getattr(root, "outputs", {}) or {}
        if values.missing_stack_references:
            missing = ", ".join(sorted(set(values.missing_stack_references)))
            raise KeyError(f"StackReference {missing}: no outputs recorded for that stack")
        exports = {name: _resolve(value) for name, value in raw_exports.items()}
        return Recording(
            project=project, stack=stack, preview=preview, resources=tuple(monitor.recorded), exports=exports
        )
    except BaseException:
        # A failed program leaves RPCs running; let them finish here so none of them reports its error
        # into the next synthesis in this process.
        pending = [rpc for rpc in settings.SETTINGS.rpc_manager.rpcs if not rpc.done()]
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        raise
    finally:
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        settings.ROOT.set(None)
        set_all_config({}, [])
        asyncio.set_event_loop(None)
        loop.close()
