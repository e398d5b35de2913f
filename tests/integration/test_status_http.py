"""The HTTP document-status provider against stub servers the tests start on loopback (plain
HTTP, and HTTPS that requires mrtd's client certificate): answers, retries with a deadline,
timeouts, 5xx, refusals and malformed answers — each unavailable, never "not listed"."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mrtd.status.base import StatusKind, StatusQuery
from mrtd.status.http import HTTPStatusProvider

QUERY = StatusQuery("UTO", "P", "L898902C3")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"status": "not_listed"}'
    delay: float = 0.0


@dataclass
class Stub:
    """Answers each POST with the next reply (the last one repeats); keeps what it was sent."""

    replies: list[Reply]
    received: list[dict[str, object]] = field(default_factory=list)
    url: str = ""

    def next(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            stub.received.append(json.loads(self.rfile.read(length)))
            reply = stub.next()
            time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the client gave up (its timeout): nothing to answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def serving(*replies: Reply, tls: ssl.SSLContext | None = None) -> Iterator[Stub]:
    stub = Stub(list(replies))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    stub.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/v1/check"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_not_listed_and_listed() -> None:
    listed = (
        b'{"status": "listed", "reason": "stolen", "listed_on": "2026-01-31", "source": "SLTD"}'
    )
    with serving(Reply(), Reply(body=listed)) as stub:
        provider = HTTPStatusProvider(stub.url)
        assert provider.check(QUERY).kind is StatusKind.NOT_LISTED
        answer = provider.check(QUERY)
    assert (answer.kind, answer.reason, answer.source) == (StatusKind.LISTED, "stolen", "SLTD")
    assert answer.listed_on == dt.date(2026, 1, 31)
    assert stub.received[0] == {"issuing_state": "UTO", "document_type": "P",
                                "document_number": "L898902C3"}  # fmt: skip


def test_server_errors_are_retried_until_an_answer() -> None:
    with serving(Reply(503, b"{}"), Reply(500, b"oops"), Reply()) as stub:
        answer = HTTPStatusProvider(stub.url, retries=2).check(QUERY)
    assert answer.kind is StatusKind.NOT_LISTED
    assert len(stub.received) == 3


def test_server_errors_past_the_retries_are_unavailable() -> None:
    with serving(Reply(502, b"")) as stub:
        answer = HTTPStatusProvider(stub.url, retries=1).check(QUERY)
    assert answer.kind is StatusKind.UNAVAILABLE
    assert "HTTP 502" in answer.detail
    assert len(stub.received) == 2


def test_a_stalling_service_is_unavailable_within_the_deadline() -> None:
    with serving(Reply(delay=3.0)) as stub:
        started = time.monotonic()
        answer = HTTPStatusProvider(stub.url, timeout=0.3, deadline=1.0, retries=5).check(QUERY)
        spent = time.monotonic() - started
    assert answer.kind is StatusKind.UNAVAILABLE
    assert "no answer within 1 s" in answer.detail
    assert spent < 1.5


def test_nobody_listening_is_unavailable() -> None:
    with serving(Reply()) as stub:
        url = stub.url
    answer = HTTPStatusProvider(url, timeout=0.5, deadline=1.0).check(QUERY)
    assert answer.kind is StatusKind.UNAVAILABLE


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply(404, b"{}"), "refused the query: HTTP 404"),
        (Reply(body=b"<html>"), "not JSON"),
        (Reply(body=b"[]"), "not a JSON object"),
        (Reply(body=b'{"status": "clean"}'), "no valid status"),
        (Reply(body=b'{"status": "listed", "reason": "misplaced"}'), "unknown listing reason"),
        (Reply(body=b'{"status": "listed", "listed_on": "yesterday"}'), "not a date"),
        (Reply(body=b'{"status": "listed", "listed_on": 20260131}'), "not a date"),
        (Reply(body=b'{"status": "not_listed", "pad": "' + b"x" * 70_000 + b'"}'), "too large"),
    ],
)
def test_unusable_answers_are_unavailable_and_not_retried(reply: Reply, detail: str) -> None:
    with serving(reply) as stub:
        answer = HTTPStatusProvider(stub.url, retries=3).check(QUERY)
    assert answer.kind is StatusKind.UNAVAILABLE
    assert detail in answer.detail
    assert len(stub.received) == 1


# -- mutual TLS -------------------------------------------------------------------------------


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _issue(
    folder: Path,
    name: str,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    usage: x509.ObjectIdentifier | None,
) -> tuple[x509.Name, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer if issuer is not None else (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
    certificate = builder.sign(issuer_key, hashes.SHA256())
    (folder / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))  # fmt: skip
    return subject, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("status-pki")
    ca = _issue(folder, "ca", None, None)
    _issue(folder, "server", ca, ExtendedKeyUsageOID.SERVER_AUTH)
    _issue(folder, "client", ca, ExtendedKeyUsageOID.CLIENT_AUTH)
    _issue(folder, "stranger", None, ExtendedKeyUsageOID.CLIENT_AUTH)
    return Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key",
               folder / "client.pem", folder / "client.key")  # fmt: skip


def _server_tls(pki: Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED  # mrtd must show its client certificate
    return context


def test_mutual_tls_with_the_client_certificate(pki: Pki) -> None:
    with serving(Reply(), tls=_server_tls(pki)) as stub:
        provider = HTTPStatusProvider(stub.url, ca_file=pki.ca, client_cert=pki.client_cert,
                                      client_key=pki.client_key)  # fmt: skip
        assert provider.check(QUERY).kind is StatusKind.NOT_LISTED
        without = HTTPStatusProvider(stub.url, ca_file=pki.ca, timeout=1, deadline=2, retries=0)
        assert without.check(QUERY).kind is StatusKind.UNAVAILABLE
        stranger = HTTPStatusProvider(stub.url, ca_file=pki.ca,
                                      client_cert=pki.ca.with_name("stranger.pem"),
                                      client_key=pki.ca.with_name("stranger.key"),
                                      timeout=1, deadline=2, retries=0)  # fmt: skip
        assert stranger.check(QUERY).kind is StatusKind.UNAVAILABLE


def test_a_server_mrtd_does_not_trust_is_unavailable(pki: Pki) -> None:
    with serving(Reply(), tls=_server_tls(pki)) as stub:
        untrusted = HTTPStatusProvider(stub.url, client_cert=pki.client_cert,
                                       client_key=pki.client_key, timeout=1, deadline=2,
                                       retries=0)  # fmt: skip
        answer = untrusted.check(QUERY)
    assert answer.kind is StatusKind.UNAVAILABLE
    assert "SSL" in answer.detail or "certificate" in answer.detail


def test_an_answer_nested_too_deep_is_unavailable() -> None:
    with serving(Reply(body=b"[" * 30_000 + b"]" * 30_000)) as stub:
        answer = HTTPStatusProvider(stub.url).check(QUERY)
    assert answer.kind is StatusKind.UNAVAILABLE
    assert "not JSON" in answer.detail
