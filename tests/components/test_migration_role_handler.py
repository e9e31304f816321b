"""The migration-role bootstrap handler and its PostgreSQL client, against RFC 7677 and a real PostgreSQL server.

The server tests start a TLS-only PostgreSQL with an RDS-shaped master login (tests/components/postgres_server.py)
and skip where PostgreSQL is not installed; the SCRAM test vectors need nothing.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from fintech_infra.migration_role_handler import ensure_role, statements
from fintech_infra.pg_wire import PostgresError, ScramClient, connect, quote_identifier, quote_literal, scram_verifier
from tests.components.postgres_server import PostgresServer, postgres_server

MIGRATION_PASSWORD = "migratorPassword123"


class FakeSecrets:
    """Secrets Manager's GetSecretValue over a dict of ARN to value (what the handler reads, nothing else)."""

    def __init__(self, values: Mapping[str, Mapping[str, Any]]) -> None:
        self.values = dict(values)
        self.calls: list[tuple[str, str]] = []

    def get_secret_value(self, *, SecretId: str, VersionStage: str) -> Mapping[str, Any]:
        self.calls.append((SecretId, VersionStage))
        return {"SecretString": json.dumps(self.values[SecretId])}


EVENT = {"master_secret_arn": "arn:master", "migration_secret_arn": "arn:migration"}


def secrets_for(server: PostgresServer, password: str = MIGRATION_PASSWORD) -> FakeSecrets:
    return FakeSecrets(
        {
            "arn:master": {"username": server.master_user, "password": server.master_password},
            "arn:migration": {
                "engine": "postgres",
                "host": server.host,
                "port": server.port,
                "dbname": server.dbname,
                "username": "trading_migrator",
                "password": password,
            },
        }
    )


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        yield running


def login(server: PostgresServer, user: str, password: str, cafile: str | None = None) -> Any:
    return connect(
        host=server.host,
        port=server.port,
        user=user,
        password=password,
        dbname=server.dbname,
        cafile=cafile or server.cafile,
    )


# -- SCRAM-SHA-256 against RFC 7677 section 3 -------------------------------------------------------------------


def test_scram_client_matches_rfc_7677_example() -> None:
    client = ScramClient("pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    client.client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO"  # the RFC's example names the user
    server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    assert client.client_final(server_first) == (
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    client.verify_server("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    with pytest.raises(PostgresError, match="signature does not match"):
        client.verify_server("v=" + base64.b64encode(b"x" * 32).decode())


def test_scram_client_refuses_a_challenge_that_does_not_extend_its_nonce() -> None:
    client = ScramClient("pencil", nonce="abc")
    with pytest.raises(PostgresError, match="does not extend"):
        client.client_final("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    with pytest.raises(PostgresError, match="does not extend"):
        client.client_final("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")


def test_scram_verifier_has_postgresql_format_and_keys_of_the_password() -> None:
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt)
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    head, keys = rest.split("$")
    assert head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored, server_key = keys.split(":")
    # ServerKey of RFC 7677's example password and salt: what its ServerSignature above was made with.
    assert len(base64.b64decode(stored)) == len(base64.b64decode(server_key)) == 32
    assert "pencil" not in verifier
    assert scram_verifier("pencil") != scram_verifier("pencil")  # a fresh salt each time


def test_quoting_doubles_quotes_and_refuses_nul() -> None:
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_literal("it's") == "'it''s'"
    with pytest.raises(ValueError, match="NUL"):
        quote_literal("a\x00b")


def test_statements_create_or_update_with_the_verifier_only() -> None:
    create = statements(role="crm_migrator", verifier="SCRAM-SHA-256$4096:s$a:b", exists=False)
    assert create[0].startswith('CREATE ROLE "crm_migrator" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
    assert create[1:] == [
        'GRANT USAGE, CREATE ON SCHEMA "public" TO "crm_migrator"',
        'GRANT "crm_migrator" TO CURRENT_USER',
    ]
    update = statements(role="crm_migrator", verifier="SCRAM-SHA-256$4096:s$a:b", exists=True)
    assert update[0] == "ALTER ROLE \"crm_migrator\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:s$a:b'"


# -- the handler's input checks (no server reached) ---------------------------------------------------------------


def refused_connector(**_: Any) -> Any:
    raise AssertionError("the handler connected despite bad input")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Trading-Migrator"}, "not a plain PostgreSQL name"),
        ({"username": "master"}, "is the master user's"),
        ({"host": None}, None),
    ],
)
def test_handler_refuses_bad_secrets_before_connecting(change: dict[str, Any], message: str | None) -> None:
    values: dict[str, dict[str, Any]] = {
        "arn:master": {"username": "master", "password": "m"},
        "arn:migration": {"host": "h", "port": 5432, "dbname": "trading", "username": "trading_migrator",
                          "password": "secret-value-never-echoed"},
    }  # fmt: skip
    values["arn:migration"].update({k: v for k, v in change.items() if v is not None})
    for key in [k for k, v in change.items() if v is None]:
        del values["arn:migration"][key]
    with pytest.raises(ValueError) as error:
        ensure_role(EVENT, FakeSecrets(values), connector=refused_connector)
    assert message is None or message in str(error.value)
    assert "secret-value-never-echoed" not in str(error.value)
    if message is None:
        assert "has no host" in str(error.value)


def test_handler_refuses_an_event_without_secret_arns() -> None:
    with pytest.raises(ValueError, match="no master_secret_arn"):
        migration = {"username": "u", "password": "p", "host": "h", "port": 1, "dbname": "d"}
        ensure_role({"migration_secret_arn": "arn:m"}, FakeSecrets({"arn:m": migration}), connector=refused_connector)


# -- against a real PostgreSQL ------------------------------------------------------------------------------------


def test_bootstrap_creates_a_role_that_logs_in_and_owns_what_it_migrates(server: PostgresServer) -> None:
    secrets = secrets_for(server)
    result = ensure_role(EVENT, secrets, cafile=server.cafile)
    assert result == {"role": "trading_migrator", "database": "trading", "created": True}
    assert json.dumps(result).find(MIGRATION_PASSWORD) == -1
    assert sorted(secrets.calls) == [("arn:master", "AWSCURRENT"), ("arn:migration", "AWSCURRENT")]

    # The role logs in with the secret's password (what Secrets Manager's testSecret does), and is no admin.
    with login(server, "trading_migrator", MIGRATION_PASSWORD) as migrator:
        flags = migrator.query("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert flags == [("f", "f", "f")]
        migrator.query("CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric NOT NULL)")
        assert migrator.query("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'") == [("trading_migrator",)]
    # The services' login (still the master user) reads and writes what migrations created.
    with login(server, server.master_user, server.master_password) as services:
        services.query("INSERT INTO orders VALUES (1, 10.5)")
        assert services.query("SELECT id, amount FROM orders") == [("1", "10.5")]

    # The password never reached the server as text: its statement log holds only the SCRAM verifier.
    log = server.log()
    assert "CREATE ROLE" in log and "SCRAM-SHA-256$4096:" in log
    assert MIGRATION_PASSWORD not in log


def test_bootstrap_runs_again_and_takes_the_secrets_current_password(server: PostgresServer) -> None:
    ensure_role(EVENT, secrets_for(server), cafile=server.cafile)
    rotated = "rotatedPassword456"
    again = ensure_role(EVENT, secrets_for(server, rotated), cafile=server.cafile)
    assert again["created"] is False
    with login(server, "trading_migrator", rotated) as migrator:
        assert migrator.query("SELECT current_user") == [("trading_migrator",)]
    with pytest.raises(PostgresError, match="28P01"):  # invalid_password: the old one no longer works
        login(server, "trading_migrator", MIGRATION_PASSWORD)
    assert rotated not in server.log()


def test_client_refuses_a_server_certificate_its_bundle_does_not_sign(server: PostgresServer, tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other-ca",
         "-keyout", str(tmp_path / "other.key"), "-out", str(tmp_path / "other.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    with pytest.raises(ssl.SSLCertVerificationError):
        login(server, server.master_user, server.master_password, cafile=str(tmp_path / "other.crt"))


def test_client_reports_the_servers_error_with_its_sqlstate(server: PostgresServer) -> None:
    with login(server, server.master_user, server.master_password) as connection:
        with pytest.raises(PostgresError, match="42P01"):
            connection.query("SELECT * FROM no_such_table")
        assert connection.query("SELECT 1") == [("1",)]  # the session survives a failed statement


# -- IAM propagation and the deployment package -------------------------------------------------------------------


class AccessDenied(Exception):
    response = {"Error": {"Code": "AccessDeniedException"}}


def test_reading_a_secret_retries_access_denied_while_the_grant_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    from fintech_infra import migration_role_handler

    sleeps: list[float] = []
    monkeypatch.setattr("fintech_infra.migration_role_handler.time.sleep", sleeps.append)

    class Propagating(FakeSecrets):
        def get_secret_value(self, *, SecretId: str, VersionStage: str) -> Mapping[str, Any]:
            if len(self.calls) < 2:
                self.calls.append((SecretId, VersionStage))
                raise AccessDenied("not yet")
            return super().get_secret_value(SecretId=SecretId, VersionStage=VersionStage)

    secrets = Propagating({"arn:m": {"username": "u", "password": "p"}})
    assert migration_role_handler._read(secrets, "arn:m")["SecretString"]
    assert sleeps == [3.0, 6.0]

    class Denied(FakeSecrets):
        def get_secret_value(self, *, SecretId: str, VersionStage: str) -> Mapping[str, Any]:
            raise AccessDenied("never")

    with pytest.raises(AccessDenied):
        migration_role_handler._read(Denied({}), "arn:m")
    assert len(sleeps) == 2 + 3  # three waits, then the fourth denial is raised


def test_the_deployment_package_imports_with_the_standard_library_only(tmp_path: Path) -> None:
    from fintech_infra.migration_bootstrap import function_code

    archive = function_code()
    assert sorted(archive.assets) == [
        "fintech_infra/__init__.py",
        "fintech_infra/errors.py",
        "fintech_infra/migration_role_handler.py",
        "fintech_infra/pg_wire.py",
        "index.py",
    ]
    for path, asset in archive.assets.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        assert isinstance(asset, pulumi.StringAsset)
        target.write_text(asset.text)
    # Isolated (-I: no site-packages, no user path): what the Lambda runtime would load, minus boto3 (imported when
    # the handler runs, and the runtime has it).
    probe = "import sys; sys.path.insert(0, '.'); import index; print(callable(index.handler))"
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr
