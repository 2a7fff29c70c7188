"""A hostile inbox (issue 7): one inbox holding every odd input we know of (odd
file names, links, pipes, control characters, huge numbers, formulas without
values, dates where a month belongs, hidden and lock files, an oversized file)
and the 19 bad inputs of test_consolidation, beside one valid canary sheet per
bidang. `iku consolidate` runs as a person runs it (a process, against a
Prefect server, with loopback SMTP and webhook receivers), once on SQLite and
once on PostgreSQL: it must end (a generous timeout, not a timing
assertion) with exit 0, load the canaries, record every hostile file as it
should be, skip the rest with a reason, and deliver every alert exactly once."""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter
from loopback import SmtpReceiver, WebhookReceiver
from sheetkit import HEADER, sheet_rows, write_csv, write_xlsx
from test_consolidation import BAD

from iku.config import load_config
from iku.settings import Settings
from iku.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

IKU = str(Path(sys.executable).with_name("iku"))
RUN_BOUND = 420  # seconds: a hang (a pipe read, a lock) fails the test instead of stalling CI
COL = {name: i for i, name in enumerate(HEADER)}


def _rows(month=4, cells=None):
    """Valid perumahan rows of `month`, with cells {(row index, column): value} changed."""
    rows = sheet_rows(month=month)
    for (i, column), value in (cells or {}).items():
        rows[i][COL[column]] = value
    return rows


def _formula_sheet(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Realisasi")
    for r, row in enumerate(_rows(month=6)):
        for c, value in enumerate(row):
            if (r, c) == (2, COL["realisasi"]):
                ws.write_formula(r, c, "=SUM(2,3)")  # no value stored: Excel would compute it on opening
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def _date_sheet(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Realisasi")
    fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(_rows(month=7)):
        for c, value in enumerate(row):
            if r and c == COL["bulan"]:
                ws.write_datetime(r, c, dt.datetime(2023, 6, 1), fmt)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def build_inbox(inbox: Path, outside: Path) -> tuple[dict, dict]:
    """Write the inbox. Returns (recorded, skipped): the files that must become
    submissions -> (status, words in a problem), and the entries that must be
    skipped -> words in the reason, both by the name as shown (escaped)."""
    per, kim = inbox / "perumahan", inbox / "perkim"
    # the canaries: one valid sheet per bidang
    write_xlsx(per / "kanari-april.xlsx", sheet_rows(value=7))
    write_xlsx(kim / "kanari-april.xlsx", sheet_rows("perkim", pembilang=2, penyebut=50))
    recorded: dict[str, tuple[str, str]] = {}
    for name, (bidang, write, status, words, _where) in BAD.items():
        path = inbox / bidang / "lama" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        recorded[name] = (status, words)
    # file names: a line break (reaches the e-mail Subject), control characters, Latin-1 bytes
    write_csv(per / "april\nrevisi.csv", _rows(cells={(1, "realisasi"): "abcd"}))
    recorded["april\\nrevisi.csv"] = ("invalid", "'abcd' bukan angka")
    write_csv(per / "mei\r\nBcc: x@evil.example\x1b.csv", _rows(5, {(2, "realisasi"): "xyz"}))
    recorded["mei\\r\\nBcc: x@evil.example\\x1b.csv"] = ("invalid", "'xyz' bukan angka")
    latin1 = os.fsencode(per) + b"/laporan-\xe9t\xe9.xlsx"
    with open(latin1, "wb") as fh:
        fh.write(b"PK\x03\x04 rusak")
    recorded["laporan-\\xe9t\\xe9.xlsx"] = ("unreadable", "rusak")
    # cells: NUL and escapes in keterangan (valid, cleaned), a number past any limit,
    # a formula without value, a date where the month belongs
    write_xlsx(
        per / "nul.xlsx",
        _rows(3, {(1, "keterangan"): "ada\x00NUL\x1b[31m", (2, "keterangan"): "a\x07"}),
    )
    recorded["nul.xlsx"] = ("valid", "")
    write_xlsx(per / "raksasa.xlsx", _rows(8, {(2, "realisasi"): 1e300}))
    recorded["raksasa.xlsx"] = ("invalid", "terlalu besar")
    _formula_sheet(per / "rumus.xlsx")
    recorded["rumus.xlsx"] = ("invalid", "rumus tanpa nilai tersimpan")
    _date_sheet(per / "tanggal.xlsx")
    recorded["tanggal.xlsx"] = ("invalid", "Bulan '01/06/2023' tidak dikenali")
    with (per / "raksasa-sparse.csv").open("wb") as fh:  # 8 GB on paper: read no further than the limit
        fh.truncate(8 * 1024**3)
    recorded["raksasa-sparse.csv"] = ("unreadable", "terlalu besar")

    skipped = {}
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (per / "passwd.csv").symlink_to(outside)
    skipped["passwd.csv"] = "ke luar folder sumber"
    (per / "mati.xlsx").symlink_to(per / "hilang.xlsx")
    skipped["mati.xlsx"] = "tujuannya tidak ada"
    (per / "putar.csv").symlink_to(per / "putar.csv")
    skipped["putar.csv"] = "berputar"
    os.mkfifo(kim / "pipa.csv")
    skipped["pipa.csv"] = "FIFO"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(kim / "soket.xlsx"))
    sock.close()
    skipped["soket.xlsx"] = "socket"
    try:
        os.mknod(kim / "perangkat.csv", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
        skipped["perangkat.csv"] = "device"
    except PermissionError:
        pass  # a sandbox without CAP_MKNOD: the scan test covers devices where it can
    (kim / "..csv").write_text("bidang;tahun\n")
    skipped["..csv"] = "tersembunyi"
    (kim / ".rahasia.xlsx").write_bytes(b"x")
    skipped[".rahasia.xlsx"] = "tersembunyi"
    (kim / "~$kanari-april.xlsx").write_bytes(b"lock")
    skipped["~$kanari-april.xlsx"] = "kunci"
    return recorded, skipped


def consolidate(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [IKU, "consolidate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_BOUND,
        stdin=subprocess.DEVNULL,
    )


def test_hostile_inbox_never_stops_the_run(iku_env, warehouse_url, prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    inbox = iku_env / "inbox"
    recorded, skipped = build_inbox(inbox, tmp_path / "passwd")
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        env = {
            **os.environ,
            "IKU_WAREHOUSE_URL": warehouse_url,
            "PREFECT_API_URL": PREFECT_API_URL.value(),
            "IKU_SMTP_HOST": "127.0.0.1",
            "IKU_SMTP_PORT": str(smtp.port),
            "IKU_SMTP_STARTTLS": "false",
            "IKU_ALERT_EMAIL_FROM": "iku@disperkim.example",
            "IKU_ALERT_EMAIL_TO": "perencanaan@disperkim.example",
            "IKU_ALERT_WEBHOOK_URL": hook.url,
        }
        first = consolidate(env)
        assert first.returncode == 0, first.stderr[-3000:]
        again = consolidate(env)  # nothing new, nothing repeated
        assert again.returncode == 0, again.stderr[-3000:]

    # the summary names every skipped entry with its reason, on both runs
    for out in (first.stdout, again.stdout):
        ignored = [line for line in out.splitlines() if line.startswith("diabaikan: ")]
        for name, words in skipped.items():
            hit = [line for line in ignored if f"/{name}: " in line]
            assert len(hit) == 1 and words in hit[0], (name, ignored)
        assert f"{len(skipped)} diabaikan." in out.splitlines()[-1], out
    assert "0 berkas baru" in again.stdout.splitlines()[-1]

    settings = Settings(warehouse_url=warehouse_url)
    opd = load_config(settings.config_dir).catalogue.opd.code
    wh = Warehouse(warehouse_url)
    all_logs = wh.submission_logs(opd)
    canaries = [log for log in all_logs if log.file_name == "kanari-april.xlsx"]
    logs = {log.file_name: log for log in all_logs if log.file_name != "kanari-april.xlsx"}
    assert set(logs) == set(recorded), (set(recorded) - set(logs), set(logs) - set(recorded))
    assert len(all_logs) == len(recorded) + 2, [c.bidang for c in canaries]
    for name, (status, words) in recorded.items():
        assert logs[name].status == status, (name, logs[name].problems)
        if words:
            assert any(words in p.message for p in logs[name].problems), (name, logs[name].problems)
    assert {(c.bidang, c.status, c.is_current) for c in canaries} == {
        ("perumahan", "valid", True),
        ("perkim", "valid", True),
    }
    values = {(v.bidang, v.indicator, v.month): v for v in wh.current_values(opd, 2023)}
    assert values[("perumahan", "IKU-02", 4)].realisation == 7.0
    assert (values[("perkim", "IKU-04", 4)].numerator, values[("perkim", "IKU-04", 4)].denominator) == (
        2.0,
        50.0,
    )
    assert values[("perumahan", "IKU-01", 3)].note == "adaNUL[31m"  # NUL and escapes removed, row kept

    # every non-valid file alerted exactly once per channel; one recap (the second run had no news)
    bad = {log.sha256: log for log in logs.values() if log.status != "valid"}
    causes = [h.get("X-IKU-Alert") for h in hook.headers]
    file_causes = sorted(c for c in causes if not c.startswith("recap:"))
    assert file_causes == sorted(f"{log.status}:{sha}:{opd}" for sha, log in bad.items())
    mails = [m.message["X-IKU-Alert"] for m in smtp.mails]
    assert sorted(c for c in mails if not c.startswith("recap:")) == file_causes
    assert (
        sum(c.startswith("recap:") for c in causes) == 1 and sum(c.startswith("recap:") for c in mails) == 1
    )
    assert all("\n" not in m.subject and m.message["Bcc"] is None for m in smtp.mails)
    bodies = {b["file"] for b in hook.bodies if b["kind"] != "recap"}
    assert "april\\nrevisi.csv" in bodies and "laporan-\\xe9t\\xe9.xlsx" in bodies

    # archived: every file whose bytes could be read whole; never an oversized one or a link's target
    archive = iku_env / "archive"
    stored = {p.name.split(".")[0] for p in archive.rglob("*") if p.is_file()}
    for log in all_logs:
        assert (log.sha256 in stored) == (log.file_name not in ("raksasa-sparse.csv", "besar.csv")), (
            log.file_name
        )
    assert not any(p.read_bytes().startswith(b"root:x") for p in archive.rglob("*") if p.is_file())
