"""Issue 17's portal findings M1, M2, M6, M7, M8, L1, L2, L5 and L8, each tried
on a real uvicorn portal (tests/webkit.py)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sheetkit import sheet_rows, write_xlsx
from webkit import CSRF, PASSWORD, Portal, consolidate, serve

from iku.web.app import create_app
from iku.web.intake import clean_name, safe_extension
from iku.web.jobs import Busy, Job, JobRunner

A = "/opd/disperkim-tjb"


def test_times_are_shown_in_wib(portal, tmp_path):
    """M6: a file received 02.00 UTC shows 09.00 (WIB) on the month page; a job
    started 02.00 UTC shows 09.00 in the planner's job table."""
    folder = portal.res.source_dir("perumahan")
    folder.mkdir(parents=True)
    path = write_xlsx(folder / "april.xlsx", sheet_rows())
    utc = datetime(2023, 5, 8, 2, 0, tzinfo=UTC).timestamp()
    os.utime(path, (utc, utc))
    consolidate(portal.res)
    page = portal.client("perencana").get(f"{A}/bidang/perumahan/2023/4").text
    assert "Diterima 8 Mei 2023 09.00" in page and "8 Mei 2023 02.00" not in page
    portal.jobs.remember(
        Job("laporan 2023", ["report"], portal.res.opd, started_at=datetime(2023, 5, 8, 2, 0, tzinfo=UTC))
    )
    table = portal.client("perencana").get(f"{A}/perencana").text
    assert "8 Mei 2023 09.00" in table and "8 Mei 2023 02.00" not in table


def test_signing_out_ends_the_session_on_the_server(portal_factory, tmp_path):
    """M1: a copy of the session cookie taken before signing out opens nothing
    afterwards, not even after a restart of the portal."""
    p = portal_factory()
    c = p.client("bidang_a")
    copied = dict(c.cookies)
    thief = httpx.Client(base_url=p.url, cookies=copied)
    assert thief.get(f"{A}/bidang/perumahan").status_code == 200
    csrf = CSRF.search(c.get(f"{A}/bidang/perumahan").text).group(1)
    assert c.post("/keluar", data={"csrf": csrf}).status_code == 303
    assert thief.get(f"{A}/bidang/perumahan").headers["location"] == "/masuk"
    assert (tmp_path / "web-sessions-ended.json").stat().st_mode & 0o777 == 0o600
    with restarted(p) as again:  # a restart of the portal on the same files
        thief = httpx.Client(base_url=again.url, cookies=copied)
        assert thief.get(f"{A}/bidang/perumahan").headers["location"] == "/masuk"
        # a new sign-in is a new session that works
        assert again.client("bidang_a").get(f"{A}/bidang/perumahan").status_code == 200


@contextmanager
def restarted(p, **settings):
    """The same installation (warehouse, files, secret) served by a new app."""
    app = create_app(p.res, p.app.state.portal.settings.model_copy(update=settings))
    url, server, thread = serve(app)
    try:
        yield Portal(url=url, res=p.res, app=app, tokens=p.tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(p, password: str, forwarded: str | None = None, username: str = "rencana") -> int:
    c = httpx.Client(base_url=p.url)
    csrf = CSRF.search(c.get("/masuk").text).group(1)
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    form = {"csrf": csrf, "username": username, "password": password}
    return c.post("/masuk", data=form, headers=headers).status_code


def test_a_guesser_cannot_lock_an_account_out(portal_factory):
    """M2 (behind the configured proxy, L2): a guesser at one address locks out
    its own address only; the right password from an address that has not
    failed still signs in, however many failures there were elsewhere."""
    p = portal_factory(trusted_proxy="127.0.0.1")
    codes = [sign_in(p, "salah-salah", "203.0.113.9") for _ in range(6)]
    assert codes[:3] == [401] * 3 and codes[-1] == 429
    assert sign_in(p, PASSWORD, "203.0.113.9") == 429  # the guessing address stays held
    assert sign_in(p, PASSWORD, "198.51.100.7") == 303  # the planning team's office is not
    # spread over many addresses, more than 10 failures hold every address that failed
    for i in range(16):  # the account's count ends at 16: held for 32 s
        sign_in(p, "salah-salah", f"192.0.2.{i}")
    assert sign_in(p, PASSWORD, "192.0.2.15") == 429
    assert sign_in(p, PASSWORD, "198.51.100.8") == 303


def test_x_forwarded_for_is_believed_from_the_configured_proxy_only(portal_factory):
    """L2: without IKU_WEB_TRUSTED_PROXY (or from another address than the
    proxy) X-Forwarded-For is ignored: a guesser on loopback cannot dodge the
    lock by naming a new address each time."""
    plain = portal_factory()
    for settings in ({}, {"trusted_proxy": "192.0.2.250"}):
        with restarted(plain, **settings) as p:
            codes = [sign_in(p, "salah-salah", f"203.0.113.{i}") for i in range(6)]
            assert codes[-1] == 429
            assert sign_in(p, PASSWORD, "198.51.100.7") == 429  # it is still the same address


def test_form_problems_name_the_indicator_and_mark_the_field(portal):
    """M7: the form's problems say which indicator (code and name) and which
    field, and the field is marked; no row number of a sheet the clerk never saw."""
    c = portal.client("bidang_a")
    month = f"{A}/bidang/perumahan/2023/7/isian"
    form = {"csrf": CSRF.search(c.get(month).text).group(1), "realisasi__IKU-03": "dua"}
    bad = c.post(month, data=form)
    assert bad.status_code == 422
    ind = next(i for i in portal.res.config.catalogue.indicators if i.code == "IKU-03")
    assert f'<a href="#realisasi__IKU-03">IKU-03 · {ind.name}</a>' in bad.text
    assert 'id="realisasi__IKU-03" inputmode="decimal" value="dua" aria-invalid="true"' in bad.text
    assert 'id="pesan-realisasi__IKU-03">' in bad.text and "bukan angka" in bad.text
    assert "<th>Baris</th>" not in bad.text and 'aria-invalid="true"' not in c.get(month).text


def test_the_alert_page_says_when_no_channel_is_set(portal):
    """M8: with no e-mail and no webhook, the alert page says plainly that
    nobody is told, instead of a bare "0 peringatan tercatat"."""
    c = portal.client("perencana")
    page = c.get(f"{A}/peringatan").text
    assert 'id="tanpa-saluran"' in page and "Peringatan tidak dikirim ke siapa pun" in page
    for unit in portal.app.state.portal.units.values():
        unit.settings.alert_webhook_url = "http://127.0.0.1:9/peringatan"
    page = c.get(f"{A}/peringatan").text
    assert 'id="tanpa-saluran"' not in page and "Saluran peringatan: webhook." in page


def test_a_file_name_with_a_line_feed_is_cleaned(portal, tmp_path):
    """L1: "b.xlsx" followed by a line feed (sent raw or as the form's %0A) is an
    .xlsx sheet, read and stored as one."""
    data = write_xlsx(tmp_path / "b.xlsx", sheet_rows()).read_bytes()
    r = httpx.post(
        f"{portal.url}/api/submissions",
        headers={"authorization": f"Bearer {portal.tokens['bidang_a']}"},
        files={"file": ("b.xlsx\n", data)},
        timeout=180,
    )
    assert r.status_code == 200 and r.json()["status"] == "valid"
    names = [p.name for p in portal.res.source_dir("perumahan").iterdir()]
    assert names == [f"portal-2023-04-{r.json()['sha256'][:16]}.xlsx"]
    assert clean_name("x.csv\r\n\x00\t") == "x.csv" and safe_extension("x.CSV%0A") == ".csv"
    assert safe_extension("x.xlsx%22") == ".bin"  # a quote is no part of an extension


def test_the_bearer_scheme_is_case_insensitive(portal):
    """L8: "bearer" and "BEARER" are the same scheme."""
    for scheme in ("bearer", "BEARER"):
        r = httpx.post(
            f"{portal.url}/api/submissions",
            headers={"authorization": f"{scheme} {portal.tokens['bidang_a']}"},
            files={"file": ("x.csv", b"a;b\n" + scheme.encode())},
            timeout=180,
        )
        assert r.status_code == 200, scheme
    assert (
        httpx.post(f"{portal.url}/api/submissions", headers={"authorization": "Basic eDp5"}).status_code
        == 401
    )


def test_run_now_jobs_are_capped_and_remembered_per_opd(iku_env):
    """L5: at most `per_opd` run-now jobs of one OPD at once (a consolidation is
    never refused: it coalesces), and each OPD keeps its own history."""
    runner = JobRunner(per_opd=1, keep=2)
    first = runner.start("laporan 2023-Q1", ["report", "--period", "2023-Q1"], "a", capped=True)
    assert first is not None and first.running
    with pytest.raises(Busy):
        runner.start("laporan 2023-Q2", ["report", "--period", "2023-Q2"], "a", capped=True)
    other = runner.start("laporan 2023-Q2 b", ["report", "--period", "2023-Q2"], "b", capped=True)
    assert other is not None  # another OPD is not held back by it
    assert runner.wait_idle(timeout=300)
    for i in range(3):
        runner.remember(Job(f"lama {i}", ["report"], "a"))
    assert [j.label for j in runner.of("a")] == ["lama 2", "lama 1"]
    assert [j.label for j in runner.of("b")] == ["laporan 2023-Q2 b"]  # not pushed out by a's


def test_a_pdf_written_by_a_portal_job_is_private(iku_env):
    """L8: the run-now report's PDF is 0600 like its HTML, Excel and JSON."""
    runner = JobRunner()
    job = runner.start("laporan", ["report", "--period", "2023-Q1"])
    assert runner.wait_idle(timeout=300) and job is not None and job.exit_code == 0, job and job.last_line
    written = [p for p in (iku_env / "out").rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in written), job.last_line
    assert {oct(p.stat().st_mode & 0o777) for p in written} == {"0o600"}


def test_a_planner_cannot_start_more_than_two_jobs_at_once(portal_factory, tmp_path):
    """L5 through the page: the third report asked for while two run is refused
    with an Indonesian 429 and Retry-After; nothing more is started."""
    p0 = portal_factory()
    s = p0.res.settings
    env = {
        "IKU_CONFIG_DIR": str(s.config_dir),
        "IKU_WAREHOUSE_URL": s.warehouse_url,
        "IKU_INBOX_DIR": str(s.inbox_dir),
        "IKU_OUTPUT_DIR": str(s.output_dir),
        "IKU_ARCHIVE_DIR": str(s.archive_dir),
        "IKU_CHROMIUM": "",  # no PDF: the jobs only need to be running
        "PREFECT_API_URL": "",
    }
    p0.jobs.env.update(env)
    c = p0.client("perencana")
    csrf = CSRF.search(c.get(f"{A}/laporan").text).group(1)
    answers = [
        c.post(f"{A}/jalankan", data={"csrf": csrf, "tugas": "laporan", "periode": f"2023-Q{q}"})
        for q in (1, 2, 3)
    ]
    assert [r.status_code for r in answers] == [303, 303, 429]
    assert "Sudah ada 2 tugas OPD ini yang berjalan" in answers[2].text and answers[2].headers["retry-after"]
    assert p0.jobs.wait_idle(timeout=300)
    assert sorted(j.label for j in p0.jobs.of(p0.res.opd)) == ["laporan 2023-Q1", "laporan 2023-Q2"]


def test_the_ratio_form_says_what_each_number_is(portal):
    """M7: the ratio form says, from the indicator's formula, what the pembilang
    and the penyebut are, beside each field."""
    page = portal.client("bidang_b").get(f"{A}/bidang/perkim/2024/2/isian").text
    pembilang = page.index('name="pembilang__IKU-04"')
    penyebut = page.index('name="penyebut__IKU-04"')
    top = page.index('<span class="petunjuk">Pengurangan Kawasan Permukiman Kumuh di Bawah 10 Ha</span>')
    bottom = page.index(
        '<span class="petunjuk">Jumlah Total seluruh Kawasan Permukiman Kumuh di Bawah 10 ha</span>'
    )
    assert pembilang < top < penyebut < bottom


def test_the_receipt_shows_what_the_clerk_typed_and_no_hash(portal, tmp_path):
    """N4: the receipt names every figure and the faktor columns the clerk
    filled in, as one card per indicator (no wide table); no SHA-256 and no
    stored file name (the planner finds them on the month page); an invalid
    receipt links straight back to sending again."""
    c = portal.client("bidang_a")
    month = f"{A}/bidang/perumahan/2023/4"
    token = CSRF.search(c.get(month).text).group(1)
    header = [*sheet_rows()[0], "faktor_pendorong", "faktor_penghambat", "tindak_lanjut"]
    rows = [header] + [[*row, f"dukungan desa {row[3]}", "hujan", "dikejar Mei"] for row in sheet_rows()[1:]]
    sheet = write_xlsx(tmp_path / "april.xlsx", rows).read_bytes()
    ok = c.post(f"{month}/unggah", data={"csrf": token}, files={"berkas": ("april.xlsx", sheet)})
    assert 'data-status="valid"' in ok.text
    card = ok.text[ok.text.index('id="nilai-IKU-02"') :]
    card = card[: card.index("</section>")]
    for label, text in (
        ("Realisasi", "3"),
        ("Keterangan", "catatan IKU-02"),
        ("Faktor pendorong", "dukungan desa IKU-02"),
        ("Faktor penghambat", "hujan"),
        ("Tindak lanjut", "dikejar Mei"),
    ):
        assert f"<dt>{label}</dt><dd" in card and f">{text}</dd>" in card, label
    assert "Pembilang" not in card  # not a ratio: nothing to show
    assert '<table class="values"' not in ok.text
    assert "SHA-256" not in ok.text and "portal-2023-04" not in ok.text and "disimpan sebagai" not in ok.text
    assert 'id="kirim-lagi"' not in ok.text
    bad = c.post(
        f"{month}/unggah",
        data={"csrf": token},
        files={
            "berkas": (
                "salah.xlsx",
                write_xlsx(tmp_path / "salah.xlsx", sheet_rows(value="dua")).read_bytes(),
            )
        },
    )
    assert 'data-status="invalid"' in bad.text
    assert f'id="kirim-lagi" href="{month}#kirim"' in bad.text
    # the planner still finds the files' hashes on the month page
    consolidate(portal.res)
    assert portal.client("perencana").get(month).text.count("SHA-256") == 2
