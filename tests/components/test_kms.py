"""EncryptionKey and KeyRing: rotation, deletion window, explicit policy, aliases, tags, protect."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra._tags import apply_tag_convention
from fintech_infra.config import DataConcern
from fintech_infra.errors import ConfigError
from fintech_infra.kms import EncryptionKey, KeyRing
from fintech_infra.testing import MOCK_ACCOUNT_ID, RecordedResource, Recording, synthesize
from tests.components.helpers import rejected

REGION = "eu-central-1"
CONCERNS = [concern.value for concern in DataConcern]
PURPOSES = [*CONCERNS, "logs", "platform", "cache", "backup"]
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"


def _program() -> None:
    apply_tag_convention(
        environment="prod",
        jurisdiction="eu-gdpr",
        owner="platform-team",
        cost_center="cc-42",
        compliance_scope="pci-dss",
    )
    provider = aws.Provider("eu", region=REGION)
    ring = KeyRing("eu-keys", cell="eu", purposes=PURPOSES, opts=pulumi.ResourceOptions(provider=provider))
    EncryptionKey(
        "eu-scratch",
        alias="alias/eu/scratch",
        description="short-lived test data",
        deletion_window_days=7,
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("audit_alias", ring.ref("audit").alias)
    pulumi.export("audit_arn", ring.ref("audit").arn)
    pulumi.export("logs_key_id", ring.key("logs").key_id)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program)


def _key(recording: Recording, purpose: str) -> RecordedResource:
    return recording.named(f"eu-keys-{purpose}-key", KEY)


def _statements(resource: RecordedResource) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def _sids(resource: RecordedResource) -> list[str]:
    return [statement["Sid"] for statement in _statements(resource)]


def test_one_key_and_alias_per_purpose(recording: Recording) -> None:
    ring = recording.named("eu-keys", "fintech:kms:KeyRing")
    components = recording.children_of(ring.urn)
    # Sibling components register concurrently, so their order in the recording is not fixed.
    assert sorted(c.name for c in components) == sorted(f"eu-keys-{purpose}" for purpose in PURPOSES)
    assert {c.type for c in components} == {"fintech:kms:EncryptionKey"}
    for purpose in PURPOSES:
        alias = recording.named(f"eu-keys-{purpose}-alias", ALIAS)
        assert alias.inputs["name"] == f"alias/eu/{purpose}"
        assert alias.inputs["targetKeyId"] == _key(recording, purpose).outputs["keyId"]
        assert alias.region == _key(recording, purpose).region == REGION


@pytest.mark.parametrize("purpose", PURPOSES)
def test_rotation_window_and_protect(recording: Recording, purpose: str) -> None:
    key = _key(recording, purpose)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["isEnabled"] is True
    assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.protect is True


def test_a_shorter_window_is_an_explicit_argument(recording: Recording) -> None:
    key = recording.named("eu-scratch-key", KEY)
    assert key.inputs["deletionWindowInDays"] == 7
    assert key.protect is True


def test_no_statement_has_a_wildcard_principal_and_every_service_is_conditioned(recording: Recording) -> None:
    keys = recording.of_type(KEY)
    assert len(keys) == len(PURPOSES) + 1
    for key in keys:
        for statement in _statements(key):
            assert statement["Effect"] == "Allow"
            assert statement["Principal"] != "*"
            assert "*" not in json.dumps(statement["Principal"])
            if "Service" in statement["Principal"]:
                assert statement["Condition"], (key.name, statement["Sid"])


def test_root_of_this_account_administers_every_key(recording: Recording) -> None:
    for key in recording.of_type(KEY):
        root = _statements(key)[0]
        assert root == {
            "Sid": "EnableRootAccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }


def test_data_keys_admit_no_service_but_cloudwatch_logs_for_their_databases_logs(recording: Recording) -> None:
    for purpose in ("cache", "backup"):
        assert _sids(_key(recording, purpose)) == ["EnableRootAccountAdministration"]
    for concern in ("crm", "trading", "payments"):
        key = _key(recording, concern)
        assert _sids(key) == ["EnableRootAccountAdministration", "AllowCloudWatchLogs"]
        assert _statements(key)[1] == _statements(_key(recording, "logs"))[1]


def test_logs_key_admits_regional_logs_with_encryption_context(recording: Recording) -> None:
    key = _key(recording, "logs")
    assert _sids(key) == [
        "EnableRootAccountAdministration",
        "AllowCloudWatchLogs",
        "AllowCloudTrailEncrypt",
        "AllowCloudTrailEncryptedTopic",
        "AllowCloudTrailDescribe",
        "AllowVendedLogDelivery",
    ]
    logs = _statements(key)[1]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{MOCK_ACCOUNT_ID}:*"}
    }
    delivery = _statements(key)[5]
    assert delivery["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": MOCK_ACCOUNT_ID}


def test_audit_key_admits_cloudtrail_for_this_accounts_trails(recording: Recording) -> None:
    key = _key(recording, "audit")
    assert _sids(key) == [
        "EnableRootAccountAdministration",
        "AllowCloudTrailEncrypt",
        "AllowCloudTrailEncryptedTopic",
        "AllowCloudTrailDescribe",
        "AllowCloudWatchLogs",
    ]
    trails = f"arn:aws:cloudtrail:*:{MOCK_ACCOUNT_ID}:trail/*"
    encrypt, topic, describe = _statements(key)[1:4]
    # The trail's SNS topic is encrypted with this key: CloudTrail publishes with it, for this account's trails.
    assert topic["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert topic["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert topic["Condition"] == {"ArnLike": {"aws:SourceArn": trails}}
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"] == {
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails},
        "ArnLike": {"aws:SourceArn": trails},
    }
    assert describe["Action"] == "kms:DescribeKey"
    assert describe["Condition"] == {"ArnLike": {"aws:SourceArn": trails}}


def test_platform_key_admits_alarms_and_rules_of_this_account(recording: Recording) -> None:
    key = _key(recording, "platform")
    statements = _statements(key)[1:]
    assert [s["Principal"] for s in statements] == [
        {"Service": "cloudwatch.amazonaws.com"},
        {"Service": "events.amazonaws.com"},
    ]
    for statement in statements:
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID}}


def test_concern_keys_carry_the_data_concern_tag(recording: Recording) -> None:
    for concern in CONCERNS:
        tags = _key(recording, concern).tags
        assert tags["DataConcern"] == concern
        assert tags["Environment"] == "prod"
        assert tags["ManagedBy"] == "fintech-infra"
    for purpose in ("logs", "platform", "cache", "backup"):
        assert "DataConcern" not in _key(recording, purpose).tags


def test_refs_carry_the_arn_and_alias(recording: Recording) -> None:
    assert recording.exports["audit_alias"] == "alias/eu/audit"
    assert recording.exports["audit_arn"] == _key(recording, "audit").outputs["arn"]
    assert recording.exports["logs_key_id"] == _key(recording, "logs").outputs["keyId"]


_rejected = rejected


def _ring(**kwargs: Any) -> Callable[[pulumi.ProviderResource], object]:
    options = {"cell": "eu", "purposes": ["logs"], **kwargs}
    return lambda provider: KeyRing("bad", **options, opts=pulumi.ResourceOptions(provider=provider))


def _key_of(**kwargs: Any) -> Callable[[pulumi.ProviderResource], object]:
    options = {"alias": "alias/eu/x", "description": "x", **kwargs}
    return lambda provider: EncryptionKey("bad", **options, opts=pulumi.ResourceOptions(provider=provider))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_ring(purposes=[]), "KeyRing 'bad': purposes: [] is empty; allowed: a non-empty list of purposes"),
        (
            _ring(purposes=["logs", "crm", "logs"]),
            "KeyRing 'bad': purposes[2]: 'logs' is listed twice",
        ),
        (
            _ring(purposes=["Logs_1"]),
            "KeyRing 'bad': purposes[0]: 'Logs_1' is not kebab-case; allowed: e.g. 'logs'",
        ),
        (_ring(cell="EU"), "KeyRing 'bad': cell: 'EU' is not a valid alias segment; allowed: kebab-case"),
        (
            _ring(deletion_window_days=6),
            "KeyRing 'bad': deletion_window_days: 6 is out of range; allowed: 7 to 30 (default 30)",
        ),
        (
            _ring(extra_service_principals={"logs": ["s3.amazonaws.com"]}),
            "KeyRing 'bad': extra_service_principals.logs: 's3.amazonaws.com' is not supported; allowed: "
            "aps.amazonaws.com, cloudtrail.amazonaws.com, cloudwatch.amazonaws.com, delivery.logs.amazonaws.com, "
            "events.amazonaws.com, logs.amazonaws.com",
        ),
        (
            _key_of(deletion_window_days=31),
            "EncryptionKey 'bad': deletion_window_days: 31 is out of range; allowed: 7 to 30 (default 30)",
        ),
        (
            _key_of(alias="alias/aws/s3"),
            "EncryptionKey 'bad': alias: 'alias/aws/s3' is not a customer alias; allowed: 'alias/' followed by "
            "letters, digits, '/', '_' or '-', not under 'alias/aws/'",
        ),
        (
            _key_of(service_principals=["*"]),
            "EncryptionKey 'bad': service_principals: '*' is not supported; allowed: aps.amazonaws.com, "
            "cloudtrail.amazonaws.com, cloudwatch.amazonaws.com, delivery.logs.amazonaws.com, events.amazonaws.com, "
            "logs.amazonaws.com",
        ),
    ],
)
def test_bad_input_is_one_config_error_and_registers_nothing(
    build: Callable[[pulumi.ProviderResource], object], message: str
) -> None:
    errors, recording = _rejected(build)
    assert errors == [message]
    assert [resource.type for resource in recording if not resource.is_provider] == []


def test_asking_for_a_missing_purpose_names_the_ones_there() -> None:
    errors: list[str] = []

    def program() -> None:
        ring = KeyRing("eu-keys", cell="eu", purposes=["logs", "crm"])
        try:
            ring.ref("payments")
        except ConfigError as error:
            errors.append(str(error))

    synthesize(program)
    assert errors == ["KeyRing 'eu-keys': purpose: 'payments' has no key; allowed: logs, crm"]
