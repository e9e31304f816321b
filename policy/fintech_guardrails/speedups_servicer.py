"""The servicer copies :mod:`fintech_guardrails.speedups` installs: the SDK's ``Analyze`` and ``AnalyzeStack``
loops, building each request's arguments once and sharing them, read-only, with every policy.

Copied from pulumi-policy's ``_PolicyAnalyzerServicer`` (the code :func:`fintech_guardrails.speedups.sdk_digest`
hashes) and changed only as that module's docstring says. Nothing here is installed by importing it.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Iterable
from inspect import isawaitable
from typing import Any, NoReturn, cast

__all__ = ["analyze", "analyze_stack", "prepare", "sdk_modules"]

_PROVIDER_LIMIT = 4_096


def sdk_modules() -> tuple[Any, Any]:
    """The SDK's servicer and proxy modules, untyped: this module works on their internals."""
    from pulumi_policy import policy, proxy

    return policy, proxy


# -- read-only shared objects -------------------------------------------------------------------------


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise TypeError("shared by every policy of the request: read-only")


class _FrozenList(list[Any]):
    """A list no policy can change; a copy of it (copy, deepcopy, pickle) is an ordinary list."""

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> tuple[type, tuple[list[Any]]]:
        return list, (list(self),)


class _FrozenDict(dict[str, Any]):
    """A dict no policy can change; a copy of it is an ordinary dict."""

    setdefault = pop = popitem = clear = update = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> tuple[type, tuple[dict[str, Any]]]:
        return dict, (dict(self),)


class _Sealed:
    """Attributes can be set until :meth:`_seal`; after that, setting or deleting one raises."""

    _sealed = False

    def __setattr__(self, name: str, value: Any) -> None:
        if self._sealed:
            raise AttributeError(f"{type(self).__name__}.{name}: shared by every policy of the request: read-only")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__}.{name}: shared by every policy of the request: read-only")

    def _seal(self) -> Any:
        object.__setattr__(self, "_sealed", True)
        return self


_CLASSES: dict[str, type] = {}


def prepare() -> dict[str, type]:
    """Read-only subclasses of the SDK's argument classes (made on first use: the SDK imports lazily)."""
    if not _CLASSES:
        sdk, proxy = sdk_modules()

        _CLASSES.update(
            dict=type("ReadOnlyDictProxy", (proxy._DictProxy,), {"__setitem__": _refuse}),
            resource=type("SharedPolicyResource", (_Sealed, sdk.PolicyResource), {}),
            options=type("SharedPolicyResourceOptions", (_Sealed, sdk.PolicyResourceOptions), {}),
            timeouts=type("SharedPolicyCustomTimeouts", (_Sealed, sdk.PolicyCustomTimeouts), {}),
            provider=type("SharedPolicyProviderResource", (_Sealed, sdk.PolicyProviderResource), {}),
        )
    return _CLASSES


def _proxy(value: Any, path: list[str], dict_proxy: type, list_proxy: type, append: Callable[..., Any]) -> Any:
    """``pulumi_policy.proxy._proxy_helper`` with a read-only dict proxy."""
    if isinstance(value, list):
        items = [_proxy(item, append(path, index), dict_proxy, list_proxy, append) for index, item in enumerate(value)]
        return list_proxy(items, path)
    if isinstance(value, dict):
        return dict_proxy(
            {key: _proxy(item, append(path, key), dict_proxy, list_proxy, append) for key, item in value.items()}, path
        )
    return value


def _props(sdk: Any, struct: Any) -> Any:
    """What the SDK hands a policy as ``props``: deserialized, in an unknown-checking (read-only) proxy."""
    proxy = sdk_modules()[1]
    deserialized = sdk.deserialize_properties(sdk.json_format.MessageToDict(struct))
    return _proxy(deserialized, [], prepare()["dict"], proxy._ListProxy, proxy._append_prop)


def _options(service: Any, message: Any) -> Any:
    opts = service._get_resource_options(message)
    timeouts = opts.custom_timeouts
    classes = prepare()
    shared = classes["options"](
        opts.protect,
        _FrozenList(opts.ignore_changes),
        opts.delete_before_replace,
        _FrozenList(opts.aliases),
        classes["timeouts"](timeouts.create_seconds, timeouts.update_seconds, timeouts.delete_seconds)._seal(),
        _FrozenList(opts.additional_secret_outputs),
        opts.parent,
    )
    return shared._seal()


_PROVIDERS: dict[bytes, Any] = {}
_PROVIDERS_LOCK = threading.Lock()


def _provider(sdk: Any, message: Any) -> Any:
    """``_get_provider_resource``, shared by content: every resource of a cell names the same provider."""
    if not message.HasField("provider"):
        return None
    provider = message.provider
    key = provider.SerializeToString(deterministic=True)
    found = _PROVIDERS.get(key)
    if found is None:
        props = _props(sdk, provider.properties)
        found = prepare()["provider"](provider.type, props, provider.urn, provider.name)._seal()
        with _PROVIDERS_LOCK:
            if len(_PROVIDERS) >= _PROVIDER_LIMIT:
                _PROVIDERS.clear()
            _PROVIDERS[key] = found
    return found


# -- the servicer methods -------------------------------------------------------------------------------


_DISPATCH: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, tuple[Any, ...]]]] = weakref.WeakKeyDictionary()
"""Per servicer: its policy list, and per resource type the policies in it that may apply (in pack order)."""


def _candidates(service: Any, policies: Any, resource_type: str) -> tuple[Any, ...]:
    """The policies, in order, less the resource policies whose type set excludes ``resource_type``
    (:func:`fintech_guardrails.registry.type_set`); worked out once per servicer and type, so an ``Analyze``
    call never looks at the policies of other types."""
    from fintech_guardrails.registry import type_set

    entry = _DISPATCH.get(service)
    if entry is None or entry[0] is not policies:
        entry = (policies, {})
        _DISPATCH[service] = entry
    found = entry[1].get(resource_type)
    if found is None:
        found = tuple(p for p in policies if (types := type_set(p)) is None or resource_type in types)
        entry[1][resource_type] = found
    return found


def _private(service: Any, name: str) -> Any:
    return getattr(service, f"_PolicyAnalyzerServicer__{name}")


def _validate(service: Any, sdk: Any, response: Any, policy: Any, args: Any, report: Any) -> None:
    """The SDK's call of one policy, with its handling of unknown values and not-applicable."""
    try:
        result = policy.validate(args, report)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            task = asyncio.Task(cast(Any, result), loop=loop)
            loop.run_until_complete(task)
            loop.close()
    except sdk.UnknownValueError as error:
        name, version = _private(service, "policy_pack_name"), _private(service, "policy_pack_version")
        response.diagnostics.append(
            sdk.proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=name,
                policyPackVersion=version,
                message=(
                    f"can't run policy '{policy.name}' from policy pack "
                    f"'{name}@v{version}' during preview: {error.message}"
                ),
                urn="",
                description=policy.description,
                enforcementLevel=service._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
            )
        )
    except sdk._NotApplicableError as error:
        response.not_applicable.append(
            sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
        )


def analyze(service: Any, request: Any, _context: Any) -> Any:
    from fintech_guardrails.registry import type_filter

    sdk = sdk_modules()[0]

    service._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    levels = sdk.EnforcementLevel
    shared: tuple[Any, Any, Any] | None = None
    for policy in _candidates(service, _private(service, "policies"), request.type):
        level = service._get_enforcement_level(policy)
        if level == levels.DISABLED or not isinstance(policy, sdk.ResourceValidationPolicy):
            continue
        if not policy.has_validation():
            reason = "Policy does not implement validate"
            response.not_applicable.append(sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=reason))
            continue
        if level == levels.REMEDIATE:
            level = levels.MANDATORY
        if shared is None:
            # Where the SDK first builds them, so a malformed request fails exactly as it would there.
            shared = (_props(sdk, request.properties), _options(service, request), _provider(sdk, request))
        applies = type_filter(policy)
        if applies is not None and not applies(request.type):
            continue
        report = service._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        config = service._get_policy_config(policy.name)
        props, opts, provider = shared
        args = sdk.ResourceValidationArgs(
            request.type, props, request.urn, request.name, opts, provider, config, _private(service, "stack_tags")
        )
        _validate(service, sdk, response, policy, args, report)
    return response


def _stack_resources(service: Any, sdk: Any, messages: Iterable[Any]) -> list[Any]:
    """The SDK's ``PolicyResource`` list with parents and dependencies linked, built once, read-only."""
    make = prepare()["resource"]
    built: list[tuple[Any, str, list[str], dict[str, list[str]]]] = []
    for message in messages:
        resource = make(
            message.type,
            _props(sdk, message.properties),
            message.urn,
            message.name,
            _options(service, message),
            _provider(sdk, message),
            None,
            [],
            {},
        )
        links = {key: list(value.urns) for key, value in message.propertyDependencies.items()}
        built.append((resource, message.parent, list(message.dependencies), links))
    by_urn = {resource.urn: resource for resource, *_ in built}
    for resource, parent, dependencies, links in built:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies = _FrozenList(by_urn[urn] for urn in dependencies if urn in by_urn)
        resource.property_dependencies = _FrozenDict(
            {key: _FrozenList(by_urn[urn] for urn in urns if urn in by_urn) for key, urns in links.items()}
        )
        resource._seal()
    return [resource for resource, *_ in built]


def analyze_stack(service: Any, request: Any, _context: Any) -> Any:
    sdk = sdk_modules()[0]
    service._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    levels = sdk.EnforcementLevel
    resources: list[Any] | None = None
    for policy in _private(service, "policies"):
        level = service._get_enforcement_level(policy)
        if level == levels.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
            continue
        if level == levels.REMEDIATE:
            level = levels.MANDATORY
        report = service._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        if resources is None:
            resources = _stack_resources(service, sdk, request.resources)
        config = service._get_policy_config(policy.name)
        # A list of its own per policy, as the SDK gives; the resources in it are shared and read-only.
        args = sdk.StackValidationArgs(list(resources), config, _private(service, "stack_tags"))
        _validate(service, sdk, response, policy, args, report)
    return response
