"""Each cell's audit bucket takes the stack's deploy records from its deploy role, and nothing else from it."""

from __future__ import annotations

import json

import pytest

from fintech_infra.testing import Recording
from tests.stacks.test_stacks import stack_config

POLICY = "aws:s3/bucketPolicy:BucketPolicy"


@pytest.mark.parametrize("stack", ["dev", "prod-eu", "prod-au"])
def test_the_deploy_role_writes_records_under_deployments_and_nowhere_else(
    recordings: dict[str, Recording], stack: str
) -> None:
    recording = recordings[stack]
    role = stack_config(stack)["fintech-infra:deployment"]["deploy_role_arn"]
    exported = recording.exports["cells"]
    for cell, export in exported.items():
        records = export["deploy_records"]
        assert records["prefix"] == "deployments/" and records["retain_days"] >= 365
        bucket = next(
            b for b in recording.of_type("aws:s3/bucket:Bucket") if b.outputs.get("bucket") == records["bucket"]
        )
        assert bucket.name == f"{cell}-audit-bucket-bucket"
        (policy,) = [p for p in recording.of_type(POLICY) if p.inputs["bucket"] == records["bucket"]]
        statements = {s.get("Sid"): s for s in json.loads(policy.inputs["policy"])["Statement"]}
        allow, only = statements["DeployRecordsWrite"], statements["DeployRecordsOnly"]
        arn = bucket.outputs["arn"]
        assert allow == {
            "Sid": "DeployRecordsWrite",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": ["s3:PutObject", "s3:PutObjectRetention"],
            "Resource": f"{arn}/deployments/*",
        }
        assert only["Effect"] == "Deny" and only["Principal"] == {"AWS": role}
        assert only["NotResource"] == f"{arn}/deployments/*"
        assert {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(only["Action"])
        # The bucket keeps every object in compliance mode for the jurisdiction's retention.
        lock = next(
            r
            for r in recording.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
            if r.inputs["bucket"] == records["bucket"]
        )
        assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
