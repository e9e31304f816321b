"""KMS-encrypted CloudWatch log groups with a retention CloudWatch accepts.

CloudWatch Logs only takes a fixed set of retention periods. A regulator states a minimum (for example
1825 days), which CloudWatch does not accept, so :func:`cloudwatch_retention` rounds a requested period
UP to the next accepted value and never down: rounding down would keep evidence for less time than the
jurisdiction requires. A request above the longest finite period (3653 days) becomes ``0``, which
CloudWatch defines as "never expire", the only accepted value that still meets it.
"""

from __future__ import annotations

import bisect

import pulumi
import pulumi_aws as aws

from fintech_infra.errors import ConfigError
from fintech_infra.wiring import KeyRef

__all__ = ["CLOUDWATCH_RETENTION_DAYS", "NEVER_EXPIRE", "cloudwatch_retention", "encrypted_log_group"]

CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The finite retention periods CloudWatch Logs accepts (PutRetentionPolicy), ascending."""

NEVER_EXPIRE = 0
"""CloudWatch's ``retention_in_days`` for "keep forever"."""


def cloudwatch_retention(days: int, *, path: str = "retention_days") -> int:
    """The smallest retention CloudWatch accepts that is at least ``days``.

    ``0`` means "never expire" and is returned unchanged; so is any request above 3653 days, which no
    finite period covers. Raises :class:`ConfigError` (naming ``path``) for anything below 0.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ConfigError(
            f"{path}: {days!r} is not a retention period; allowed: a whole number of days >= 1 "
            f"(rounded up to one of {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}), or 0 to never expire"
        )
    if days == NEVER_EXPIRE:
        return NEVER_EXPIRE
    index = bisect.bisect_left(CLOUDWATCH_RETENTION_DAYS, days)
    return CLOUDWATCH_RETENTION_DAYS[index] if index < len(CLOUDWATCH_RETENTION_DAYS) else NEVER_EXPIRE


def encrypted_log_group(
    name: str,
    *,
    key: KeyRef,
    retention_days: int,
    parent: pulumi.Resource | None = None,
    log_group_name: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.cloudwatch.LogGroup:
    """A CloudWatch log group encrypted with ``key`` that keeps events at least ``retention_days``.

    ``name`` is the logical name (build it with :func:`fintech_infra._naming.child`); ``log_group_name``
    fixes the physical name where a service expects one (``/aws/eks/<cluster>/cluster``), otherwise
    Pulumi picks one. The retention is rounded up, see :func:`cloudwatch_retention`. Log groups hold
    evidence, so they are protected; a caller may pass ``opts=ResourceOptions(protect=False)``
    explicitly (e.g. for scratch stacks). ``parent`` None makes it a top-level resource of the program (a
    team's ``RDSOSMetrics``, say). ``key`` must allow ``logs.<region>.amazonaws.com`` with an
    encryption-context condition (the ``logs`` key of :class:`fintech_infra.kms.KeyRing` does).
    """
    retention = cloudwatch_retention(retention_days)
    options = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent, protect=True), opts)
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        kms_key_id=key.arn,
        retention_in_days=retention,
        opts=options,
    )
