"""Which resource types a guardrail judges, so a report can name the components that evidence it.

A resource guardrail names its types (or a test over types); a stack guardrail walks the stack with
``stack.of_type(t.BUCKET)``-style calls, so its types are the type constants of :mod:`fintech_guardrails.types`
its code names, read from the compiled code (names only, nothing runs). The SDK policy carries them as
``judges:<type token>`` tags (:meth:`fintech_guardrails.registry.Guardrail.policy`): the gate's requirement
coverage matrix maps them to the components of a stack that create those types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from types import CodeType

from fintech_guardrails import types as type_tokens

__all__ = ["JUDGES_PREFIX", "created_type_tokens", "judged_types"]

JUDGES_PREFIX = "judges:"
_CREATED = Path(__file__).parent / "data" / "created_types.json"


@cache
def created_type_tokens() -> tuple[str, ...]:
    """Every type the shipped stacks create (``data/created_types.json``); empty if the file is missing."""
    if not _CREATED.is_file():
        return ()
    return tuple(json.loads(_CREATED.read_text(encoding="utf-8"))["types"])


def _names(code: CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):  # comprehensions and nested functions
            yield from _names(constant)


def _tokens(value: object) -> Iterator[str]:
    if isinstance(value, str) and ":" in value and " " not in value:  # not a label such as "aws:* (every ...)"
        yield value
    elif isinstance(value, tuple | frozenset | list):
        for item in value:
            yield from _tokens(item)


def judged_types(
    check: Callable[..., None], types: tuple[str, ...], applies_to: Callable[[str], bool] | None
) -> tuple[str, ...]:
    """The type tokens a guardrail judges: its declared types, the created types its test accepts, or the
    type constants its code names."""
    if applies_to is not None:
        return tuple(token for token in created_type_tokens() if applies_to(token))
    if types:
        return tuple(token for token in types if " " not in token)
    code = getattr(check, "__code__", None)
    if code is None:
        return ()
    found: dict[str, None] = {}
    for name in _names(code):
        if name.isupper() and hasattr(type_tokens, name):
            found.update(dict.fromkeys(_tokens(getattr(type_tokens, name))))
    return tuple(sorted(found))
