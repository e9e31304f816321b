"""The facts this pack shares with the component library, read from the data files beside it.

The pack is self-contained (``pulumi policy publish`` ships this folder and its ``requirements.txt``
alone), so it never imports the library. What both must agree on (jurisdictions, recovery mechanisms and
default objectives, AWS limits) is generated from the library into ``data/*.json``; each file names its
source modules and the command that rewrites it in its ``_generated`` header, and a test in the
repository fails when one is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["DATA_DIR", "load"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    """``data/<name>.json`` (``jurisdictions``, ``recovery``, ``aws_limits`` or ``aws_facts``), parsed once."""
    data: dict[str, Any] = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data
