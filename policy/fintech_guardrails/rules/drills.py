"""Disaster-recovery runbooks, drills and their schedules.

- ``ssm-document-private``: an SSM document is never shared with every AWS account. The failover runbooks name
  the cell's databases, keys and routing parameters; a public document publishes that map.
- ``scheduler-schedule-cmk``: an EventBridge Scheduler schedule encrypts its target input (which template or
  runbook it starts, with which parameters) under a customer-managed key.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules.secrets import customer_managed_key

__all__ = ["scheduler_schedule_cmk", "ssm_document_private"]

SCHEDULER_ENCRYPTION = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html"
SSM_SHARING = "https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-ssm-sharing.html"


def _not_public(account_ids: Any) -> bool:
    if account_ids is None:
        return True
    ids = account_ids.split(",") if isinstance(account_ids, str) else account_ids
    return "all" not in {str(account).strip().lower() for account in ids}


not_public = Expectation(_not_public, "not include All (share the document with named accounts only)")


@resource_rule(
    types=(t.SSM_DOCUMENT,),
    name="ssm-document-private",
    severity=Severity.HIGH,
    framework=pci("7.2.1", "An access control model is defined and includes granting access"),
    tags=("checkov:CKV_AWS_303", "DORA Art. 9"),
    url=SSM_SHARING,
    remediation="Drop `permissions` from the document, or list the accounts it is shared with instead of All.",
)
def ssm_document_private(r: Resource, out: Findings) -> None:
    """SSM documents are not shared publicly (`permissions.account_ids` never includes All)."""
    require(r, out, ("permissions", "account_ids"), not_public)


@resource_rule(
    types=(t.SCHEDULER_SCHEDULE,),
    name="scheduler-schedule-cmk",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1", "Stored account data is rendered unreadable"),
    tags=("checkov:CKV_AWS_297",),
    url=SCHEDULER_ENCRYPTION,
    remediation="Give the schedule `kms_key_arn` (DrSchedules uses the region's platform key).",
)
def scheduler_schedule_cmk(r: Resource, out: Findings) -> None:
    """Scheduler schedules encrypt their target input with a customer-managed KMS key (`kmsKeyArn`)."""
    require(r, out, "kmsKeyArn", customer_managed_key)
