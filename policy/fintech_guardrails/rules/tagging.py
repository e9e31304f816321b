"""Required tags with allowed values, consistent with the stack's environment and jurisdiction."""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import Severity

from fintech_guardrails import awstypes
from fintech_guardrails.model import GLOBAL, Findings, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, contains_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule

REQUIRED = ("Environment", "ManagedBy", "ComplianceScope", "Jurisdiction", "CostCenter", "Owner")
CONCERNS = ("crm", "trading", "payments", "audit")
MANAGED_BY = "fintech-infra"


@resource_rule(
    types=("aws:* (every taggable type)",),
    applies_to=awstypes.is_taggable,
    name="required-tags",
    severity=Severity.MEDIUM,
    framework=pci("12.5.1", "An inventory of system components in scope for PCI DSS is maintained"),
    tags=("PCI DSS 4.0.1 A1.1.2", "PCI DSS 4.0.1 11.5.2", "GDPR Art. 30"),
    config={
        "complianceScopes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["pci-dss", "non-pci"],
            "description": "Allowed ComplianceScope values.",
        }
    },
    remediation=(
        "Create resources inside the library's components in a stack that applies the tag convention "
        "(fintech_infra._tags)."
    ),
)
def required_tags(r: Resource, out: Findings) -> None:
    """Taggable AWS resources carry the convention tags with allowed values.

    Environment (matching the configured environment), ManagedBy=fintech-infra, ComplianceScope (allowed list),
    Jurisdiction (a registry code, equal to the stack's Jurisdiction stack tag when there is one; `global` is
    accepted only on global services such as Route 53), CostCenter and
    Owner; DataConcern, where present, is crm, trading, payments or audit. Unknown tags are pending.
    """
    tags = r.tags
    if tags is UNKNOWN or contains_unknown(dict(tags)):
        out.wait("tags")
        return
    missing = [key for key in REQUIRED if not isinstance(tags.get(key), str) or not tags[key].strip()]
    if missing:
        out.fail(f"missing tags: {', '.join(missing)}")
    settings = r.settings
    checks: list[tuple[str, Callable[[str], bool], str]] = [
        ("Environment", lambda v: v == settings.environment, f"Environment must be {settings.environment}"),
        ("ManagedBy", lambda v: v == MANAGED_BY, f"ManagedBy must be {MANAGED_BY}"),
        (
            "ComplianceScope",
            lambda v: v in settings.value("complianceScopes"),
            "ComplianceScope is not an allowed value",
        ),
        (
            "Jurisdiction",
            lambda v: v in settings.registry or (v == GLOBAL and not awstypes.is_regional(r.type)),
            "Jurisdiction must be a registry code (or `global` on a global, non-regional resource)",
        ),
        ("DataConcern", lambda v: v in CONCERNS, f"DataConcern must be one of {', '.join(CONCERNS)}"),
    ]
    for key, ok, message in checks:
        value = tags.get(key)
        if isinstance(value, str) and value and not ok(value):
            out.fail(message)
    stack_code = r.stack_tags.get("Jurisdiction")
    if stack_code and tags.get("Jurisdiction") not in (None, stack_code):
        out.fail("Jurisdiction differs from the stack's Jurisdiction tag")


@stack_rule(
    name="tag-jurisdiction-consistent",
    severity=Severity.HIGH,
    framework=pci("12.5.2", "PCI DSS scope is documented and confirmed"),
    tags=("GDPR Art. 30",),
    remediation="Keep each cell's resources under its JurisdictionCell; never re-tag Jurisdiction by hand.",
)
def tag_jurisdiction_consistent(stack: Stack, out: Findings) -> None:
    """All resources of one cell carry the same Jurisdiction, and it matches the stack's Jurisdiction tag.

    A cell is a ``fintech:cell:*`` component; its tagged descendants must agree. Existence and tag values are
    judged as known; unknown tags are ignored here (required-tags reports them pending).
    """
    cells = [node for node in stack.nodes if node.type.startswith("fintech:cell:")]
    below = stack.descendant_jurisdictions
    for cell in cells:
        if len(below.get(cell.urn, set())) > 1:
            out.fail("resources of one cell carry different Jurisdiction tags", cell.urn)
    stack_code = stack.stack_tags.get("Jurisdiction")
    if stack_code:
        for node in stack.nodes:
            code = node.tag("Jurisdiction")
            if code is not None and code != stack_code:
                out.fail("Jurisdiction differs from the stack's Jurisdiction tag", node.urn)
