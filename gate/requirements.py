"""The requirement coverage matrix for auditors: each regulatory requirement the pack cites, with the guardrails
and the components that evidence it, and the PCI DSS requirements a platform library cannot evidence.

The matrix is built from what the pack says about itself (``GetAnalyzerInfo``): each policy's framework
reference and the further references in its tags (``PCI DSS 4.0.1 3.6.1``, ``GDPR Art. 32``, ``DORA Art. 9``,
other regulations such as ``APRA CPS 234``), and the resource types it judges (its ``judges:`` tags). A component
evidences a requirement when it creates a type one of the requirement's guardrails judges; a guardrail that
names no type judges the whole stack. The same renderer writes ``docs/requirement-coverage.md`` (over every
type the shipped stacks create, ``policy/fintech_guardrails/data/created_types.json``) and the section of each
Markdown evidence report (over the stacks of that report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fintech_infra_gate.result import StackResult
from fintech_infra_gate.verdict import PolicyInfo

__all__ = ["NOT_EVIDENCED", "Reference", "components_by_type", "references", "render_matrix"]

PCI_SOURCE = "https://www.pcisecuritystandards.org/document_library/?category=pcidss&document=pci_dss"
STACK_WIDE = "stack-wide"
"""What the components column says for a guardrail that judges the stack as a whole (paths, residency)."""


@dataclass(frozen=True, order=True)
class Reference:
    """One requirement of one framework, as the pack cites it."""

    framework: str
    """``PCI DSS 4.0.1``, ``GDPR``, ``DORA`` or the other regulation's own name."""
    requirement: str

    @property
    def label(self) -> str:
        return f"{self.framework} {self.requirement}".strip()


_FORMS = (
    (re.compile(r"PCI DSS 4\.0\.1 (?P<ref>\S+)"), "PCI DSS 4.0.1"),
    (re.compile(r"GDPR(?: 2016/679)? (?P<ref>Art\. .+)"), "GDPR"),
    (re.compile(r"DORA(?: 2022/2554)? (?P<ref>Art\. .+)"), "DORA"),
)
_OTHER = "Other regulations"


def _reference(text: str) -> Reference | None:
    for pattern, framework in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            return Reference(framework, match.group("ref"))
    # Another regulation the pack cites in a tag (``APRA CPS 234``, ``SEC 17a-4(f)``): not a category tag
    # (``deployability``) nor a tool's rule id (``checkov:...``), which have no digit or a prefix.
    if ":" not in text and any(char.isdigit() for char in text):
        return Reference(_OTHER, text)
    return None


def references(info: PolicyInfo) -> list[Reference]:
    """Every requirement a policy cites: its framework reference and the references in its tags."""
    found = [_reference(text) for text in (info.framework, *info.labels) if text]
    return sorted({reference for reference in found if reference is not None})


NOT_EVIDENCED: tuple[tuple[str, str], ...] = (
    (
        "1.1, 2.1, 3.1, 4.1, 5.1, 6.1, 7.1, 8.1, 9.1, 10.1, 11.1, 12.1",
        "Documented policies, procedures and assigned roles for each requirement: the entity's governance.",
    ),
    (
        "3.2.1, 3.3, 3.4, 3.5.1.1-3.5.1.3",
        "Which account data is stored, for how long, how PAN is truncated, masked or hashed: the application's data "
        "handling. The library encrypts every data store (3.5.1) but cannot see what the application writes.",
    ),
    ("4.2.2", "PAN sent by end-user messaging technologies: the application and the business."),
    (
        "5",
        "Anti-malware on systems: Fargate and EKS nodes run AWS-managed images; malware scanning of container "
        "images and workloads is the operator's tooling (for example Amazon GuardDuty), not configured here.",
    ),
    (
        "6.2.1-6.2.3, 6.3.1, 6.5.2-6.5.6",
        "Secure development of bespoke software, vulnerability identification and change management: the "
        "application teams' process. The library evidences only its own image pinning and deployment rules.",
    ),
    (
        "7.2.4, 7.2.5.1, 8.2.2-8.2.8, 8.3.4-8.3.11, 8.4, 8.5, 8.6.1",
        "People's accounts: reviews, MFA, passwords, shared and generic accounts. The library creates no IAM user "
        "and no human login; workforce identity lives in the organisation's identity provider.",
    ),
    ("9", "Physical access to cardholder data: AWS data centres (AWS's PCI DSS Attestation of Compliance)."),
    (
        "10.4.1-10.4.3, 10.6, 10.7.3",
        "Daily log review, time synchronisation and responding to control failures: operations. The library "
        "delivers the logs and the alarms (10.2, 10.3, 10.5, 10.7.2) that make them possible.",
    ),
    (
        "11.2-11.4, 11.5.1, 11.6",
        "Wireless scans, vulnerability scans, penetration tests, intrusion detection and payment-page change "
        "detection: scheduled activities and tools run against the deployed estate.",
    ),
    (
        "12.2-12.10 (except 12.10.1, 12.10.5 where cited)",
        "Risk analysis, awareness training, third-party service provider management and the incident response "
        "plan: the entity's programme.",
    ),
    (
        "A2, A3",
        "Early TLS for POS POI terminals and designated-entity validation: not applicable to a cloud platform library.",
    ),
)
"""PCI DSS v4.0.1 requirements (and groups) a platform library cannot evidence, with why; the PCI SSC standard
is :data:`PCI_SOURCE` (checked 2026-12-07)."""


def components_by_type(stacks: Iterable[StackResult]) -> dict[str, set[str]]:
    """Type token -> the component types that create it in the stacks (each resource's nearest component)."""
    found: dict[str, set[str]] = {}
    for stack in stacks:
        by_urn = stack.by_urn()
        for resource in stack.resources:
            if not resource.custom:
                continue
            parent = by_urn.get(resource.parent or "")
            while parent is not None and parent.custom:
                parent = by_urn.get(parent.parent or "")
            component = parent.type if parent is not None else "-"
            found.setdefault(resource.type, set()).add(component)
    return found


def _requirement_key(reference: Reference) -> tuple[str, bool, list[tuple[int, str]]]:
    """Numeric order (1.2.5 before 1.2.10), appendices (A1.1.2) after the numbered requirements."""
    parts = re.findall(r"\d+|\D+", reference.requirement)
    numbered = [(int(part), "") if part.isdigit() else (0, part) for part in parts]
    return reference.framework, reference.requirement[:1].isalpha(), numbered


def _short(component: str) -> str:
    """``fintech:database:FinancialDatabase`` -> ``FinancialDatabase`` (the class the component reference lists)."""
    return component.rsplit(":", 1)[-1]


def render_matrix(
    policies: Iterable[PolicyInfo], components: Mapping[str, Iterable[str]], *, heading: str = "###"
) -> list[str]:
    """The matrix as Markdown lines: one table per framework, then the PCI DSS requirements not evidenced."""
    by_reference: dict[Reference, list[PolicyInfo]] = {}
    for info in policies:
        for reference in references(info):
            by_reference.setdefault(reference, []).append(info)
    lines: list[str] = []
    frameworks = sorted({reference.framework for reference in by_reference}, key=lambda f: (f == _OTHER, f))
    for framework in frameworks:
        lines += ["", f"{heading} {framework}", "", "| Requirement | Guardrails | Evidenced by |", "|---|---|---|"]
        for reference in sorted((r for r in by_reference if r.framework == framework), key=_requirement_key):
            infos = sorted(by_reference[reference], key=lambda info: info.name)
            evidence: set[str] = set()
            for info in infos:
                if not info.judges:
                    evidence.add(STACK_WIDE)
                for token in info.judges:
                    evidence.update(_short(component) for component in components.get(token, ()))
            named = sorted(evidence - {"-", STACK_WIDE}) + ([STACK_WIDE] if STACK_WIDE in evidence else [])
            lines.append(
                f"| {reference.requirement} | {', '.join(f'`{info.name}`' for info in infos)} | "
                f"{', '.join(named) or 'no resource of these types here'} |"
            )
    lines += [
        "",
        f"{heading} PCI DSS 4.0.1 requirements a platform library cannot evidence",
        "",
        f"Said plainly, with why ([PCI DSS v4.0.1]({PCI_SOURCE})); these need the entity's own evidence.",
        "",
        "| Requirements | Why not here |",
        "|---|---|",
    ]
    lines += [f"| {requirement} | {reason} |" for requirement, reason in NOT_EVIDENCED]
    return lines
