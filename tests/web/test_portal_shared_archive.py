"""The portal serves an archived file from a shared store: the warehouse row
names an s3:// copy (written by a worker on another machine), a real S3 API on
loopback (moto's server) holds it."""

from __future__ import annotations

import pytest
from remote_stores import forget_connections, start_s3
from sheetkit import sheet_rows, write_xlsx
from sqlalchemy import text
from webkit import consolidate

from iku import storage
from iku.storage import Remote


@pytest.fixture
def s3(monkeypatch):
    server = start_s3(buckets=("iku-arsip",))
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    forget_connections()
    yield server
    forget_connections()
    server.stop()


def test_an_archived_file_in_s3_is_served_to_its_bidang(portal, tmp_path, s3):
    data = write_xlsx(portal.res.source_dir("perumahan") / "04.xlsx", sheet_rows(month=4)).read_bytes()
    (record,) = consolidate(portal.res)
    copy = Remote(f"s3://iku-arsip/arsip/{record.sha256[:2]}/{record.sha256}.xlsx")
    storage.write(copy, data)
    with portal.res.warehouse.engine.begin() as conn:
        conn.execute(
            text("UPDATE submission SET archive_path = :url WHERE sha256 = :sha"),
            {"url": str(copy), "sha": record.sha256},
        )
    c = portal.client("bidang_a")
    r = c.get(f"/opd/disperkim-tjb/berkas/{record.sha256}")
    assert r.status_code == 200 and r.content == data
    assert f'filename="perumahan-{record.sha256[:12]}.xlsx"' in r.headers["content-disposition"]
    storage.filesystem(copy)[0].rm(f"iku-arsip/arsip/{record.sha256[:2]}/{record.sha256}.xlsx")
    gone = c.get(f"/opd/disperkim-tjb/berkas/{record.sha256}")
    assert gone.status_code == 404 and "tidak ada lagi di arsip" in gone.text


def test_reports_in_s3_are_listed_and_served(portal, s3):
    out = Remote("s3://iku-laporan/out")
    storage.filesystem(out)[0].mkdir("iku-laporan")
    portal.res.settings.output_dir = out  # the portal's machine reads the shared output
    storage.write(out / "2023" / "iku-2023-Q2.html", "<p>Laporan Triwulan II</p>")
    storage.write(out / "2023" / "iku-2023-Q2.json", "{}\n")
    storage.write(out / "2023" / "catatan.txt", "bukan laporan")
    c = portal.client("perencana")
    page = c.get("/opd/disperkim-tjb/laporan")
    assert page.status_code == 200
    assert (
        "/laporan/2023/iku-2023-Q2.html?unduh=0" in page.text
        and "/laporan/2023/iku-2023-Q2.json" in page.text
    )
    assert "catatan.txt" not in page.text
    shown = c.get("/opd/disperkim-tjb/laporan/2023/iku-2023-Q2.html?unduh=0")
    assert shown.status_code == 200 and "Laporan Triwulan II" in shown.text
    assert "content-disposition" not in shown.headers
    saved = c.get("/opd/disperkim-tjb/laporan/2023/iku-2023-Q2.json")
    assert saved.content == b"{}\n" and 'filename="iku-2023-Q2.json"' in saved.headers["content-disposition"]
    assert c.get("/opd/disperkim-tjb/laporan/2023/iku-2023-Q3.json").status_code == 404
