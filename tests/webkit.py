"""The portal on a free loopback port (a real uvicorn), with accounts of every
role, and signed-in httpx clients (fixtures in tests/web/conftest.py)."""

from __future__ import annotations

import functools
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from runkit import consolidate, make_resources

from iku.resources import Resources
from iku.warehouse.accounts import Accounts
from iku.web.app import SERVER_OPTIONS, create_app
from iku.web.passwords import hash_password, new_token
from iku.web.settings import WebSettings

__all__ = ["consolidate", "make_resources"]  # the portal tests take them from here too

PASSWORD = "kata-sandi-uji-123"
# role name used in the tests -> (username, role, bidang)
ROLES = {
    "bidang_a": ("rumah", "bidang", "perumahan"),
    "bidang_b": ("kumuh", "bidang", "perkim"),
    "perencana": ("rencana", "perencana", None),
    "kepala": ("kadis", "kepala", None),
    "keuangan": ("uang", "keuangan", None),
    "kabupaten": ("bupati", "kabupaten", None),
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@functools.cache
def _password_hash() -> str:
    """One scrypt hash of PASSWORD for every account of every portal of this
    process (a hash costs about 40 ms, six per portal); each sign-in still
    verifies against it."""
    return hash_password(PASSWORD)


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx loads the CA bundle for every client (about 20 ms), though the
    portal here speaks plain HTTP: one context for this process's clients."""
    return ssl.create_default_context()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Portal:
    url: str
    res: Resources
    app: object
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def jobs(self):
        return self.app.state.portal.jobs

    def client(self, role: str | None = None) -> httpx.Client:
        """Signed in as a role of ROLES, or as any account by its username."""
        c = httpx.Client(base_url=self.url, timeout=180, verify=_tls())
        if role is not None:
            c.get("/masuk")
            username = ROLES[role][0] if role in ROLES else role
            r = c.post("/masuk", data={"csrf": self.csrf(c), "username": username, "password": PASSWORD})
            assert r.status_code == 303, r.text
        return c

    def csrf(self, client: httpx.Client, path: str = "/masuk") -> str:
        return CSRF.search(client.get(path).text).group(1)

    def add_account(self, username: str, role: str, bidang: str | None, opd: str | None = None) -> None:
        Accounts(self.res.warehouse).add(
            opd=opd or self.res.opd,
            username=username,
            role=role,
            bidang=bidang,
            password_hash=_password_hash(),
        )

    def add_token(self, username: str) -> str:
        accounts = Accounts(self.res.warehouse)
        token, key_id, secret_hash = new_token()
        accounts.add_token(accounts.get(username), key_id, secret_hash, "uji")
        return token


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def start_portal(
    tmp_path: Path,
    warehouse_url: str | None = None,
    consolidate_now: bool = False,
    job_env=None,
    config_dir: Path | None = None,
    **web,  # further WebSettings (quotas, trusted proxy ...)
):
    res = make_resources(tmp_path, warehouse_url or f"sqlite:///{tmp_path / 'wh.sqlite'}", config_dir)
    settings = WebSettings(
        secret="uji-" + "x" * 40, consolidate_now=consolidate_now, secret_file=tmp_path / "secret", **web
    )
    app = create_app(res, settings, job_env=job_env)
    url, server, thread = serve(app)
    p = Portal(url=url, res=res, app=app)
    p.server, p.thread = server, thread
    for username, role, bidang in ROLES.values():
        p.add_account(username, role, bidang)
    p.tokens = {"bidang_a": p.add_token("rumah"), "bidang_b": p.add_token("kumuh")}
    return p


def stop_portal(p) -> None:
    p.server.should_exit = True
    p.thread.join(timeout=10)
