"""Customer-managed KMS keys: one per data concern and one per platform purpose, each with an explicit policy.

Every key rotates yearly, waits 30 days before deletion (the AWS maximum: the longest window in which a
mistaken deletion can be cancelled) and is protected. Its policy is written out in full instead of relying
on the KMS default: the account root administers the key (which delegates use to IAM policies), and each
AWS service that must use the key directly is named with a condition that pins it to this account (and,
where the service supports it, to an encryption context). No statement has a wildcard principal.

:class:`KeyRing` builds a cell's keys with aliases ``alias/<cell>/<purpose>``; the purposes the other
components expect are each :class:`~fintech_infra.config.DataConcern` value plus ``logs``, ``platform``,
``cache`` and ``backup`` (see :data:`PURPOSE_SERVICES`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import DataConcern
from fintech_infra.errors import ConfigError, allowed
from fintech_infra.wiring import KeyRef

__all__ = ["PROMETHEUS", "PURPOSE_SERVICES", "SERVICE_PRINCIPALS", "EncryptionKey", "KeyRing", "key_policy"]

LOGS = "logs.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
CLOUDWATCH = "cloudwatch.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
EVENTS = "events.amazonaws.com"
PROMETHEUS = "aps.amazonaws.com"

SERVICE_PRINCIPALS: tuple[str, ...] = (PROMETHEUS, CLOUDTRAIL, CLOUDWATCH, LOG_DELIVERY, EVENTS, LOGS)
"""Services a key policy can admit directly. Others (RDS, ElastiCache, Secrets Manager, EBS, AWS Backup)
use a key through grants created with the caller's IAM permissions, which the root statement delegates."""

PURPOSE_SERVICES: Mapping[str, tuple[str, ...]] = {
    "logs": (LOGS, CLOUDTRAIL, LOG_DELIVERY),  # log groups, flow logs, the trail's log group
    # A concern's database exports its logs to groups encrypted with the concern's own key.
    **{concern.value: (LOGS,) for concern in DataConcern},
    DataConcern.AUDIT.value: (CLOUDTRAIL, LOGS),  # the trail and its Object Lock bucket; the audit database's logs
    "platform": (CLOUDWATCH, EVENTS),  # alarms and rules publishing to encrypted SNS topics
}
"""The services :class:`KeyRing` admits per purpose; purposes not listed admit none."""

_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30


def _check_window(where: str, days: int) -> None:
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not MIN_DELETION_WINDOW_DAYS <= days <= MAX_DELETION_WINDOW_DAYS
    ):
        raise ConfigError(
            f"{where}: deletion_window_days: {days!r} is out of range; "
            f"allowed: {MIN_DELETION_WINDOW_DAYS} to {MAX_DELETION_WINDOW_DAYS} (default 30)"
        )


def _service_statements(
    service: str, *, partition: str, region: str, account: str, dns_suffix: str
) -> list[dict[str, Any]]:
    """The statements admitting one service, each scoped to this account."""
    source_account = {"aws:SourceAccount": account}
    if service == LOGS:
        return [
            {
                "Sid": "AllowCloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:*"}
                },
            }
        ]
    if service == CLOUDTRAIL:
        trails = f"arn:{partition}:cloudtrail:*:{account}:trail/*"
        return [
            {
                "Sid": "AllowCloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails},
                    "ArnLike": {"aws:SourceArn": trails},
                },
            },
            {
                # A trail's SNS notifications go to a topic encrypted with this key: CloudTrail publishes with it.
                "Sid": "AllowCloudTrailEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": trails}},
            },
            {
                "Sid": "AllowCloudTrailDescribe",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": trails}},
            },
        ]
    if service == LOG_DELIVERY:
        return [
            {
                "Sid": "AllowVendedLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": source_account,
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"},
                },
            }
        ]
    # CloudWatch alarms, EventBridge rules and the Prometheus alert manager publishing to an encrypted SNS topic.
    sid = {CLOUDWATCH: "AllowCloudWatchAlarms", EVENTS: "AllowEventBridgeRules"}.get(service, "AllowPrometheusAlerts")
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": source_account},
        }
    ]


def key_policy(
    services: Sequence[str], *, partition: str, region: str, account: str, dns_suffix: str = "amazonaws.com"
) -> str:
    """The key policy JSON: root administration plus one conditioned grant per service."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableRootAccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for service in services:
        statements.extend(
            _service_statements(service, partition=partition, region=region, account=account, dns_suffix=dns_suffix)
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class EncryptionKey(FintechComponent):
    """A symmetric customer-managed key with rotation, a 30-day deletion window, an alias and an explicit policy."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "arn": "The key's ARN.",
        "key_id": "The key's id.",
        "alias": "The alias name (`alias/<cell>/<purpose>`).",
    }

    def __init__(
        self,
        name: str,
        *,
        alias: str,
        description: str,
        deletion_window_days: int = 30,
        service_principals: Sequence[str] = (),
        data_concern: DataConcern | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``data_concern`` tags the key (and alias) with DataConcern; ``deletion_window_days`` below 30
        is an explicit relaxation (AWS allows 7 to 30)."""
        where = f"EncryptionKey {name!r}"
        if not _ALIAS.match(alias) or alias.startswith("alias/aws/"):
            raise ConfigError(
                f"{where}: alias: {alias!r} is not a customer alias; allowed: 'alias/' followed by letters, "
                "digits, '/', '_' or '-', not under 'alias/aws/'"
            )
        _check_window(where, deletion_window_days)
        unknown = [service for service in service_principals if service not in SERVICE_PRINCIPALS]
        if unknown:
            raise ConfigError(
                f"{where}: service_principals: {unknown[0]!r} is not supported; {allowed(SERVICE_PRINCIPALS)}"
            )
        scope = {"DataConcern": data_concern.value} if data_concern is not None else None
        super().__init__("fintech:kms:EncryptionKey", name, opts, scope=scope)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        services = tuple(dict.fromkeys(service_principals))
        policy = pulumi.Output.all(partition.partition, partition.dns_suffix, region, account).apply(
            lambda values: key_policy(
                services, partition=values[0], dns_suffix=values[1], region=values[2], account=values[3]
            )
        )
        self.resource = aws.kms.Key(
            child(name, "key"),
            description=description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            is_enabled=True,
            bypass_policy_lockout_safety_check=False,
            policy=policy,
            tags={},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.alias_resource = aws.kms.Alias(
            child(name, "alias"),
            name=alias,
            target_key_id=self.resource.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alias = alias
        self.arn: pulumi.Output[str] = self.resource.arn
        self.key_id: pulumi.Output[str] = self.resource.key_id
        self.register_outputs({"arn": self.arn, "key_id": self.key_id, "alias": alias})

    @property
    def ref(self) -> KeyRef:
        """What a consumer needs to encrypt with this key."""
        return KeyRef(arn=self.arn, alias=self.alias)


class KeyRing(FintechComponent):
    """One :class:`EncryptionKey` per purpose of a cell, aliased ``alias/<cell>/<purpose>``."""

    OUTPUTS: ClassVar[dict[str, str]] = {"key_arns": "Purpose to key ARN."}

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        purposes: Sequence[str],
        deletion_window_days: int = 30,
        extra_service_principals: Mapping[str, Sequence[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``extra_service_principals`` admits more services per purpose, on top of :data:`PURPOSE_SERVICES`."""
        where = f"KeyRing {name!r}"
        if not _KEBAB.match(cell):
            raise ConfigError(f"{where}: cell: {cell!r} is not a valid alias segment; allowed: kebab-case")
        if isinstance(purposes, str) or not purposes:
            raise ConfigError(f"{where}: purposes: {purposes!r} is empty; allowed: a non-empty list of purposes")
        for index, purpose in enumerate(purposes):
            if not isinstance(purpose, str) or not _KEBAB.match(purpose):
                raise ConfigError(f"{where}: purposes[{index}]: {purpose!r} is not kebab-case; allowed: e.g. 'logs'")
            if purpose in purposes[:index]:
                raise ConfigError(f"{where}: purposes[{index}]: {purpose!r} is listed twice")
        extra = dict(extra_service_principals or {})
        for purpose, services in extra.items():
            if purpose not in purposes:
                raise ConfigError(
                    f"{where}: extra_service_principals: {purpose!r} is not one of the purposes; {allowed(purposes)}"
                )
            for service in services:
                if service not in SERVICE_PRINCIPALS:
                    raise ConfigError(
                        f"{where}: extra_service_principals.{purpose}: {service!r} is not supported; "
                        f"{allowed(SERVICE_PRINCIPALS)}"
                    )
        _check_window(where, deletion_window_days)
        super().__init__("fintech:kms:KeyRing", name, opts)
        self._where = where
        concerns = {concern.value: concern for concern in DataConcern}
        self._keys: dict[str, EncryptionKey] = {}
        for purpose in purposes:
            self._keys[purpose] = EncryptionKey(
                child(name, purpose),
                alias=f"alias/{cell}/{purpose}",
                description=f"{cell}: {purpose} data" if purpose in concerns else f"{cell}: {purpose}",
                deletion_window_days=deletion_window_days,
                service_principals=(*PURPOSE_SERVICES.get(purpose, ()), *extra.get(purpose, ())),
                data_concern=concerns.get(purpose),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"key_arns": {purpose: key.arn for purpose, key in self._keys.items()}})

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def key(self, purpose: str) -> EncryptionKey:
        """The key for ``purpose``; a ConfigError names the purposes the ring has."""
        try:
            return self._keys[purpose]
        except KeyError:
            raise ConfigError(f"{self._where}: purpose: {purpose!r} has no key; {allowed(self._keys)}") from None

    def ref(self, purpose: str) -> KeyRef:
        """The :class:`KeyRef` for ``purpose``."""
        return self.key(purpose).ref
