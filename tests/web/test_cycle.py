"""The SAKIP cycle in the portal (CONTRACT §12): verification, return and
resubmission, approval and the locked quarter, unlock, the audit log, bukti
dukung through the page and the API, plausibility warnings that never refuse,
budget sheets from the finance office, and the user guides. A real uvicorn,
real sheets, the real warehouse."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest
from budgetkit import sipd_rows, with_programs, write_sheet
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import null, select, update
from webkit import consolidate

from iku.warehouse.schema import submission

A = "/opd/disperkim-tjb"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def drop(portal, tmp_path, bidang: str, month: int, value: float = 3, name: str | None = None) -> bytes:
    """A valid sheet of `bidang` for 2023-`month` in its source folder (as a dropped file)."""
    folder = portal.res.source_dir(bidang)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_xlsx(
        folder / (name or f"{bidang}-{month}-{value}.xlsx"), sheet_rows(bidang, month=month, value=value)
    )
    return path.read_bytes()


def post(client: httpx.Client, url: str, page: str, **data) -> httpx.Response:
    """A form POST with the CSRF token of `page`."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)
    return client.post(url, data={"csrf": token, **data})


def state(client: httpx.Client, month: int, bidang: str = "perumahan") -> str:
    page = client.get(f"{A}/bidang/{bidang}/2023/{month}").text
    return re.search(r'id="status-verifikasi" data-state="([^"]*)"', page).group(1)


def cell(matrix: str, key: str) -> str:
    """One matrix cell's HTML (bidang-month)."""
    return re.search(rf'data-cell="{key}">(.*?)</td>', matrix, re.S).group(1)


def test_verify_approve_lock_then_unlock(portal, tmp_path):
    for bidang in ("perumahan", "perkim"):
        for month in (4, 5, 6):
            drop(portal, tmp_path, bidang, month)
    consolidate(portal.res)
    plan, head, bidang = portal.client("perencana"), portal.client("kepala"), portal.client("bidang_a")
    matrix = f"{A}/perencana?tahun=2023"
    assert state(plan, 4) == "diterima"

    # the kepala cannot approve a quarter with months not verified: the reason names them
    r = post(head, f"{A}/triwulan/2023/2/setujui", matrix)
    assert r.status_code == 409
    assert "belum dapat disetujui" in r.text and "perumahan April (diterima)" in r.text

    # a bidang can never verify, approve or unlock (403, before anything is looked at)
    for url in (
        f"{A}/bidang/perumahan/2023/4/verifikasi",
        f"{A}/triwulan/2023/2/setujui",
        f"{A}/triwulan/2023/2/buka",
    ):
        assert post(bidang, url, f"{A}/bidang/perumahan/2023/4", alasan="x").status_code == 403
    assert state(plan, 4) == "diterima"

    for b in ("perumahan", "perkim"):
        for month in (4, 5, 6):
            page = f"{A}/bidang/{b}/2023/{month}"
            assert post(plan, f"{page}/verifikasi", page).status_code == 303
    assert state(plan, 5) == "diverifikasi"
    assert 'data-state="diverifikasi"' in cell(plan.get(matrix).text, "perkim-6")
    # the perencana cannot approve: the kepala's own action
    assert post(plan, f"{A}/triwulan/2023/2/setujui", matrix).status_code == 403

    r = post(head, f"{A}/triwulan/2023/2/setujui", matrix)
    assert r.status_code == 303
    shown = plan.get(matrix).text
    assert re.search(r'data-quarter="2">.*?disetujui.*?oleh kadis', shown, re.S)
    assert "🔒" in cell(shown, "perumahan-5") and "🔒" not in cell(shown, "perumahan-7")

    # a corrected sheet for a locked month: received, kept, and told it will not be current
    data = write_xlsx(tmp_path / "mei.xlsx", sheet_rows(month=5, value=4)).read_bytes()
    page = f"{A}/bidang/perumahan/2023/5"
    token = re.search(r'name="csrf" value="([^"]+)"', bidang.get(page).text).group(1)
    r = bidang.post(f"{page}/unggah", data={"csrf": token}, files={"berkas": ("mei.xlsx", data)})
    assert r.status_code == 200 and 'data-status="valid"' in r.text
    assert 'id="terkunci"' in r.text and "tidak menjadi data yang berlaku" in r.text
    # why (who approved, when, WIB) and what to do
    said = re.search(r'id="terkunci">(.*?)</p>', r.text, re.S).group(1)
    assert re.search(r"Triwulan II 2023 sudah disetujui oleh kadis pada \d+ \w+ \d{4} pukul [\d.]+ WIB", said)
    assert "minta Kepala Dinas membuka kunci" in said and "iku unlock --period 2023-Q2" in said
    api = httpx.post(
        f"{portal.url}/api/submissions",
        headers={"authorization": f"Bearer {portal.tokens['bidang_a']}"},
        files={"file": ("mei.xlsx", data)},
        timeout=180,
    )
    assert api.status_code == 200 and api.json()["locked"] is True
    assert "sudah disetujui oleh kadis" in api.json()["locked_reason"]
    [late] = [r for r in consolidate(portal.res) if r.month == 5]
    assert late.held is not None and late.held.approved_by == "kadis"
    may = [
        v.realisation
        for v in portal.res.warehouse.current_values(portal.res.opd, 2023)
        if (v.bidang, v.month) == ("perumahan", 5)
    ]
    assert set(may) == {3.0}  # the approved figures stay
    assert "sudah disetujui dan dikunci" in bidang.get(page).text
    # verifying a month of an approved quarter is refused with the reason
    r = post(plan, f"{page}/kembalikan", page, catatan="angka Mei salah")
    assert r.status_code == 409 and "sudah disetujui dan dikunci" in r.text

    # unlock: the kepala, with a reason only
    r = post(head, f"{A}/triwulan/2023/2/buka", matrix, alasan="  ")
    assert r.status_code == 409 and "Alasan wajib diisi untuk membuka kunci triwulan." in r.text
    r = post(head, f"{A}/triwulan/2023/2/buka", matrix, alasan="Revisi data Mei dari bidang")
    assert r.status_code == 303
    shown = plan.get(matrix).text
    assert re.search(
        r'data-quarter="2">.*?terbuka.*?dibuka kembali oleh kadis.*?Revisi data Mei', shown, re.S
    )
    may = [
        v.realisation
        for v in portal.res.warehouse.current_values(portal.res.opd, 2023)
        if (v.bidang, v.month) == ("perumahan", 5)
    ]
    assert set(may) == {4.0}  # what arrived meanwhile is current now
    assert post(plan, f"{page}/kembalikan", page, catatan="angka Mei salah").status_code == 303

    # the audit log: who, when (WIB), what, the note; readable by the kepala and the kabupaten
    log = head.get(f"{A}/audit").text
    rows = re.findall(r'<tr data-action="(\w+)"><td>([^<]+)</td><td>([^<]+)</td>.*?</tr>', log, re.S)
    assert [a for a, _, _ in rows][:3] == ["return", "unlock", "approve"]
    assert (rows[1][0], rows[1][2]) == ("unlock", "kadis") and "Revisi data Mei dari bidang" in log
    assert "pengembalian bulan" in log and "perumahan/2023-05" in log and "angka Mei salah" in log
    assert re.search(r"\d{4} \d{2}\.\d{2}", rows[0][1]) and "WIB" in log
    kab = portal.client("kabupaten")
    assert kab.get(f"{A}/audit").text.count('<tr data-action="verify">') == 6
    assert portal.client("bidang_a").get(f"{A}/audit").status_code == 403


def test_return_then_resubmission_starts_again(portal, tmp_path):
    drop(portal, tmp_path, "perumahan", 4)
    consolidate(portal.res)
    plan, bidang = portal.client("perencana"), portal.client("bidang_a")
    page = f"{A}/bidang/perumahan/2023/4"
    r = post(plan, f"{page}/kembalikan", page, catatan="")
    assert r.status_code == 409 and "Catatan wajib diisi" in r.text
    assert post(plan, f"{page}/kembalikan", page, catatan="IKU-01 tertukar dengan IKU-02").status_code == 303
    assert state(plan, 4) == "dikembalikan"
    # the bidang sees the return and its note, on the month and on its year
    shown = bidang.get(page).text
    assert 'id="catatan-kembali"' in shown and "IKU-01 tertukar dengan IKU-02" in shown
    year = bidang.get(f"{A}/bidang/perumahan?tahun=2023").text
    assert "dikembalikan" in year and "Catatan: IKU-01 tertukar dengan IKU-02" in year
    returned = cell(plan.get(f"{A}/perencana?tahun=2023").text, "perumahan-4")
    assert 'data-state="dikembalikan"' in returned and "IKU-01 tertukar" in returned
    # the correction arrives: the month starts again at diterima
    data = write_xlsx(tmp_path / "betul.xlsx", sheet_rows(value=5)).read_bytes()
    token = re.search(r'name="csrf" value="([^"]+)"', bidang.get(page).text).group(1)
    r = bidang.post(f"{page}/unggah", data={"csrf": token}, files={"berkas": ("betul.xlsx", data)})
    assert r.status_code == 200 and 'data-status="valid"' in r.text and 'id="terkunci"' not in r.text
    consolidate(portal.res)
    assert state(bidang, 4) == "diterima"
    assert 'id="catatan-kembali"' not in bidang.get(page).text


def test_a_returned_month_is_alerted_to_the_bidang(portal, tmp_path):
    """The alert path of every alert: recorded in the warehouse per channel, delivered by the next run."""
    from iku.resources import Resources
    from iku.warehouse.sakip import Sakip
    from iku.web import cycle

    drop(portal, tmp_path, "perumahan", 4)
    consolidate(portal.res)
    res = Resources(
        settings=portal.res.settings.model_copy(update={"alert_webhook_url": "http://127.0.0.1:9/kait"}),
        config=portal.res.config,
    )
    view = Sakip(res.warehouse).return_month(
        res.opd, "perumahan", 2023, 4, "Lampirkan berita acara", actor="rencana", role="perencana"
    )
    assert cycle.alert_returned(res, view, "Lampirkan berita acara") == 1
    (row,) = [a for a in res.warehouse.alerts(res.opd) if a["kind"] == "returned_month"]
    assert (row["bidang"], row["year"], row["month"], row["channel"]) == ("perumahan", 2023, 4, "webhook")
    body = row["payload"]
    assert body["note"] == "Lampirkan berita acara" and body["opd"] == "disperkim-tjb"
    assert "April 2023" in body["message"] and "dikembalikan" in body["message"]
    assert cycle.alert_returned(res, view, "Lampirkan berita acara") == 0  # never twice for one return


def test_evidence_through_the_api_and_the_page(portal, tmp_path):
    drop(portal, tmp_path, "perumahan", 4)
    consolidate(portal.res)
    auth = {"authorization": f"Bearer {portal.tokens['bidang_a']}"}

    def send(data: bytes, name: str = "ba.pdf", **fields) -> httpx.Response:
        form = {"indicator": "IKU-01", "period": "2023-04", **fields}
        return httpx.post(
            f"{portal.url}/api/evidence", headers=auth, data=form, files={"file": (name, data)}, timeout=180
        )

    r = send(PDF)
    assert r.status_code == 200
    assert r.json() == {
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "bidang": "perumahan",
        "indicator": "IKU-01",
        "year": 2023,
        "month": 4,
        "size": len(PDF),
        "content_type": "application/pdf",
    }
    assert send(b"catatan biasa", "a.txt").status_code == 415
    assert send(b"%PDF-" + b"0" * 10_000_001).status_code == 413
    assert send(PDF, indicator="IKU-04").status_code == 400  # perkim's indicator
    assert send(PDF, period="2023-13").status_code == 400
    assert (
        httpx.post(f"{portal.url}/api/evidence", files={"file": ("a.pdf", PDF)}, timeout=60).status_code
        == 401
    )
    # the perencana adds a photo through the month page
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    plan = portal.client("perencana")
    page = f"{A}/bidang/perumahan/2023/4"
    token = re.search(r'name="csrf" value="([^"]+)"', plan.get(page).text).group(1)
    r = plan.post(
        f"{page}/bukti", data={"csrf": token, "indikator": "IKU-02"}, files={"berkas": ("foto.png", png)}
    )
    assert r.status_code == 303
    shown = portal.client("bidang_a").get(page).text
    link = f"{A}/bukti/{hashlib.sha256(PDF).hexdigest()}"
    assert f'href="{link}">ba.pdf' in shown and "foto.png" in shown
    # served to who may read perumahan only, as a download
    got = portal.client("bidang_a").get(link)
    assert (
        got.status_code == 200 and got.content == PDF and "attachment" in got.headers["content-disposition"]
    )
    assert portal.client("kabupaten").get(link).status_code == 200
    assert portal.client("bidang_b").get(link).status_code == 404
    assert portal.client("keuangan").get(link).status_code == 404
    # bidang_b cannot add evidence to perumahan's month
    b = portal.client("bidang_b")
    assert post(b, f"{page}/bukti", f"{A}/bidang/perkim/2023/4", indikator="IKU-01").status_code == 403
    log = plan.get(f"{A}/audit").text
    assert log.count("unggah bukti dukung") == 2 and "foto.png" in log


def test_a_plausibility_warning_never_refuses(portal, tmp_path):
    for month in (1, 2, 3, 4):
        drop(portal, tmp_path, "perumahan", month, value=15)
    consolidate(portal.res)
    bidang = portal.client("bidang_a")
    page = f"{A}/bidang/perumahan/2023/5"
    data = write_xlsx(tmp_path / "mei.xlsx", sheet_rows(month=5, value=1500)).read_bytes()
    token = re.search(r'name="csrf" value="([^"]+)"', bidang.get(page).text).group(1)
    r = bidang.post(f"{page}/unggah", data={"csrf": token}, files={"berkas": ("mei.xlsx", data)})
    assert r.status_code == 200 and 'data-status="valid"' in r.text  # received, valid
    assert 'id="perlu-dicek"' in r.text and "perlu dicek: IKU-01 bernilai 1.500" in r.text
    consolidate(portal.res)
    assert sha_current(portal, data)
    plan = portal.client("perencana")
    matrix = plan.get(f"{A}/perencana?tahun=2023").text
    assert "⚠" in cell(matrix, "perumahan-5") and "⚠" not in cell(matrix, "perumahan-4")
    follow = plan.get(f"{A}/perlu-dicek?tahun=2023").text
    assert "IKU-01 bernilai 1.500" in follow and "Mei" in follow
    assert "perlu dicek" in plan.get(page).text
    # the list is what the consolidation kept with the submission, not a guess made anew
    sha = hashlib.sha256(data).hexdigest()
    kept = portal.res.warehouse.engine
    with kept.begin() as conn:
        stored = conn.scalar(select(submission.c.warnings).where(submission.c.sha256 == sha))
        assert [w["indicator"] for w in stored][:2] == ["IKU-01", "IKU-02"]
        conn.execute(update(submission).where(submission.c.sha256 == sha).values(warnings=[]))
    assert "IKU-01 bernilai 1.500" not in plan.get(f"{A}/perlu-dicek?tahun=2023").text
    # a submission loaded before warnings were kept (NULL) is checked when shown
    with kept.begin() as conn:
        conn.execute(update(submission).where(submission.c.sha256 == sha).values(warnings=null()))
    assert "IKU-01 bernilai 1.500" in plan.get(f"{A}/perlu-dicek?tahun=2023").text


def sha_current(portal, data: bytes) -> bool:
    sha = hashlib.sha256(data).hexdigest()
    return any(v.sha256 == sha for v in portal.res.warehouse.current_values(portal.res.opd, 2023))


@pytest.fixture
def budget_portal(portal_factory, config_copy):
    return portal_factory(config_dir=with_programs(config_copy))


def test_budget_upload_by_the_finance_office(budget_portal, tmp_path):
    p = budget_portal
    money = p.client("keuangan")
    assert money.get("/").headers["location"] == f"{A}/anggaran"
    page = money.get(f"{A}/anggaran")
    assert page.status_code == 200 and 'id="kirim-anggaran"' in page.text
    sheet = money.get(f"{A}/anggaran/templat/2024/3")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    data = write_sheet(tmp_path / "lra.xlsx", sipd_rows(month=3, year=2024)).read_bytes()
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = money.post(
        f"{A}/anggaran/unggah",
        data={"csrf": token, "periode": "2024-03"},
        files={"berkas": ("lra.xlsx", data)},
    )
    assert r.status_code == 200 and 'data-status="loaded"' in r.text
    assert "1.04.02" in r.text
    again = money.post(
        f"{A}/anggaran/unggah",
        data={"csrf": token, "periode": "2024-03"},
        files={"berkas": ("lra.xlsx", data)},
    )
    assert 'data-status="unchanged"' in again.text
    bad = write_xlsx(
        tmp_path / "x.xlsx", [["kode", "uraian", "pagu", "realisasi"], ["1.04.02", "P", 100, 200]]
    )
    r = money.post(
        f"{A}/anggaran/unggah",
        data={"csrf": token, "periode": "2024-04"},
        files={"berkas": ("x.xlsx", bad.read_bytes())},
    )
    assert r.status_code == 422 and 'data-status="refused"' in r.text and "Ditolak seluruhnya" in r.text
    assert "lra.xlsx" in money.get(f"{A}/anggaran").text
    # the finance office reads budget pages only; a bidang not even those
    assert money.get(f"{A}/perencana").status_code == 403
    assert p.client("bidang_a").get(f"{A}/anggaran").status_code == 403
    assert 'id="kirim-anggaran"' not in p.client("kepala").get(f"{A}/anggaran").text


def test_the_guides_are_pages_of_the_portal(portal):
    bidang = portal.client("bidang_a")
    page = bidang.get("/panduan/bidang")
    assert page.status_code == 200 and "<h1" in page.text and "<li>" in page.text
    pictures = re.findall(r'src="(/panduan/[a-z0-9-]+\.png)"', page.text)
    assert pictures and bidang.get(pictures[0]).headers["content-type"] == "image/png"
    other = portal.client("perencana").get("/panduan/perencana").text
    assert 'href="/panduan/bidang"' in other
    assert bidang.get("/panduan/rahasia").status_code == 404
    assert httpx.get(f"{portal.url}/panduan/bidang", timeout=60).headers["location"] == "/masuk"


def test_a_month_without_required_evidence_is_flagged(portal_factory, config_copy, tmp_path):
    opd = config_copy / "opd.yaml"
    opd.write_text(
        opd.read_text(encoding="utf-8").replace(
            "  - code: IKU-01\n", "  - code: IKU-01\n    evidence_required: true\n", 1
        ),
        encoding="utf-8",
    )
    p = portal_factory(config_dir=config_copy)
    for month in (4, 5):
        drop(p, tmp_path, "perumahan", month)
    consolidate(p.res)
    plan = p.client("perencana")
    page = f"{A}/bidang/perumahan/2023/5"
    token = re.search(r'name="csrf" value="([^"]+)"', plan.get(page).text).group(1)
    sent = plan.post(
        f"{page}/bukti", data={"csrf": token, "indikator": "IKU-01"}, files={"berkas": ("ba.pdf", PDF)}
    )
    assert sent.status_code == 303
    matrix = plan.get(f"{A}/perencana?tahun=2023").text
    assert "bukti belum ada" in cell(matrix, "perumahan-4") and "IKU-01" in cell(matrix, "perumahan-4")
    assert "bukti belum ada" not in cell(matrix, "perumahan-5")
    assert "bukti belum ada" not in cell(matrix, "perumahan-6")  # nothing sent yet: no evidence expected
    assert "bukti belum ada" in plan.get(f"{A}/bidang/perumahan/2023/4").text


def test_evidence_and_budget_sheets_count_in_the_upload_quota(portal_factory, config_copy, tmp_path):
    p = portal_factory(config_dir=with_programs(config_copy), uploads_per_hour=2)
    auth = {"authorization": f"Bearer {p.tokens['bidang_a']}"}
    answers = [
        httpx.post(
            f"{p.url}/api/evidence",
            headers=auth,
            data={"indicator": "IKU-01", "period": "2023-04"},
            files={"file": (f"ba{i}.pdf", PDF + str(i).encode())},
            timeout=180,
        )
        for i in range(3)
    ]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert "batas 2 berkas per jam" in answers[2].json()["detail"] and answers[2].headers["retry-after"]
    money = p.client("keuangan")
    token = re.search(r'name="csrf" value="([^"]+)"', money.get(f"{A}/anggaran").text).group(1)
    data = write_sheet(tmp_path / "lra.xlsx", sipd_rows(month=3, year=2024)).read_bytes()
    codes = [
        money.post(
            f"{A}/anggaran/unggah", data={"csrf": token}, files={"berkas": (f"{i}.xlsx", data)}
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
