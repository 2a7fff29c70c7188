"""Real receivers on 127.0.0.1 for alert tests: an aiosmtpd SMTP server and a
stdlib HTTP server in a thread. Both can refuse the first N deliveries."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_content()


class _Handler:
    def __init__(self, box: SmtpReceiver):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.box.refuse_rcpt:
            return "550 5.1.1 Alamat tidak dikenal (uji)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.box.lock:
            if self.box.refuse > 0:
                self.box.refuse -= 1
                self.box.refused += 1
                return "451 4.3.0 Sementara ditolak (uji)"
            msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            self.box.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), msg))
            self.box.auth.append(getattr(session, "auth_data", None))
        return "250 OK"


class SmtpReceiver:
    def __init__(
        self,
        refuse: int = 0,
        tls_context=None,
        require_starttls: bool = False,
        users: dict[str, str] | None = None,
    ):
        self.mails: list[Mail] = []
        self.auth: list = []
        self.refuse, self.refused = refuse, 0
        self.refuse_rcpt: set[str] = set()  # recipients answered 550
        self.lock = threading.Lock()
        self.port = free_port()
        kwargs = {}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if users is not None:

            def authenticator(server, session, envelope, mechanism, auth_data):
                from aiosmtpd.smtp import AuthResult

                ok = users.get(auth_data.login.decode()) == auth_data.password.decode()
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticator, auth_require_tls=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class WebhookReceiver:
    """Answers each POST with the next status of `statuses` (then 200) and keeps the JSON."""

    def __init__(self, statuses: list[int] | None = None):
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.statuses = list(statuses or [])
        self.hits = 0
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                box.hits += 1
                status = box.statuses.pop(0) if box.statuses else 200
                if status == 200:
                    box.bodies.append(json.loads(raw.decode("utf-8")))
                    box.headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/iku-secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (cert, key) to test STARTTLS."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word: an SMTP or HTTP
    server that hangs. Counts the connections it was offered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/iku"
        self.connections = 0
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()
