"""prod-eu's payments statements bucket: the payments key, versioning, access logs, superseded versions kept for
CySEC's record retention, replication to eu-west-1 under the DR payments key, and a grant to api alone; the
bucket-path guardrail proves api -> its bucket and flags a grant to a service that does not declare payments."""

from __future__ import annotations

import json
from collections.abc import Callable

from fintech_infra.jurisdictions import DEFAULT_REGISTRY
from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

STACK = "prod-eu"
BUCKET = "aws:s3/bucket:Bucket"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "bucket-paths-least-privilege"
DATA, REPLICA = "eu-payments-statements-bucket-data", "eu-payments-statements-bucket-dr"


def _key_arn(recording: Recording, name: str) -> object:
    return recording.named(name, "aws:kms/key:Key").outputs["arn"]


def test_bucket_key_versioning_logs_and_lifecycle(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    for prefix, key, region in (
        (DATA, "eu-keys-payments-key", "eu-central-1"),
        (REPLICA, "eu-dr-keys-payments-key", "eu-west-1"),
    ):
        bucket = recording.named(f"{prefix}-bucket", BUCKET)
        assert bucket.region == region and bucket.protect
        assert bucket.inputs["tags"]["DataConcern"] == "payments"
        (rule,) = recording.named(f"{prefix}-encryption").inputs["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": _key_arn(recording, key),
        }
        assert recording.named(f"{prefix}-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"
        assert recording.named(f"{prefix}-access-logs").inputs["targetBucket"]
        rules = {r["id"]: r for r in recording.named(f"{prefix}-lifecycle").inputs["rules"]}
        kept = rules["keep-superseded-versions-for-record-retention"]["noncurrentVersionExpiration"]
        assert kept["noncurrentDays"] == DEFAULT_REGISTRY["cysec"].min_audit_log_retention_days


def test_replication_to_the_dr_region_under_the_dr_key(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    config = recording.named(
        "eu-payments-statements-bucket-replication", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
    )
    (rule,) = config.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"] == recording.named(f"{REPLICA}-bucket", BUCKET).outputs["arn"]
    assert rule["destination"]["encryptionConfiguration"] == {
        "replicaKmsKeyId": _key_arn(recording, "eu-dr-keys-payments-key")
    }
    policy = json.loads(
        recording.named("eu-payments-statements-bucket-replication-policy", ROLE_POLICY).inputs["policy"]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["DecryptSourceViaS3"]["Resource"] == [_key_arn(recording, "eu-keys-payments-key")]
    assert by_sid["EncryptReplicasViaS3"]["Resource"] == [_key_arn(recording, "eu-dr-keys-payments-key")]
    assert by_sid["EncryptReplicasViaS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    }


def test_only_the_declaring_service_is_granted(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    granted = [p.name for p in recording.of_type(ROLE_POLICY) if "s3:PutObject" in str(p.inputs["policy"])]
    assert sorted(granted) == ["eu-api-bucket-policy"]
    document = json.loads(recording.named("eu-api-bucket-policy", ROLE_POLICY).inputs["policy"])
    bucket = recording.named(f"{DATA}-bucket", BUCKET)
    assert document["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert document["Statement"][0]["Resource"] == [f"{bucket.outputs['arn']}/*"]
    assert document["Statement"][1]["Resource"] == [_key_arn(recording, "eu-keys-payments-key")]


def _judge(judge_policy: Callable[..., Verdict], recording: Recording) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))


def test_the_pack_proves_api_to_its_bucket_and_flags_a_grant_to_web(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    recording = recordings[STACK]
    verdict = _judge(judge_policy, recording)
    assert [f for f in verdict.findings if f.policy == POLICY] == []
    reasons = [entry.reason for entry in verdict.not_applicable if entry.policy == POLICY]
    assert any(f"{DATA}-bucket (payments)" in reason for reason in reasons), reasons
    web_role = recording.named("eu-web-task-role", "aws:iam/role:Role")
    defective = replace(recording, "eu-api-bucket-policy", lambda policy: {"role": web_role.outputs["id"]})
    flagged = {
        f.urn.rsplit("::", 1)[-1]: f.message for f in _judge(judge_policy, defective).mandatory if f.policy == POLICY
    }
    assert list(flagged) == ["eu-api-bucket-policy"]
    assert "holds payments data, which the service does not declare" in flagged["eu-api-bucket-policy"]


def test_services_read_their_queue_urls_and_bucket_names_from_the_environment(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]

    def environment(task: str) -> dict[str, str]:
        (container,) = json.loads(
            recording.named(task, "aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
        )
        return {variable["name"]: variable["value"] for variable in container.get("environment", [])}

    api = environment("eu-api-task")
    assert api["QUEUE_URL_PAYMENTS_WEBHOOKS"] == recording.named("eu-payments-webhooks-queue-sqs").outputs["url"]
    assert api["BUCKET_NAME_PAYMENTS_STATEMENTS"] == recording.named(f"{DATA}-bucket", BUCKET).outputs["bucket"]
    resource_variables = ("QUEUE_URL_", "BUCKET_NAME_")
    assert not [name for name in environment("eu-web-task") if name.startswith(resource_variables)]
    # The standby has no queue or bucket grant, so no variable naming one (they live in the primary region).
    assert not [name for name in environment("eu-dr-api-task") if name.startswith(resource_variables)]
