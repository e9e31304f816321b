"""The rule idiom: one line names a property and the value it must have.

::

    require(r, out, "multiAz", equals(True))                        # multiAz must be true
    require(r, out, ("accessLogs", "bucket"), is_set)                # accessLogs.bucket must be set
    require(r, out, "transitEncryptionMode", one_of(None, "required"))
    require(r, out, "deletionWindowInDays", unset_or(at_least(minimum)))

:func:`require` reads the property (a name, or a path into nested blocks) and judges it exactly as
:func:`~fintech_guardrails.model.expect` does, which it calls: a value unknown during preview, or holding an
unknown, is pending under the property's dotted path; any other value goes to the expectation, with None
meaning "not set", so each expectation states what the provider default means (``equals(True)`` fails an
unset flag, ``not_equal(True)`` passes it, ``unset_or(...)`` accepts a default that is known to be safe). A
failed expectation is the violation "<dotted path> must <wording>"; pass ``message=`` where the rule has
more to say than that. Messages never echo the value: the SDK hands policies secrets in plaintext.

An :class:`Expectation` is a test plus the words that follow "must". Each factory here builds one
expectation per distinct argument list and then returns that same object, so ``equals(True)`` inside a rule
costs a cache lookup, not a build, per Analyze call (arguments are scalars, hence hashable). A rule
family's own vocabulary (e.g. :data:`~fintech_guardrails.rules.secrets.customer_managed_key`) is an
:class:`Expectation` in its module. A bool or None matches only itself (JSON's ``1`` is not ``true``) and a
number is never a bool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from fintech_guardrails.model import Findings, expect
from fintech_guardrails.preview import as_list

__all__ = [
    "Expectation",
    "at_least",
    "at_most",
    "between",
    "equals",
    "includes",
    "is_set",
    "not_empty",
    "not_equal",
    "one_of",
    "require",
    "unset_or",
]


class HasProps(Protocol):
    """What a rule judges: a resource's inputs or a stack node's outputs, read by path."""

    def get(self, *path: str | int) -> Any: ...


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a property must be: ``test`` gets the value (None when unset); ``wording`` follows "must"."""

    test: Callable[[Any], bool]
    wording: str


def require(
    subject: HasProps,
    out: Findings,
    path: str | tuple[str | int, ...],
    expected: Expectation,
    *,
    message: str | None = None,
    urn: str | None = None,
) -> None:
    """Judge ``subject``'s property at ``path`` against ``expected``; see the module docstring.

    ``urn`` names the resource a stack rule is judging (resource rules leave it None).
    """
    if isinstance(path, str):
        value, name = subject.get(path), path
    else:
        value, name = subject.get(*path), ".".join(map(str, path))
    expect(out, value, expected.test, message or f"{name} must {expected.wording}", what=name, urn=urn)


_once = lru_cache(maxsize=None, typed=True)
"""Build an expectation once per distinct arguments; ``typed`` keeps ``equals(1)`` apart from ``equals(True)``."""


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _either(choices: list[str]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _matcher(expected: Any) -> Callable[[Any], bool]:
    if expected is None or isinstance(expected, bool):
        return lambda value: value is expected
    return lambda value: not isinstance(value, bool) and value == expected


@_once
def equals(expected: Any) -> Expectation:
    """The property is ``expected``: ``equals(True)`` reads "must be true"."""
    return Expectation(_matcher(expected), f"be {_shown(expected)}")


@_once
def not_equal(unwanted: Any) -> Expectation:
    """The property is anything but ``unwanted`` (unset included): ``not_equal("host")``, "must not be host"."""
    matches = _matcher(unwanted)
    return Expectation(lambda value: not matches(value), f"not be {_shown(unwanted)}")


@_once
def one_of(*allowed: Any) -> Expectation:
    """The property is one of ``allowed``; list None when unset means an allowed default.

    ``one_of(None, "defensive", "strictest")`` reads "must be defensive or strictest".
    """
    exact = tuple(choice for choice in allowed if choice is None or isinstance(choice, bool))
    equal = tuple(choice for choice in allowed if not (choice is None or isinstance(choice, bool)))

    def test(value: Any) -> bool:
        if value is None or isinstance(value, bool):
            return any(value is choice for choice in exact)
        return value in equal

    return Expectation(test, f"be {_either([_shown(choice) for choice in allowed if choice is not None])}")


@_once
def at_least(minimum: float, unit: str = "") -> Expectation:
    """A number no smaller than ``minimum``; unset fails (wrap in :func:`unset_or` when the default is safe)."""
    return Expectation(lambda value: _is_number(value) and value >= minimum, f"be at least {_with(minimum, unit)}")


@_once
def at_most(maximum: float, unit: str = "") -> Expectation:
    """A number no larger than ``maximum``; unset fails (wrap in :func:`unset_or` when the default is safe)."""
    return Expectation(lambda value: _is_number(value) and value <= maximum, f"be at most {_with(maximum, unit)}")


@_once
def between(low: float, high: float, unit: str = "") -> Expectation:
    """A number from ``low`` to ``high``, both included."""
    return Expectation(
        lambda value: _is_number(value) and low <= value <= high, f"be between {low} and {_with(high, unit)}"
    )


def _with(number: float, unit: str) -> str:
    return f"{number} {unit}" if unit else str(number)


@_once
def includes(*needed: Any) -> Expectation:
    """A list (or a single value, taken as a list of one) that contains every one of ``needed``; unset is empty."""

    def test(value: Any) -> bool:
        values = as_list(value)
        return all(item in values for item in needed)

    return Expectation(test, f"include {', '.join(map(str, needed))}")


@_once
def unset_or(expected: Expectation) -> Expectation:
    """Unset passes (the provider default is known to be safe); a set value must meet ``expected``."""
    return Expectation(lambda value: value is None or expected.test(value), expected.wording)


is_set = Expectation(lambda value: isinstance(value, str) and bool(value), "be set")
"""A non-empty string: every property checked this way is an ARN, a name or an identifier."""

not_empty = Expectation(lambda value: len(as_list(value)) > 0, "not be empty")
"""A list with at least one item (a single value counts as one)."""
