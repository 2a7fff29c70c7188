"""Shared state for several machines: the archive, the reports and the bidang
sources as fsspec URLs, against a real S3 API (moto's server) and a real SFTP
server (asyncssh), both on 127.0.0.1."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from clikit import iku
from loopback import free_port
from remote_stores import forget_connections, start_s3, start_sftp
from sheetkit import sheet_rows, write_xlsx

from iku import storage
from iku.storage import Remote, Unwritable


@pytest.fixture
def s3(monkeypatch):
    server = start_s3(buckets=("iku-arsip", "iku-laporan"))
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    forget_connections()
    yield server
    forget_connections()
    server.stop()


@pytest.fixture
def sftp(tmp_path, monkeypatch):
    server = start_sftp(tmp_path)
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    forget_connections()
    yield server
    forget_connections()
    server.stop()


# -- places ------------------------------------------------------------------
def test_plain_paths_and_file_urls_are_local_other_urls_remote(tmp_path):
    assert storage.location("out") == Path("out")
    assert storage.location(f"file://{tmp_path}/arsip") == tmp_path / "arsip"
    remote = storage.location("s3://iku-laporan/out/")
    assert remote == Remote("s3://iku-laporan/out")
    html = remote / "2023" / "iku-2023-Q2.html"
    assert str(html) == "s3://iku-laporan/out/2023/iku-2023-Q2.html"
    assert (html.name, html.suffix, str(html.with_suffix(".pdf"))) == (
        "iku-2023-Q2.html",
        ".html",
        "s3://iku-laporan/out/2023/iku-2023-Q2.pdf",
    )
    assert storage.relative_href(str(html), remote) == "2023/iku-2023-Q2.html"
    assert storage.relative_href("s3://other/x.html", remote) is None


def test_a_password_in_a_url_is_refused_so_it_never_reaches_the_warehouse(monkeypatch, iku_env):
    from iku.config import ConfigError
    from iku.settings import load_settings

    monkeypatch.setenv("IKU_INBOX_DIR", "sftp://iku:rahasia@files.local/inbox")
    with pytest.raises(ConfigError, match="IKU_INBOX_DIR: URL sftp://… memuat kata sandi"):
        load_settings()


def test_s3_write_read_and_probe(s3):
    out = Remote("s3://iku-laporan/out")
    assert storage.ensure_writable(out / "2023", "folder laporan") == out / "2023"
    storage.write(out / "2023" / "a.json", "{}\n")
    assert storage.read_bytes(out / "2023" / "a.json") == b"{}\n"
    assert storage.exists(out / "2023" / "a.json") and not storage.exists(out / "2023" / "b.json")
    assert storage.file_names(out / "2023") == ["a.json"]  # the probe left nothing
    with pytest.raises(Unwritable, match=r"^folder arsip s3://tidak-ada/arsip tidak dapat ditulis \("):
        storage.ensure_writable(Remote("s3://tidak-ada/arsip"), "folder arsip")


def test_sftp_writes_whole_files_under_a_hidden_name_first(sftp):
    folder = Remote(sftp.url("inbox/perumahan"))
    storage.write(folder / "portal-2023-04.xlsx", b"lama")
    storage.write(folder / "portal-2023-04.xlsx", b"baru")  # replaced, not refused
    on_disk = sftp.root / "inbox" / "perumahan"
    assert [p.name for p in on_disk.iterdir()] == ["portal-2023-04.xlsx"]
    assert (on_disk / "portal-2023-04.xlsx").read_bytes() == b"baru"


def test_remote_scan_keeps_the_local_rules(sftp):
    from iku.consolidation import scan_sources

    folder = sftp.root / "inbox" / "perumahan"
    write_xlsx(folder / "04.xlsx", sheet_rows(month=4))
    write_xlsx(folder / "sub" / "05.xlsx", sheet_rows(month=5))
    (folder / "~$04.xlsx").write_bytes(b"lock")
    (folder / ".~lock.04.xlsx#").write_bytes(b"lock")
    (folder / ".git").mkdir()
    (folder / ".git" / "x.xlsx").write_bytes(b"x")
    (folder / "besar.csv").write_bytes(b"x" * 50_000)
    (folder / "tautan.xlsx").symlink_to(folder / "04.xlsx")
    scan = scan_sources({"perumahan": Remote(sftp.url("inbox/perumahan"))}, set(), max_bytes=40_000)
    new = {f.path.name: f for f in scan.new}
    assert sorted(new) == ["04.xlsx", "05.xlsx", "besar.csv"]
    assert str(new["05.xlsx"].path) == sftp.url("inbox/perumahan/sub/05.xlsx")
    data = (folder / "04.xlsx").read_bytes()
    assert new["04.xlsx"].sha256 == hashlib.sha256(data).hexdigest() and new["04.xlsx"].data == data
    # bounded: no more than the limit + 1 bytes fetched, the size as the store tells it
    assert (
        new["besar.csv"].truncated
        and len(new["besar.csv"].data) == 40_001
        and new["besar.csv"].size == 50_000
    )
    reasons = {s.path.name: s.reason for s in scan.skipped}
    assert reasons == {
        ".git": "folder tersembunyi (nama diawali titik)",
        ".~lock.04.xlsx#": "berkas kunci Office/LibreOffice (dibuat saat berkas sedang dibuka)",
        "tautan.xlsx": "tautan (symlink) di penyimpanan jarak jauh tidak diikuti",
        "~$04.xlsx": "berkas kunci Office/LibreOffice (dibuat saat berkas sedang dibuka)",
    }
    absent = scan_sources({"perkim": Remote(sftp.url("inbox/perkim"))}, set())
    assert absent.absent_folders == {"perkim": Remote(sftp.url("inbox/perkim"))}


# -- end to end --------------------------------------------------------------
@pytest.mark.prefect
@pytest.mark.postgres
@pytest.mark.slow
def test_sources_on_sftp_archive_and_reports_on_s3_index_from_the_warehouse(
    prefect_server, iku_env, pg_url, s3, sftp, monkeypatch
):
    from sqlalchemy import create_engine, text

    from flows.consolidate import consolidate_flow
    from flows.reports import report_flow

    monkeypatch.setenv("IKU_WAREHOUSE_URL", pg_url)
    monkeypatch.setenv("IKU_INBOX_DIR", sftp.url("inbox"))
    monkeypatch.setenv("IKU_ARCHIVE_DIR", "s3://iku-arsip/arsip")
    monkeypatch.setenv("IKU_OUTPUT_DIR", "s3://iku-laporan/out")
    inbox = sftp.root / "inbox"
    for month in (4, 5, 6):
        write_xlsx(inbox / "perumahan" / f"{month:02d}.xlsx", sheet_rows(month=month))
    write_xlsx(inbox / "perkim" / "04.xlsx", sheet_rows("perkim", pembilang=200))  # invalid
    (inbox / "perkim" / "~$04.xlsx").write_bytes(b"lock")

    summary = consolidate_flow()
    assert (summary["new_files"], summary["valid"], summary["invalid"], summary["ignored"]) == (4, 3, 1, 1)

    docs = Remote("s3://iku-laporan/out/gx-docs")  # rendered locally by GX, copied to the shared output
    assert b"<html" in storage.read_bytes(docs / "index.html").lower()
    assert any(e.where.name.endswith(".html") and "validations" in e.parts for e in storage.walk(docs))

    engine = create_engine(pg_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256, source_path, archive_path FROM submission")).all()
    assert len(rows) == 4
    for sha, source, archived in rows:
        assert source.startswith(sftp.url("inbox") + "/")  # URLs, not this machine's paths
        assert archived == f"s3://iku-arsip/arsip/{sha[:2]}/{sha}.xlsx"
        assert hashlib.sha256(storage.read_bytes(Remote(archived))).hexdigest() == sha

    paths = report_flow("2023-Q2", as_of="2023-07-20")
    out = Remote("s3://iku-laporan/out")
    assert paths[:3] == [out / "2023" / f"iku-2023-Q2.{ext}" for ext in ("html", "xlsx", "json")]
    assert storage.read_bytes(paths[2]).startswith(b"{")
    with engine.connect() as conn:
        recorded = conn.execute(
            text("SELECT opd_code, period, kind, format, location FROM report_file")
        ).all()
    engine.dispose()
    assert (
        "disperkim-tjb",
        "2023-Q2",
        "iku",
        "json",
        "s3://iku-laporan/out/2023/iku-2023-Q2.json",
    ) in recorded
    assert any(
        kind == "validasi" and loc.startswith("s3://iku-laporan/out/validasi/")
        for _, _, kind, _, loc in recorded
    )
    index = storage.read_bytes(out / "index.html").decode("utf-8")
    assert 'href="2023/iku-2023-Q2.html"' in index and 'href="2023/iku-2023-Q2.xlsx"' in index
    assert 'href="validasi/validasi-' in index
    if len(paths) == 4:  # Chromium printed the PDF from a local copy; it sits beside the HTML
        assert storage.read_bytes(paths[3]).startswith(b"%PDF") and 'href="2023/iku-2023-Q2.pdf"' in index

    assert consolidate_flow()["new_files"] == 0  # the same bytes are known, wherever they are


# -- one line, exit 5 --------------------------------------------------------
def _iku(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return iku(*args, env=env)  # in this process (tests/clikit.py): what the command says is the point


@pytest.mark.slow
def test_unreachable_or_wrong_stores_end_with_one_line_and_exit_5(iku_env, sftp, s3):
    dead = free_port()
    cases = {
        "IKU_INBOX_DIR": (
            f"sftp://iku@127.0.0.1:{dead}/inbox",
            "tidak dapat dihubungi (ConnectionRefusedError",
        ),
        "IKU_ARCHIVE_DIR": ("s3://tidak-ada/arsip", "folder arsip s3://tidak-ada/arsip tidak dapat ditulis"),
        "IKU_OUTPUT_DIR": ("nosuch://host/out", "jenis nosuch:// tidak dikenal"),
    }
    for name, (url, expected) in cases.items():
        result = _iku(
            {name: url},
            "consolidate" if name != "IKU_OUTPUT_DIR" else "report",
            *(["--period", "2023-Q2"] if name == "IKU_OUTPUT_DIR" else []),
        )
        assert result.returncode == 5, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("iku: ") and expected in lines[0], (name, lines)
        assert "Traceback" not in result.stderr + result.stdout
    wrong = _iku({"IKU_INBOX_DIR": sftp.url("inbox"), "FSSPEC_SFTP_PASSWORD": "salah"}, "consolidate")
    assert wrong.returncode == 5 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert "Traceback" not in wrong.stderr


# -- several machines, one warehouse ----------------------------------------
def test_a_work_pool_run_refuses_a_sqlite_warehouse():
    from iku.config import ConfigError
    from iku.resources import check_shared_warehouse

    check_shared_warehouse("sqlite:///data/iku.sqlite", None)  # iku serve, iku consolidate: one machine
    check_shared_warehouse("postgresql+psycopg://iku@db/iku", "iku-pool")
    with pytest.raises(ConfigError, match=r"^run dari work pool 'iku-pool' menolak gudang data SQLite"):
        check_shared_warehouse("sqlite:///data/iku.sqlite", "iku-pool")


def test_the_index_lists_each_opds_reports_and_the_recap(tmp_path):
    from iku.reports.index import index_html, written

    out = tmp_path / "out"
    paths = [
        out / "2023" / code / f"iku-2023-Q1.{ext}"
        for code in ("dinkes", "perkim")
        for ext in ("html", "json")
    ]
    reports = written(paths[:2], "dinkes") + written(paths[2:], "perkim")
    reports += written([out / "2023" / "rekap-2023-Q1.html"], "")
    html = index_html(
        reports,
        out,
        "Kabupaten Contoh",
        "",
        {"dinkes": "Dinas Kesehatan", "perkim": "Dinas Perkim"},
        "Asia/Jakarta",
    )
    assert "<h3>Dinas Kesehatan (dinkes)</h3>" in html and "<h3>Dinas Perkim (perkim)</h3>" in html
    assert 'href="2023/dinkes/iku-2023-Q1.html"' in html and 'href="2023/perkim/iku-2023-Q1.json"' in html
    assert "Rekap kabupaten Triwulan I 2023" in html and 'href="2023/rekap-2023-Q1.html"' in html
    assert html.index("Kabupaten</h3>") < html.index("Dinas Kesehatan (dinkes)")


@pytest.mark.prefect
def test_a_flow_run_of_a_work_pool_with_sqlite_fails_with_one_line(prefect_server, iku_env):
    """The flow run a worker would execute (a deployment on a process pool),
    run by Prefect's own engine here: with the SQLite default it fails at
    once, saying why, before anything is read or written."""
    import uuid

    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.flow_engine import run_flow
    from prefect.utilities.asyncutils import run_coro_as_sync

    from flows.consolidate import consolidate_flow

    pool = f"pool-{uuid.uuid4().hex[:8]}"

    async def flow_run_of_pool():
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            flow_id = await client.create_flow_from_name("iku-consolidate")
            deployment = await client.create_deployment(
                flow_id=flow_id,
                name=pool,
                work_pool_name=pool,
                entrypoint="flows.consolidate:consolidate_flow",
            )
            return await client.create_flow_run_from_deployment(deployment)

    flow_run = run_coro_as_sync(flow_run_of_pool())
    assert flow_run.work_pool_name == pool
    state = run_flow(consolidate_flow, flow_run=flow_run, return_type="state")
    assert state.is_failed()
    with pytest.raises(Exception, match=f"run dari work pool '{pool}' menolak gudang data SQLite"):
        state.result()
    assert not (iku_env / "archive").exists()


def test_the_recap_email_attaches_files_from_a_shared_store(s3, tmp_path):
    from iku.alerts.email import build_email
    from iku.settings import Settings

    out = Remote("s3://iku-laporan/out/2023")
    storage.write(out / "rekap-2023-Q2.json", '{"year": 2023}\n')
    local = tmp_path / "rekap-2023-Q2.html"
    local.write_text("<p>rekap</p>", encoding="utf-8")
    settings = Settings(alert_email_from="iku@kab.example")
    msg = build_email(
        settings,
        ["bappeda@kab.example"],
        "Rekap",
        "Terlampir.",
        attachments=[str(out / "rekap-2023-Q2.json"), local, str(out / "rekap-2023-Q2.pdf")],
    )
    attached = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert attached["rekap-2023-Q2.json"] in (b'{"year": 2023}\n', '{"year": 2023}\n')
    assert "rekap-2023-Q2.html" in attached
    assert "Berkas tidak ditemukan lagi saat pengiriman: rekap-2023-Q2.pdf" in msg.get_body().get_content()


def test_a_connection_the_server_dropped_is_replaced_on_the_next_try(sftp):
    import time

    folder = Remote(sftp.url("inbox/perumahan"))
    storage.write(folder / "04.xlsx", b"isi")
    sftp.drop_connections()
    time.sleep(0.2)
    results = []
    for _ in range(2):  # a task's retry: the first try may meet the dead connection, never the second
        try:
            results.append(storage.read_bytes(folder / "04.xlsx"))
        except Unwritable as exc:
            results.append(str(exc))
    assert results[-1] == b"isi", results


# -- issue 17: stores that forget, secrets in URLs -------------------------------
def test_a_store_that_forgets_at_exit_is_refused_for_the_archive_and_the_reports(iku_env):
    """memory:// holds what a command writes until the command ends: the
    warehouse would record archive paths that are gone. Refused like an
    in-memory SQLite: exit 3, one line."""
    for name, args in (
        ("IKU_ARCHIVE_DIR", ["consolidate"]),
        ("IKU_OUTPUT_DIR", ["report", "--period", "2023-Q2"]),
    ):
        result = _iku({name: "memory://iku/arsip"}, *args)
        assert result.returncode == 3, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{name}: folder memory://iku/arsip disimpan di memori" in lines[0], lines
        assert "hilang saat perintah selesai" in lines[0] and "Traceback" not in result.stderr

    # asked of the store's class, not its name: a memory store under another name forgets too
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class Scratch(MemoryFileSystem):
        protocol = "iku-scratch"

    fsspec.register_implementation("iku-scratch", Scratch, clobber=True)
    assert storage.forgets_at_exit(Remote("iku-scratch://x/out"))
    with pytest.raises(storage.Forgetful, match=r"^folder laporan iku-scratch://x/out disimpan di memori"):
        storage.ensure_writable(Remote("iku-scratch://x/out"), "folder laporan")
    assert not storage.forgets_at_exit(Remote("s3://iku-laporan/out"))


def test_a_secret_in_a_store_url_is_never_printed(iku_env, s3):
    url = "s3://tidak-ada/arsip?secret=SANGAT-RAHASIA&region=ap-southeast-3&Session_Token=TOKEN-RAHASIA"
    result = _iku({"IKU_ARCHIVE_DIR": url}, "consolidate")
    assert result.returncode == 5, result.stderr
    assert "RAHASIA" not in result.stderr + result.stdout
    assert "secret=***" in result.stderr and "region=ap-southeast-3" in result.stderr

    shown = storage.shown("sftp://iku:kata-sandi@files.local/inbox?password=pw2&api_key=k3&timeout=30")
    assert shown == "sftp://iku:***@files.local/inbox?password=***&api_key=***&timeout=30"
    # a store's own error that echoes the URL is scrubbed as well
    where = Remote("s3://b/x?secret=XYZ-RAHASIA")
    with pytest.raises(Unwritable) as caught, storage.reaching(where, "folder arsip"):
        raise RuntimeError(f"cannot open {where.url}")
    assert "RAHASIA" not in str(caught.value) and str(caught.value).count("secret=***") == 2
