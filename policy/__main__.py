"""Entry point the analyzer runs (``python -m pulumi.policy <engine> policy``): construct the pack, nothing else.

``runpy.run_path`` puts this directory first on ``sys.path``, so the rule package imports as
``fintech_guardrails``. Constructing the PolicyPack starts the gRPC server and blocks; tests import the
rule modules instead. ``speedups.start()`` makes the SDK's servicer build each request's arguments once, not once
per policy, unless ``FINTECH_INFRA_SPEEDUPS=0``; it patches nothing, and says so on stderr, if the SDK is not the
one it was written for. Without it every verdict is the same, only slower.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from fintech_guardrails import PACK_DESCRIPTION, PACK_NAME, speedups
from fintech_guardrails.catalog import policies

speedups.start()

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    display_name="Fintech guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
    provider="aws",
    tags=["pci-dss-4.0.1", "gdpr", "dora", "fintech"],
)
