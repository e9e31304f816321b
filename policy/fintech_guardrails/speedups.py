"""Build each request's policy arguments once, not once per policy, and skip policies that don't apply.

The Python SDK's servicer rebuilds everything a policy receives inside its per-policy loop: in ``Analyze``
it deserializes the resource's properties, options and provider once per resource policy (73 times per
resource), and in ``AnalyzeStack`` it rebuilds the whole list of ``PolicyResource`` objects (properties,
options, provider, parent and dependency links of every resource) once per stack policy. That was almost all
of the pack's run time. :func:`install` replaces the servicer's ``Analyze`` and ``AnalyzeStack`` with copies
of the SDK's loops (:mod:`fintech_guardrails.speedups_servicer`) that differ in two ways only:

* The per-request arguments (``Analyze``: properties, options, provider; ``AnalyzeStack``: the resource list
  with its links) are built once, at the point the SDK would first build them, and shared by every policy
  as read-only objects: a policy that tries to change them gets a ``TypeError``/``AttributeError`` instead of
  changing what the next policy sees. Each stack policy still gets its own list; each policy still gets its
  own ``report_violation``, a copy of its config, and the SDK's handling of unknowns and not-applicable.
* In ``Analyze``, a resource policy built by :mod:`fintech_guardrails.registry` is skipped when its type test
  rejects the resource type (:func:`fintech_guardrails.registry.type_filter`): its validation would have
  returned at once, reporting nothing. Policies over a fixed set of types are indexed by type once per
  servicer (:func:`fintech_guardrails.registry.type_set`), so the loop never even visits the policies of other
  types: an ``Analyze`` call costs the same however many guardrails the pack has for other types
  (``tests/policy/test_dispatch_cost.py``). A request whose properties cannot be deserialized fails when
  the first policy that applies needs them, as in the SDK; one that no resource policy applies to is not
  parsed at all.

Because every policy of a request then receives the same objects, :func:`install` also memoises the two
places the rules' model (:mod:`fintech_guardrails.model`) copies them: :func:`~fintech_guardrails.model.props_of`
copies each props proxy once, not once per policy, and :func:`~fintech_guardrails.model.index_of` builds one
index of the stack per ``AnalyzeStack``, not one per stack policy (16-cell estate, 7,073 resources: the
pack's ``AnalyzeStack`` in-process 1.59 s -> 0.92 s). Both memos are keyed by object identity, which is only
worth anything (and only installed) together with the servicer patch; they hold the objects they key on,
so an id is never reused while its entry lives.

The copies are only installed on the SDK source they were written from: :func:`install` compares a digest of
the SDK code they mirror with :data:`SDK_DIGEST` and returns False (patching nothing; the pack then runs on
the SDK's own loops) when it differs. ``policy/__main__.py`` calls :func:`start`, which installs them unless
``FINTECH_INFRA_SPEEDUPS=0`` (the gate's switch, passed on in the pack's environment) and, when the SDK
differs, writes one line to stderr that the gate shows its user; importing the rules never patches anything.
``tests/policy/test_speedups_equivalence.py`` proves the responses are byte-identical.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import inspect
import os
import sys
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import IO, Any

from fintech_guardrails import PACK_NAME, model
from fintech_guardrails.speedups_servicer import analyze, analyze_stack, prepare, sdk_modules

__all__ = ["SDK_DIGEST", "SWITCH", "enabled", "install", "installed", "refusal", "sdk_digest", "start", "uninstall"]

SDK_DIGEST = "f97ccab99b1358203c49cd746e7397c355ed8c5c5bb496b378c576d9879f41f2"
"""sha256 of the SDK code mirrored here (pulumi-policy 1.21.0); see :func:`sdk_digest`."""

SWITCH = "FINTECH_INFRA_SPEEDUPS"
"""``0`` (also ``false``, ``no``, ``off``) turns the speed-ups off; the gate's switch, read the same way."""
_OFF = ("0", "false", "no", "off")

_MEMO_LIMIT = 50_000
_STATE: dict[str, Any] = {"installed": False, "originals": {}, "model": {}}


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when :data:`SWITCH` is ``0``, ``false``, ``no`` or ``off``; on otherwise."""
    value = (os.environ if environ is None else environ).get(SWITCH, "")
    return value.strip().lower() not in _OFF


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
        sdk, proxy = sdk_modules()

        sources = [inspect.getsource(item) for item in _mirrored(sdk, proxy)]
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


def install() -> bool:
    """Replace the SDK servicer's ``Analyze``/``AnalyzeStack`` and memoise the model's copies; False (nothing
    patched) if the SDK changed."""
    if _STATE["installed"]:
        return True
    if sdk_digest() != SDK_DIGEST:
        return False
    servicer = sdk_modules()[0]._PolicyAnalyzerServicer
    prepare()  # before the server's threads need them
    _STATE["originals"] = {"Analyze": servicer.Analyze, "AnalyzeStack": servicer.AnalyzeStack}
    _STATE["model"] = {"props_of": model.props_of, "index_of": model.index_of}
    servicer.Analyze = analyze
    servicer.AnalyzeStack = analyze_stack
    model.props_of = _props_once
    model.index_of = _index_once
    _STATE["installed"] = True
    return True


def uninstall() -> None:
    """Put the SDK's own methods and the model's plain functions back, and drop the memos (tests compare both)."""
    if not _STATE["installed"]:
        return
    for name, method in _STATE["originals"].items():
        setattr(sdk_modules()[0]._PolicyAnalyzerServicer, name, method)
    for name, function in _STATE["model"].items():
        setattr(model, name, function)
    _PLAIN_MEMO.clear()
    _LAST_INDEX.clear()
    _STATE["installed"] = False


def installed() -> bool:
    return bool(_STATE["installed"])


def refusal() -> str | None:
    """Why :func:`install` would refuse, as the line :func:`start` writes; None when it would install."""
    found = sdk_digest()
    if found == SDK_DIGEST:
        return None
    try:
        version = importlib.metadata.version("pulumi-policy")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed)"
    digest = f"digest {found[:12]}, written for {SDK_DIGEST[:12]}" if found else "its source could not be read"
    return (
        f"{PACK_NAME}: speedups off: pulumi-policy {version} is not the SDK they were written for ({digest}); "
        "results are unchanged, only slower"
    )


def start(environ: Mapping[str, str] | None = None, stderr: IO[str] | None = None) -> bool:
    """The pack's entry point's call: the speed-ups, unless :data:`SWITCH` turns them off; True if installed.

    If the SDK is not the one they were written for, one line on ``stderr`` (:func:`refusal`) says so: the
    gate shows it to its user once per run, so an SDK upgrade that slows the pack down is never silent.
    """
    if not enabled(environ):
        return False
    done = install()
    if not done:
        print(refusal(), file=stderr or sys.stderr, flush=True)
    # The pack is a long-lived server whose imports and memoised resources only grow: keep the collector
    # from re-walking them on every young collection (AnalyzeStack over 7,072 resources: 12.8 s -> 6.9 s).
    gc.freeze()
    gc.set_threshold(max(gc.get_threshold()[0], 20_000))
    return done


# -- memoised copies for the model ------------------------------------------------------------------------

_PLAIN_MEMO: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()
_LAST_INDEX: list[tuple[tuple[Any, ...], list[Any], Any]] = []


def _props_once(proxy: Any) -> dict[str, Any]:
    """:func:`fintech_guardrails.model.props_of`, once per proxy object.

    The servicer copies (:mod:`fintech_guardrails.speedups_servicer`) hand every policy of a request the same
    proxies, so each resource is copied once per request instead of once per policy. The memo holds the proxy,
    so its id can't be reused while the entry lives; rules never mutate the copy.
    """
    found = _PLAIN_MEMO.get(id(proxy))
    if found is None:
        found = _PLAIN_MEMO[id(proxy)] = (proxy, _STATE["model"]["props_of"](proxy))
        if len(_PLAIN_MEMO) > _MEMO_LIMIT:
            _PLAIN_MEMO.popitem(last=False)
    return found[1]


def _index_once(resources: Iterable[Any], stack_tags: Mapping[str, str]) -> Any:
    """:func:`fintech_guardrails.model.index_of`: the last index built, when these are the very same resource
    objects and tags (the servicer copies give every stack policy of one ``AnalyzeStack`` the same objects)."""
    listed = list(resources)
    key = (tuple(map(id, listed)), tuple(sorted(stack_tags.items())))
    if _LAST_INDEX and _LAST_INDEX[0][0] == key:
        return _LAST_INDEX[0][2]
    index = _STATE["model"]["index_of"](listed, stack_tags)
    _LAST_INDEX[:] = [(key, listed, index)]  # holds the resources, so the ids in the key can't be reused
    return index
