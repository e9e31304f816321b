"""AppSecret: CMK-encrypted, recovery window kept, rotation only when a function is given (and said so)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.errors import ConfigError
from fintech_infra.secrets import AppSecret, replica_arn
from fintech_infra.testing import synthesize
from fintech_infra.wiring import DrPlacement, KeyRef


def program() -> None:
    key = aws.kms.Key("app-key", description="app")
    dr_provider = aws.Provider("dr", region="eu-west-1")
    dr_key = aws.kms.Key("dr-key", description="app", opts=pulumi.ResourceOptions(provider=dr_provider))
    database = aws.rds.Instance("db", instance_class="db.t4g.micro")
    rotated = AppSecret(
        "psp-api",
        key=KeyRef(arn=key.arn, alias="alias/eu/app"),
        description="PSP API credentials",
        rotation_lambda_arn="arn:aws:lambda:eu-central-1:123456789012:function:rotate",
        rotation_days=14,
        rotation_after=[database],
        value_wo=pulumi.Output.secret('{"token": "generated"}'),
        value_wo_version=3,
        dr=DrPlacement(region="eu-west-1", provider=dr_provider, key=KeyRef(arn=dr_key.arn, alias="alias/eu/app")),
    )
    plain = AppSecret("webhook", key=KeyRef(arn=key.arn, alias="alias/eu/app"), description="Webhook signing key")
    for name, secret in (("rotated", rotated), ("plain", plain)):
        pulumi.export(name, {k: getattr(secret, k) for k in AppSecret.OUTPUTS})


@pytest.fixture(scope="module")
def rec():
    return synthesize(program, config={"aws:region": "eu-central-1"})


def test_secret_uses_the_cmk_and_keeps_a_recovery_window(rec) -> None:
    for name in ("psp-api-secret", "webhook-secret"):
        secret = rec.named(name)
        assert secret.inputs["kmsKeyId"] == rec.named("app-key").outputs["arn"]
        assert secret.inputs["recoveryWindowInDays"] == 30 and secret.protect
        assert "secretString" not in secret.inputs
    assert rec.named("psp-api-secret").inputs["replicas"] == [
        {"region": "eu-west-1", "kmsKeyId": rec.named("dr-key").outputs["arn"]}
    ]


def test_rotation_when_a_function_is_given(rec) -> None:
    rotation = rec.named("psp-api-rotation")
    assert rotation.inputs["rotationLambdaArn"].endswith(":function:rotate")
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 14
    assert rec.exports["rotated"]["rotation_enabled"] is True and rec.exports["rotated"]["rotation_days"] == 14
    assert rec.exports["rotated"]["replica_region"] == "eu-west-1"


def test_no_rotation_function_is_reported_not_pretended(rec) -> None:
    assert not [r for r in rec if r.name == "webhook-rotation"]
    assert rec.exports["plain"]["rotation_enabled"] is False and rec.exports["plain"]["rotation_days"] is None


def test_force_delete_is_refused_before_registration() -> None:
    caught: list[str] = []

    def build() -> None:
        try:
            AppSecret(
                "x", key=KeyRef(arn="arn:aws:kms:r:1:key/k", alias="alias/k"), description="d", recovery_window_days=0
            )
        except ConfigError as error:
            caught.append(str(error))

    assert len(synthesize(build)) == 0
    assert caught == [
        "x.recovery_window_days: 0 is not allowed; allowed: 7-30 (0 would delete the secret without a recovery window)"
    ]


def test_a_generated_value_is_written_write_only_before_rotation_is_configured(rec) -> None:
    version = rec.named("psp-api-version")
    assert version.inputs["secretId"] == rec.named("psp-api-secret").outputs["id"]
    assert version.inputs["secretStringWoVersion"] == 3 and "secretString" not in version.inputs
    assert "4dabf18193072939515e22adb298388d" in version.raw_inputs.fields["secretStringWo"].struct_value.fields
    rotation = rec.named("psp-api-rotation")
    assert rotation.inputs["rotateImmediately"] is False  # the first rotation follows the schedule
    assert {version.urn, rec.named("db").urn} <= set(rotation.depends_on)
    assert not [r for r in rec if r.name == "webhook-version"]  # no value given: the container only


def test_the_replica_arn_is_the_primary_arn_in_the_dr_region(rec) -> None:
    exported = rec.exports["rotated"]
    assert exported["replica_region"] == "eu-west-1"
    assert exported["replica_arn"] == exported["arn"].replace(":eu-central-1:", ":eu-west-1:", 1)
    assert rec.exports["plain"]["replica_arn"] is None
    assert (
        replica_arn("arn:aws:secretsmanager:eu-central-1:123456789012:secret:MySecret-a1b2c3", region="eu-west-1")
        == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:MySecret-a1b2c3"
    )
    with pytest.raises(ValueError, match="is not a Secrets Manager secret ARN"):
        replica_arn("arn:aws:kms:eu-central-1:123456789012:key/1", region="eu-west-1")
