"""Write the expanded per-policy config files the Pulumi CLI's ``--policy-pack-config`` takes.

``python -m fintech_guardrails.configfiles`` turns each reviewed compact file ``policy/config/<env>.json``
into ``policy/config/pulumi/<env>.json`` (see :func:`fintech_guardrails.settings.expand`).
"""

from __future__ import annotations

import json
import sys

from fintech_guardrails.catalog import config_schemas
from fintech_guardrails.settings import CONFIG_DIR, ENVIRONMENTS, expand, load_environment

__all__ = ["main"]


def main() -> None:
    """Write ``policy/config/pulumi/<env>.json`` for every environment (the CLI's --policy-pack-config)."""
    out_dir = CONFIG_DIR / "pulumi"
    out_dir.mkdir(exist_ok=True)
    for environment in ENVIRONMENTS:
        expanded = expand(load_environment(environment), config_schemas())
        target = out_dir / f"{environment}.json"
        target.write_text(json.dumps(expanded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main()
