"""The anchor rules: what checkov, AWSGuard and cdk-nag check on the types this library creates, and our answer.

A security team that knows those tools asks, rule by rule, "what does your pack do about this one?". The
answer is data, read from four files of ``data/``:

* ``anchor_rules.json``: every Terraform check for AWS of checkov, every AWSGuard policy and every rule of
  cdk-nag's AwsSolutions and PCI DSS 3.2.1 packs, extracted by ``scripts/extract_anchor_rules.py`` from the
  tools' own sources at the commit it records (id, title, the resource types it inspects, its source file);
* ``resource_type_map.json``: each Pulumi type the library creates with its Terraform and CloudFormation types,
  so a rule written for either applies to us when its type is one of ours;
* ``created_types.json``: the types the shipped stacks create and the components that create them (generated
  by ``fintech_infra_gate.createdtypes`` from synthesizing every stack);
* ``anchor_not_applicable.json``: for a rule that applies by type but that no guardrail answers, the argued
  reason it does not apply to this library, with a source (AWS documentation or the rule's own source).

A guardrail covers a rule by naming it in its ``tags`` (``checkov:CKV_AWS_16``, ``awsguard:rds-storage-encrypted``,
``cdk-nag:AwsSolutions-RDS2``). :func:`coverage` joins the three and :func:`problems` lists everything that
makes the mapping incomplete or wrong; ``tests/policy/test_anchors.py`` requires it to be empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fintech_guardrails.registry import Guardrail

__all__ = [
    "TOOLS",
    "AnchorRule",
    "CoverageRow",
    "Decision",
    "anchor_ids",
    "anchor_rules",
    "applicable_types",
    "coverage",
    "created_types",
    "decisions",
    "problems",
    "type_map",
]

DATA_DIR = Path(__file__).parent / "data"
TOOLS = {"checkov": "checkov:", "awsguard": "awsguard:", "cdk-nag": "cdk-nag:"}
"""Tool name -> the prefix a guardrail tag gives its rule ids."""
SOURCE_SCHEMES = ("https://",)
IN_SCOPE = {
    "checkov": re.compile(r"CKV2?_AWS_\d+"),
    "awsguard": re.compile(r"[a-z0-9-]+"),
    "cdk-nag": re.compile(r"(AwsSolutions|PCI\.DSS\.321)-\w+"),
}
"""The ids the catalog holds (checkov's AWS checks, AWSGuard, cdk-nag's AwsSolutions and PCI DSS 3.2.1 packs):
a tag in this space must name a rule of the catalog."""
ID_FORMS = {"checkov": re.compile(r"CKV2?_[A-Z0-9]+_\d+"), "cdk-nag": re.compile(r"[A-Za-z0-9.]+-\w+")}
"""How every id of the tool looks; a tag outside the catalog's scope (checkov's Kubernetes checks, another
cdk-nag pack) must still have this form."""


@dataclass(frozen=True)
class AnchorRule:
    """One rule of one tool, as its source defines it."""

    tool: str
    id: str
    title: str
    types: tuple[str, ...]
    """The types the rule inspects, in the tool's own type system (Terraform, CloudFormation via CDK, Pulumi)."""
    source: str
    """The rule's file in the tool's repository, at the commit :func:`tools` records."""

    @property
    def tag(self) -> str:
        """How a guardrail names this rule in its tags."""
        return TOOLS[self.tool] + self.id

    @property
    def url(self) -> str:
        tool = _rules_document()["tools"][self.tool]
        return f"https://github.com/{tool['repository']}/blob/{tool['commit']}/{self.source}"


@dataclass(frozen=True)
class Decision:
    """Why a rule that applies by type does not apply to this library, and where that is documented."""

    reason: str
    source: str


@dataclass(frozen=True)
class CoverageRow:
    """One applicable rule and how the pack answers it: guardrails, or an argued decision."""

    rule: AnchorRule
    types: tuple[str, ...]
    """The Pulumi types the library creates that the rule inspects."""
    guardrails: tuple[str, ...]
    decision: Decision | None

    @property
    def answered(self) -> bool:
        return bool(self.guardrails) or self.decision is not None


@cache
def _load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _rules_document() -> Any:
    return _load("anchor_rules.json")


def tools() -> dict[str, dict[str, str]]:
    """Tool -> the repository, commit and version its rules were read from, and what was read."""
    return {
        name: {key: str(value) for key, value in tool.items() if key != "rules"}
        for name, tool in _rules_document()["tools"].items()
    }


@cache
def anchor_rules() -> tuple[AnchorRule, ...]:
    return tuple(
        AnchorRule(tool, rule["id"], rule["title"], tuple(rule["types"]), rule["source"])
        for tool, data in _rules_document()["tools"].items()
        for rule in data["rules"]
    )


@cache
def type_map() -> dict[str, Mapping[str, Any]]:
    """Pulumi type token -> its row (``terraform``, ``cloudformation``, ``note``)."""
    return {row["pulumi"]: row for row in _load("resource_type_map.json")["types"]}


@cache
def created_types() -> dict[str, tuple[str, ...]]:
    """Every type the shipped stacks create -> the component types that create it."""
    return {token: tuple(components) for token, components in _load("created_types.json")["types"].items()}


@cache
def decisions() -> dict[str, Decision]:
    """Rule tag -> the argued not-applicable decision."""
    entries = _load("anchor_not_applicable.json")
    return {tag: Decision(entry["reason"], entry["source"]) for tag, entry in entries.items()}


def _cdk_key(cdk_type: str) -> str:
    """``aws-s3.CfnBucket`` or ``AWS::S3::Bucket`` -> ``s3::bucket`` (CDK's module and class name the same type)."""
    if cdk_type.startswith("AWS::"):
        return cdk_type[len("AWS::") :].lower()
    module, cls = cdk_type.split(".", 1)
    return f"{module.removeprefix('aws-')}::{cls.removeprefix('Cfn')}".lower()


def applicable_types(rule: AnchorRule, created: Iterable[str] | None = None) -> tuple[str, ...]:
    """The created Pulumi types the rule inspects (empty: the rule does not apply to this library)."""
    mapping = type_map()
    found = []
    for token in created_types() if created is None else created:
        row = mapping.get(token)
        if rule.tool == "awsguard":
            hit = token in rule.types
        elif row is None:
            hit = False
        elif rule.tool == "checkov":
            hit = row["terraform"] in rule.types
        else:
            ours = {_cdk_key(cfn) for cfn in row["cloudformation"]}
            hit = any(_cdk_key(cdk) in ours for cdk in rule.types)
        if hit:
            found.append(token)
    return tuple(sorted(found))


def anchor_ids(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags that name an anchor rule (``checkov:...``, ``awsguard:...``, ``cdk-nag:...``)."""
    return tuple(tag for tag in tags if tag.startswith(tuple(TOOLS.values())))


def _split(tag: str) -> tuple[str, str]:
    tool = next(name for name, prefix in TOOLS.items() if tag.startswith(prefix))
    return tool, tag[len(TOOLS[tool]) :]


def coverage(guardrails: Iterable[Guardrail]) -> list[CoverageRow]:
    """Every anchor rule that applies to a type the library creates, with the pack's answer."""
    by_tag: dict[str, list[str]] = {}
    for guardrail in guardrails:
        for tag in anchor_ids(guardrail.tags):
            by_tag.setdefault(tag, []).append(guardrail.name)
    rows = []
    for rule in anchor_rules():
        types = applicable_types(rule)
        if types:
            rows.append(
                CoverageRow(
                    rule=rule,
                    types=types,
                    guardrails=tuple(sorted(by_tag.get(rule.tag, ()))),
                    decision=decisions().get(rule.tag),
                )
            )
    return rows


def problems(guardrails: Iterable[Guardrail]) -> list[str]:
    """Everything that makes the mapping wrong or incomplete; empty when every applicable rule is answered."""
    guardrails = list(guardrails)
    found: list[str] = []
    known = {rule.tag: rule for rule in anchor_rules()}
    for guardrail in guardrails:
        for tag in anchor_ids(guardrail.tags):
            tool, rule_id = _split(tag)
            if IN_SCOPE[tool].fullmatch(rule_id) and tag not in known:
                found.append(f"{guardrail.name}: tag {tag!r} names no rule of the anchor catalog")
            elif tool in ID_FORMS and not ID_FORMS[tool].fullmatch(rule_id):
                found.append(f"{guardrail.name}: tag {tag!r} is not a {tool} rule id")
    mapping = type_map()
    for token in created_types():
        if token not in mapping:
            found.append(f"{token}: created by the library but has no row in resource_type_map.json")
    rows = {row.rule.tag: row for row in coverage(guardrails)}
    for tag, row in rows.items():
        if not row.answered:
            found.append(f"{tag}: applies to {', '.join(row.types)}; no guardrail names it, no decision argues it")
        if row.guardrails and row.decision is not None:
            found.append(f"{tag}: covered by {', '.join(row.guardrails)} and also argued not applicable")
    for tag, decision in decisions().items():
        if tag not in rows:
            found.append(f"{tag}: a decision for a rule that does not apply to a created type (or does not exist)")
        if not decision.reason.strip():
            found.append(f"{tag}: a not-applicable decision without a reason")
        if not decision.source.startswith(SOURCE_SCHEMES):
            found.append(f"{tag}: a not-applicable decision without a source URL")
    return found
