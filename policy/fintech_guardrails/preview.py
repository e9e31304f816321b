"""Values that are unknown during preview, handled once for every rule.

The SDK hands a policy an ``unknown_checking_proxy`` that raises ``UnknownValueError`` on any read of an
unknown value (even through ``in``), and the servicer turns that into an ADVISORY "can't run policy"
diagnostic, whatever the policy's level. That would let a known-bad value pass whenever a sibling
property is unknown. So the pack never reads through the proxy: :func:`plain` copies the inputs once into
plain dicts and lists in which every unknown is the :data:`UNKNOWN` marker, and each rule decides per
property what an unknown means (usually "pending": compliant for now, checked again when the engine
analyzes the resolved inputs during the update, before the resource is created).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import proxy as _proxy

__all__ = [
    "UNKNOWN",
    "Unknown",
    "as_list",
    "contains_unknown",
    "dig",
    "is_unknown",
    "known",
    "known_list",
    "plain",
    "present",
]

_SENTINELS: Final = frozenset(
    {
        _proxy.UNKNOWN_BOOLEAN_VALUE,
        _proxy.UNKNOWN_NUMBER_VALUE,
        _proxy.UNKNOWN_STRING_VALUE,
        _proxy.UNKNOWN_ARRAY_VALUE,
        _proxy.UNKNOWN_ASSET_VALUE,
        _proxy.UNKNOWN_ARCHIVE_VALUE,
        _proxy.UNKNOWN_OBJECT_VALUE,
        # The Python SDK's own marker for an unknown in serialized properties (pulumi.runtime.rpc.UNKNOWN).
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    }
)


class Unknown:
    """The single marker for a value the engine does not know yet."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; test it with is_unknown() first")


UNKNOWN: Final = Unknown()


def is_unknown(value: object) -> bool:
    """True for the :data:`UNKNOWN` marker (or a raw engine sentinel)."""
    return value is UNKNOWN or (isinstance(value, str) and value in _SENTINELS)


def plain(value: Any) -> Any:
    """A deep copy of ``value`` without proxies, in which every unknown is :data:`UNKNOWN`.

    Reads the proxies' targets (``proxy["__target"]``) instead of their items, so nothing raises.
    """
    if isinstance(value, (_proxy._DictProxy, _proxy._ListProxy)):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if is_unknown(value):
        return UNKNOWN
    return value


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is unknown or holds an unknown anywhere inside."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def dig(value: Any, *path: str | int) -> Any:
    """The value at ``path``; None when any step is missing, :data:`UNKNOWN` when any step is unknown.

    A one-element list is stepped through transparently when the next key is a string, because the
    engine shows single nested blocks (``accessLogs``, ``vpcConfig``) either as an object or as a list of one.
    """
    current = value
    for step in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(step, str) and isinstance(current, list) and len(current) == 1:
            current = current[0]
        if isinstance(step, str) and isinstance(current, Mapping):
            current = current.get(step)
        elif isinstance(step, int) and isinstance(current, list) and -len(current) <= step < len(current):
            current = current[step]
        else:
            return None
        if current is None:
            return None
    return current


def as_list(value: Any) -> Any:
    """``value`` as a list: None is empty, a scalar or mapping is a list of one, unknown stays :data:`UNKNOWN`.

    Typed ``Any`` because callers test ``is UNKNOWN`` first, which a type checker cannot narrow on.
    """
    if value is None:
        return []
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, list):
        return value
    if isinstance(value, (str, Mapping)) or not isinstance(value, (Sequence, Iterable)):
        return [value]
    return list(value)


def present(value: Any) -> bool:
    """True when an input is set: unknown counts as set (its presence is known even when its value is not)."""
    return value is UNKNOWN or value not in (None, "", [], {})


def known(value: Any, default: Any = None) -> Any:
    """``value``, or ``default`` when it is unset or unknown: for labels and joins where an unknown decides nothing."""
    return default if value is None or is_unknown(value) else value


def known_list(value: Any) -> list[Any]:
    """``value`` as a list (:func:`as_list`), empty when unset or unknown: for walks that judged the unknown already."""
    items = as_list(value)
    return [] if items is UNKNOWN else list(items)
