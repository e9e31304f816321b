"""Deserialize each resource's properties once per request instead of once per policy.

The Python SDK's servicer converts a resource's protobuf properties to a dict and wraps them in an
unknown-checking proxy inside its per-policy loop, so a pack with 73 policies pays that conversion 73
times per resource (in ``AnalyzeStack``, 73 times per resource of the whole stack). That is almost all of
the pack's run time. :func:`install` memoises the three conversion steps by message *content* (its
deterministic serialization), so every policy still receives exactly what the SDK would have built; the
memo is bounded and keyed by content (the later steps by the identity of the cached, still-referenced
object of the step before, so an id can't be reused while its entry lives). Policies here never mutate their inputs
(they copy them with :func:`fintech_guardrails.preview.plain`), so sharing one proxy is safe.

Installed by ``policy/__main__.py`` only; importing the rules never patches anything.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["install", "installed"]

_LIMIT = 50_000
_STATE: dict[str, Any] = {"installed": False}


class _Memo:
    def __init__(self, limit: int = _LIMIT) -> None:
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.limit = limit

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = build()
            if len(self.entries) > self.limit:
                self.entries.popitem(last=False)
        return found


def install() -> bool:
    """Patch ``pulumi_policy.policy``'s conversion helpers with memoised ones; False if the SDK changed shape."""
    if _STATE["installed"]:
        return True
    from pulumi_policy import policy as sdk

    json_format = getattr(sdk, "json_format", None)
    deserialize = getattr(sdk, "deserialize_properties", None)
    proxy = getattr(sdk, "unknown_checking_proxy", None)
    if json_format is None or deserialize is None or proxy is None:
        return False
    to_dict = json_format.MessageToDict
    dicts, deserialized, proxies = _Memo(), _Memo(), _Memo()

    class _JsonFormat:
        """The ``json_format`` module as the SDK uses it, with ``MessageToDict`` memoised by content."""

        def __getattr__(self, name: str) -> Any:
            return getattr(json_format, name)

        @staticmethod
        def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs or not hasattr(message, "SerializeToString"):
                return to_dict(message, *args, **kwargs)
            key = (type(message).__name__, message.SerializeToString(deterministic=True))
            return dicts.get(key, lambda: to_dict(message))

    def memo_deserialize(props: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return deserialize(props, *args, **kwargs)
        return deserialized.get(id(props), lambda: (props, deserialize(props)))[1]

    def memo_proxy(props: Any) -> Any:
        return proxies.get(id(props), lambda: (props, proxy(props)))[1]

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is not None:
        _memo_per_message(servicer, "_get_resource_options")
        _memo_per_message(servicer, "_get_provider_resource")

    setattr(sdk, "json_format", _JsonFormat())  # noqa: B010 (not exported; set by name on purpose)
    setattr(sdk, "deserialize_properties", memo_deserialize)  # noqa: B010
    setattr(sdk, "unknown_checking_proxy", memo_proxy)  # noqa: B010
    _STATE["installed"] = True
    return True


def _memo_per_message(servicer: type, name: str) -> None:
    """Memoise a servicer helper that reads one request message, by the message object's identity.

    The SDK calls ``_get_resource_options(request)`` and ``_get_provider_resource(request)`` once per policy
    for the same message (the protobuf runtime hands out one wrapper object per message while it lives);
    the memo holds the message, so its id can't be reused while the entry lives.
    """
    original = getattr(servicer, name, None)
    if original is None:
        return
    memo = _Memo()

    def memoised(self: Any, request: Any) -> Any:
        return memo.get((id(self), id(request)), lambda: (self, request, original(self, request)))[2]

    setattr(servicer, name, memoised)


def installed() -> bool:
    return bool(_STATE["installed"])
