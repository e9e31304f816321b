"""The guardrail registry: a decorator puts each rule and its metadata in one place, and builds SDK policies.

A rule is a small function over one :class:`~fintech_guardrails.model.Resource` (resource policies) or the
:class:`~fintech_guardrails.model.Stack` (stack policies) that records what it finds in a
:class:`~fintech_guardrails.model.Findings`. The wrapper built here does everything else, once:

* filters by type token (resource policies) so a rule only meets the types it names;
* copies inputs out of the SDK's unknown-checking proxy (see :mod:`fintech_guardrails.preview`);
* fails closed: a rule that raises is reported as a violation, never passed silently;
* applies valid exemptions and reports each as not applicable (with ticket, approver and expiry);
* reports inputs that are unknown during preview as not applicable ("pending"), never as a violation;
* adds the paths a functional guardrail proved or found broken to that reason (:mod:`fintech_guardrails.evidence`).

A typical resource rule is the decorator, a docstring (its first line is the description, the docs row and
the test title; the rest says what unset means) and one :func:`~fintech_guardrails.checks.require` line per
property, which words the violation and the pending entry from the property's path::

    @resource_rule(
        types=(t.RDS_INSTANCE,),
        name="rds-multi-az",
        severity=Severity.HIGH,
        framework=dora("Art. 12", "Redundant ICT capacity"),
        remediation="Keep DatabaseSettings.multi_az=True.",
    )
    def rds_multi_az(r: Resource, out: Findings) -> None:
        '''RDS instances run Multi-AZ with a synchronous standby.

        ``multiAz`` unset means single-AZ (AWS default) and is a violation. Read replicas are skipped.
        '''
        if is_replica(r):
            return
        require(r, out, "multiAz", equals(True))  # violation: "multiAz must be true"

Logic that is not "this property must be X" (joins, skips, thresholds from config) stays plain code around
those lines, recording what it finds with ``out.fail`` and ``out.wait``.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from fintech_guardrails.model import Findings, Resource, Stack
from fintech_guardrails.settings import SHARED_SCHEMA, Settings, cached_settings
from fintech_guardrails.subjects import JUDGES_PREFIX, judged_types

__all__ = [
    "REGISTRY",
    "Framework",
    "Guardrail",
    "dora",
    "gdpr",
    "pci",
    "resource_rule",
    "stack_rule",
    "type_filter",
    "type_set",
]

Kind = Literal["resource", "stack"]
ResourceCheck = Callable[[Resource, Findings], None]
StackCheck = Callable[[Stack, Findings], None]


@dataclass(frozen=True)
class Framework:
    """One compliance framework reference (the SDK allows one per policy; more go in tags)."""

    name: str
    version: str
    reference: str
    specification: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} {self.reference}"

    def sdk(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(
            name=self.name, version=self.version, reference=self.reference, specification=self.specification or None
        )


def pci(requirement: str, specification: str = "") -> Framework:
    return Framework("PCI DSS", "4.0.1", requirement, specification)


def gdpr(article: str, specification: str = "") -> Framework:
    return Framework("GDPR", "2016/679", article, specification)


def dora(article: str, specification: str = "") -> Framework:
    return Framework("DORA", "2022/2554", article, specification)


@dataclass(frozen=True)
class Guardrail:
    """A rule plus everything the SDK, the docs and the tests need to know about it."""

    name: str
    kind: Kind
    summary: str
    description: str
    types: tuple[str, ...]
    severity: Severity
    framework: Framework
    remediation: str
    exemptible: bool
    tags: tuple[str, ...]
    config: Mapping[str, Mapping[str, Any]]
    enforcement: EnforcementLevel
    check: Callable[..., None] = field(repr=False)
    applies_to: Callable[[str], bool] | None = field(default=None, repr=False)
    """For resource policies over an open set of types (e.g. every namespaced Kubernetes kind)."""
    url: str | None = None
    """Where the AWS (or provider) behaviour the rule encodes is documented; the SDK's ``url`` and the docs link."""

    def applies(self, resource_type: str) -> bool:
        return self.applies_to(resource_type) if self.applies_to is not None else resource_type in self.types

    @property
    def defaults(self) -> dict[str, Any]:
        return {key: schema.get("default") for key, schema in self.config.items()}

    @property
    def judges(self) -> tuple[str, ...]:
        """The type tokens the rule judges (:func:`fintech_guardrails.subjects.judged_types`)."""
        return judged_types(self.check, self.types, self.applies_to)

    def schema(self) -> dict[str, dict[str, Any]]:
        return {**SHARED_SCHEMA, **{key: dict(value) for key, value in self.config.items()}}

    def policy(self) -> Policy:
        common: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": PolicyConfigSchema(properties=self.schema()),
            "severity": self.severity,
            "framework": self.framework.sdk(),
            "tags": [*self.tags, *(JUDGES_PREFIX + token for token in self.judges)],
            "remediation_steps": self.remediation,
            "display_name": self.summary,
            "url": self.url,
        }
        if self.kind == "resource":
            policy = ResourceValidationPolicy(validate=self._validate_resource, **common)
            _TYPE_FILTERS[policy] = self.applies
            if self.applies_to is None:
                _TYPE_SETS[policy] = frozenset(self.types)
            return policy
        return StackValidationPolicy(validate=self._validate_stack, **common)

    # -- wrappers -----------------------------------------------------------------------------------

    def _settings(self, config: Mapping[str, Any]) -> Settings:
        return cached_settings(config, self.defaults)

    def _validate_resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not self.applies(args.resource_type):
            return
        settings = self._settings(args.get_config())
        subject = Resource.of(args, settings)
        findings = self.run(subject, settings)
        self._conclude(findings, settings, report, args.not_applicable, lambda urn: (args.urn, args.name))

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        settings = self._settings(args.get_config())
        stack = Stack(args.resources, settings, args.stack_tags)
        findings = self.run(stack, settings)
        names = {node.urn: node.name for node in stack.nodes}
        self._conclude(
            findings, settings, report, args.not_applicable, lambda urn: (urn or "", names.get(urn or "", ""))
        )

    def run(self, subject: Resource | Stack, settings: Settings) -> Findings:
        """Run the rule, failing closed; config problems are reported as findings too."""
        findings = Findings()
        for problem in settings.problems:
            findings.fail(problem)
        try:
            self.check(subject, findings)
        except Exception as error:  # a rule bug must never pass a resource silently
            findings.fail(f"the rule raised {type(error).__name__}; the resource is treated as non-compliant")
        return findings

    def _conclude(
        self,
        findings: Findings,
        settings: Settings,
        report: ReportViolation,
        not_applicable: Callable[[str], None],
        identify: Callable[[str | None], tuple[str, str]],
    ) -> None:
        evidence: list[str] = []
        waived: dict[int, str] = {}
        tickets: dict[tuple[str, str | None], str] = {}
        for message, urn in findings.violations:
            if not self.exemptible:
                report(message, urn)
                continue
            exemption = self._exemption(settings, *identify(urn))
            if exemption is None:
                report(message, urn)
            else:
                waived[exemption.index] = exemption.evidence()
                tickets[(message, urn)] = exemption.ticket
        evidence.extend(waived.values())
        if not findings.violations and self.exemptible:
            for urn in {urn for _, urn in findings.pending} or {None}:
                exemption = self._exemption(settings, *identify(urn))
                if exemption is not None:
                    evidence.append(exemption.evidence() + " (nothing to waive)")
        for what, urn in findings.pending:
            where = f" on {identify(urn)[1]}" if urn else ""
            evidence.append(f"pending: {what}{where} is unknown during preview; checked again when it is known")
        for note in findings.paths:
            ticket = tickets.get((note.broken, note.urn)) if note.broken is not None else None
            evidence.append((note.waive(ticket) if ticket else note).text())
        if evidence:
            not_applicable("; ".join(dict.fromkeys(evidence)))

    def _exemption(self, settings: Settings, urn: str, name: str) -> Any:
        for exemption in settings.exemptions:
            if exemption.policy != self.name or not exemption.matches(urn, name):
                continue
            if not exemption.problems(settings.today, exemptible_policies()):
                return exemption
        return None


REGISTRY: dict[str, Guardrail] = {}

_TYPE_FILTERS: weakref.WeakKeyDictionary[Policy, Callable[[str], bool]] = weakref.WeakKeyDictionary()
_TYPE_SETS: weakref.WeakKeyDictionary[Policy, frozenset[str]] = weakref.WeakKeyDictionary()


def type_filter(policy: Policy) -> Callable[[str], bool] | None:
    """The type test of a resource policy built by :meth:`Guardrail.policy`; None for any other policy.

    Such a policy's validation returns at once, reporting nothing, for a type the test rejects, so the
    servicer speedup (:mod:`fintech_guardrails.speedups`) may skip it without changing any result.
    """
    return _TYPE_FILTERS.get(policy)


def type_set(policy: Policy) -> frozenset[str] | None:
    """The exact types a resource policy built by :meth:`Guardrail.policy` applies to, when its type test is
    membership in its declared types; None when it is not (an open test, a stack policy, another pack's policy).

    The servicer speedup indexes policies by these sets, so an ``Analyze`` call only meets the policies of the
    resource's type and those with open tests (:func:`fintech_guardrails.speedups_servicer.analyze`).
    """
    return _TYPE_SETS.get(policy)


def _register(
    kind: Kind,
    *,
    name: str,
    types: Iterable[str],
    severity: Severity,
    framework: Framework,
    remediation: str,
    exemptible: bool = True,
    tags: Iterable[str] = (),
    config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
    applies_to: Callable[[str], bool] | None = None,
    url: str | None = None,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(check: Callable[..., None]) -> Callable[..., None]:
        if name in REGISTRY:
            raise ValueError(f"guardrail {name!r} is registered twice")
        doc = inspect.cleandoc(check.__doc__ or "")
        if not doc:
            raise ValueError(f"guardrail {name!r} needs a docstring: its first line is the description")
        paragraphs = [" ".join(part.split()).replace("``", "`") for part in doc.split("\n\n")]
        extra = [] if framework.label in tags else [framework.label]
        REGISTRY[name] = Guardrail(
            name=name,
            kind=kind,
            summary=paragraphs[0],
            description=" ".join(paragraphs),
            types=tuple(types),
            severity=severity,
            framework=framework,
            remediation=remediation,
            exemptible=exemptible,
            tags=(*extra, *tags),
            config=dict(config or {}),
            enforcement=enforcement,
            check=check,
            applies_to=applies_to,
            url=url,
        )
        return check

    return decorate


def resource_rule(
    *, types: Iterable[str], **meta: Any
) -> Callable[[Callable[[Resource, Findings], None]], Callable[[Resource, Findings], None]]:
    """Register a resource policy over the given type tokens."""
    return _register("resource", types=types, **meta)


def stack_rule(**meta: Any) -> Callable[[Callable[[Stack, Findings], None]], Callable[[Stack, Findings], None]]:
    """Register a stack policy."""
    return _register("stack", types=meta.pop("types", ()), **meta)


def exemptible_policies() -> dict[str, bool]:
    """Policy name -> whether it may be exempted, for every rule registered so far.

    Read when a policy runs, by which time the pack (:mod:`fintech_guardrails.catalog`) has imported every rule
    family; the registry itself never imports the rules (they import it).
    """
    return {name: guardrail.exemptible for name, guardrail in sorted(REGISTRY.items())}
