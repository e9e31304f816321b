"""The policy pack this package ships, and a copy of it for a team's project (``fintech-infra pack``).

The wheel carries the pack's folder as data of the gate (``fintech_infra_gate/policy_pack``): byte for byte
the repository's ``policy/`` without its virtualenv (``PulumiPolicy.yaml``, ``__main__.py``,
``requirements.txt``, the rules, their data files and the per-environment config). A pack is run from a
folder that also holds its own virtualenv (``PulumiPolicy.yaml``'s ``virtualenv: venv``), and site-packages
is no place to build one, so a team exports a copy into its project::

    fintech-infra pack --export policy-pack
    python -m venv policy-pack/venv && policy-pack/venv/bin/pip install -r policy-pack/requirements.txt
    pulumi preview --policy-pack policy-pack --policy-pack-config policy-pack/config/pulumi/prod.json
    fintech-infra plan --stack staging --policy-pack policy-pack     # the same verdict, offline

(``pulumi install`` run in the folder builds the same virtualenv.) An organization publishes that folder
once with ``pulumi policy publish <org>`` (from inside it) and enforces it through a policy group.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fintech_infra.errors import ConfigError, PolicyPackError

__all__ = ["SKIPPED", "export", "pack_dir", "pack_files"]

SKIPPED = frozenset({"venv", "__pycache__"})
"""Folder names that are the pack's environment, not the pack: never shipped or exported."""

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "policy_pack", _HERE.parent / "policy")
"""Installed from a wheel: next to this module. In a checkout (an editable install): the repository's ``policy/``."""


def pack_dir() -> Path:
    """The shipped pack's folder (read it, don't run it in place: its virtualenv belongs in a copy)."""
    for candidate in _CANDIDATES:
        if (candidate / "PulumiPolicy.yaml").is_file():
            return candidate
    raise PolicyPackError(
        "the fintech-guardrails policy pack is not installed with this package (looked in "
        f"{', '.join(str(c) for c in _CANDIDATES)}); reinstall fintech-infra"
    )


def pack_files(root: Path) -> list[Path]:
    """Every file of the pack folder at ``root``, relative and sorted, without its venv and bytecode."""
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not SKIPPED.intersection(relative.parts) and path.suffix != ".pyc":
            found.append(relative)
    return sorted(found)


def export(destination: Path) -> list[Path]:
    """Copy the shipped pack into ``destination`` (new or empty); returns the files copied, relative."""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ConfigError(
            f"--export {str(destination)!r}: exists and is not an empty folder; allowed: a new or empty folder "
            "(remove the old copy to refresh it)"
        )
    source = pack_dir()
    files = pack_files(source)
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)
    return files
