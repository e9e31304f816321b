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
    # h15b: the IAM guardrail family
    "checkov:CKV_AWS_60": "h15b: IAM trust policies without conditions",
    "checkov:CKV_AWS_61": "h15b: IAM trust policies without conditions",
    "checkov:CKV_AWS_62": "h15b: admin-equivalent policies",
    "checkov:CKV_AWS_63": "h15b: wildcard actions in customer policies",
    "checkov:CKV_AWS_355": "h15b: wildcard resources in customer policies",
    "checkov:CKV_AWS_286": "h15b: unconstrained iam:PassRole / privilege escalation",
    "checkov:CKV_AWS_287": "h15b: wildcard actions and resources in customer policies",
    "checkov:CKV_AWS_288": "h15b: wildcard actions and resources in customer policies",
    "checkov:CKV_AWS_289": "h15b: wildcard actions and resources in customer policies",
    "checkov:CKV_AWS_290": "h15b: wildcard actions and resources in customer policies",
    "checkov:CKV2_AWS_40": "h15b: admin-equivalent policies",
    "checkov:CKV2_AWS_56": "h15b: admin-equivalent policies",
    "checkov:CKV_AWS_274": "h15b: admin-equivalent policies",
    "checkov:CKV_AWS_393": "h15b: IAM trust policies without conditions",
    "cdk-nag:AwsSolutions-IAM5": "h15b: wildcard actions and resources in customer policies",
    "cdk-nag:PCI.DSS.321-IAMPolicyNoStatementsWithAdminAccess": "h15b: admin-equivalent policies",
    "cdk-nag:PCI.DSS.321-IAMPolicyNoStatementsWithFullAccess": "h15b: wildcard actions in customer policies",
    # h15c: checkov's findings on the shipped stacks, fixed in the components and guarded
    "checkov:CKV_AWS_144": "h15c: audit-bucket replication",
    "cdk-nag:PCI.DSS.321-S3BucketReplicationEnabled": "h15c: audit-bucket replication",
    "checkov:CKV_AWS_115": "h15c: rotation-Lambda reserved concurrency",
    "checkov:CKV_AWS_50": "h15c: rotation-Lambda X-Ray tracing",
    "checkov:CKV_AWS_252": "h15c: CloudTrail SNS topic",
}
"""Anchor rule tag -> ``"<branch>: <what covers it>"``."""
