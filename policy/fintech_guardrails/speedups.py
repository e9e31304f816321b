"""Build each request's policy arguments once, not once per policy, and skip policies that don't apply.

The Python SDK's servicer rebuilds everything a policy receives inside its per-policy loop: in ``Analyze``
it deserializes the resource's properties, options and provider once per resource policy (73 times per
resource), and in ``AnalyzeStack`` it rebuilds the whole list of ``PolicyResource`` objects (properties,
options, provider, parent and dependency links of every resource) once per stack policy. That was almost all
of the pack's run time. :func:`install` replaces the servicer's ``Analyze`` and ``AnalyzeStack`` with copies
of the SDK's loops that differ in two ways only:

* The per-request arguments (``Analyze``: properties, options, provider; ``AnalyzeStack``: the resource list
  with its links) are built once, at the point the SDK would first build them, and shared by every policy
  as read-only objects: a policy that tries to change them gets a ``TypeError``/``AttributeError`` instead of
  changing what the next policy sees. Each stack policy still gets its own list; each policy still gets its
  own ``report_violation``, a copy of its config, and the SDK's handling of unknowns and not-applicable.
* In ``Analyze``, a resource policy built by :mod:`fintech_guardrails.registry` is skipped when its type test
  rejects the resource type (:func:`fintech_guardrails.registry.type_filter`): its validation would have
  returned at once, reporting nothing.

The copies are only installed on the SDK source they were written from: :func:`install` compares a digest of
the SDK code they mirror with :data:`SDK_DIGEST` and returns False (patching nothing; the pack then runs on
the SDK's own loops) when it differs. Installed by ``policy/__main__.py`` only; importing the rules never
patches anything. ``tests/policy/test_speedups_equivalence.py`` proves the responses are byte-identical.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
from collections.abc import Callable, Iterable
from inspect import isawaitable
from typing import Any, NoReturn, cast

__all__ = ["SDK_DIGEST", "install", "installed", "sdk_digest", "uninstall"]

SDK_DIGEST = "f97ccab99b1358203c49cd746e7397c355ed8c5c5bb496b378c576d9879f41f2"
"""sha256 of the SDK code mirrored here (pulumi-policy 1.21.0); see :func:`sdk_digest`."""

_PROVIDER_LIMIT = 4_096
_STATE: dict[str, Any] = {"installed": False, "originals": {}}


def _sdk() -> tuple[Any, Any]:
    """The SDK's servicer and proxy modules, untyped: this module works on their internals."""
    from pulumi_policy import policy, proxy

    return policy, proxy


def _mirrored(sdk: Any, proxy: Any) -> list[Any]:
    servicer = sdk._PolicyAnalyzerServicer
    return [
        servicer.__init__,
        servicer.Analyze,
        servicer.AnalyzeStack,
        servicer._get_resource_options,
        servicer._get_provider_resource,
        servicer._get_policy_config,
        servicer._create_report_violation,
        sdk.ResourceValidationArgs.__init__,
        sdk.StackValidationArgs.__init__,
        sdk.PolicyResource.__init__,
        sdk.PolicyResourceOptions.__init__,
        sdk.PolicyCustomTimeouts.__init__,
        sdk.PolicyProviderResource.__init__,
        sdk.ResourceValidationPolicy.validate,
        sdk.StackValidationPolicy.validate,
        proxy._DictProxy,
        proxy._ListProxy,
        proxy._proxy_helper,
        proxy._append_prop,
    ]


def sdk_digest() -> str | None:
    """sha256 over the source of the SDK code this module mirrors; None when it can't be read."""
    try:
        sdk, proxy = _sdk()

        sources = [inspect.getsource(item) for item in _mirrored(sdk, proxy)]
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


def install() -> bool:
    """Replace the SDK servicer's ``Analyze``/``AnalyzeStack``; False (nothing patched) if the SDK changed."""
    if _STATE["installed"]:
        return True
    if sdk_digest() != SDK_DIGEST:
        return False
    servicer = _sdk()[0]._PolicyAnalyzerServicer
    _classes()  # before the server's threads need them
    _STATE["originals"] = {"Analyze": servicer.Analyze, "AnalyzeStack": servicer.AnalyzeStack}
    servicer.Analyze = _analyze
    servicer.AnalyzeStack = _analyze_stack
    _STATE["installed"] = True
    return True


def uninstall() -> None:
    """Put the SDK's own methods back (tests compare both)."""
    if not _STATE["installed"]:
        return
    for name, method in _STATE["originals"].items():
        setattr(_sdk()[0]._PolicyAnalyzerServicer, name, method)
    _STATE["installed"] = False


def installed() -> bool:
    return bool(_STATE["installed"])


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


def _classes() -> dict[str, type]:
    """Read-only subclasses of the SDK's argument classes (made on first use: the SDK imports lazily)."""
    if not _CLASSES:
        sdk, proxy = _sdk()

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
    proxy = _sdk()[1]
    deserialized = sdk.deserialize_properties(sdk.json_format.MessageToDict(struct))
    return _proxy(deserialized, [], _classes()["dict"], proxy._ListProxy, proxy._append_prop)


def _options(service: Any, message: Any) -> Any:
    opts = service._get_resource_options(message)
    timeouts = opts.custom_timeouts
    classes = _classes()
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
        found = _classes()["provider"](provider.type, props, provider.urn, provider.name)._seal()
        with _PROVIDERS_LOCK:
            if len(_PROVIDERS) >= _PROVIDER_LIMIT:
                _PROVIDERS.clear()
            _PROVIDERS[key] = found
    return found


# -- the servicer methods -------------------------------------------------------------------------------


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


def _analyze(service: Any, request: Any, _context: Any) -> Any:
    from fintech_guardrails.registry import type_filter

    sdk = _sdk()[0]

    service._configure_runtime_settings()
    response = sdk.proto.AnalyzeResponse()
    levels = sdk.EnforcementLevel
    shared: tuple[Any, Any, Any] | None = None
    for policy in _private(service, "policies"):
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
    make = _classes()["resource"]
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


def _analyze_stack(service: Any, request: Any, _context: Any) -> Any:
    sdk = _sdk()[0]
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
