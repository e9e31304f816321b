"""The per-deploy audit record: built from the CI run, written once under Object Lock, readable by an auditor."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from fintech_infra.attribution import ACTOR_VARIABLE, COMMIT_VARIABLE, Attribution
from fintech_infra.errors import ConfigError
from fintech_infra_gate import cli
from fintech_infra_gate.deploy_record import build_record, record_key, write_record

SHA = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"


class FakeS3:
    """Keeps what it was asked to put, refuses a second write of a key (as Object Lock would keep the first)."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}

    def put_object(self, **request: Any) -> Mapping[str, Any]:
        assert request["Key"] not in self.objects
        digest = base64.b64encode(hashlib.sha256(request["Body"]).digest()).decode()
        assert request["ChecksumSHA256"] == digest  # S3 would refuse a body that does not match
        self.objects[request["Key"]] = request
        return {"ETag": '"x"', "ChecksumSHA256": digest}


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text('{"passed": true}\n')
    return path


def _record(plan: Path, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "stack": "prod-eu",
        "attribution": Attribution(commit=SHA, actor="octo-cat"),
        "approvers": ["risk-officer", "platform-lead", "risk-officer"],
        "plan": plan,
        "update_id": "b1e2c3d4-0000-4000-8000-000000000001",
        "outcome": "succeeded",
        "started": "2026-12-07T09:58:00+00:00",
        "finished": "2026-12-07T10:04:31+00:00",
        "run_url": "https://github.com/acme/infra/actions/runs/1",
    }
    return build_record(**{**fields, **changes})


def test_the_record_says_who_what_who_approved_and_on_which_gate_verdict(plan: Path) -> None:
    record = _record(plan)
    body = json.loads(record.body())
    assert body == {
        "stack": "prod-eu",
        "commit": SHA,
        "actor": "octo-cat",
        "session_name": "fi-3f2a9c1d8e7b-octo-cat",  # what CloudTrail shows on every event of the deploy
        "approvers": ["platform-lead", "risk-officer"],
        "gate_verdict_sha256": hashlib.sha256(plan.read_bytes()).hexdigest(),
        "update_id": "b1e2c3d4-0000-4000-8000-000000000001",
        "outcome": "succeeded",
        "started": "2026-12-07T09:58:00+00:00",
        "finished": "2026-12-07T10:04:31+00:00",
        "run_url": "https://github.com/acme/infra/actions/runs/1",
        "version": 1,
    }


def test_it_is_written_once_under_compliance_mode_object_lock_for_the_retention(plan: Path) -> None:
    s3 = FakeS3()
    record = _record(plan)
    write_record(record, bucket="eu-audit-bucket", retain_days=2555, client=s3)
    (key,) = s3.objects
    assert key == "deployments/prod-eu/2026/12/07/b1e2c3d4-0000-4000-8000-000000000001.json" == record_key(record)
    stored = s3.objects[key]
    assert stored["Bucket"] == "eu-audit-bucket"
    assert stored["ObjectLockMode"] == "COMPLIANCE"  # not even the account root can shorten or delete it
    until = dt.datetime.fromisoformat(stored["ObjectLockRetainUntilDate"].replace("Z", "+00:00"))
    assert until == dt.datetime(2026, 12, 7, 10, 4, 31, tzinfo=dt.UTC) + dt.timedelta(days=2555)
    assert stored["ServerSideEncryption"] == "aws:kms" and stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"])["commit"] == SHA
    with pytest.raises(AssertionError):
        write_record(record, bucket="eu-audit-bucket", retain_days=2555, client=s3)  # no overwrite


@pytest.mark.parametrize(("changes", "message"), [({"finished": "yesterday"}, "--finished: 'yesterday' is not a time")])
def test_bad_times_are_refused(plan: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _record(plan, **changes)


def test_a_zero_retention_is_refused(plan: Path) -> None:
    with pytest.raises(ConfigError, match="retain_days: 0 is not a retention"):
        write_record(_record(plan), bucket="b", retain_days=0, client=FakeS3())


def _args(plan: Path, *extra: str) -> list[str]:
    return [
        "record-deploy", "--stack", "prod-eu", "--bucket", "eu-audit-bucket", "--retain-days", "2555",
        "--plan", str(plan), "--update-id", "u-1", "--outcome", "failed",
        "--started", "2026-12-07T09:58:00Z", "--finished", "2026-12-07T10:04:31Z",
        "--approver", "risk-officer", *extra,
    ]  # fmt: skip


def test_the_command_reads_the_ci_attribution_and_writes_through_the_client(
    plan: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(COMMIT_VARIABLE, SHA)
    monkeypatch.setenv(ACTOR_VARIABLE, "octo-cat")
    s3 = FakeS3()
    args = cli._parser().parse_args(_args(plan))
    assert cli._record_deploy(args, client=s3) == 0
    (stored,) = s3.objects.values()
    assert json.loads(stored["Body"])["outcome"] == "failed"  # a failed deploy is recorded too
    assert capsys.readouterr().out.startswith("recorded s3://eu-audit-bucket/deployments/prod-eu/2026/12/07/u-1.json")
    assert cli.main([*_args(plan), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["actor"] == "octo-cat"


def test_the_command_refuses_without_the_ci_attribution(
    plan: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(COMMIT_VARIABLE, raising=False)
    monkeypatch.delenv(ACTOR_VARIABLE, raising=False)
    assert cli.main(_args(plan)) == 2
    assert f"{COMMIT_VARIABLE} and {ACTOR_VARIABLE}: unset" in capsys.readouterr().err
