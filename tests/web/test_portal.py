"""The portal as a bidang, a script and the planning team use it, against a
real uvicorn on loopback: receipts by the consolidation's own rules, files that
land once in the bidang's folder and load like dropped files, and the
protections a public service needs."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime

import httpx
from sheetkit import sheet_rows, write_csv, write_xlsx
from webkit import CSRF, PASSWORD, consolidate

from iku.consolidation import scan_sources
from iku.web.intake import safe_extension


def xlsx_bytes(tmp_path, name="s.xlsx", **kw) -> bytes:
    return write_xlsx(tmp_path / name, sheet_rows(**kw)).read_bytes()


def api(portal, role, data: bytes, name="realisasi.xlsx", token=None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or portal.tokens[role]}"}
    return httpx.post(
        f"{portal.url}/api/submissions", headers=headers, files={"file": (name, data)}, timeout=180
    )


def test_api_receipt_valid_lands_once_and_loads_like_a_dropped_file(portal, tmp_path):
    data = xlsx_bytes(tmp_path)
    r = api(portal, "bidang_a", data)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "valid" and body["problems"] == []
    assert (body["bidang"], body["year"], body["month"]) == ("perumahan", 2023, 4)
    # the contract's keys, and §12's: plausibility warnings and the locked quarter
    assert set(body) == {
        "sha256",
        "bidang",
        "year",
        "month",
        "status",
        "problems",
        "warnings",
        "locked",
        "locked_reason",
    }
    assert (body["warnings"], body["locked"]) == ([], False)
    folder = portal.res.source_dir("perumahan")
    landed = list(folder.iterdir())
    assert [p.name for p in landed] == [f"portal-2023-04-{body['sha256'][:16]}.xlsx"]
    assert landed[0].read_bytes() == data
    # the same bytes again: same receipt, still one file
    assert api(portal, "bidang_a", data).json()["sha256"] == body["sha256"]
    assert len(list(folder.iterdir())) == 1
    records = consolidate(portal.res)
    assert [(r.status, r.sha256) for r in records] == [("valid", body["sha256"])]
    values = portal.res.warehouse.current_values(portal.res.opd, 2023)
    assert {v.indicator for v in values} == {"IKU-01", "IKU-02", "IKU-03", "IKU-05"}
    # the nightly run finds nothing left to do
    scan = scan_sources(portal.res.source_dirs(), portal.res.warehouse.known_hashes(portal.res.opd))
    assert scan.new == [] and scan.known == 1
    # and the portal says so for a resend
    assert api(portal, "bidang_a", data).json()["status"] == "valid"
    assert len(list(folder.iterdir())) == 1


def test_api_invalid_sheet_lists_every_problem_and_is_kept(portal, tmp_path):
    r = api(portal, "bidang_a", xlsx_bytes(tmp_path, value="abc"), name="x.xlsx")
    body = r.json()
    assert body["status"] == "invalid"
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(r, "realisasi") for r in (2, 3, 4, 5)]
    assert "bukan angka" in body["problems"][0]["message"]
    records = consolidate(portal.res)  # archived and recorded as invalid, like a dropped file
    assert [r.status for r in records] == ["invalid"]
    assert [p.as_dict() for p in records[0].problems] == body["problems"]


def test_token_decides_the_bidang(portal, tmp_path):
    """A sheet naming another bidang is invalid and never reaches that bidang's data."""
    body = api(portal, "bidang_a", xlsx_bytes(tmp_path, bidang="perkim")).json()
    assert body["bidang"] == "perumahan" and body["status"] == "invalid"
    assert any(p["column"] == "bidang" for p in body["problems"])
    assert not portal.res.source_dir("perkim").exists()
    consolidate(portal.res)
    assert [v for v in portal.res.warehouse.current_values(portal.res.opd) if v.bidang == "perkim"] == []


def test_api_refuses_without_a_valid_token(portal, tmp_path):
    data = xlsx_bytes(tmp_path)
    assert (
        httpx.post(f"{portal.url}/api/submissions", files={"file": ("a.xlsx", data)}, timeout=180).status_code
        == 401
    )
    forged = portal.tokens["bidang_a"][:-4] + "AAAA"
    for token in (forged, "iku_nothing_here", "garbage"):
        r = api(portal, "bidang_a", data, token=token)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # a signed-in browser session is no token either
    browser = portal.client("bidang_a")
    assert browser.post("/api/submissions", files={"file": ("a.xlsx", data)}).status_code == 401
    assert not portal.res.source_dir("perumahan").exists()


def test_api_413_by_content_length_and_by_streamed_size(portal):
    limit = portal.res.config.pipeline.limits.max_file_bytes
    big = b"x" * (limit + 200_000)
    assert api(portal, "bidang_a", big, name="big.csv").status_code == 413

    def chunks():  # no Content-Length: the streamed body is counted
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range((limit // 65536) + 10):
            yield b"y" * 65536
        yield b"\r\n--b--\r\n"

    r = httpx.post(
        f"{portal.url}/api/submissions",
        headers={
            "authorization": f"Bearer {portal.tokens['bidang_a']}",
            "content-type": "multipart/form-data; boundary=b",
        },
        content=chunks(),
        timeout=180,
    )
    assert r.status_code == 413
    # just over the file limit but inside the multipart allowance: still 413
    r = api(portal, "bidang_a", b"z" * (limit + 1), name="a.csv")
    assert r.status_code == 413
    assert not portal.res.source_dir("perumahan").exists()


def test_file_names_are_never_trusted(portal, tmp_path):
    data = write_csv(tmp_path / "a.csv", sheet_rows(month=5)).read_bytes()
    r = api(portal, "bidang_a", data, name="../../../etc/cron.d/evil.csv")
    assert r.json()["status"] == "valid"
    files = list(portal.res.source_dir("perumahan").iterdir())
    assert [f.name for f in files] == [f"portal-2023-05-{r.json()['sha256'][:16]}.csv"]
    assert safe_extension("x.XLSX") == ".xlsx"
    assert safe_extension("a.x;rm -rf") == ".bin"
    assert safe_extension(None) == ".bin"
    # an unsupported type is answered unreadable and kept (nothing is lost)
    r = api(portal, "bidang_a", b"%PDF-1.4", name="laporan.pdf")
    assert r.json()["status"] == "unreadable"
    assert "tidak didukung" in r.json()["problems"][0]["message"]


def test_upload_page_receipt_and_form_entry(portal, tmp_path):
    c = portal.client("bidang_a")
    page = c.get("/opd/disperkim-tjb/bidang/perumahan/2023/6")
    token = CSRF.search(page.text).group(1)
    ok = c.post(
        "/opd/disperkim-tjb/bidang/perumahan/2023/6/unggah",
        data={"csrf": token},
        files={"berkas": ("juni.xlsx", xlsx_bytes(tmp_path, month=6, value="1.234,5"))},
    )
    assert ok.status_code == 200 and 'data-status="valid"' in ok.text
    assert "1.234,5" in ok.text  # the values as read, the Indonesian way
    form = {"csrf": token}
    for code in ("IKU-01", "IKU-02", "IKU-03", "IKU-05"):
        form[f"realisasi__{code}"] = "2"
        form[f"keterangan__{code}"] = '=HYPERLINK("http://x")'
        form[f"faktor_pendorong__{code}"] = "dukungan desa"
    good = c.post("/opd/disperkim-tjb/bidang/perumahan/2023/7/isian", data=form)
    assert good.status_code == 200 and 'data-status="valid"' in good.text
    form["realisasi__IKU-03"] = "dua"
    bad = c.post("/opd/disperkim-tjb/bidang/perumahan/2023/7/isian", data=form)
    assert bad.status_code == 422 and "bukan angka" in bad.text
    assert 'value="dua"' in bad.text  # the form comes back as typed
    records = consolidate(portal.res)
    assert sorted((r.month, r.status) for r in records) == [(6, "valid"), (7, "invalid"), (7, "valid")]
    notes = {v.note for v in portal.res.warehouse.current_values(portal.res.opd, 2023) if v.month == 7}
    assert notes == {'=HYPERLINK("http://x")'}  # kept as text, never a formula
    # the form is pre-filled from the data in force
    again = c.get("/opd/disperkim-tjb/bidang/perumahan/2023/7/isian")
    assert 'name="realisasi__IKU-01" id="realisasi__IKU-01" inputmode="decimal" value="2"' in again.text
    month = c.get("/opd/disperkim-tjb/bidang/perumahan/2023/7")
    assert "data yang berlaku" in month.text and "bukan angka" in month.text


def test_form_entry_for_a_ratio_indicator(portal):
    c = portal.client("bidang_b")
    token = CSRF.search(c.get("/opd/disperkim-tjb/bidang/perkim/2024/2/isian").text).group(1)
    r = c.post(
        "/opd/disperkim-tjb/bidang/perkim/2024/2/isian",
        data={"csrf": token, "pembilang__IKU-04": "3", "penyebut__IKU-04": "2"},
    )
    assert r.status_code == 422 and "penyebut" in r.text.lower()
    r = c.post(
        "/opd/disperkim-tjb/bidang/perkim/2024/2/isian",
        data={"csrf": token, "pembilang__IKU-04": "1,5", "penyebut__IKU-04": "98,5"},
    )
    assert 'data-status="valid"' in r.text and "98,5" in r.text


def test_template_download(portal):
    c = portal.client("bidang_b")
    r = c.get("/opd/disperkim-tjb/bidang/perkim/2024/3/templat")
    assert r.status_code == 200
    assert 'filename="realisasi-perkim-2024-03.xlsx"' in r.headers["content-disposition"]
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    assert "Realisasi" in wb.sheet_names


def test_csrf_required_on_every_form(portal, tmp_path):
    c = portal.client("bidang_a")
    data = xlsx_bytes(tmp_path)
    assert (
        c.post(
            "/opd/disperkim-tjb/bidang/perumahan/2023/4/unggah", files={"berkas": ("a.xlsx", data)}
        ).status_code
        == 403
    )
    assert (
        c.post("/opd/disperkim-tjb/bidang/perumahan/2023/4/isian", data={"csrf": "nope"}).status_code == 403
    )
    assert c.post("/keluar", data={}).status_code == 403
    fresh = httpx.Client(base_url=portal.url)
    fresh.get("/masuk")
    r = fresh.post("/masuk", data={"username": "rumah", "password": PASSWORD})
    assert r.status_code == 403
    assert not portal.res.source_dir("perumahan").exists()


def test_failed_sign_ins_are_slowed_down(portal):
    c = httpx.Client(base_url=portal.url)
    token = portal.csrf(c)
    codes = [
        c.post("/masuk", data={"csrf": token, "username": "rumah", "password": "salah-salah"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401] and 429 in codes[3:]
    # locked: even the right password waits
    r = c.post("/masuk", data={"csrf": token, "username": "rumah", "password": PASSWORD})
    assert r.status_code == 429 and "Coba lagi" in r.text
    # another account from the same address is not locked by it
    r = c.post("/masuk", data={"csrf": token, "username": "kumuh", "password": PASSWORD})
    assert r.status_code == 303


def test_session_cookie_and_security_headers(portal):
    c = httpx.Client(base_url=portal.url)
    r = c.get("/masuk")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "<script" not in r.text and "style=" not in r.text
    # a tampered cookie is no session
    forged = httpx.Client(base_url=portal.url, cookies={"iku_sesi": "eyJ1aWQiOiAxfQ==.x.y"})
    assert forged.get("/opd/disperkim-tjb/perencana").status_code == 303


def test_password_change_ends_sessions(portal):
    from iku.warehouse.accounts import Accounts
    from iku.web.passwords import hash_password

    c = portal.client("perencana")
    assert c.get("/opd/disperkim-tjb/perencana").status_code == 200
    Accounts(portal.res.warehouse).set_password("rencana", hash_password("kata-sandi-baru-456"))
    assert c.get("/opd/disperkim-tjb/perencana").status_code == 303


def test_secret_file_is_generated_private(tmp_path):
    from iku.web.settings import WebSettings, session_secret

    settings = WebSettings(secret=None, secret_file=tmp_path / "d" / "web-secret")
    first = session_secret(settings)
    assert len(first) >= 32 and session_secret(settings) == first
    assert stat.S_IMODE(os.stat(settings.secret_file).st_mode) == 0o600


def test_planner_matrix_links_cells_to_files(portal, tmp_path):
    api(portal, "bidang_a", xlsx_bytes(tmp_path, month=2))
    api(portal, "bidang_b", xlsx_bytes(tmp_path, bidang="perkim", month=2, pembilang=5, penyebut=1))
    # received on 20 March 2023: after February's deadline, before the as-of date
    when = datetime(2023, 3, 20, 9, tzinfo=UTC).timestamp()
    for bidang in ("perumahan", "perkim"):
        for path in portal.res.source_dir(bidang).rglob("*.xlsx"):
            os.utime(path, (when, when))
    consolidate(portal.res)
    c = portal.client("perencana")
    page = c.get("/opd/disperkim-tjb/perencana?tahun=2023&per=2023-04-01")
    assert page.status_code == 200
    assert 'href="/opd/disperkim-tjb/bidang/perumahan/2023/2" title="tepat waktu"' not in page.text
    assert 'href="/opd/disperkim-tjb/bidang/perumahan/2023/2" title="terlambat"' in page.text
    assert 'href="/opd/disperkim-tjb/bidang/perkim/2023/2" title="tidak valid"' in page.text
    assert 'href="/opd/disperkim-tjb/bidang/perkim/2023/3" title="menunggu"' in page.text
    assert 'href="/opd/disperkim-tjb/bidang/perkim/2023/1" title="belum masuk"' in page.text
    detail = c.get("/opd/disperkim-tjb/bidang/perkim/2023/2")
    assert "pembilang" in detail.text.lower() and "/opd/disperkim-tjb/berkas/" in detail.text
    sha = detail.text.split("/opd/disperkim-tjb/berkas/")[1][:64]
    r = c.get(f"/opd/disperkim-tjb/berkas/{sha}")
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_accounts_tokens_and_receipts_on_postgresql(portal_factory, pg_url, tmp_path):
    portal = portal_factory(warehouse_url=pg_url)
    body = api(portal, "bidang_b", xlsx_bytes(tmp_path, bidang="perkim", month=3)).json()
    assert body["status"] == "valid"
    assert portal.client("kabupaten").get("/opd/disperkim-tjb/perencana?tahun=2023").status_code == 200
    assert [r.status for r in consolidate(portal.res)] == ["valid"]
