"""fintech-guardrails: the policy pack's rules, registry and helpers (importable without starting a server)."""

PACK_NAME = "fintech-guardrails"
PACK_DESCRIPTION = (
    "Guardrails for regulated fintech platforms on AWS: PCI DSS v4.0.1 controls from AWSGuard, cdk-nag, checkov and "
    "Pulumi's PCI pack, plus data residency, separation by data concern, recovery objectives and reviewed exemptions."
)
