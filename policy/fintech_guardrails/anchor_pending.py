"""Transitional: anchor rules the parallel issue-15 branches cover, accepted here until they merge.

Issue 15 is built on four branches at once. h15a (this one) builds the mapping; h15b adds the IAM guardrail
family, h15c fixes the components for checkov's findings on the shipped stacks and guards them, h15d adds the
missing guardrails. A rule listed here is answered by the branch named, with a guardrail whose tags name the
rule; :func:`fintech_guardrails.anchors.problems` reports an entry as stale once a guardrail names it. The
coordinator deletes this module (and its import in :mod:`fintech_guardrails.anchors`) when the branches have
merged, so nothing stays pending on main.
"""

from __future__ import annotations

__all__ = ["PENDING_FROM_OTHER_BRANCHES"]

PENDING_FROM_OTHER_BRANCHES: dict[str, str] = {
    # h15c: checkov's findings on the shipped stacks, fixed in the components and guarded
    "checkov:CKV_AWS_144": "h15c: audit-bucket replication",
    "cdk-nag:PCI.DSS.321-S3BucketReplicationEnabled": "h15c: audit-bucket replication",
    "checkov:CKV_AWS_115": "h15c: rotation-Lambda reserved concurrency",
    "checkov:CKV_AWS_50": "h15c: rotation-Lambda X-Ray tracing",
    "checkov:CKV_AWS_252": "h15c: CloudTrail SNS topic",
}
"""Anchor rule tag -> ``"<branch>: <what covers it>"``."""
