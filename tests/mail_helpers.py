"""A real SMTP server for the mail tests, and a certificate for its TLS."""

import contextlib
import datetime as dt
import email
import ipaddress
import re
import socket
import ssl
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self, logins: dict[str, str] | None = None):
        self.envelopes = []
        self.logins = logins or {}
        self.seen_logins = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode()
        password = auth_data.password.decode()
        self.seen_logins.append(login)
        return AuthResult(success=self.logins.get(login) == password)

    def messages(self) -> list[email.message.EmailMessage]:
        """Return the received messages, parsed."""
        return [
            email.message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
        ]


class SmtpServer:
    """A started aiosmtpd server on 127.0.0.1 that can be stopped and restarted."""

    def __init__(self, inbox: Inbox, port: int | None = None, **options):
        self.inbox = inbox
        self.port = port or free_port()
        self.options = options
        self.controller = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, scheme: str = "smtp", login: str = "") -> str:
        return f"{scheme}://{login}127.0.0.1:{self.port}"


@contextlib.contextmanager
def running(inbox: Inbox, **options):
    """Run an SMTP server for the length of a with-block."""
    server = SmtpServer(inbox, **options).start()
    try:
        yield server
    finally:
        server.stop()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1; return (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """Return a TLS context for the test server."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def client_context(cert: Path) -> ssl.SSLContext:
    """Return a client TLS context that trusts only the test certificate."""
    return ssl.create_default_context(cafile=str(cert))


def urls_in(text: str) -> set[str]:
    """Return every http(s) URL in a text."""
    return {match.rstrip(".,") for match in URL.findall(text)}
