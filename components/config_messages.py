"""Pydantic's validation errors as stack-file problems: key path, the bad value (masked where it may be a
secret) and what is allowed, one line each.

Pydantic knows the shapes; this module knows how a person reads them. A typo'd key next to the required key
it was meant to be becomes one problem with a "did you mean" instead of two; a pattern becomes words
(:data:`PATTERN_WORDS`); a number's range comes from the field's own bounds; and a value at a key that may
hold a credential is never printed (:func:`~fintech_infra.config_secrets.may_be_secret`).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from fintech_infra.config_secrets import HIDDEN, may_be_secret
from fintech_infra.errors import key_path

__all__ = [
    "PATTERN_WORDS",
    "did_you_mean",
    "file_loc",
    "model_fields_at",
    "render_value",
    "validation_problems",
]

Loc = tuple[str | int, ...]

PATTERN_WORDS: Mapping[str, str] = {
    r"^[a-z][a-z0-9-]{1,24}$": "2-25 characters: lowercase letters, digits and '-', starting with a letter",
    r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$": "a lowercase DNS name such as api.example.com",
    r"^\d{12}$": "12 digits, quoted (an AWS account id; unquoted YAML reads it as a number)",
    r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$": "an IAM role ARN: arn:aws:iam::<account>:role/<name>",
    r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$": (
        "an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>"
    ),
    r"^\d{2}(\.\d+)?$": "a PostgreSQL version such as 16 or 16.6",
    r"^\d+\.\d+$": "a version such as 8.0",
    r"^1\.\d{2}$": "a Kubernetes version such as 1.33",
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": "an RDS instance class such as db.r6g.large",
    r"^cache\.[a-z0-9]+\.[a-z0-9]+$": "an ElastiCache node type such as cache.r7g.large",
    r"^/": "a path starting with '/'",
}
"""Patterns the config models use, in words; any other pattern is shown as the regular expression."""

_KINDS: Mapping[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}
_EXPECTED: Mapping[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "ip_v4_network": "an IPv4 CIDR block such as 10.20.0.0/16",
    "enum": "",
    "literal_error": "",
}
"""Pydantic error types that mean "the value has the wrong kind", with the kind the key wants."""


def render_value(value: Any, *, hidden: bool = False) -> str:
    """A bad value as a message shows it: ``repr`` for short scalars, a summary for long or nested ones."""
    if hidden:
        return HIDDEN
    if isinstance(value, Mapping):
        keys = [str(key) for key in value][:6]
        return f"a mapping (keys {', '.join(keys)}{', ...' if len(value) > 6 else ''})" if keys else "{}"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}" if value else "[]"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:72]}...' ({len(str(value))} characters)"


def kind_of(value: Any) -> str:
    return next((words for kind, words in _KINDS.items() if type(value) is kind), type(value).__name__)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word`` (a typo's likely intent), or None."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation admits (Optional, Annotated and unions opened)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (types.UnionType, typing.Union):
        return [member for arg in typing.get_args(annotation) if arg is not type(None) for member in _unwrap(arg)]
    return [annotation]


def _step(current: Any, part: str | int) -> tuple[Any, FieldInfo | None] | None:
    """One key down the model tree: the annotation found there and, for a model field, its FieldInfo."""
    for candidate in _unwrap(current):
        origin, args = typing.get_origin(candidate), typing.get_args(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if isinstance(part, str) and part in candidate.model_fields:
                info = candidate.model_fields[part]
                return info.annotation, info
            kind = candidate.model_fields.get("kind")
            if kind is not None and kind.default == part:  # a discriminated union's tag in the location
                return candidate, None
        elif origin in (dict, Mapping) and args:
            return args[1], None
        elif origin in (tuple, list, Sequence) and args:
            return args[0], None
    return None


def field_at(root: type[BaseModel], loc: Loc) -> tuple[Any, FieldInfo | None] | None:
    """The annotation and FieldInfo at ``loc`` below ``root``; None where the tree has no such key."""
    current: Any = root
    info: FieldInfo | None = None
    for part in loc:
        found = _step(current, part)
        if found is None:
            return None
        current, info = found
    return current, info


def model_fields_at(root: type[BaseModel], loc: Loc) -> dict[str, FieldInfo]:
    """The fields of the model at ``loc`` (the keys a mapping there may have); empty if it is no model."""
    found = field_at(root, loc)
    if found is None:
        return {}
    for candidate in _unwrap(found[0]):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return dict(candidate.model_fields)
    return {}


def _bounds(info: FieldInfo | None, ctx: Mapping[str, Any]) -> str:
    low = high = None
    for item in info.metadata if info is not None else ():
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = item.ge if isinstance(item, annotated_types.Ge) else f"more than {item.gt}"
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = item.le if isinstance(item, annotated_types.Le) else f"less than {item.lt}"
    low = ctx.get("ge", ctx.get("gt", low)) if low is None else low
    high = ctx.get("le", ctx.get("lt", high)) if high is None else high
    if low is not None and high is not None:
        return f"allowed: {low} to {high}"
    return f"allowed: at least {low}" if low is not None else f"allowed: at most {high}"


def _literal_choices(ctx: Mapping[str, Any]) -> list[str]:
    expected = str(ctx.get("expected", ""))
    return [part.strip().strip("'") for part in expected.replace(" or ", ",").split(",") if part.strip()]


def file_loc(loc: Loc) -> Loc:
    # A discriminated union puts its tag (`ecs`/`eks`) in the location; the stack file has no such key.
    return tuple(part for index, part in enumerate(loc) if not (index and part in ("ecs", "eks")))


_SUBKEY = re.compile(r"^[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*(\[\d+\])?: ")


def _path(loc: Loc) -> str:
    shown = [part for part in file_loc(loc) if part != "[key]"]
    return key_path(*shown) if shown else "(stack)"


def _describe(root: type[BaseModel], error: Mapping[str, Any]) -> str:
    loc: Loc = tuple(error["loc"])
    path, kind, ctx = _path(loc), error["type"], error.get("ctx") or {}
    value = error.get("input")
    found = field_at(root, loc)
    info = found[1] if found is not None else None
    hidden = may_be_secret(file_loc(loc), value)
    shown = render_value(value, hidden=hidden)
    if loc and loc[-1] == "[key]":
        return f"{_path(loc[:-1])}: key {shown} is not allowed here; {_allowed_for(kind, ctx, info)}"
    if kind == "missing":
        what = f" ({info.description})" if info is not None and info.description else ""
        return f"{path}: is required but missing{what}"
    if kind in ("literal_error", "enum"):
        choices = _literal_choices(ctx)
        guess = did_you_mean(str(value), choices) if isinstance(value, str) else None
        hint = f"; did you mean {guess}?" if guess else ""
        return f"{path}: {shown} is not one of the choices{hint}; allowed: {', '.join(choices)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        choices = _literal_choices({"expected": ctx.get("expected_tags", "")})
        tag = ctx.get("tag")
        guess = did_you_mean(str(tag), choices) if tag is not None else None
        hint = f"; did you mean {guess}?" if guess else ""
        got = f"kind: {tag!r}" if tag is not None else "no kind"
        return f"{path}: {got} is not a compute kind{hint}; allowed: {', '.join(choices)}"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        got = "" if hidden else f" ({kind_of(value)})"
        extra = f"; {_bounds(info, ctx)}" if kind.startswith(("int", "float")) and info is not None else ""
        if kind == "bool_type" or (kind.startswith("int") and isinstance(value, bool)):
            extra += " (true/false are not numbers, and a number is not true/false)"
        return f"{path}: {shown}{got} is not {expected}{extra}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{path}: {shown} is out of range; {_bounds(info, ctx)}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{path}: {shown} is not allowed here; allowed: {PATTERN_WORDS.get(pattern, f'text matching {pattern}')}"
    if kind in ("string_too_short", "string_too_long"):
        limit = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        bound = "at least" if kind == "string_too_short" else "at most"
        size = "short" if kind == "string_too_short" else "long"
        return f"{path}: {shown} is too {size}; allowed: {bound} {limit} characters"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        bound = "at least" if kind == "too_short" else "at most"
        return f"{path}: {shown} has too {'few' if kind == 'too_short' else 'many'} items; allowed: {bound} {limit}"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if value is None or isinstance(value, Mapping | list | tuple):
        # A model-level check that names the key below it (`services[1].name: ...`) extends the path.
        if path != "(stack)" and _SUBKEY.match(message):
            return f"{path}.{message}"
        return f"{path}: {message}"
    if message.startswith(("'", '"')):  # the message quotes a part of the value: show the whole value first
        return f"{path}: {shown} is not allowed: {message}"
    return f"{path}: {shown} {message[0].lower()}{message[1:]}"


def _allowed_for(kind: str, ctx: Mapping[str, Any], info: FieldInfo | None) -> str:
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"allowed: {PATTERN_WORDS.get(pattern, f'text matching {pattern}')}"
    return "allowed: " + str(ctx.get("expected", "a valid key"))


def _unknown_keys(root: type[BaseModel], errors: list[Mapping[str, Any]]) -> list[str]:
    """Unknown keys, each merged with the missing required sibling it most likely misspells."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    problems: list[str] = []
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc: Loc = tuple(error["loc"])
        fields = model_fields_at(root, loc[:-1])
        name = str(loc[-1])
        guess = did_you_mean(name, fields)
        if guess is not None and (*loc[:-1], guess) in missing:
            missing.discard((*loc[:-1], guess))
            error_missing = {"type": "merged", "loc": (*loc[:-1], guess)}
            errors.append(error_missing)
            problems.append(f"{_path(loc)}: unknown key; did you mean {guess} (required, and missing)?")
            continue
        hint = f"did you mean {guess}? " if guess else ""
        problems.append(f"{_path(loc)}: unknown key; {hint}allowed: {', '.join(fields) or 'no keys here'}")
    return problems


def validation_problems(root: type[BaseModel], error: ValidationError) -> list[str]:
    """One line per problem pydantic found (typo + missing twin merged; 'too short' for a list whose
    only items failed dropped, since the items' own errors say it better)."""
    items: list[Mapping[str, Any]] = list(error.errors(include_url=False))
    failing_items = {tuple(item["loc"][:-2]) for item in items if len(item["loc"]) >= 2}
    items = [i for i in items if not (i["type"] == "too_short" and tuple(i["loc"]) in failing_items)]
    unknown = _unknown_keys(root, items)
    merged = {tuple(item["loc"]) for item in items if item["type"] == "merged"}
    problems = [
        _describe(root, item)
        for item in items
        if item["type"] not in ("extra_forbidden", "merged")
        and not (item["type"] == "missing" and tuple(item["loc"]) in merged)
    ]
    return [*unknown, *problems]
