"""s3.py: bucket joined with its split resources; log-sink carve-outs; audit Object Lock."""

import json

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, run_case, tags

KEY = "arn:aws:kms:eu-central-1:123456789012:key/1"
DATA = R(t.BUCKET, "data", {"bucket": "data-bucket", "tags": tags(DataConcern="payments")})
SINK = R(t.BUCKET, "sink", {"bucket": "sink-bucket"})
AUDIT = R(t.BUCKET, "audit", {"bucket": "audit-bucket", "objectLockEnabled": True, "tags": tags(DataConcern="audit")})
TLS_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
)


def on(bucket: R, type_: str, props: dict, name: str = "") -> R:
    return R(
        type_,
        name or f"{bucket.name}-{type_.rsplit(':', 1)[-1]}",
        {"bucket": U, **props},
        deps={"bucket": [bucket.urn]},
    )


def sse(bucket: R, algorithm: object, key: object = None) -> R:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key is not None else {})}
    return on(bucket, t.BUCKET_SSE, {"rules": [{"applyServerSideEncryptionByDefault": default}]})


def logging(bucket: R, target: R) -> R:
    return R(
        t.BUCKET_LOGGING,
        f"{bucket.name}-logging",
        {"bucket": U, "targetBucket": U},
        deps={"bucket": [bucket.urn], "targetBucket": [target.urn]},
    )


def lock(days: object, mode: str = "COMPLIANCE") -> R:
    return on(AUDIT, t.BUCKET_OBJECT_LOCK, {"rule": {"defaultRetention": {"mode": mode, "days": days}}})


CASES = {
    "s3-bucket-encryption": [
        Case(
            "SSE-KMS with a CMK; the log sink SSE-S3",
            "pass",
            [DATA, SINK, sse(DATA, "aws:kms", KEY), sse(SINK, "AES256"), logging(DATA, SINK)],
        ),
        Case("a data bucket with SSE-S3", "fail", [DATA, sse(DATA, "AES256")]),
        Case(
            "a log sink with SSE-KMS (log delivery would fail)",
            "fail",
            [DATA, SINK, sse(DATA, "aws:kms", KEY), sse(SINK, "aws:kms", KEY), logging(DATA, SINK)],
        ),
        Case("no encryption configuration", "fail", [DATA]),
        Case("key created in the same update", "pending", [DATA, sse(DATA, "aws:kms", U)], unknown=True),
    ],
    "s3-bucket-versioning": [
        Case(
            "Enabled", "pass", [DATA, on(DATA, t.BUCKET_VERSIONING, {"versioningConfiguration": {"status": "Enabled"}})]
        ),
        Case(
            "Suspended",
            "fail",
            [DATA, on(DATA, t.BUCKET_VERSIONING, {"versioningConfiguration": {"status": "Suspended"}})],
        ),
        Case("no versioning resource", "fail", [DATA]),
        Case(
            "status unknown",
            "pending",
            [DATA, on(DATA, t.BUCKET_VERSIONING, {"versioningConfiguration": {"status": U}})],
            unknown=True,
        ),
    ],
    "s3-bucket-public-access-block": [
        Case(
            "all four flags",
            "pass",
            [
                DATA,
                on(
                    DATA,
                    t.BUCKET_PAB,
                    dict.fromkeys(
                        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
                    ),
                ),
            ],
        ),
        Case(
            "one flag missing",
            "fail",
            [
                DATA,
                on(
                    DATA,
                    t.BUCKET_PAB,
                    dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"), True),
                ),
            ],
        ),
        Case("no block", "fail", [DATA]),
        Case(
            "a flag unknown",
            "pending",
            [
                DATA,
                on(
                    DATA,
                    t.BUCKET_PAB,
                    {
                        **dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"), True),
                        "restrictPublicBuckets": U,
                    },
                ),
            ],
            unknown=True,
        ),
    ],
    "s3-bucket-tls-only": [
        Case("Deny on aws:SecureTransport false", "pass", [DATA, on(DATA, t.BUCKET_POLICY, {"policy": TLS_POLICY})]),
        Case(
            "policy without the TLS deny",
            "fail",
            [DATA, on(DATA, t.BUCKET_POLICY, {"policy": json.dumps({"Statement": []})})],
        ),
        Case("no bucket policy", "fail", [DATA]),
        Case(
            "policy built from unknown ARNs", "pending", [DATA, on(DATA, t.BUCKET_POLICY, {"policy": U})], unknown=True
        ),
    ],
    "s3-bucket-access-logging": [
        Case("data bucket logs to the sink; the sink is exempt by rule", "pass", [DATA, SINK, logging(DATA, SINK)]),
        Case("no access logging", "fail", [DATA]),
        Case(
            "the ALB's log bucket needs no logging of its own",
            "pass",
            [
                SINK,
                R(
                    t.LOAD_BALANCERS[0],
                    "alb",
                    {"accessLogs": {"bucket": U, "enabled": True}},
                    deps={"accessLogs": [SINK.urn]},
                ),
            ],
        ),
        Case(
            "target unknown and unresolved",
            "pending",
            [DATA, R(t.BUCKET_LOGGING, "l", {"bucket": U, "targetBucket": U}, deps={"bucket": [DATA.urn]})],
            unknown=True,
        ),
    ],
    "s3-audit-object-lock": [
        Case("COMPLIANCE for 1827 days (CySEC 1825)", "pass", [AUDIT, lock(1827)]),
        Case("GOVERNANCE mode", "fail", [AUDIT, lock(1827, "GOVERNANCE")]),
        Case("365 days is shorter than CySEC's 5 years", "fail", [AUDIT, lock(365)]),
        Case("no lock configuration", "fail", [AUDIT]),
        Case("retention unknown", "pending", [AUDIT, lock(U)], unknown=True),
    ],
}


TRAIL = R(t.TRAIL, "trail", {"s3BucketName": U}, deps={"s3BucketName": [AUDIT.urn]})
PRIMARY_VPC = R(t.VPC, "vpc", {"tags": tags()})
DR_VPC = R(t.VPC, "dr-vpc", {"tags": tags()}, region="eu-west-1")
REGION = "eu-central-1"


def replica(locked: object = True, region: str = "eu-west-1") -> R:
    return R(t.BUCKET, "replica", {"objectLockEnabled": locked, "tags": tags(DataConcern="audit")}, region=region)


def replication(destination: R, status: object = "Enabled") -> R:
    rule = {"status": status, "destination": {"bucket": U}}
    return R(
        t.BUCKET_REPLICATION,
        "replication",
        {"bucket": U, "role": "arn:aws:iam::123456789012:role/r", "rules": [rule]},
        deps={"bucket": [AUDIT.urn], "rules": [destination.urn]},
    )


CASES["s3-audit-replicated-to-dr"] = [
    Case(
        "replicated into an Object Lock bucket in the DR region",
        "pass",
        [AUDIT, TRAIL, PRIMARY_VPC, DR_VPC, replica(), replication(replica())],
    ),
    Case("a cell without a DR region keeps one copy", "pass", [AUDIT, TRAIL, PRIMARY_VPC]),
    Case("a DR region and no replication", "fail", [AUDIT, TRAIL, PRIMARY_VPC, DR_VPC]),
    Case(
        "the replica has no Object Lock",
        "fail",
        [AUDIT, TRAIL, PRIMARY_VPC, DR_VPC, replica(False), replication(replica(False))],
    ),
    Case(
        "the replica is in the trail's own region",
        "fail",
        [
            AUDIT,
            TRAIL,
            PRIMARY_VPC,
            DR_VPC,
            replica(region="eu-central-1"),
            replication(replica(region="eu-central-1")),
        ],
    ),
    Case(
        "the rule is Disabled",
        "fail",
        [AUDIT, TRAIL, PRIMARY_VPC, DR_VPC, replica(), replication(replica(), "Disabled")],
    ),
    Case(
        "the replica's Object Lock unknown",
        "pending",
        [AUDIT, TRAIL, PRIMARY_VPC, DR_VPC, replica(U), replication(replica(U))],
        unknown=True,
    ),
]


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
