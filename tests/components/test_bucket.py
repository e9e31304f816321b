"""SecureBucket: each control it sets, as the engine sees it."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.bucket import SecureBucket
from fintech_infra.testing import MOCK_ACCOUNT_ID, RecordedResource, Recording, synthesize
from fintech_infra.wiring import KeyRef
from tests.components.helpers import rejected

REGION = "eu-central-1"
KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{MOCK_ACCOUNT_ID}:key/audit", alias="alias/eu/audit")
EXTRA = {
    "Sid": "AllowReadForAuditors",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/auditor"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::placeholder/*",
}

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


def _program() -> None:
    provider = aws.Provider("eu", region=REGION)
    sink = SecureBucket("eu-logs", log_sink=True, opts=pulumi.ResourceOptions(provider=provider))
    SecureBucket(
        "eu-audit",
        key=KEY,
        access_log_bucket=sink.bucket,
        object_lock_retention_days=1825,
        extra_policy_statements=[EXTRA],
        opts=pulumi.ResourceOptions(provider=provider),
    )
    SecureBucket(
        "eu-plain",
        key=KEY,
        access_log_bucket=sink.bucket,
        protect=False,
        extra_policy_statements=lambda arn: [{**EXTRA, "Resource": pulumi.Output.concat(arn, "/reports/*")}],
        opts=pulumi.ResourceOptions(provider=provider),
    )


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program)


def _child(recording: Recording, name: str, role: str) -> RecordedResource:
    return recording.named(f"{name}-{role}")


def _policy(recording: Recording, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_child(recording, name, "policy").inputs["policy"])
    return document


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, sid
    return found[0]


@pytest.mark.parametrize("name", ["eu-logs", "eu-audit", "eu-plain"])
def test_every_child_is_parented_to_the_component_in_the_provider_region(recording: Recording, name: str) -> None:
    component = recording.named(name, "fintech:bucket:SecureBucket")
    children = recording.children_of(component.urn)
    assert len(children) >= 7
    assert {child.region for child in children} == {REGION}


@pytest.mark.parametrize("name", ["eu-logs", "eu-audit", "eu-plain"])
def test_all_four_public_access_block_flags(recording: Recording, name: str) -> None:
    inputs = _child(recording, name, "public-access").inputs
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert inputs[flag] is True, flag


@pytest.mark.parametrize("name", ["eu-logs", "eu-audit", "eu-plain"])
def test_versioning_ownership_and_lifecycle(recording: Recording, name: str) -> None:
    assert _child(recording, name, "versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert _child(recording, name, "ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = _child(recording, name, "lifecycle").inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


@pytest.mark.parametrize("name", ["eu-logs", "eu-audit", "eu-plain"])
def test_tls_only_policy(recording: Recording, name: str) -> None:
    deny = _statement(_policy(recording, name), "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = recording.named(f"{name}-bucket", BUCKET).outputs["arn"]
    assert deny["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_sse_kms_with_the_key_and_a_bucket_key(recording: Recording) -> None:
    (rule,) = _child(recording, "eu-audit", "encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY.arn}
    assert rule["bucketKeyEnabled"] is True


def test_access_logging_into_the_sink(recording: Recording) -> None:
    sink_name = recording.named("eu-logs-bucket", BUCKET).outputs["bucket"]
    for name in ("eu-audit", "eu-plain"):
        logging = _child(recording, name, "access-logs").inputs
        assert logging["targetBucket"] == sink_name
        assert logging["targetPrefix"] == f"s3/{name}/"


def test_object_lock_compliance_with_the_retention(recording: Recording) -> None:
    assert recording.named("eu-audit-bucket", BUCKET).inputs["objectLockEnabled"] is True
    lock = _child(recording, "eu-audit", "object-lock").inputs
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 1825}}
    assert "objectLockEnabled" not in recording.named("eu-plain-bucket", BUCKET).inputs
    with pytest.raises(KeyError):
        _child(recording, "eu-plain", "object-lock")


def test_extra_statements_are_appended(recording: Recording) -> None:
    assert _statement(_policy(recording, "eu-audit"), "AllowReadForAuditors") == EXTRA


def test_extra_statements_may_be_built_from_the_bucket_arn(recording: Recording) -> None:
    bucket_arn = recording.named("eu-plain-bucket", BUCKET).outputs["arn"]
    statement = _statement(_policy(recording, "eu-plain"), "AllowReadForAuditors")
    assert statement == {**EXTRA, "Resource": f"{bucket_arn}/reports/*"}


def test_log_sink_uses_sse_s3_admits_only_s3_logging_of_this_account_and_logs_nowhere(recording: Recording) -> None:
    (rule,) = _child(recording, "eu-logs", "encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    delivery = _statement(_policy(recording, "eu-logs"), "AllowS3ServerAccessLogDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID}}
    with pytest.raises(KeyError):
        _child(recording, "eu-logs", "access-logs")


def test_no_allow_statement_has_a_wildcard_principal(recording: Recording) -> None:
    for name in ("eu-logs", "eu-audit", "eu-plain"):
        for statement in _policy(recording, name)["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*"
                assert "*" not in json.dumps(statement["Principal"])


def test_buckets_are_protected_and_never_force_destroyed(recording: Recording) -> None:
    assert recording.named("eu-logs-bucket", BUCKET).protect is True
    assert recording.named("eu-audit-bucket", BUCKET).protect is True
    assert recording.named("eu-plain-bucket", BUCKET).protect is False
    for bucket in recording.of_type(BUCKET):
        assert bucket.inputs["forceDestroy"] is False


def test_policy_waits_for_the_public_access_block(recording: Recording) -> None:
    policy = _child(recording, "eu-audit", "policy")
    assert recording.named("eu-audit-public-access", PAB).urn in policy.depends_on


_rejected = rejected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {},
            "SecureBucket 'bad': key: None is not allowed; allowed: a KeyRef (SSE-KMS), or log_sink=True for a "
            "bucket AWS log delivery writes into",
        ),
        (
            {"key": KEY},
            "SecureBucket 'bad': access_log_bucket: None is not allowed; allowed: the name of a log_sink=True "
            "SecureBucket",
        ),
        (
            {"log_sink": True, "key": KEY},
            "SecureBucket 'bad': key: 'alias/eu/audit' is not allowed with log_sink=True (AWS log delivery "
            "writes only to SSE-S3 buckets); allowed: None",
        ),
        (
            {"log_sink": True, "access_log_bucket": "elsewhere"},
            "SecureBucket 'bad': access_log_bucket: a log sink does not log its own access; allowed: None with "
            "log_sink=True",
        ),
        (
            {"key": KEY, "access_log_bucket": "logs", "object_lock_retention_days": 0},
            "SecureBucket 'bad': object_lock_retention_days: 0 is out of range; allowed: 1 to 36500 days, or "
            "None for no Object Lock",
        ),
    ],
)
def test_bad_input_is_one_config_error_and_registers_nothing(kwargs: dict[str, Any], message: str) -> None:
    errors, recording = _rejected(
        lambda provider: SecureBucket("bad", **kwargs, opts=pulumi.ResourceOptions(provider=provider))
    )
    assert errors == [message]
    assert [resource.type for resource in recording if not resource.is_provider] == []
