"""One record per `pulumi up`, written to the cell's Object Lock audit bucket: who deployed which commit, who
approved it, what the gate decided, and the Pulumi update it became.

``pulumi-up.yml`` runs ``fintech-infra record-deploy`` after each `pulumi up` (also when it failed: a failed
deploy is evidence too). The record goes under ``deployments/<stack>/<yyyy>/<mm>/<dd>/<update id>.json`` in the
bucket each cell exports (``cells.<cell>.deploy_records``), with Object Lock in compliance mode until the
jurisdiction's retention has passed, and a SHA-256 checksum S3 verifies on receipt. The deploy role may write
there and nowhere else in that bucket (:mod:`fintech_infra.audit`). An auditor lists the prefix
(``aws s3api list-objects-v2 --bucket <bucket> --prefix deployments/<stack>/``) and matches a record's
``session_name`` with CloudTrail's ``userIdentity.sessionContext`` of the deploy's events.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from fintech_infra.attribution import Attribution
from fintech_infra.audit import DEPLOY_RECORDS_PREFIX
from fintech_infra.errors import ConfigError

__all__ = ["AwsCliS3", "DeployRecord", "ObjectWriter", "record_key", "write_record"]

RECORD_VERSION = 1


@dataclass(frozen=True)
class DeployRecord:
    stack: str
    commit: str
    actor: str
    session_name: str
    approvers: tuple[str, ...]
    gate_verdict_sha256: str
    """SHA-256 of the gate's JSON plan this deploy was approved on (the PR's `gate/plan.json`)."""
    update_id: str
    outcome: str
    started: str
    finished: str
    run_url: str = ""
    version: int = RECORD_VERSION

    def body(self) -> bytes:
        return (json.dumps(asdict(self), sort_keys=True, indent=2) + "\n").encode("utf-8")


class ObjectWriter(Protocol):
    """The one S3 call a record needs (boto3's ``put_object`` keywords)."""

    def put_object(self, **request: Any) -> Mapping[str, Any]: ...


def record_key(record: DeployRecord) -> str:
    day = dt.datetime.fromisoformat(record.finished).astimezone(dt.UTC)
    return f"{DEPLOY_RECORDS_PREFIX}{record.stack}/{day:%Y/%m/%d}/{record.update_id}.json"


def write_record(record: DeployRecord, *, bucket: str, retain_days: int, client: ObjectWriter) -> Mapping[str, Any]:
    """Put ``record`` under Object Lock (compliance mode) until ``retain_days`` after it finished."""
    if retain_days < 1:
        raise ConfigError(f"retain_days: {retain_days!r} is not a retention; allowed: 1 or more days")
    body = record.body()
    until = dt.datetime.fromisoformat(record.finished).astimezone(dt.UTC) + dt.timedelta(days=retain_days)
    request = {
        "Bucket": bucket,
        "Key": record_key(record),
        "Body": body,
        "ContentType": "application/json",
        "ChecksumSHA256": base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"),
        "ObjectLockMode": "COMPLIANCE",
        "ObjectLockRetainUntilDate": until.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "ServerSideEncryption": "aws:kms",
    }
    client.put_object(**request)
    return request


class AwsCliS3:
    """``put_object`` through the AWS CLI (on every GitHub-hosted runner), so the gate needs no AWS SDK."""

    def __init__(self, aws: str = "aws") -> None:
        self._aws = aws

    def put_object(self, **request: Any) -> Mapping[str, Any]:
        with tempfile.TemporaryDirectory() as scratch:
            body = Path(scratch) / "record.json"
            body.write_bytes(request["Body"])
            command = [
                self._aws, "s3api", "put-object",
                "--bucket", request["Bucket"],
                "--key", request["Key"],
                "--body", str(body),
                "--content-type", request["ContentType"],
                "--checksum-sha256", request["ChecksumSHA256"],
                "--object-lock-mode", request["ObjectLockMode"],
                "--object-lock-retain-until-date", request["ObjectLockRetainUntilDate"],
                "--server-side-encryption", request["ServerSideEncryption"],
            ]  # fmt: skip
            completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise ConfigError(f"s3api put-object {request['Key']}: {completed.stderr.strip()[-500:]}")
        answer: Mapping[str, Any] = json.loads(completed.stdout or "{}")
        return answer


def plan_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_record(
    *,
    stack: str,
    attribution: Attribution,
    approvers: Sequence[str],
    plan: Path,
    update_id: str,
    outcome: str,
    started: str,
    finished: str,
    run_url: str = "",
) -> DeployRecord:
    for name, value in (("started", started), ("finished", finished)):
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"--{name}: {value!r} is not a time; allowed: ISO 8601 with a UTC offset") from None
    return DeployRecord(
        stack=stack,
        commit=attribution.commit,
        actor=attribution.actor,
        session_name=attribution.session_name,
        approvers=tuple(sorted(set(approvers))),
        gate_verdict_sha256=plan_digest(plan),
        update_id=update_id,
        outcome=outcome,
        started=started,
        finished=finished,
        run_url=run_url,
    )
