"""Which pulumi-aws resource types are regional and which take tags, read from the SDK once.

The pack needs both facts for every type it may meet (residency checks every regional resource, the
tagging rule every taggable one), but importing all of ``pulumi_aws`` in the analyzer would cost seconds.
So the facts are generated from the installed SDK's source into ``data/aws_types.json`` by
``python -m fintech_guardrails.awstypes`` and a test fails when the file no longer matches the SDK.

A type is regional when its constructor takes pulumi-aws v7's per-resource ``region`` argument (global
services such as IAM, Route 53 and CloudFront don't), and taggable when it takes ``tags``.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

__all__ = ["DATA_FILE", "generate", "is_regional", "is_taggable", "main"]

DATA_FILE = Path(__file__).parent / "data" / "aws_types.json"

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")
_PROP = re.compile(r'__props__\.__dict__\["(\w+)"\] = ')


def generate(package_dir: Path) -> dict[str, list[str]]:
    """Scan the generated resource classes of an installed ``pulumi_aws`` package."""
    regional: set[str] = set()
    taggable: set[str] = set()
    for source in sorted(package_dir.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for match in _TOKEN.finditer(text):
            start = text.rfind("def _internal_init", 0, match.start())
            props = set(_PROP.findall(text[start : match.start()]))
            if "region" in props:
                regional.add(match.group(1))
            if "tags" in props:
                taggable.add(match.group(1))
    return {"regional": sorted(regional), "taggable": sorted(taggable)}


@cache
def _load() -> tuple[frozenset[str], frozenset[str]]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return frozenset(data["regional"]), frozenset(data["taggable"])


def is_regional(resource_type: str) -> bool:
    """True for an AWS type deployed into one region (it takes pulumi-aws v7's ``region`` argument)."""
    return resource_type in _load()[0]


def is_taggable(resource_type: str) -> bool:
    """True for an AWS type that takes ``tags``."""
    return resource_type in _load()[1]


def main() -> None:
    import pulumi_aws

    data = generate(Path(pulumi_aws.__file__).parent)
    DATA_FILE.write_text(json.dumps(data, indent=0) + "\n", encoding="utf-8")
    sys.stdout.write(f"{DATA_FILE}: {len(data['regional'])} regional, {len(data['taggable'])} taggable types\n")


if __name__ == "__main__":
    main()
