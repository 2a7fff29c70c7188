"""`iku web add-user` / `set-password` / `add-token`: one line, documented exit codes."""

from __future__ import annotations

from typer.testing import CliRunner

from iku.cli import app
from iku.resources import build_resources
from iku.warehouse.accounts import Accounts
from iku.web.passwords import split_token, verify_password, verify_token_secret

runner = CliRunner()


def run(args, stdin=""):
    return runner.invoke(app, ["web", *args], input=stdin)


def test_accounts_from_the_command_line(iku_env):
    r = run(["add-user", "rumah", "--role", "bidang", "--bidang", "perumahan"], "kata-sandi-rumah-1\n")
    assert r.exit_code == 0, r.output
    accounts = Accounts(build_resources().warehouse)
    account = accounts.get("rumah")
    assert (account.role, account.bidang, account.opd_code) == ("bidang", "perumahan", "disperkim-tjb")
    assert account.password_hash.startswith("scrypt$") and "kata-sandi" not in account.password_hash
    assert verify_password("kata-sandi-rumah-1", account.password_hash)

    assert run(["set-password", "rumah"], "kata-sandi-baru-22\n").exit_code == 0
    assert verify_password("kata-sandi-baru-22", accounts.get("rumah").password_hash)

    r = run(["add-token", "rumah", "--label", "skrip"])
    assert r.exit_code == 0
    token = r.output.strip()
    key_id, secret = split_token(token)
    found, stored = accounts.token(key_id)
    assert found.username == "rumah" and secret not in stored and verify_token_secret(secret, stored)


def test_bad_input_is_one_line_and_exit_2(iku_env):
    cases = [
        (["add-user", "a", "--role", "raja"], "kata-sandi-panjang\n"),
        (["add-user", "a", "--role", "bidang"], "kata-sandi-panjang\n"),
        (["add-user", "a", "--role", "bidang", "--bidang", "tidak-ada"], "kata-sandi-panjang\n"),
        (["add-user", "a", "--role", "perencana"], "pendek\n"),
        (["add-user", "a b/c", "--role", "perencana"], "kata-sandi-panjang\n"),
        (["set-password", "tidak-ada"], "kata-sandi-panjang\n"),
        (["add-token", "tidak-ada"], ""),
    ]
    for args, stdin in cases:
        r = run(args, stdin)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert run(["add-user", "p", "--role", "perencana"], "kata-sandi-panjang\n").exit_code == 0
    dup = run(["add-user", "p", "--role", "perencana"], "kata-sandi-panjang\n")
    assert dup.exit_code == 2 and "sudah ada" in dup.output
    token = run(["add-token", "p"])
    assert token.exit_code == 2 and "hanya untuk akun bidang" in token.output
    unknown = run(["add-user", "a", "--role", "raja"], "")  # refused before the password is asked
    assert unknown.exit_code == 2 and "kepala, keuangan, kabupaten" in unknown.output


def test_the_kepala_and_the_finance_office(iku_env):
    accounts = Accounts(build_resources().warehouse)
    for name, role in (("kadis", "kepala"), ("uang", "keuangan")):
        assert run(["add-user", name, "--role", role], "kata-sandi-panjang\n").exit_code == 0
        assert (accounts.get(name).role, accounts.get(name).bidang) == (role, None)
    with_bidang = run(["add-user", "k2", "--role", "kepala", "--bidang", "perumahan"], "kata-sandi-panjang\n")
    assert with_bidang.exit_code == 2 and "tanpa --bidang" in with_bidang.output


def test_busy_address_is_one_line_and_exit_3(iku_env, monkeypatch):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        monkeypatch.setenv("IKU_WEB_PORT", str(busy.getsockname()[1]))
        r = runner.invoke(app, ["web"])
    assert r.exit_code == 3
    assert len(r.output.strip().splitlines()) == 1 and "IKU_WEB_PORT" in r.output


def test_accounts_of_a_kabupaten_take_an_opd(iku_env, monkeypatch):
    from kabupatenkit import SEED, TWIN, kabupaten_config

    monkeypatch.setenv("IKU_CONFIG_DIR", str(kabupaten_config(iku_env / "config", dinkes=False)))
    pw = "kata-sandi-panjang\n"
    needs = run(["add-user", "a", "--role", "perencana"], pw)
    assert needs.exit_code == 2 and "--opd" in needs.output and len(needs.output.strip().splitlines()) == 1
    assert run(["add-user", "a", "--role", "perencana", "--opd", "tidak-ada"], pw).exit_code == 2
    assert run(["add-user", "b", "--role", "bidang", "--bidang", "kesmas", "--opd", TWIN], pw).exit_code == 2
    assert (
        run(["add-user", "b", "--role", "bidang", "--bidang", "perumahan", "--opd", TWIN], pw).exit_code == 0
    )
    assert run(["add-user", "r", "--role", "perencana", "--opd", SEED], pw).exit_code == 0
    k = run(["add-user", "k", "--role", "kabupaten"], pw)
    assert k.exit_code == 0 and "semua OPD" in k.output
    accounts = Accounts(build_resources().warehouse)
    assert (accounts.get("b").opd_code, accounts.get("r").opd_code) == (TWIN, SEED)
    listed = run(["users", "--opd", TWIN])
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert lines[-1] == "2 akun." and {line.split("\t")[0] for line in lines[:-1]} == {"b", "k"}
    assert run(["users", "--opd", "tidak-ada"]).exit_code == 2
    token = run(["add-token", "b"]).output.strip()
    removed = run(["remove-user", "b"])
    assert removed.exit_code == 0 and accounts.get("b") is None
    assert accounts.token(split_token(token)[0]) is None  # its tokens went with it
    assert run(["remove-user", "b"]).exit_code == 2


def test_iku_web_speaks_indonesian_and_keeps_uvicorn_lines_for_engineers(iku_env):
    """Issue 17 M9: `iku web` says where the portal is and that it stopped, in
    Indonesian; uvicorn's English start lines and access log only with
    IKU_LOG_LEVEL=DEBUG."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx
    from webkit import free_port

    port = free_port()
    env = {**os.environ, "IKU_WEB_PORT": str(port), "IKU_WEB_SECRET_FILE": str(iku_env / "secret")}
    iku = str(Path(sys.executable).with_name("iku"))
    proc = subprocess.Popen(
        [iku, "web"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "iku web did not answer"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGTERM)  # what systemd sends
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    said = out + err
    assert f"Portal IKU: http://127.0.0.1:{port}/ (hentikan dengan Ctrl-C)" in out
    assert "Portal IKU dihentikan." in out, said
    for english in (
        "Uvicorn running",
        "Started server process",
        "Application startup",
        "GET /masuk",
        "Shutting down",
    ):
        assert english not in said, (english, said)
