"""Regenerate the policy table of docs/policies.md: ``python policy/docs.py [PAGE]``.

The renderer lives in :mod:`fintech_guardrails.docs` (``render_policy_table()``, ``update_readme()``); this
script only puts the pack directory on ``sys.path`` so it runs from the repository root.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fintech_guardrails.docs import main, render_policy_table, update_readme

__all__ = ["render_policy_table", "update_readme"]

if __name__ == "__main__":
    main()
