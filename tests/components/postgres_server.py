"""A throwaway PostgreSQL server for the tests that must talk to a real one, shaped like RDS where it matters.

TLS only (``hostssl`` with ``scram-sha-256``, no plain ``host`` line, like ``rds.force_ssl``), a certificate signed by
a CA of the test's own, and a master login that is not a superuser but has ``CREATEROLE`` and owns the concern's
database (RDS's master user: ``NOSUPERUSER ... CREATEDB CREATEROLE``). Every statement is logged
(``log_statement = all``) so a test can read what the server saw.

Needs PostgreSQL's server binaries (``initdb``, ``pg_ctl``) and ``openssl``; a test skips, saying which is missing,
where they are not installed. As root the server runs as the ``postgres`` user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres_server"]

MASTER_USER = "fintech_master"
MASTER_PASSWORD = "master-Password-1"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    dbname: str
    master_user: str
    master_password: str
    cafile: str
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # the server package's own directory (psql sits beside it)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificates(directory: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
            "-out", "server.csr")  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip
    os.chmod(directory / "server.key", 0o600)


@contextmanager
def postgres_server(*, dbname: str = "trading") -> Iterator[PostgresServer]:
    """Start a server in a directory of its own (under the system's temporary directory, which the ``postgres``
    user can reach); skip the test where PostgreSQL or openssl is not installed."""
    binaries = _binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        run_as = ["runuser", "-u", "postgres", "--"]
    directory = Path(tempfile.mkdtemp(prefix="fintech-infra-pg-"))
    _certificates(directory)
    data, log_file, port = directory / "data", directory / "server.log", _free_port()
    (directory / "pwfile").write_text("bootstrap-superuser-password\n")
    if run_as:
        for path in [directory, *directory.iterdir()]:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def server(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=60)

    server(str(binaries / "initdb"), "-D", str(data), "-U", "postgres_admin", "--auth=scram-sha-256",
           f"--pwfile={directory / 'pwfile'}")  # fmt: skip
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{directory}'\n"
            f"ssl = on\nssl_cert_file = '{directory / 'server.crt'}'\nssl_key_file = '{directory / 'server.key'}'\n"
            "log_statement = 'all'\npassword_encryption = 'scram-sha-256'\n"
        )
    (data / "pg_hba.conf").write_text(
        "local all postgres_admin scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
    )
    server(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log_file), "-w", "start")
    try:
        env = {**os.environ, "PGPASSWORD": "bootstrap-superuser-password"}

        def admin(sql: str, database: str = "postgres") -> None:
            subprocess.run(
                [*run_as, "env", f"PGPASSWORD={env['PGPASSWORD']}", str(binaries / "psql"), "-h", str(directory),
                 "-p", str(port), "-U", "postgres_admin", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip

        # RDS's master user: no superuser, CREATEDB and CREATEROLE, owner of the database it was created with.
        admin(
            f"CREATE ROLE {MASTER_USER} WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE PASSWORD '{MASTER_PASSWORD}'"
        )
        admin(f"CREATE DATABASE {dbname} OWNER {MASTER_USER}")
        yield PostgresServer(
            host="localhost",
            port=port,
            dbname=dbname,
            master_user=MASTER_USER,
            master_password=MASTER_PASSWORD,
            cafile=str(directory / "ca.crt"),
            log_file=log_file,
        )
    finally:
        subprocess.run(
            [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False, capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(directory, ignore_errors=True)
