"""MigrationRoleBootstrap: the function that creates a concern's migration role in its database during ``pulumi up``.

The gap it closes: no AWS API creates a PostgreSQL role, and Secrets Manager tests the rotation function when
rotation is attached to a secret (:data:`~fintech_infra.migration_facts.ROTATION_TESTED_WHEN_ATTACHED`), logging in
as the role. Without this, a new cell's first ``pulumi up`` fails at ``<cell>-migrate-<concern>-credentials-rotation``.

So each migrated concern gets one function (its code: :mod:`fintech_infra.migration_role_handler`,
:mod:`fintech_infra.pg_wire` and :mod:`fintech_infra.errors`, packaged from this package's own sources) and one
``aws.lambda_.Invocation`` per migration secret, ordered after the secret's first version and the database, and
before the rotation:

- **Network**: the concern's rotation function's security group and subnets. That group already reaches the
  concern's database on PostgreSQL (the database admits it) and the Secrets Manager and KMS interface endpoints,
  and only those: a second group would only repeat the same rules.
- **Permissions**: ``GetSecretValue`` on exactly the concern's master secret and its migration secret, ``Decrypt``
  with the concern's key only through Secrets Manager, logs to its own group under the concern's key, X-Ray segments.
- **When it runs**: on creation, and again whenever its input changes (the provider replaces a ``CREATE_ONLY``
  invocation whose input changed: :data:`~fintech_infra.migration_facts.LAMBDA_INVOCATION_RERUNS_ON_INPUT`). The
  input holds the secrets' ARNs and :data:`~fintech_infra.migrations.PASSWORD_VERSION`, so a reset of the first
  password redoes the bootstrap. A function error fails the ``pulumi up`` with the function's message
  (:data:`~fintech_infra.migration_facts.LAMBDA_INVOCATION_FAILS_ON_ERROR`), before rotation is attached.
- **What it returns** (kept in state as the invocation's ``result``): the role and database names and whether the
  role was created; never a password.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._iam import XRAY_TRACES_STATEMENT, key_via_service, lambda_vpc_role
from fintech_infra._naming import child, physical
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import KeyRef

__all__ = ["BOOTSTRAP_MODULES", "MigrationRoleBootstrap", "function_code"]

BOOTSTRAP_MODULES = ("errors.py", "pg_wire.py", "migration_role_handler.py")
"""The package's modules the function runs (they import only the standard library and, in Lambda, boto3)."""

_ENTRY = "from fintech_infra.migration_role_handler import handler  # noqa: F401\n"
_TIMEOUT_SECONDS = 120  # two 10-second connection attempts' worth, secret reads with retries, four statements


def function_code() -> pulumi.AssetArchive:
    """The deployment package: ``index.py`` and the three modules under a bare ``fintech_infra`` package (its
    ``__init__`` empty, so nothing of the library beyond them is imported in Lambda)."""
    files: dict[str, pulumi.Asset | pulumi.Archive] = {
        "index.py": pulumi.StringAsset(_ENTRY),
        "fintech_infra/__init__.py": pulumi.StringAsset(""),
    }
    for module, text in _module_sources():
        files[f"fintech_infra/{module}"] = pulumi.StringAsset(text)
    return pulumi.AssetArchive(files)


@functools.cache
def _module_sources() -> tuple[tuple[str, str], ...]:
    """The modules' texts, read once per process (every migrated concern of every cell packages the same ones)."""
    package = resources.files("fintech_infra")
    return tuple((module, package.joinpath(module).read_text(encoding="utf-8")) for module in BOOTSTRAP_MODULES)


class MigrationRoleBootstrap(FintechComponent):
    """One concern's role-bootstrap function; :meth:`ensure_role` invokes it for a migration secret."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "function_name": "The bootstrap function's name.",
        "function_arn": "The bootstrap function's ARN.",
        "role_arn": "The function's execution role (reads the concern's master and migration secrets only).",
    }

    def __init__(
        self,
        name: str,
        *,
        concern: str,
        master_secret_arn: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        security_group_id: pulumi.Input[str],
        key: KeyRef,
        log_retention_days: int,
        secrets_endpoint: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``key`` is the concern's key (its secrets', and the function's log group's, like every log of the
        concern's data path); ``security_group_id`` the concern's rotation function's
        group (it reaches the database and the endpoints); ``secrets_endpoint`` the regional Secrets Manager URL."""
        if not subnet_ids:
            raise ValueError(f"{name}.subnet_ids: [] has no subnet; allowed: the cell's private subnets")
        super().__init__("fintech:rds:MigrationRoleBootstrap", name, opts, scope={"DataConcern": concern})
        self.concern = concern
        self._master_secret_arn = master_secret_arn
        self._key = key
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        self._region = aws.get_region_output(opts=invoke).region
        self.function_name = physical(name, limit=64)
        log_group = encrypted_log_group(
            child(name, "logs"),
            key=key,
            retention_days=log_retention_days,
            log_group_name=f"/aws/lambda/{self.function_name}",
            parent=self,
        )
        self.role, vpc_access = lambda_vpc_role(
            name,
            description=f"Creates the {concern} migration role in its database (reads two secrets)",
            partition=partition,
            parent=self,
        )
        tracing = aws.iam.RolePolicy(
            child(name, "base-policy"),
            role=self.role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [XRAY_TRACES_STATEMENT]}),
            opts=pulumi.ResourceOptions(parent=self.role),
        )
        self.function = aws.lambda_.Function(
            child(name, "function"),
            name=self.function_name,
            description=f"Creates or updates the {concern} migration role from its secret (pulumi up bootstrap)",
            runtime="python3.12",
            handler="index.handler",
            code=function_code(),
            role=self.role.arn,
            timeout=_TIMEOUT_SECONDS,
            memory_size=256,
            # One bootstrap at a time per concern; it runs during deploys only.
            reserved_concurrent_executions=1,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            kms_key_arn=key.arn,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"SECRETS_MANAGER_ENDPOINT": secrets_endpoint}),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(subnet_ids), security_group_ids=[security_group_id]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, vpc_access, tracing]),
        )
        self.function_arn: pulumi.Output[str] = self.function.arn
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    def ensure_role(
        self,
        name: str,
        *,
        secret_arn: pulumi.Input[str],
        version: int,
        after: Sequence[pulumi.Resource],
        parent: pulumi.Resource,
    ) -> aws.lambda_.Invocation:
        """Let the function read ``secret_arn`` (the migration secret) and invoke it once ``after`` exist (the
        secret's first version, the database). What rotation of that secret must wait for."""
        grant = aws.iam.RolePolicy(
            child(name, "read-secrets"),
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "MasterAndMigrationSecrets",
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": [self._master_secret_arn, secret_arn],
                        },
                        {
                            "Sid": "ConcernKeyThroughSecretsManager",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": self._key.arn,
                            "Condition": key_via_service("secretsmanager", self._region),
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return aws.lambda_.Invocation(
            child(name, "bootstrap"),
            function_name=self.function.name,
            input=pulumi.Output.json_dumps(
                {
                    "master_secret_arn": self._master_secret_arn,
                    "migration_secret_arn": secret_arn,
                    "password_version": version,
                }
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[*after, grant, self.function]),
        )
