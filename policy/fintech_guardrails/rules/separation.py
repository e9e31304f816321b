"""Separation by data concern: no database, key or security group serves two concerns."""

from __future__ import annotations

from collections import defaultdict

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Stack
from fintech_guardrails.registry import pci, stack_rule

DATA_STORES = (t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_CLUSTER_INSTANCE)
GUARDED = {
    t.KMS_KEY: "KMS key",
    t.SECURITY_GROUP: "security group",
    t.RDS_INSTANCE: "database",
    t.RDS_CLUSTER: "database",
    t.SECRET: "secret",
}


@stack_rule(
    name="concern-separation",
    severity=Severity.HIGH,
    framework=pci("7.2.1", "An access control model covers need-to-know access"),
    tags=("PCI DSS 4.0.1 3.6.1", "GDPR Art. 25", "GDPR Art. 32"),
    remediation=(
        "Give each concern its own FinancialDatabase, KeyRing key and security group; never pass one "
        "concern's KeyRef or SG to another."
    ),
)
def concern_separation(stack: Stack, out: Findings) -> None:
    """Each database belongs to one data concern, and no database, key or security group serves two concerns.

    Concerns come from DataConcern tags. A database needs the tag; a resource tagged with one concern may not
    refer (through any input) to a key, security group, database or secret tagged with another; and no key or
    security group may be used by databases of two concerns. References are the engine's property
    dependencies, which are known at preview, so nothing is pending.
    """
    users: dict[str, set[str]] = defaultdict(set)
    for db in stack.of_type(*DATA_STORES):
        concern = stack.concern(db)
        if concern is None and db.type != t.RDS_CLUSTER_INSTANCE:
            out.fail("the database has no DataConcern tag", db.urn)
            continue
        if concern is None:
            continue
        for urns in db.property_dependencies.values():
            for urn in urns:
                target = stack.by_urn.get(urn)
                if target is not None and target.type in (t.KMS_KEY, t.SECURITY_GROUP):
                    users[urn].add(concern)
    for urn, concerns in sorted(users.items()):
        if len(concerns) > 1:
            out.fail(f"the {GUARDED[stack.by_urn[urn].type]} serves several data concerns", urn)
    for node in stack.nodes:
        concern = stack.concern(node)
        if concern is None:
            continue
        for urns in node.property_dependencies.values():
            for urn in urns:
                target = stack.by_urn.get(urn)
                if target is None or target.type not in GUARDED:
                    continue
                other = stack.concern(target)
                if other is not None and other != concern:
                    out.fail(f"the resource refers to a {GUARDED[target.type]} of another data concern", node.urn)
