"""A minimal PostgreSQL client for the Lambda functions this library ships: TLS, SCRAM-SHA-256, simple queries.

Why not a driver: a function's deployment package is built from this package's own files at ``pulumi up`` (an
:class:`pulumi.AssetArchive` of sources), and the Lambda Python runtime has no PostgreSQL driver. Bundling one
(pg8000 and its dependencies) would tie the package to whatever versions the user's environment happens to hold.
What a bootstrap needs is small: connect over verified TLS, authenticate, run a few statements. The standard
library covers it (``ssl``, ``hashlib``, ``hmac``), and so this module imports nothing else.

What it speaks (PostgreSQL frontend/backend protocol 3.0, https://www.postgresql.org/docs/current/protocol.html):

- **TLS first, always, verified.** ``SSLRequest``; a server that answers ``N`` (no TLS) is refused. The server's
  certificate is checked against ``cafile`` with its host name (libpq's ``verify-full``), as AWS's own rotation
  functions do with the Lambda runtime's bundle (:data:`fintech_infra.migration_facts.LAMBDA_RDS_TRUST_BUNDLE`).
- **SCRAM-SHA-256** (RFC 5802 with RFC 7677's hash), the server's signature checked, and **MD5** for a role whose
  password was stored before ``password_encryption`` became ``scram-sha-256``. Clear-text password requests are
  refused: nothing sends a password in one message, even inside TLS.
- **Simple queries**: rows come back as text. Errors raise :class:`PostgresError` with the server's SQLSTATE and
  message; no statement text is echoed into it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from fintech_infra.errors import PostgresError

__all__ = [
    "SCRAM_ITERATIONS",
    "Connection",
    "PostgresError",
    "ScramClient",
    "connect",
    "quote_identifier",
    "quote_literal",
    "scram_verifier",
]

PROTOCOL_VERSION = 196608  # 3.0
SSL_REQUEST_CODE = 80877103
SCRAM_ITERATIONS = 4096
"""PostgreSQL's default ``scram_iterations`` (the server's own verifiers use it)."""

_AUTH_OK, _AUTH_CLEARTEXT, _AUTH_MD5, _AUTH_SASL, _AUTH_SASL_CONTINUE, _AUTH_SASL_FINAL = 0, 3, 5, 10, 11, 12


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (double quotes doubled)."""
    if "\x00" in name:
        raise ValueError("an identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a standard SQL string literal (single quotes doubled; ``standard_conforming_strings`` is on by
    default since PostgreSQL 9.1, and backslashes are then plain characters)."""
    if "\x00" in value:
        raise ValueError("a literal cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` verifier PostgreSQL stores for
    ``password``. ``CREATE ROLE ... PASSWORD '<verifier>'`` stores it as is, so the password itself never reaches the
    server, its statement log or ``pg_stat_activity``."""
    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    stored_key = hashlib.sha256(_hmac(salted, b"Client Key")).digest()
    server_key = _hmac(salted, b"Server Key")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


class ScramClient:
    """The client side of one SCRAM-SHA-256 exchange without channel binding (gs2 header ``n,,``)."""

    def __init__(self, password: str, *, nonce: str | None = None) -> None:
        self._password = password.encode("utf-8")
        self._nonce = nonce or base64.b64encode(os.urandom(18)).decode("ascii")
        # PostgreSQL takes the user from the startup message and ignores this one (libpq sends it empty).
        self.client_first_bare = f"n=,r={self._nonce}"
        self._server_signature = b""

    def client_first(self) -> str:
        return "n,," + self.client_first_bare

    def client_final(self, server_first: str) -> str:
        """The proof for the server's nonce, salt and iteration count."""
        fields = dict(part.split("=", 1) for part in server_first.split(",") if "=" in part)
        nonce, salt, iterations = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce) or not salt or not iterations.isdigit():
            raise PostgresError("the server's SCRAM challenge does not extend this client's nonce")
        salted = hashlib.pbkdf2_hmac("sha256", self._password, base64.b64decode(salt), int(iterations))
        client_key = _hmac(salted, b"Client Key")
        without_proof = f"c=biws,r={nonce}"  # biws: base64 of the gs2 header "n,,"
        auth_message = f"{self.client_first_bare},{server_first},{without_proof}".encode()
        signature = _hmac(hashlib.sha256(client_key).digest(), auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={_b64(proof)}"

    def verify_server(self, server_final: str) -> None:
        """Refuse a server that does not prove it knows the verifier (a man in the middle, or a wrong host)."""
        expected = "v=" + _b64(self._server_signature)
        if not self._server_signature or not hmac.compare_digest(server_final.strip(), expected):
            raise PostgresError("the server's SCRAM signature does not match")


@dataclass
class Connection:
    """One authenticated session; :meth:`query` runs a simple query, :meth:`close` ends it."""

    _socket: ssl.SSLSocket

    def query(self, sql: str) -> list[tuple[str | None, ...]]:
        """Run ``sql`` (one or more statements) and return the rows of the last one that returns rows."""
        self._send(b"Q", sql.encode("utf-8") + b"\x00")
        rows: list[tuple[str | None, ...]] = []
        error: PostgresError | None = None
        for kind, body in self._messages():
            if kind == b"T":
                rows = []
            elif kind == b"D":
                rows.append(_data_row(body))
            elif kind == b"E":
                error = _error(body)
            elif kind == b"Z":
                if error is not None:
                    raise error
                return rows
        raise PostgresError("the server closed the connection during a query")  # pragma: no cover - _messages raises

    def close(self) -> None:
        try:
            self._send(b"X", b"")
        finally:
            self._socket.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, kind: bytes, body: bytes) -> None:
        self._socket.sendall(kind + struct.pack("!I", len(body) + 4) + body)

    def _messages(self) -> Iterator[tuple[bytes, bytes]]:
        while True:
            header = _read_exactly(self._socket, 5)
            kind, length = header[:1], struct.unpack("!I", header[1:])[0]
            yield kind, _read_exactly(self._socket, length - 4)


def connect(
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    dbname: str,
    cafile: str,
    timeout: float = 10.0,
) -> Connection:
    """Open a verified TLS session to ``host`` and authenticate as ``user``."""
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        raw.sendall(struct.pack("!II", 8, SSL_REQUEST_CODE))
        if _read_exactly(raw, 1) != b"S":
            raise PostgresError(f"{host}:{port} does not offer TLS; refusing to send credentials in the clear")
        context = ssl.create_default_context(cafile=cafile)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        tls = context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise
    connection = Connection(tls)
    try:
        params = {"user": user, "database": dbname, "application_name": "fintech-infra-bootstrap"}
        body = struct.pack("!I", PROTOCOL_VERSION)
        body += b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in params.items()) + b"\x00"
        tls.sendall(struct.pack("!I", len(body) + 4) + body)
        _authenticate(connection, user, password)
    except BaseException:
        tls.close()
        raise
    return connection


def _authenticate(connection: Connection, user: str, password: str) -> None:
    scram: ScramClient | None = None
    for kind, body in connection._messages():
        if kind == b"E":
            raise _error(body)
        if kind == b"Z":
            return
        if kind != b"R":
            continue  # ParameterStatus, BackendKeyData, NoticeResponse
        code = struct.unpack("!I", body[:4])[0]
        if code == _AUTH_OK:
            continue
        if code == _AUTH_SASL:
            mechanisms = [m.decode() for m in body[4:].split(b"\x00") if m]
            if "SCRAM-SHA-256" not in mechanisms:
                raise PostgresError(f"the server offers {mechanisms}; this client speaks SCRAM-SHA-256")
            scram = ScramClient(password)
            first = scram.client_first().encode()
            connection._send(b"p", b"SCRAM-SHA-256\x00" + struct.pack("!I", len(first)) + first)
        elif code == _AUTH_SASL_CONTINUE and scram is not None:
            connection._send(b"p", scram.client_final(body[4:].decode()).encode())
        elif code == _AUTH_SASL_FINAL and scram is not None:
            scram.verify_server(body[4:].decode())
        elif code == _AUTH_MD5:
            inner = hashlib.md5((password + user).encode(), usedforsecurity=False).hexdigest()
            outer = hashlib.md5(inner.encode() + body[4:8], usedforsecurity=False).hexdigest()
            connection._send(b"p", b"md5" + outer.encode() + b"\x00")
        elif code == _AUTH_CLEARTEXT:
            raise PostgresError("the server asks for a clear-text password; refused")
        else:
            raise PostgresError(f"unsupported authentication request {code}")
    raise PostgresError("the server closed the connection during authentication")  # pragma: no cover


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise PostgresError("the server closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _data_row(body: bytes) -> tuple[str | None, ...]:
    count, offset = struct.unpack("!H", body[:2])[0], 2
    values: list[str | None] = []
    for _ in range(count):
        length = struct.unpack("!i", body[offset : offset + 4])[0]
        offset += 4
        if length < 0:
            values.append(None)
        else:
            values.append(body[offset : offset + length].decode("utf-8"))
            offset += length
    return tuple(values)


def _error(body: bytes) -> PostgresError:
    fields = {part[:1]: part[1:].decode("utf-8", "replace") for part in body.split(b"\x00") if part}
    return PostgresError(fields.get(b"M", "unknown error"), sqlstate=fields.get(b"C", ""))
