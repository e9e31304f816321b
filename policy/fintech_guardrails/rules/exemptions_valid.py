"""The exemption register itself is a guardrail: every entry complete, current and allowed."""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails.model import Findings, Stack
from fintech_guardrails.registry import exemptible_policies, pci, stack_rule
from fintech_guardrails.settings import EXEMPTIONS_POLICY


@stack_rule(
    name=EXEMPTIONS_POLICY,
    severity=Severity.HIGH,
    framework=pci("12.4.1", "Responsibility for protection of cardholder data is established by executive management"),
    tags=("PCI DSS 4.0.1 12.3.1", "DORA Art. 6"),
    exemptible=False,
    remediation=(
        "Complete the entry (policy, resource, reason, ticket, approver, expires), renew it through review, "
        "or remove it and fix the resource."
    ),
)
def exemptions_valid(stack: Stack, out: Findings) -> None:
    """Every exemption names an exemptible policy and has a reason, a ticket, an approver and an unexpired date.

    An incomplete or expired exemption is not applied (the resource is judged normally) and is reported here;
    so is an exemption attempted on a policy that can never be exempted (encryption, residency, public exposure).
    This policy is always mandatory. It reads only config, so nothing is pending.
    """
    known = exemptible_policies()
    for exemption in stack.settings.exemptions:
        for problem in exemption.problems(stack.settings.today, known):
            out.fail(problem)
