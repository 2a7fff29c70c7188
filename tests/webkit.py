"""The portal on a free loopback port (a real uvicorn), with accounts of every
role, and signed-in httpx clients (fixtures in tests/web/conftest.py)."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from sheetkit import REPO

from iku.config import load_config, load_installation
from iku.resources import Resources
from iku.settings import Settings
from iku.tasks.consolidate import archive_and_load, find_new_files, read_sheets, validate_sheets
from iku.warehouse.accounts import Accounts
from iku.web.app import create_app
from iku.web.passwords import hash_password, new_token
from iku.web.settings import WebSettings

PASSWORD = "kata-sandi-uji-123"
# role name used in the tests -> (username, role, bidang)
ROLES = {
    "bidang_a": ("rumah", "bidang", "perumahan"),
    "bidang_b": ("kumuh", "bidang", "perkim"),
    "perencana": ("rencana", "perencana", None),
    "kabupaten": ("bupati", "kabupaten", None),
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_resources(tmp_path: Path, warehouse_url: str, config_dir: Path | None = None) -> Resources:
    settings = Settings(
        config_dir=config_dir or REPO / "config",
        warehouse_url=warehouse_url,
        inbox_dir=tmp_path / "inbox",
        output_dir=tmp_path / "out",
        archive_dir=tmp_path / "archive",
    )
    if config_dir is not None:  # a whole installation (several OPD): the portal serves every OPD
        inst = load_installation(config_dir)
        return Resources(settings=settings, config=inst.config(), installation=inst)
    config = load_config(settings.config_dir)
    config = config.model_copy(
        update={"pipeline": config.pipeline.model_copy(update={"gx_data_docs": False})}
    )
    return Resources(settings=settings, config=config)


def consolidate(res: Resources):
    """The composition of flows/consolidate.py, as plain calls (as tests/test_consolidation.py)."""
    with res.warehouse.exclusive("consolidate"):
        files = find_new_files.fn(res).new
        outcomes = read_sheets.fn(res, files)
        problems = validate_sheets.fn(res, outcomes) if outcomes else {}
        return archive_and_load.fn(res, outcomes, problems)


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
        c = httpx.Client(base_url=self.url, timeout=180)
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
            password_hash=hash_password(PASSWORD),
        )

    def add_token(self, username: str) -> str:
        accounts = Accounts(self.res.warehouse)
        token, key_id, secret_hash = new_token()
        accounts.add_token(accounts.get(username), key_id, secret_hash, "uji")
        return token


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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
):
    res = make_resources(tmp_path, warehouse_url or f"sqlite:///{tmp_path / 'wh.sqlite'}", config_dir)
    settings = WebSettings(
        secret="uji-" + "x" * 40, consolidate_now=consolidate_now, secret_file=tmp_path / "secret"
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
