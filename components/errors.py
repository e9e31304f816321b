"""Errors raised by fintech-infra, all before any resource is registered.

    FintechInfraError
     └── ConfigError          a stack config or component argument is invalid
          └── ResidencyError  a region is not permitted for the jurisdiction

Every message names the config key path, the bad value (``repr``) and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["ConfigError", "FintechInfraError", "ResidencyError", "allowed", "key_path"]


class FintechInfraError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(FintechInfraError, ValueError):
    """Invalid configuration: one message, one line per bad key."""

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)

    @classmethod
    def at(cls, path: str, value: object, allowed_text: str) -> ConfigError:
        """One bad key: ``path: value is not allowed; allowed: ...``."""
        return cls(f"{path}: {value!r} {allowed_text}")


class ResidencyError(ConfigError):
    """A regional resource would land outside its jurisdiction's permitted regions."""


def key_path(*parts: str | int) -> str:
    """Render a key path the way a stack file spells it: ``cells.eu.concerns[1].concern``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = part
    return text


def allowed(values: Iterable[object]) -> str:
    """``allowed: a, b, c`` for an error message."""
    return "allowed: " + ", ".join(str(value) for value in values)
