"""AWS facts the migration tasks and the pipeline's migration step rely on, with sources.

Kept beside :mod:`fintech_infra.aws_facts` (same :class:`~fintech_infra.aws_facts.Source` records, checked the
same day). :mod:`fintech_infra.migrations` builds on the credential facts; the workflow step in
``.github/workflows/pulumi-up.yml`` (and docs/deployment.md) on the CLI facts, which
``tests/gate/test_workflows.py`` holds it to.
"""

from __future__ import annotations

from fintech_infra.aws_facts import Source

__all__ = [
    "DESCRIBE_TASKS_EXIT_CODE",
    "ECS_SECRET_JSON_KEY",
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
it (docs/deployment.md, the bootstrap)."""

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
