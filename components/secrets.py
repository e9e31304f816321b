"""AppSecret: an application secret in Secrets Manager, encrypted with a customer-managed key.

The component creates the secret *container* only. Values are written out of band (a rotation function,
an operator, or a write-only ``SecretVersion`` such as the Aurora master password in
:mod:`fintech_infra.aurora`), so no plaintext ever passes through code, config or state.

Rotation: Secrets Manager rotates through a Lambda function (see :mod:`fintech_infra.rotation`). Pass
``rotation_lambda_arn`` to enable it; without one the output ``rotation_enabled`` is False rather than
pretending, and the policy pack flags it. A secret whose first value is generated here passes it as
``value_wo`` (a write-only ``SecretVersion``), so the rotation is configured only after that value, and
whatever ``rotation_after`` names (the database, the function's permissions), exist: Secrets Manager tests
the function when rotation is configured (``rotate_immediately`` is False; the first rotation follows the
schedule). ``before_rotation`` is for what must happen in between: it is called with the secret's ARN and what
its value waits for (the version, ``rotation_after``), and rotation also waits for what it returns (the
migration role's bootstrap: :mod:`fintech_infra.migration_bootstrap`). Deletion always keeps a recovery
window (7-30 days, default 30); immediate deletion is refused.

With ``dr`` the secret is replicated to the DR region under the DR key. The replica's ARN is the primary's with
the DR region in place of the primary's (Secrets Manager user guide, "Replicate secrets across Regions"):
``replica_arn``, what a DR-region workload reads (its value follows every rotation in the primary region).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra import aws_limits
from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.errors import ConfigError
from fintech_infra.wiring import DrPlacement, KeyRef

__all__ = ["AppSecret", "BeforeRotation", "replica_arn"]

BeforeRotation = Callable[[pulumi.Output[str], Sequence[pulumi.Resource]], pulumi.Resource]
"""Called with a secret's ARN and what its value waits for; returns what rotation must also wait for."""


def replica_arn(arn: str, *, region: str) -> str:
    """The ARN of a secret's replica in ``region``: the primary's ARN with that region (its 4th field)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "secretsmanager":
        raise ValueError(f"{arn!r} is not a Secrets Manager secret ARN")
    parts[3] = region
    return ":".join(parts)


class AppSecret(FintechComponent):
    """A Secrets Manager secret under a CMK, with rotation where a rotation function is given."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "arn": "The secret's ARN (what services and task definitions reference).",
        "secret_id": "The secret's id.",
        "rotation_enabled": "True only when a rotation function is attached.",
        "rotation_days": "Days between rotations; None when rotation is off.",
        "replica_region": "Region the secret is replicated to (DR), or None.",
        "replica_arn": "ARN of the replica in the DR region (what DR-region workloads read), or None.",
    }

    def __init__(
        self,
        name: str,
        *,
        key: KeyRef,
        description: str,
        rotation_lambda_arn: pulumi.Input[str] | None = None,
        rotation_days: int = 30,
        rotation_after: Sequence[pulumi.Resource] = (),
        before_rotation: BeforeRotation | None = None,
        value_wo: pulumi.Input[str] | None = None,
        value_wo_version: int = 1,
        recovery_window_days: int = 30,
        dr: DrPlacement | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        aws_limits.check_secret_recovery_window(recovery_window_days, path=f"{name}.recovery_window_days")
        if not 1 <= rotation_days <= 1000:
            raise ConfigError(
                f"{name}.rotation_days: {rotation_days!r} is outside what Secrets Manager accepts; allowed: 1-1000"
            )
        super().__init__("fintech:secrets:AppSecret", name, opts)
        self.secret = aws.secretsmanager.Secret(
            child(name, "secret"),
            description=description,
            kms_key_id=key.arn,
            recovery_window_in_days=recovery_window_days,
            replicas=[aws.secretsmanager.SecretReplicaArgs(region=dr.region, kms_key_id=dr.key.arn)] if dr else None,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.arn = self.secret.arn
        self.secret_id = self.secret.id
        self.rotation_enabled = rotation_lambda_arn is not None
        self.rotation_days: int | None = rotation_days if self.rotation_enabled else None
        self.replica_region = dr.region if dr else None
        self.replica_arn: pulumi.Output[str] | None = (
            self.secret.arn.apply(functools.partial(replica_arn, region=dr.region)) if dr else None
        )
        waits: list[pulumi.Resource] = list(rotation_after)
        if value_wo is not None:
            waits.append(
                aws.secretsmanager.SecretVersion(
                    child(name, "version"),
                    secret_id=self.secret.id,
                    secret_string_wo=value_wo,
                    secret_string_wo_version=value_wo_version,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        if before_rotation is not None:
            waits.append(before_rotation(self.secret.arn, tuple(waits)))
        if rotation_lambda_arn is not None:
            aws.secretsmanager.SecretRotation(
                child(name, "rotation"),
                secret_id=self.secret.id,
                rotation_lambda_arn=rotation_lambda_arn,
                rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                    automatically_after_days=rotation_days
                ),
                rotate_immediately=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=waits),
            )
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})
