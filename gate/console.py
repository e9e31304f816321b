"""The ``fintech-infra`` console script: the gate's command line, or one line on what to install for it.

pip installs the script with the library whatever extras were chosen, but the gate needs its own
(``pip install 'fintech-infra[gate]'``): without jsonschema it could not validate policy config as the
engine does. Without them the script says so and exits 2, instead of a traceback or a weaker check, as
httpx's command line does for ``httpx[cli]``.
"""

from __future__ import annotations

import sys

__all__ = ["GATE_EXTRA_MODULES", "main"]

GATE_EXTRA_MODULES = frozenset({"yaml", "jsonschema"})
"""Top-level modules the ``gate`` extra brings (pyyaml, jsonschema)."""


def main() -> None:
    try:
        import jsonschema  # type: ignore[import-untyped]  # noqa: F401  (the gate extra, checked up front)
        import yaml  # noqa: F401

        from fintech_infra_gate.cli import main as cli_main
    except ModuleNotFoundError as error:
        if error.name not in GATE_EXTRA_MODULES:
            raise
        print(
            f"fintech-infra: the gate needs {error.name!r}, which the library alone does not install; "
            "run: pip install 'fintech-infra[gate]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    cli_main()
