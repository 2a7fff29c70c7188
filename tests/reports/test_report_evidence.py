"""Bukti dukung in the reports and the LKjIP (CONTRACT §12): each indicator's
files per month with the portal's link, in the JSON, the HTML and the Excel,
and the months an indicator that requires evidence has none. On SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import io

import openpyxl
from report_seed import AS_OF

from iku.domain.periods import Period
from iku.reports import load_report_data, render_excel, render_html, report_json
from iku.reports.lakip import lakip_json, load_lakip_data
from iku.reports.lakip_excel import render_lakip_excel
from iku.warehouse.sakip import Sakip

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _require_evidence(res, code: str) -> None:
    cat = res.config.catalogue
    indicators = [i.model_copy(update={"evidence_required": i.code == code}) for i in cat.indicators]
    res.config = res.config.model_copy(
        update={"catalogue": cat.model_copy(update={"indicators": indicators})}
    )


def _sheet_text(xlsx: bytes, name: str) -> str:
    ws = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)[name]
    return "\n".join(
        " | ".join(str(c) for c in row if c is not None) for row in ws.iter_rows(values_only=True)
    )


def test_reports_list_the_evidence_and_flag_a_required_one_missing(seeded_res_any, tmp_path):
    res = seeded_res_any
    _require_evidence(res, "IKU-01")
    sakip = Sakip.for_pipeline(res.warehouse, res.config.pipeline)
    for month in (2, 8):  # August is after the report's period: not listed
        sakip.record_evidence(
            res.opd,
            "perumahan",
            "IKU-01",
            2023,
            month,
            "berita-acara.pdf",
            PDF,
            archive_root=tmp_path / "arsip",
            actor="budi",
            role="bidang",
            actor_bidang="perumahan",
        )
    sha = hashlib.sha256(PDF).hexdigest()
    link = f"/opd/{res.opd}/bukti/{sha}"
    data = load_report_data(res, Period(2023, 2), AS_OF)
    doc = {i["code"]: i for i in report_json(data)["indicators"]}
    [item] = doc["IKU-01"]["evidence"]
    assert (item["month"], item["file"], item["sha256"], item["url"]) == (2, "berita-acara.pdf", sha, link)
    assert item["content_type"] == "application/pdf" and item["uploaded_at"].endswith("+07:00")
    missing = doc["IKU-01"]["evidence_missing"]
    assert 1 in missing and 2 not in missing and max(missing) <= 6  # months with data, through June
    assert (doc["IKU-02"]["evidence"], doc["IKU-02"]["evidence_missing"]) == ([], [])  # not required

    html = render_html(data)
    assert f'<a href="{link}">berita-acara.pdf</a>' in html
    assert "Bukti dukung wajib belum ada: IKU-01 (Januari" in html
    sheet = _sheet_text(render_excel(data), "Bukti Dukung")
    assert "berita-acara.pdf" in sheet and link in sheet and "bukti dukung wajib belum ada" in sheet

    lakip = load_lakip_data(res, 2023)
    entry = {e["code"]: e for e in lakip_json(lakip)["evidence"]}["IKU-01"]
    assert [e["month"] for e in entry["evidence"]] == [2, 8] and 2 not in entry["evidence_missing"]
    lakip_sheet = _sheet_text(render_lakip_excel(lakip), "Bukti Dukung")
    assert lakip_sheet.count("berita-acara.pdf") == 2 and link in lakip_sheet
