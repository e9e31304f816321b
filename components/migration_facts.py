"""AWS facts the migration tasks and the pipeline's migration step rely on, with sources.

Kept beside :mod:`fintech_infra.aws_facts` (same :class:`~fintech_infra.aws_facts.Source` records, checked the
same day). :mod:`fintech_infra.migrations` builds on the credential facts; the workflow step in
``.github/workflows/pulumi-up.yml`` (and docs/deployment.md) on the CLI facts, which
``tests/gate/test_workflows.py`` holds it to.
"""

from __future__ import annotations

from fintech_infra.aws_facts import Source

__all__ = [
    "CREATE_ROLE_STORES_VERIFIER",
    "DESCRIBE_TASKS_EXIT_CODE",
    "ECS_SECRET_JSON_KEY",
    "LAMBDA_INVOCATION_FAILS_ON_ERROR",
    "LAMBDA_INVOCATION_RERUNS_ON_INPUT",
    "LAMBDA_RDS_TRUST_BUNDLE",
    "RDS_MASTER_CREATES_ROLES",
    "ROTATION_TESTED_WHEN_ATTACHED",
    "RUN_TASK_NETWORK",
    "SECRET_ARN_FORMAT",
    "WAIT_TASKS_STOPPED",
]

ECS_SECRET_JSON_KEY = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
    quote="When you inject a secret as an environment variable, you can specify the full contents of a secret, a "
    "specific JSON key within a secret. (valueFrom: arn:...:secret:name:json-key:version-stage:version-id; on "
    "Fargate a JSON key needs platform version 1.4.0 or later)",
)
"""How the migration task gets ``PGUSER``/``PGPASSWORD``/``PGHOST``/``PGDATABASE``: ``<secret ARN>:<key>::``."""

SECRET_ARN_FORMAT = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html",
    quote="arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId} (the name, a hyphen and six "
    "random characters)",
)
"""A secret's ARN has seven colon-separated fields; a JSON-key reference appends three more (the IAM resource is
the first seven: ``fargate_task._iam_resource``)."""

ROTATION_TESTED_WHEN_ATTACHED = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html",
    quote="For secrets that use a Lambda rotation function to rotate, if you don't immediately rotate the secret, "
    "Secrets Manager tests the rotation configuration by running the testSecret step of the Lambda rotation "
    "function.",
)
"""Why the migration role must exist before rotation is attached: the PostgreSQL function's testSecret logs in as
it; :class:`fintech_infra.migration_bootstrap.MigrationRoleBootstrap` creates it first."""

RUN_TASK_NETWORK = Source(
    "https://docs.aws.amazon.com/cli/latest/reference/ecs/run-task.html",
    quote="--launch-type FARGATE --network-configuration "
    '{"awsvpcConfiguration": {"subnets": [...], "securityGroups": [...], "assignPublicIp": "DISABLED"}}; '
    "the response lists tasks[].taskArn and failures[]",
)

WAIT_TASKS_STOPPED = Source(
    "https://docs.aws.amazon.com/cli/latest/reference/ecs/wait/tasks-stopped.html",
    quote="Wait until JMESPath query tasks[].lastStatus returns STOPPED for all elements when polling with "
    "describe-tasks. It will poll every 6 seconds until a successful state has been reached. This will exit with "
    "a return code of 255 after 100 failed checks.",
)
"""One wait covers 10 minutes; the workflow repeats it while the task runs (up to its own limit)."""

DESCRIBE_TASKS_EXIT_CODE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html",
    quote="exitCode: The exit code returned from the container. reason: A short (1024 max characters) human-readable "
    "string to provide additional details about a running or stopped container. (Task.stoppedReason, "
    "Task.stopCode: API_Task.html)",
)
"""A stopped task whose container has no ``exitCode`` never ran it (image pull, secret injection, ENI): the
``stoppedReason`` says why, and the step fails."""

# -- the migration role's bootstrap (fintech_infra.migration_bootstrap, migration_role_handler, pg_wire) ----------

RDS_MASTER_CREATES_ROLES = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.rds_superuser.html",
    quote="CREATE ROLE postgres WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE NOREPLICATION VALID UNTIL "
    "'infinity' ... The rds_superuser role allows the postgres user to ... Create roles for users and grant "
    "privileges to users. (The Aurora PostgreSQL guide says the same of its master user.)",
)
"""Why the bootstrap logs in with the master secret: the master user may create the migration role and grant it."""

CREATE_ROLE_STORES_VERIFIER = Source(
    "https://www.postgresql.org/docs/current/sql-createrole.html",
    quote="If the presented password string is already in MD5-encrypted or SCRAM-encrypted format, then it is "
    "stored as-is regardless of password_encryption (since the system cannot decrypt the specified encrypted "
    "password string, to encrypt it in a different format).",
)
"""Why the password never reaches the server's log: the bootstrap sends its SCRAM-SHA-256 verifier. Also checked
against PostgreSQL 15 (tests/components/test_migration_role_handler.py reads the server's statement log) and 16.2
by hand on 2026-12-07."""

LAMBDA_RDS_TRUST_BUNDLE = Source(
    "https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas/blob/master/"
    "SecretsManagerRDSPostgreSQLRotationMultiUser/lambda_function.py",
    quote="# Setting sslmode='verify-full' will verify the server's certificate and check the server's host name "
    "conn = psycopg2.connect(host=..., connect_timeout=5, sslrootcert='/etc/pki/tls/cert.pem', "
    "sslmode='verify-full')",
    verify="pulumi stack export | jq -r '.deployment.resources[] | select(.type == "
    '"aws:lambda/invocation:Invocation") | .outputs.result\'   # after the first up: each names its role',
    offline=False,
)
"""AWS's own PostgreSQL rotation functions verify the RDS certificate and host name against the Lambda runtime's
``/etc/pki/tls/cert.pem``; the bootstrap does the same (``verify-full``). AWS documents no list of the CAs in that
bundle, so the first deploy is what proves it for a given runtime (the invocation fails with the TLS error)."""

LAMBDA_INVOCATION_FAILS_ON_ERROR = Source(
    "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/lambda/invocation.go",
    quote='if output.FunctionError != nil { return sdkdiag.AppendErrorf(diags, "invoking Lambda Function (%s): '
    '%s", functionName, string(output.Payload)) } ... d.Set("result", string(output.Payload))',
)
"""The invocation (pulumi-aws ``lambda.Invocation``, bridged from this resource) fails the deploy when the function
raises, with its error message; the function's return value is kept in state as ``result``."""

LAMBDA_INVOCATION_RERUNS_ON_INPUT = Source(
    "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/lambda/invocation.go",
    quote="customizeDiffInputChangeWithCreateOnlyScope forces a new resource when `input` has a change and "
    '`lifecycle_scope` is set to "CREATE_ONLY" (the default); CREATE_ONLY will invoke the function only on '
    "creation or replacement.",
)
"""Why the bootstrap's input carries :data:`fintech_infra.migrations.PASSWORD_VERSION`: bumping it re-invokes."""
