"""Read a Pulumi YAML file the way the Pulumi CLI's parser does, and name every problem with file and line.

The CLI parses stack files with a YAML 1.2 parser (Go's ``yaml.v3``); PyYAML's default is YAML 1.1. The loader
here closes the gaps that change what a stack file means:

- YAML 1.2 scalars: only ``true``/``false`` are booleans (``yes``, ``on``, ``no`` stay text), ``1:30`` and
  ``2026-01-01`` stay text, ``0o17``/``0x1f`` are integers;
- a key given twice in one mapping is an error naming both lines (``yaml.v3`` refuses it too; PyYAML would
  keep the last value silently);
- the file must be UTF-8: another encoding (Latin-1, UTF-16 with or without a byte-order mark) is named
  with the line of the first byte that is not UTF-8; a UTF-8 byte-order mark is skipped, as YAML allows;
- an empty file (or one with only comments) is reported as empty.

Every failure is one :class:`~fintech_infra.errors.ConfigError`: ``<file> line <n>: <what>; allowed: ...``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from fintech_infra.errors import ConfigError

__all__ = ["read_yaml"]

_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = {
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\xfe\xff": "UTF-16",
    b"\xff\xfe": "UTF-16",
}

_YAML12: dict[str, tuple[str, re.Pattern[str], str]] = {
    "tag:yaml.org,2002:bool": ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    "tag:yaml.org,2002:int": (
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        "-+0123456789",
    ),
    "tag:yaml.org,2002:float": (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+.0123456789",
    ),
}


class _StackFileLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and duplicate keys refused."""

    yaml_implicit_resolvers: dict[Any, Any] = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag not in (*_YAML12, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice in one mapping (first on line {seen[key]}); allowed: each key "
                    "once (the Pulumi CLI refuses the file; a YAML reader that took the last would hide the first)",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> int:
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        return int(text, 16) if text.startswith("0x") else int(text, 10)


for _tag, (_, _regexp, _first) in _YAML12.items():
    _StackFileLoader.add_implicit_resolver(_tag, _regexp, list(_first))
_StackFileLoader.add_constructor("tag:yaml.org,2002:int", _StackFileLoader.construct_yaml_int)


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _decoded(path: Path, name: str, data: bytes) -> str:
    for bom, encoding in _OTHER_BOMS.items():
        if data.startswith(bom):
            raise ConfigError(
                f"{name} line 1: the file is {encoding} text (it starts with a {encoding} byte-order mark); "
                "allowed: UTF-8 text (save the file as UTF-8)"
            )
    data = data.removeprefix(_UTF8_BOM)
    if b"\x00" in data:
        line = _line_of(data, data.index(b"\x00"))
        raise ConfigError(
            f"{name} line {line}: the file holds NUL bytes (UTF-16 text without a "
            "byte-order mark?); allowed: UTF-8 text (save the file as UTF-8)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        guess = " (it looks like Latin-1 or Windows-1252 text)" if 0x80 <= byte <= 0xFF else ""
        raise ConfigError(
            f"{name} line {_line_of(data, error.start)}: byte 0x{byte:02x} is not UTF-8{guess}; allowed: UTF-8 text "
            "(save the file as UTF-8)"
        ) from None


def _yaml_problem(name: str, error: yaml.YAMLError) -> ConfigError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{name} line {mark.line + 1}, column {mark.column + 1}" if mark is not None else name
    if isinstance(error, yaml.reader.ReaderError):
        return ConfigError(
            f"{name}: character {chr(error.character)!r} (U+{error.character:04X}) is not allowed in YAML; "
            "allowed: printable text, tabs and line breaks"
        )
    problem = (getattr(error, "problem", None) or str(error)).replace("'<stream end>'", "the end of the file")
    context, start = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and start is not None and mark is not None and start.line != mark.line:
        context = f"{context} (started on line {start.line + 1})"
    text = f"{context}: {problem}" if context and "allowed:" not in problem else problem
    if "allowed:" not in text:
        text += "; allowed: YAML (check the indentation and quoting on and above this line)"
    return ConfigError(f"{where}: {text}")


def read_yaml(path: Path, *, name: str | None = None) -> Any:
    """The YAML document in ``path`` as data; ``name`` is how messages call the file (default: its name)."""
    label = name or path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{label}: cannot be read ({error.strerror or error})") from None
    text = _decoded(path, label, data)
    try:
        document = yaml.load(text, Loader=_StackFileLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        raise _yaml_problem(label, error) from None
    except RecursionError:
        raise ConfigError(f"{label}: nested too deeply to read; allowed: ordinary stack config") from None
    if document is None:
        raise ConfigError(
            f"{label}: the file is empty{' (only comments)' if text.strip() else ''}; allowed: a mapping with a "
            "`config:` key holding the stack's settings (see the README's configuration section)"
        )
    return document
