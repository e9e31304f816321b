"""Run by the clean venv's interpreter: what each way of installing fintech-infra brings, and what imports with it.

``python extras_probe.py closures`` prints, as JSON, the installed distributions and, per install
(``library``: ``pip install fintech-infra``; ``gate`` and ``test``: with that extra), the distributions
it reaches by the installed metadata. ``python extras_probe.py import INSTALL MODULE...`` hides every other
installed distribution's top-level modules (as if that install were all there is) and imports the modules;
it prints the import's outcome per module as JSON. ``console INSTALL`` runs the ``fintech-infra`` console
script's ``--help`` that way. This file imports nothing of the project at module level: it runs in a venv
that has the built wheel, not the repository, on its path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.metadata
import json
import re
import sys
from collections.abc import Sequence
from types import ModuleType

PACKAGE = "fintech-infra"
INSTALLS = {"library": set(), "gate": {"gate"}, "test": {"test"}}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _requirements(distribution: str, extras: set[str]) -> list[tuple[str, set[str]]]:
    """The requirements of ``distribution`` that apply with ``extras``: (name, extras asked of it)."""
    from packaging.requirements import Requirement  # installed with pulumi's dependencies

    found = []
    for text in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras | {""}):
            found.append((_name(requirement.name), set(requirement.extras)))
    return found


def closure(extras: set[str]) -> set[str]:
    reached: dict[str, set[str]] = {}
    queue = [(_name(PACKAGE), extras)]
    while queue:
        name, wanted = queue.pop()
        if name in reached and wanted <= reached[name]:
            continue
        reached[name] = reached.get(name, set()) | wanted
        queue += _requirements(name, reached[name])
    return set(reached)


class _Hidden(importlib.abc.MetaPathFinder):
    """Refuses the top-level modules of distributions the install being probed would not have."""

    def __init__(self, hidden: set[str]) -> None:
        self.hidden = hidden

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if fullname.split(".")[0] in self.hidden:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in this install)", name=fullname)


def _hide_all_but(install: str) -> None:
    allowed = closure(INSTALLS[install])
    hidden = {
        module
        for module, owners in importlib.metadata.packages_distributions().items()
        if not any(_name(owner) in allowed for owner in owners)
    }
    sys.meta_path.insert(0, _Hidden(hidden))


def _import(modules: list[str]) -> dict[str, str]:
    outcome = {}
    for module in modules:
        try:
            importlib.import_module(module)
            outcome[module] = "ok"
        except ModuleNotFoundError as error:
            outcome[module] = f"missing {error.name}"
    return outcome


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "closures":
        installed = sorted({_name(d.metadata["Name"]) for d in importlib.metadata.distributions()})
        print(json.dumps({"installed": installed, **{k: sorted(closure(v)) for k, v in INSTALLS.items()}}))
    elif command == "import":
        _hide_all_but(argv[1])
        print(json.dumps(_import(argv[2:])))
    elif command == "console":
        _hide_all_but(argv[1])
        from fintech_infra_gate.console import main as console

        sys.argv = ["fintech-infra", "--help"]
        console()
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
