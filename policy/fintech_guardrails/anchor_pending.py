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
    # h15d: the still-missing guardrails
    "checkov:CKV_AWS_382": "h15d: security-group egress",
    "checkov:CKV2_AWS_1": "h15d: NACLs",
    "checkov:CKV_AWS_227": "h15d: KMS isEnabled",
    "checkov:CKV_AWS_211": "h15d: RDS CA certificate",
    "checkov:CKV2_AWS_60": "h15d: copy tags to snapshot",
    "checkov:CKV_AWS_313": "h15d: copy tags to snapshot",
    "checkov:CKV2_AWS_27": "h15d: query and connection logging parameters",
    "checkov:CKV2_AWS_30": "h15d: query and connection logging parameters",
    "checkov:CKV_AWS_223": "h15d: ECS Exec logging",
    "checkov:CKV_AWS_224": "h15d: ECS Exec logging",
    "checkov:CKV_AWS_249": "h15d: execution role != task role",
    "checkov:CKV_AWS_332": "h15d: Fargate platform version",
    "checkov:CKV_AWS_261": "h15d: target-group health checks",
    "checkov:CKV_AWS_192": "h15d: WAF known-bad-inputs (Log4j)",
    "checkov:CKV2_AWS_76": "h15d: WAF known-bad-inputs (Log4j)",
    "checkov:CKV2_AWS_65": "h15d: S3 object ownership (ACLs disabled)",
}
"""Anchor rule tag -> ``"<branch>: <what covers it>"``."""
