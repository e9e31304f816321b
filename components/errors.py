"""Every error fintech-infra raises on purpose: the library's, the harness's and the gate's, in one tree.

    FintechInfraError               base of every error below; catch it to catch them all
     ├── ConfigError                a stack config, component argument or gate option is invalid (a ValueError)
     │    └── ResidencyError        a region is not permitted for the jurisdiction
     ├── ProgramError               the gate: the stack program raised something other than a ConfigError
     ├── PolicyPackError            the gate: the policy pack could not be started or did not answer
     ├── RelayError                 the gate: the analyzer relay (or the pack behind it) failed or went away
     └── PostgresError              a bootstrap function's PostgreSQL session failed (in Lambda, at pulumi up)

Library errors are raised before any resource is registered; every message names the config key path,
the bad value (``repr``) and what is allowed. The gate's errors live here too, so one ``except`` covers a
whole run; the gate exits 2 on any of them. ``tests/test_errors.py`` checks this drawing against the classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ConfigError",
    "FintechInfraError",
    "PolicyPackError",
    "PostgresError",
    "ProgramError",
    "RelayError",
    "ResidencyError",
    "allowed",
    "key_path",
]


class FintechInfraError(Exception):
    """Base class of every error this project raises on purpose."""


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


class ProgramError(FintechInfraError):
    """The stack program raised something other than a :class:`ConfigError`; ``detail`` is its traceback."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class PolicyPackError(FintechInfraError):
    """The policy pack could not be started or did not answer."""


class RelayError(FintechInfraError):
    """The analyzer relay (or the pack behind it) answered with an error, or went away."""


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


class PostgresError(FintechInfraError):
    """A PostgreSQL server refused a bootstrap function's session or statement (its SQLSTATE and message), or spoke
    outside the protocol. Raised by :mod:`fintech_infra.pg_wire`, which runs in Lambda (this module goes with it)."""

    def __init__(self, message: str, *, sqlstate: str = "") -> None:
        super().__init__(f"{sqlstate}: {message}" if sqlstate else message)
        self.sqlstate = sqlstate
