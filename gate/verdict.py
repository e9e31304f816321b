"""What the policy pack said about one stack: plain, picklable, JSON-ready data.

The gate never judges anything itself; these types only carry the analyzer's answers (``AnalyzeResponse``
diagnostics and not-applicable results) with the policy metadata ``GetAnalyzerInfo`` returned, so every
report format can name the policy, its severity, enforcement level and compliance reference.

A check that could not run because a value is unknown until the provider creates something is *pending*,
whichever way it arrived: the SDK's "can't run policy" advisory (:attr:`Finding.undeterminable`) or the
pack's own not-applicable result whose reason says ``pending:`` (:attr:`NotApplicable.pending`, what the
fintech-guardrails registry reports). :attr:`Verdict.pending_count` counts both; every report uses it.

The functional guardrails also put the paths they proved or found broken into their not-applicable reasons
(``proved: {...}`` / ``broken: {...}``, :mod:`fintech_infra_gate.paths`): :attr:`Verdict.paths` reads them, and
:attr:`NotApplicable.text` is a reason without them.

A verdict keeps its policies, findings and not-applicable results sorted (policy, then resource URN), not
in the order the pack answered, which follows registration order and so differs between runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from fintech_infra_gate.paths import PathNote, is_path_part, parse_reason, reason_without_paths

__all__ = [
    "ENFORCEMENT_LEVELS",
    "SEVERITIES",
    "Finding",
    "NotApplicable",
    "PolicyInfo",
    "Verdict",
    "is_undeterminable",
]

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "disabled", "remediate")
"""Indexed by the proto's ``EnforcementLevel`` enum value."""
SEVERITIES = ("", "low", "medium", "high", "critical")
"""Indexed by the proto's ``PolicySeverity`` enum value; "" is unspecified."""

ANCHOR_PREFIXES = ("checkov:", "awsguard:", "cdk-nag:")
"""How a fintech-guardrails tag names the equivalent rule of checkov, AWSGuard or cdk-nag
(``policy/fintech_guardrails/anchors.py``)."""
JUDGES_PREFIX = "judges:"
"""How a fintech-guardrails tag names a resource type the policy judges (``policy/fintech_guardrails/subjects.py``)."""

PREVIEW_PREFIX = "can't run policy"
EXEMPTION_PREFIXES = ("exempt", "waived")
PENDING_PREFIX = "pending:"
"""How a fintech-guardrails reason marks a value unknown at preview (``policy/fintech_guardrails/registry.py``);
a reason joins its parts with "; ", so an exemption's evidence may come first."""


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as ``GetAnalyzerInfo`` describes it, with the enforcement level actually configured."""

    name: str
    description: str
    enforcement: str
    severity: str
    kind: str
    """``resource`` or ``stack``."""
    framework: str = ""
    """``PCI DSS 4.0.1 3.5.1``: name, version and reference joined; empty when the policy names none."""
    framework_url: str = ""
    tags: tuple[str, ...] = ()
    remediation: str = ""
    url: str = ""

    @property
    def anchors(self) -> tuple[str, ...]:
        """The equivalent checkov, AWSGuard and cdk-nag rules, as ``tool:id`` (from the policy's tags)."""
        return tuple(tag for tag in self.tags if tag.startswith(ANCHOR_PREFIXES))

    @property
    def judges(self) -> tuple[str, ...]:
        """The resource type tokens the policy judges; empty when it says none (it looks at the whole stack)."""
        return tuple(tag[len(JUDGES_PREFIX) :] for tag in self.tags if tag.startswith(JUDGES_PREFIX))

    @property
    def labels(self) -> tuple[str, ...]:
        """The tags without the judged types: framework references, anchors and categories."""
        return tuple(tag for tag in self.tags if not tag.startswith(JUDGES_PREFIX))


@dataclass(frozen=True)
class Finding:
    """One diagnostic: a violation, or an advisory that a policy could not run on unknown values."""

    policy: str
    pack: str
    enforcement: str
    severity: str
    urn: str
    message: str
    description: str
    undeterminable: bool = False
    """True for the SDK's "can't run policy ... during preview" advisory: an unknown value, not a violation."""
    anchors: tuple[str, ...] = ()
    """The equivalent checkov, AWSGuard and cdk-nag rules of the policy (:attr:`PolicyInfo.anchors`); a
    :class:`Verdict` fills them in from its policies."""

    @property
    def mandatory(self) -> bool:
        return self.enforcement in ("mandatory", "remediate") and not self.undeterminable

    @property
    def detail(self) -> str:
        """The message without the policy description the SDK prepends."""
        prefix = self.description + "\n"
        return self.message[len(prefix) :] if self.message.startswith(prefix) else self.message


@dataclass(frozen=True)
class NotApplicable:
    """A policy that did not apply to a resource (or the stack), with the pack's reason."""

    policy: str
    urn: str
    reason: str

    @property
    def exemption(self) -> bool:
        """The pack waived the policy for this resource (its reason says so), rather than it not applying."""
        return self.reason.strip().lower().startswith(EXEMPTION_PREFIXES)

    @property
    def pending(self) -> bool:
        """The check waits for a value unknown at preview: not a pass, checked again when it is known."""
        return any(part.strip().lower().startswith(PENDING_PREFIX) for part in self.reason.split(";"))

    @property
    def text(self) -> str:
        """The reason without the path notes: what a report shows as the exemption or not-applicable reason."""
        return reason_without_paths(self.reason)

    @property
    def paths(self) -> list[PathNote]:
        """The paths the policy proved or found broken (:mod:`fintech_infra_gate.paths`)."""
        return parse_reason(self.policy, self.reason) if any(is_path_part(p) for p in self.reason.split("; ")) else []

    @property
    def pending_reasons(self) -> list[str]:
        """The reason's ``pending:`` parts, without the prefix."""
        parts = (part.strip() for part in self.reason.split(";"))
        return [part[len(PENDING_PREFIX) :].strip() for part in parts if part.lower().startswith(PENDING_PREFIX)]


@dataclass(frozen=True)
class Verdict:
    """The policy pack's judgement of one stack."""

    pack: str
    pack_version: str
    policies: tuple[PolicyInfo, ...]
    findings: tuple[Finding, ...]
    not_applicable: tuple[NotApplicable, ...]
    analyzed: int
    """Resources sent to ``Analyze`` (the stack resource included)."""
    remediations: tuple[Mapping[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        # The frozen dataclass's documented way to set a field after __init__: whoever built the verdict,
        # its order is the canonical one.
        object.__setattr__(self, "policies", tuple(sorted(self.policies, key=lambda p: p.name)))
        anchors = {info.name: info.anchors for info in self.policies}
        findings = (replace(f, anchors=anchors.get(f.policy, f.anchors)) for f in self.findings)
        object.__setattr__(
            self, "findings", tuple(sorted(findings, key=lambda f: (f.policy, f.urn, f.enforcement, f.message)))
        )
        object.__setattr__(
            self, "not_applicable", tuple(sorted(self.not_applicable, key=lambda n: (n.policy, n.urn, n.reason)))
        )

    @property
    def violations(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.undeterminable]

    @property
    def mandatory(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.mandatory]

    @property
    def advisory(self) -> list[Finding]:
        return [finding for finding in self.violations if not finding.mandatory]

    @property
    def undeterminable(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.undeterminable]

    @property
    def exemptions(self) -> list[NotApplicable]:
        return [item for item in self.not_applicable if item.exemption]

    @property
    def pending(self) -> list[NotApplicable]:
        """The pack's results that wait for values unknown at preview (an exemption may also say so)."""
        return [item for item in self.not_applicable if item.pending]

    @property
    def pending_count(self) -> int:
        """Checks waiting for values unknown at preview: the SDK's advisories and the pack's pending results."""
        return len(self.undeterminable) + len(self.pending)

    @property
    def not_applicable_only(self) -> list[NotApplicable]:
        """Results where the policy simply does not apply: neither an exemption nor pending nor path evidence alone."""
        return [item for item in self.not_applicable if not item.exemption and not item.pending and item.text]

    @property
    def paths(self) -> list[PathNote]:
        """Every path the functional guardrails proved or found broken, in a stable order."""
        return sorted((note for item in self.not_applicable for note in item.paths), key=PathNote.sort_key)

    @property
    def passed(self) -> bool:
        """No mandatory violation: the stack may deploy."""
        return not self.mandatory

    def policy(self, name: str) -> PolicyInfo | None:
        for info in self.policies:
            if info.name == name:
                return info
        return None

    def of_policy(self, name: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.policy == name]

    def for_urn(self, urn: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.urn == urn]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            pack=data["pack"],
            pack_version=data["pack_version"],
            policies=tuple(PolicyInfo(**{**item, "tags": tuple(item.get("tags", ()))}) for item in data["policies"]),
            findings=tuple(Finding(**{**item, "anchors": tuple(item.get("anchors", ()))}) for item in data["findings"]),
            not_applicable=tuple(NotApplicable(**item) for item in data["not_applicable"]),
            analyzed=int(data["analyzed"]),
            remediations=tuple(dict(item) for item in data.get("remediations", ())),
        )


def is_undeterminable(message: str, enforcement: str, severity: str) -> bool:
    """The SDK's advisory for a policy that read an unknown value during preview."""
    return message.startswith(PREVIEW_PREFIX) and enforcement == "advisory" and severity == ""
