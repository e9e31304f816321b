"""AuditTrail: trail flags, WORM bucket, CloudTrail-only bucket access, encrypted log group; log retention rounding."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra._tags import apply_tag_convention
from fintech_infra.audit import AuditTrail
from fintech_infra.bucket import SecureBucket
from fintech_infra.errors import ConfigError
from fintech_infra.kms import KeyRing
from fintech_infra.logs import cloudwatch_retention
from fintech_infra.testing import MOCK_ACCOUNT_ID, RecordedResource, Recording, synthesize
from fintech_infra.wiring import KeyRef
from tests.components.helpers import rejected

REGION = "eu-central-1"
DR_REGION = "eu-west-1"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MOCK_ACCOUNT_ID}:trail/eu-audit-trail"
BUCKET = "aws:s3/bucket:Bucket"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _program() -> None:
    apply_tag_convention(
        environment="prod",
        jurisdiction="eu-gdpr",
        owner="platform-team",
        cost_center="cc-42",
        compliance_scope="pci-dss",
    )
    provider = aws.Provider("eu", region=REGION)
    on_eu = pulumi.ResourceOptions(provider=provider)
    keys = KeyRing("eu-keys", cell="eu", purposes=["audit", "logs"], opts=on_eu)
    sink = SecureBucket("eu-access-logs", log_sink=True, opts=on_eu)
    trail = AuditTrail(
        "eu-audit",
        key=keys.ref("audit"),
        logs_key=keys.ref("logs"),
        retention_days=1825,
        access_log_bucket=sink.bucket,
        opts=on_eu,
    )
    dr = aws.Provider("eu-dr", region=DR_REGION)
    on_dr = pulumi.ResourceOptions(provider=dr)
    dr_keys = KeyRing("eu-dr-keys", cell="eu", purposes=["audit"], opts=on_dr)
    dr_sink = SecureBucket("eu-dr-access-logs", log_sink=True, opts=on_dr)
    trail.replicate_to("eu-audit-replica", key=dr_keys.ref("audit"), access_log_bucket=dr_sink.bucket, provider=dr)
    try:
        trail.replicate_to("eu-audit-again", key=dr_keys.ref("audit"), access_log_bucket=dr_sink.bucket, provider=dr)
    except ConfigError as error:
        pulumi.export("second_replica", str(error))
    pulumi.export("trail_arn", trail.trail_arn)
    pulumi.export("bucket_name", trail.bucket_name)
    pulumi.export("log_group_name", trail.log_group_name)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program)


def _key_arn(recording: Recording, purpose: str) -> str:
    arn: str = recording.named(f"eu-keys-{purpose}-key").outputs["arn"]
    return arn


def _trail(recording: Recording) -> RecordedResource:
    return recording.named("eu-audit-trail", TRAIL)


def _bucket(recording: Recording) -> RecordedResource:
    return recording.named("eu-audit-bucket-bucket", BUCKET)


def _statements(recording: Recording) -> dict[str, dict[str, Any]]:
    policy = json.loads(recording.named("eu-audit-bucket-policy").inputs["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_trail_flags(recording: Recording) -> None:
    inputs = _trail(recording).inputs
    assert inputs["name"] == "eu-audit-trail"
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogging"] is True
    assert inputs["kmsKeyId"] == _key_arn(recording, "audit")
    assert inputs["s3BucketName"] == _bucket(recording).outputs["bucket"]
    assert _trail(recording).protect is True
    assert _trail(recording).region == REGION


def test_trail_delivers_to_cloudwatch_logs_through_its_role(recording: Recording) -> None:
    inputs = _trail(recording).inputs
    group = recording.named("eu-audit-logs", LOG_GROUP)
    role = recording.named("eu-audit-logs-role")
    assert inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    assert inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    (write,) = json.loads(recording.named("eu-audit-logs-policy").inputs["policy"])["Statement"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"] == f"{group.outputs['arn']}:log-stream:*"


def test_trail_logs_management_and_s3_data_events_except_on_its_own_bucket(recording: Recording) -> None:
    """Advanced selectors only (AWS takes one kind): CloudTrail's own deliveries must not be logged again."""
    inputs = _trail(recording).inputs
    assert "eventSelectors" not in inputs
    management, data = inputs["advancedEventSelectors"]
    assert management["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    assert data["fieldSelectors"] == [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        {"field": "resources.ARN", "notStartsWiths": [f"{_bucket(recording).outputs['arn']}/"]},
    ]


def test_trail_waits_for_the_bucket_and_the_role_policy(recording: Recording) -> None:
    depends_on = _trail(recording).depends_on
    # A dependency on a component expands to its children: the bucket policy must exist first.
    assert recording.named("eu-audit-bucket-policy").urn in depends_on
    assert recording.named("eu-audit-logs-policy").urn in depends_on


def test_log_group_is_encrypted_with_the_logs_key_and_retention_rounded_up(recording: Recording) -> None:
    group = recording.named("eu-audit-logs", LOG_GROUP)
    assert group.inputs["name"] == "/aws/cloudtrail/eu-audit-trail"
    assert group.inputs["kmsKeyId"] == _key_arn(recording, "logs")
    assert group.inputs["retentionInDays"] == 1827
    assert group.protect is True


def test_bucket_is_worm_encrypted_private_versioned_and_access_logged(recording: Recording) -> None:
    assert _bucket(recording).inputs["objectLockEnabled"] is True
    assert _bucket(recording).protect is True
    assert _bucket(recording).inputs["forceDestroy"] is False
    lock = recording.named("eu-audit-bucket-object-lock").inputs
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 1825}}
    (rule,) = recording.named("eu-audit-bucket-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": _key_arn(recording, "audit"),
    }
    pab = recording.named("eu-audit-bucket-public-access").inputs
    assert all(pab[f] for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert recording.named("eu-audit-bucket-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    sink = recording.named("eu-access-logs-bucket", BUCKET).outputs["bucket"]
    assert recording.named("eu-audit-bucket-access-logs").inputs["targetBucket"] == sink
    deny = _statements(recording)["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_policy_admits_only_this_trail(recording: Recording) -> None:
    statements = _statements(recording)
    bucket_arn = _bucket(recording).outputs["arn"]
    acl, write = statements["AWSCloudTrailAclCheck"], statements["AWSCloudTrailWrite"]
    for statement in (acl, write):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN
    assert (acl["Action"], acl["Resource"]) == ("s3:GetBucketAcl", bucket_arn)
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"{bucket_arn}/AWSLogs/{MOCK_ACCOUNT_ID}/*")
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"


def test_the_audit_key_admits_cloudtrail(recording: Recording) -> None:
    policy = json.loads(recording.named("eu-keys-audit-key").inputs["policy"])
    principals = [statement["Principal"] for statement in policy["Statement"]]
    assert {"Service": "cloudtrail.amazonaws.com"} in principals


def test_children_carry_the_audit_data_concern_tag(recording: Recording) -> None:
    for name in ("eu-audit-trail", "eu-audit-bucket-bucket", "eu-audit-logs", "eu-audit-logs-role"):
        assert recording.named(name).tags["DataConcern"] == "audit", name


def test_outputs(recording: Recording) -> None:
    assert recording.exports["trail_arn"] == _trail(recording).outputs["arn"]
    assert recording.exports["bucket_name"] == _bucket(recording).outputs["bucket"]
    assert recording.exports["log_group_name"] == "/aws/cloudtrail/eu-audit-trail"


@pytest.mark.parametrize(
    ("requested", "kept"),
    [(1, 1), (2, 3), (365, 365), (366, 400), (1825, 1827), (2190, 2192), (2555, 2557), (3653, 3653), (3654, 0), (0, 0)],
)
def test_cloudwatch_retention_rounds_up_never_down(requested: int, kept: int) -> None:
    assert cloudwatch_retention(requested) == kept


_rejected = rejected


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        (
            0,
            "AuditTrail 'bad': retention_days: 0 is not a retention period; allowed: 1 to 36500 days (the "
            "jurisdiction's min_audit_log_retention_days)",
        ),
        (
            36501,
            "AuditTrail 'bad': retention_days: 36501 exceeds the Object Lock maximum; allowed: 1 to 36500 days",
        ),
    ],
)
def test_bad_input_is_one_config_error_and_registers_nothing(retention: int, message: str) -> None:
    key = KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/k", alias="alias/eu/audit")
    errors, recording = _rejected(
        lambda provider: AuditTrail(
            "bad",
            key=key,
            logs_key=key,
            retention_days=retention,
            access_log_bucket="logs",
            opts=pulumi.ResourceOptions(provider=provider),
        )
    )
    assert errors == [message]
    assert [resource.type for resource in recording if not resource.is_provider] == []


# -- DR replica and notifications ------------------------------------------------------------------------------


def test_the_trail_bucket_replicates_into_an_object_lock_bucket_in_the_dr_region(recording: Recording) -> None:
    replica = recording.named("eu-audit-replica-bucket-bucket", BUCKET)
    assert replica.region == DR_REGION and replica.inputs["objectLockEnabled"] is True
    lock = recording.named("eu-audit-replica-bucket-object-lock").inputs["rule"]["defaultRetention"]
    assert lock == {"mode": "COMPLIANCE", "days": 1825}
    encryption = recording.named("eu-audit-replica-bucket-encryption").inputs["rules"][0]
    dr_key = recording.named("eu-dr-keys-audit-key").outputs["arn"]
    assert encryption["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == dr_key
    config = recording.named("eu-audit-replica-replication")
    assert config.region == REGION and config.inputs["bucket"] == _bucket(recording).outputs["bucket"]
    (rule,) = config.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"] == {
        "bucket": replica.outputs["arn"],
        "encryptionConfiguration": {"replicaKmsKeyId": dr_key},
    }
    # S3 refuses the configuration before versioning on both sides.
    for versioning in ("eu-audit-bucket-versioning", "eu-audit-replica-bucket-versioning"):
        assert recording.named(versioning).urn in config.depends_on
    assert "already replicated" in recording.exports["second_replica"]


def test_the_replication_role_reads_locked_versions_and_uses_both_keys(recording: Recording) -> None:
    role = recording.named("eu-audit-replica-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    statements = {
        s["Sid"]: s for s in json.loads(recording.named("eu-audit-replica-policy").inputs["policy"])["Statement"]
    }
    source = _bucket(recording).outputs["arn"]
    replica = recording.named("eu-audit-replica-bucket-bucket", BUCKET).outputs["arn"]
    assert statements["ReadSourceVersions"]["Resource"] == f"{source}/*"
    assert {"s3:GetObjectRetention", "s3:GetObjectLegalHold"} <= set(statements["ReadSourceVersions"]["Action"])
    assert statements["WriteReplicas"] == {
        "Sid": "WriteReplicas",
        "Effect": "Allow",
        "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
        "Resource": f"{replica}/*",
    }
    assert statements["DecryptSource"]["Resource"] == _key_arn(recording, "audit")
    assert statements["EncryptReplica"]["Resource"] == recording.named("eu-dr-keys-audit-key").outputs["arn"]


def test_the_trail_notifies_an_encrypted_topic_only_it_may_publish_to(recording: Recording) -> None:
    topic = recording.named("eu-audit-notifications")
    assert topic.inputs["kmsMasterKeyId"] == _key_arn(recording, "audit")
    assert _trail(recording).inputs["snsTopicName"] == topic.outputs["arn"]
    (statement,) = json.loads(recording.named("eu-audit-notifications-policy").inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Action"] == "SNS:Publish" and statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert recording.named("eu-audit-notifications-policy").urn in _trail(recording).depends_on
