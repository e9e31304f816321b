"""Write the facts the policy pack shares with the library into the pack, as data files.

The pack imports nothing of the project: ``pulumi policy publish`` packages ``policy/`` alone and installs
only its ``requirements.txt``. What the pack must agree on with the library therefore travels as JSON in
``policy/fintech_guardrails/data/``, generated here from the library, its one source:

- ``jurisdictions.json``: the jurisdiction registry (regions, retention minimums, legal reference) and the
  constraints an override must meet (from :class:`fintech_infra.jurisdictions.Jurisdiction`).
- ``recovery.json``: every recovery mechanism with its planning RPO/RTO, the AWS-documented figure and its
  source (:data:`fintech_infra.recovery.MECHANISMS`), and the default objectives per environment, concern
  and DR region (:func:`fintech_infra.data_config.default_objectives`).
- ``aws_limits.json``: the AWS limits the pack's config schemas mirror (:mod:`fintech_infra.aws_limits`).
- ``aws_facts.json``: the AWS limits, allowed values and support calendars the deployability rules judge by,
  each with its source and the date it was checked (:func:`fintech_infra.aws_facts.facts_document`).
- ``path_facts.json``: the AWS behaviour the functional path guardrails rely on (listener rule order, security
  group and network ACL evaluation, encrypted alarm topics, Route 53 failover), each with its source
  (:func:`fintech_infra.path_facts.facts_document`).
- ``hardening_facts.json``: the values the hardening guardrails judge by (current RDS CAs, Fargate platform
  versions, PostgreSQL logging parameters, the Log4j WAF rule group, ephemeral ports), each with its source
  (:func:`fintech_infra.hardening_facts.facts_document`).

Each file opens with a ``_generated`` header naming its source modules and the command that rewrites it.
``python -m fintech_infra_gate.packdata --write`` (``make packdata``) rewrites the files; ``--check`` exits 1
naming the stale ones (a test runs the same comparison, so a library change that the pack has not seen
fails the suite).
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fintech_infra import aws_facts, aws_limits, hardening_facts, path_facts
from fintech_infra.config import DataConcern, Environment
from fintech_infra.data_config import DatabaseSettings, default_objectives
from fintech_infra.jurisdictions import AWS_REGIONS, DEFAULT_REGISTRY, Jurisdiction, JurisdictionOverride
from fintech_infra.recovery import MECHANISMS

__all__ = ["DATA_DIR", "main", "render", "stale", "write"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "policy" / "fintech_guardrails" / "data"
COMMAND = "make packdata (python -m fintech_infra_gate.packdata --write)"
_SCHEMA_KEYS = ("type", "pattern", "minLength", "minItems", "minimum", "maximum", "description")


def _header(*sources: str) -> dict[str, str]:
    return {
        "note": "Generated from the component library; do not edit by hand.",
        "by": "fintech_infra_gate.packdata",
        "from": ", ".join(sources),
        "regenerate": COMMAND,
    }


def _field_constraints() -> dict[str, dict[str, Any]]:
    """Each Jurisdiction field's JSON-schema constraints, region lists limited to the known AWS regions."""
    properties = Jurisdiction.model_json_schema()["properties"]
    fields: dict[str, dict[str, Any]] = {}
    for name, schema in properties.items():
        constraint = {key: schema[key] for key in _SCHEMA_KEYS if key in schema}
        if schema.get("type") == "array":
            # The model checks regions in a validator, which a JSON schema does not show: spell it out.
            constraint["items"] = {"type": "string", "enum": sorted(AWS_REGIONS)}
        fields[name] = constraint
    return fields


def jurisdictions() -> dict[str, Any]:
    schema = Jurisdiction.model_json_schema()
    return {
        "_generated": _header("fintech_infra.jurisdictions"),
        "fields": _field_constraints(),
        "required": list(schema["required"]),
        "overridable": list(JurisdictionOverride.model_fields),
        "jurisdictions": DEFAULT_REGISTRY.as_data(),
    }


def recovery() -> dict[str, Any]:
    environments: tuple[Environment, ...] = typing.get_args(Environment)
    objectives: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for environment in environments:
        objectives[environment] = {}
        for concern in DataConcern:
            objectives[environment][concern.value] = {
                key: {
                    "rpoSeconds": declared.rpo_seconds,
                    "rtoSeconds": declared.rto_seconds,
                    "scope": declared.scope,
                }
                for key, has_dr_region in (("withDrRegion", True), ("withoutDrRegion", False))
                for declared in (default_objectives(environment, concern, has_dr_region=has_dr_region),)
            }
    return {
        "_generated": _header("fintech_infra.recovery", "fintech_infra.data_config"),
        "mechanisms": {
            facts.mechanism.value: {
                "engines": list(facts.engines),
                "scope": facts.scope,
                "rpoSeconds": facts.rpo_seconds,
                "rtoSeconds": facts.rto_seconds,
                "figure": facts.figure,
                "source": facts.source,
                **(
                    {
                        "failover": {
                            "writer": facts.dr_writer,
                            "step": facts.failover_step,
                            **({"secret": facts.dr_credentials} if facts.dr_credentials else {}),
                        }
                    }
                    if facts.dr_writer is not None
                    else {}
                ),
            }
            for facts in MECHANISMS.values()
        },
        "concerns": [concern.value for concern in DataConcern],
        "environments": list(environments),
        "defaultObjectives": objectives,
    }


def _span(values: range) -> dict[str, int]:
    return {"minimum": values.start, "maximum": values.stop - 1}


def limits() -> dict[str, Any]:
    intervals = typing.get_args(DatabaseSettings.model_fields["monitoring_interval_seconds"].annotation)
    return {
        "_generated": _header("fintech_infra.aws_limits", "fintech_infra.data_config"),
        "rdsBackupRetentionDays": _span(aws_limits.BACKUP_RETENTION_DAYS),
        "rdsMonitoringIntervalSeconds": sorted(intervals),
        "kmsDeletionWindowDays": _span(aws_limits.KMS_DELETION_WINDOW_DAYS),
        "elasticacheSnapshotRetentionDays": _span(aws_limits.CACHE_SNAPSHOT_RETENTION_DAYS),
        "secretsRecoveryWindowDays": _span(aws_limits.SECRET_RECOVERY_WINDOW_DAYS),
    }


def facts() -> dict[str, Any]:
    return {"_generated": _header("fintech_infra.aws_facts"), **aws_facts.facts_document()}


def hardening() -> dict[str, Any]:
    return {"_generated": _header("fintech_infra.hardening_facts"), **hardening_facts.facts_document()}


def paths() -> dict[str, Any]:
    return {"_generated": _header("fintech_infra.path_facts"), **path_facts.facts_document()}


FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "aws_facts.json": facts,
    "path_facts.json": paths,
    "hardening_facts.json": hardening,
    "jurisdictions.json": jurisdictions,
    "recovery.json": recovery,
    "aws_limits.json": limits,
}


def render() -> dict[str, str]:
    """Every data file's text, as ``--write`` would write it (sorted keys, two-space indent, final newline)."""
    return {name: json.dumps(build(), indent=2, sort_keys=True) + "\n" for name, build in FILES.items()}


def stale(data_dir: Path = DATA_DIR) -> list[str]:
    """Names of the data files that are missing or differ from what the library generates now."""
    found = []
    for name, text in render().items():
        path = data_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def write(data_dir: Path = DATA_DIR) -> list[str]:
    """Rewrite the stale data files; returns their names."""
    changed = stale(data_dir)
    texts = render()
    for name in changed:
        (data_dir / name).write_text(texts[name], encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the policy pack's shared-fact data files.")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="the pack's data folder")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the stale files")
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.data_dir)
        for name in names:
            print(f"{args.data_dir / name} is stale: run {COMMAND}", file=sys.stderr)
        return 1 if names else 0
    for name in write(args.data_dir):
        print(f"wrote {args.data_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
