"""The Lambda handler that creates a concern's migration role in its database, once, before rotation is attached.

No AWS API creates a PostgreSQL role, and Secrets Manager tests a rotation function when rotation is attached (its
``testSecret`` step logs in as the role). So :class:`~fintech_infra.migration_bootstrap.MigrationRoleBootstrap`
deploys this handler and invokes it during ``pulumi up`` (``aws.lambda_.Invocation``), between the migration
secret's first version and its rotation. It reads two secrets, never returns or logs a password, and is safe to run
again (every statement is idempotent):

1. The migration secret (``AWSCURRENT``): ``username`` and ``password`` of the role to create, and the database's
   ``host``, ``port`` and ``dbname``.
2. The master secret (RDS-managed: ``username``, ``password``): who creates it.
3. In one transaction, as the master user: create the role with ``LOGIN`` (or, if it exists, set its password to
   the secret's current one), with the password sent as its SCRAM-SHA-256 verifier, so the password never reaches
   the server's statement log; let it create in the ``public`` schema (PostgreSQL 15 and later grant PUBLIC no
   ``CREATE`` there), and make the master user a member of it, so the services (which still log in as the master
   user) read and write the tables migrations create.

This module is packaged into the function with :mod:`fintech_infra.pg_wire` and nothing else: it imports only the
standard library, and ``boto3`` (in the Lambda runtime) when it runs there.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fintech_infra.pg_wire import Connection, connect, quote_identifier, quote_literal, scram_verifier

__all__ = ["CA_BUNDLE", "ROLE_NAME", "SecretReader", "ensure_role", "handler", "statements"]

CA_BUNDLE = "/etc/pki/tls/cert.pem"
"""The Lambda runtime's trust store, which holds the RDS certificate authorities (AWS's own PostgreSQL rotation
functions verify against it: :data:`fintech_infra.migration_facts.LAMBDA_RDS_TRUST_BUNDLE`)."""

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
"""What this handler creates: an unquoted-style PostgreSQL name (at most 63 bytes, NAMEDATALEN - 1)."""

_SCHEMA = "public"


class SecretReader(Protocol):
    """The one Secrets Manager call the handler makes (boto3's client has it)."""

    def get_secret_value(self, *, SecretId: str, VersionStage: str) -> Mapping[str, Any]: ...


Connector = Callable[..., Connection]


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda's entry point: ``event`` names the two secrets (ARNs only)."""
    import boto3  # type: ignore[import-not-found,unused-ignore]  # in the Lambda runtime, not a dependency of ours

    secrets = boto3.client("secretsmanager", endpoint_url=os.environ.get("SECRETS_MANAGER_ENDPOINT") or None)
    return ensure_role(event, secrets, cafile=os.environ.get("PG_CA_BUNDLE", CA_BUNDLE))


def statements(*, role: str, verifier: str, exists: bool) -> list[str]:
    """The SQL that makes ``role`` what migrations need; each statement is safe to run again."""
    name = quote_identifier(role)
    password = (
        f"ALTER ROLE {name} WITH LOGIN PASSWORD {quote_literal(verifier)}"
        if exists
        else f"CREATE ROLE {name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {quote_literal(verifier)}"
    )
    return [
        password,
        f"GRANT USAGE, CREATE ON SCHEMA {quote_identifier(_SCHEMA)} TO {name}",
        f"GRANT {name} TO CURRENT_USER",
    ]


def ensure_role(
    event: Mapping[str, Any],
    secrets: SecretReader,
    *,
    cafile: str = CA_BUNDLE,
    connector: Connector = connect,
) -> dict[str, Any]:
    """Create or update the migration role; returns what it did (names only, never a password)."""
    migration = _secret(secrets, event, "migration_secret_arn", ("username", "password", "host", "port", "dbname"))
    master = _secret(secrets, event, "master_secret_arn", ("username", "password"))
    role = str(migration["username"])
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"migration secret username {role!r} is not a plain PostgreSQL name ({ROLE_NAME.pattern})")
    if role == master["username"]:
        raise ValueError(f"migration secret username {role!r} is the master user's; it must be a role of its own")
    with connector(
        host=str(migration["host"]),
        port=int(migration["port"]),
        user=str(master["username"]),
        password=str(master["password"]),
        dbname=str(migration["dbname"]),
        cafile=cafile,
    ) as connection:
        # The name is checked against ROLE_NAME above and quoted as a literal: no injection through it.
        found = connection.query(f"SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = {quote_literal(role)}")  # noqa: S608
        exists = bool(found)
        sql = statements(role=role, verifier=scram_verifier(str(migration["password"])), exists=exists)
        connection.query("BEGIN; " + "; ".join(sql) + "; COMMIT")
    return {"role": role, "database": str(migration["dbname"]), "created": not exists}


def _read(secrets: SecretReader, arn: str, *, attempts: int = 4, delay: float = 3.0) -> Mapping[str, Any]:
    """GetSecretValue, retried on AccessDenied: the grant of the migration secret is written just before the
    invocation, and IAM changes take a few seconds to reach every endpoint (AWS's own rotation functions retry the
    same way)."""
    for attempt in range(attempts):
        try:
            return secrets.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
        except Exception as error:  # boto3's ClientError, without importing botocore here
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code != "AccessDeniedException" or attempt == attempts - 1:
                raise
            time.sleep(delay * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _secret(secrets: SecretReader, event: Mapping[str, Any], key: str, fields: tuple[str, ...]) -> Mapping[str, Any]:
    arn = event.get(key)
    if not isinstance(arn, str) or not arn:
        raise ValueError(f"the event has no {key}")
    response = _read(secrets, arn)
    try:
        value = json.loads(response["SecretString"])
    except (KeyError, ValueError):
        raise ValueError(f"{key}: the secret value is not JSON") from None  # never echo the value
    missing = [field for field in fields if field not in value]
    if missing:
        raise ValueError(f"{key}: the secret has no {', '.join(missing)}")
    return dict(value)
