"""Credentials in plain stack config: found, refused, and never printed.

A stack file is committed; a value in it that is not ``secure:`` is readable by everyone who can read the
repository. :func:`credential_problems` walks every plain value of the stack config (every namespace:
``aws:secretKey`` too) and refuses three things, each with a pointer to the safe form and never with the
value:

- a key named like a credential (:data:`CREDENTIAL_WORDS`: ``db_password``, ``API_KEY``, ``authToken``...)
  holding a plain scalar;
- a URL with a user name and password (``postgres://user:pass@host/db``);
- a value in a known token format (:data:`TOKEN_FORMATS`: AWS access key ids, GitHub, Slack, Stripe,
  Google and npm tokens, PEM private keys, JWTs).

Keys the engine marks secret (``secure:`` values, ``pulumi config set --secret``) are skipped: they are
exactly what is asked for. :func:`may_be_secret` tells the message renderer which bad values to mask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "CREDENTIAL_WORDS",
    "HIDDEN",
    "OFFLINE_SECRET_PLACEHOLDER",
    "SECRET_ONLY_KEYS",
    "TOKEN_FORMATS",
    "credential_kind",
    "credential_problems",
    "looks_like_credential_key",
    "may_be_secret",
]

HIDDEN = "[value hidden]"
"""What a message shows instead of a value that is, or may be, a credential."""

OFFLINE_SECRET_PLACEHOLDER = "offline-placeholder-not-a-secret"  # noqa: S105 (says it is not one)
"""What a ``secure:`` value reads as where it cannot be decrypted (the offline gate); checks of a value's shape
accept it, since the program judges the decrypted value under ``pulumi up``."""

SECRET_ONLY_KEYS = ("https_endpoints",)
"""Config keys whose values must be ``secure:`` whatever they look like: alarm HTTPS endpoints embed the
integration key of the paging service (PagerDuty's and Opsgenie's CloudWatch integration URLs)."""

CREDENTIAL_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "PRIVATEKEY", "CREDENTIAL", "ACCESSKEY")
"""A config key whose name, with ``_``/``-`` removed and upper-cased, contains one of these holds a credential."""

_NOT_CREDENTIAL_KEYS = frozenset({"SECRETS", "SECRETKEYS", "SECRETARN", "SECRETARNS", "SECRETNAME"})
"""Keys named after secrets that hold references or containers, never the secret itself."""

TOKEN_FORMATS: Mapping[str, re.Pattern[str]] = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    "a GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Stripe live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "an npm token": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "a private key (PEM)": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}
"""Credential formats recognisable from the value alone (the prefixes their issuers document)."""

_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")
_SERVICE_MAPS = ("environment", "secrets")


def looks_like_credential_key(key: str) -> bool:
    """True for a config key named like a credential (``db_password``, ``apiKey``, ``AUTH-TOKEN``)."""
    squashed = re.sub(r"[-_.\s]", "", key).upper()
    if squashed in _NOT_CREDENTIAL_KEYS or squashed.endswith(("ARN", "ARNS", "REF", "REFERENCE")):
        return False
    return any(word in squashed for word in CREDENTIAL_WORDS)


def credential_kind(value: Any) -> str | None:
    """What credential ``value`` looks like (``a URL with a user name and password``...), or None."""
    if not isinstance(value, str):
        return None
    if _URL_WITH_PASSWORD.search(value):
        return "a URL with a user name and password"
    return next((kind for kind, pattern in TOKEN_FORMATS.items() if pattern.search(value)), None)


def may_be_secret(loc: Sequence[str | int], value: Any) -> bool:
    """True when a bad value at ``loc`` must not be printed: a credential-named key, a service's
    ``environment``/``secrets`` value, an ``external_id``, or a value that looks like a credential."""
    names = [part for part in loc if isinstance(part, str)]
    if any(looks_like_credential_key(name) or name in SECRET_ONLY_KEYS for name in names) or "external_id" in names:
        return True
    if "services" in names and any(name in _SERVICE_MAPS for name in names[names.index("services") :]):
        return True
    return credential_kind(value) is not None


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str | None, Any]]:
    """``(path, key, value)`` for every scalar below ``value``; ``key`` is the mapping key it sits under."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(item, Mapping | list):
                yield from _leaves(item, child)
            else:
                yield child, str(key), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            if isinstance(item, Mapping | list):
                yield from _leaves(item, child)
            else:
                yield child, None, item


def _pointer(path: str, namespace: str) -> str:
    if re.search(r"\.services\[\d+\]\.environment\.", path):
        return "move it to the service's `secrets` as a Secrets Manager or SSM parameter ARN"
    full = path if ":" in path else f"{namespace}:{path}"
    return f"`pulumi config set --secret --path '{full}' <value>` (stored encrypted), or a secret reference"


def credential_problems(
    config: Mapping[str, Any], *, secret_keys: Sequence[str] = (), namespace: str = "fintech-infra"
) -> list[str]:
    """Every plain credential in ``config`` (full keys to parsed values); paths drop ``namespace:``."""
    problems: list[str] = []
    for full_key, value in config.items():
        if full_key in secret_keys:
            continue
        base = full_key.removeprefix(f"{namespace}:")
        top = full_key.split(":", 1)[-1]
        leaves = _leaves(value, base) if isinstance(value, Mapping | list) else iter([(base, top, value)])
        for path, key, leaf in leaves:
            if leaf is None or isinstance(leaf, bool) or leaf == "":
                continue
            kind = credential_kind(leaf)
            if kind is None and any(f".{key}[" in f".{path}" for key in SECRET_ONLY_KEYS):
                kind = "an alarm HTTPS endpoint (it embeds the paging integration's key)"
            in_secret_refs = ".secrets." in f".{path}" and re.search(r"\.services\[\d+\]\.secrets\.", path)
            if kind is None and key is not None and not in_secret_refs and looks_like_credential_key(key):
                kind = f"sits under a key named like a credential ({key!r})"
            elif kind is not None:
                kind = f"holds {kind}"
            if kind is not None:
                problems.append(
                    f"{path}: {HIDDEN} {kind}; plaintext credentials are refused in stack config; "
                    f"allowed: {_pointer(path, namespace)}"
                )
    return problems
