"""The validation page people read (out/validasi/), linked from out/index.html."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from conftest import REPO

from iku.config import load_config
from iku.domain.model import Held, Problem, SubmissionRecord
from iku.reports.index import write_index, written
from iku.reports.validation_page import write_validation_page

RUN = datetime(2023, 5, 8, 2, 0, tzinfo=UTC)  # 09.00 WIB


def _record(name, status, problems=(), month=4):
    return SubmissionRecord(
        sha256=name.encode().hex().ljust(64, "0")[:64],
        bidang="perumahan",
        file_name=name,
        source_path=f"/inbox/perumahan/{name}",
        archive_path="",
        size_bytes=10,
        received_at=RUN,
        status=status,
        year=2023,
        month=month,
        problems=list(problems),
    )


def test_every_problem_with_row_column_and_fix_and_the_index_links_it(tmp_path):
    config = load_config(REPO / "config")
    records = [
        _record("baik.xlsx", "valid"),
        _record(
            "april.xlsx",
            "invalid",
            [
                Problem(
                    "Realisasi 'abc' bukan angka. Tulis angka saja, misalnya 12 atau 9,85.", 9, "realisasi"
                ),
                Problem("Indikator IKU-05 belum ada. Tambahkan barisnya.", None, "kode_indikator"),
            ],
        ),
        _record("rusak.xlsx", "unreadable", [Problem("Berkas rusak <b>atau</b> terenkripsi.")], month=None),
    ]
    path = write_validation_page(tmp_path, records, config.catalogue, "Asia/Jakarta", RUN)
    assert path == tmp_path / "validasi" / "validasi-20230508-090000.html"
    html = path.read_text(encoding="utf-8")
    assert "3 berkas baru: 1 valid, 1 tidak valid, 1 tidak terbaca" in html
    assert re.search(r"<td class=\"c\">9</td><td>realisasi</td><td>Realisasi &#39;abc&#39; bukan angka", html)
    assert "Indikator IKU-05 belum ada" in html and "April 2023" in html
    assert "&lt;b&gt;atau&lt;/b&gt;" in html  # the file's own text is escaped
    assert "default-src 'none'" in html and "<script" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from outside
    # the files needing work come first
    assert html.index("april.xlsx") < html.index("baik.xlsx")

    opd = config.catalogue.opd
    index = write_index(
        tmp_path, written([path], opd.code), opd.name, opd.region, {opd.code: opd.name}, "Asia/Jakarta"
    ).read_text(encoding="utf-8")
    assert 'href="validasi/validasi-20230508-090000.html"' in index
    assert "Pemeriksaan 8 Mei 2023 09.00" in index


def test_a_held_file_and_a_plausibility_warning_are_named(tmp_path):
    """CONTRACT §12: the run's page says which valid files a locked quarter kept
    out of the current data (who approved, when) and which are "perlu dicek"."""
    config = load_config(REPO / "config")
    held = _record("mei.xlsx", "valid", month=5)
    held.held = Held(2023, 2, "Kadis", datetime(2023, 7, 12, 3, 30, tzinfo=UTC))
    odd = _record("juni.xlsx", "valid", month=6)
    odd.warnings = [{"indicator": "IKU-02", "rule": "jump", "message": "perlu dicek: IKU-02 bernilai 1.500"}]
    html = write_validation_page(tmp_path, [held, odd], config.catalogue, "Asia/Jakarta", RUN).read_text(
        encoding="utf-8"
    )
    assert (
        "Terkunci: berkas dicatat, tetapi tidak menjadi data yang berlaku; Triwulan II 2023 sudah disetujui "
        "oleh Kadis pada 12 Juli 2023 pukul 10.30 WIB dan dikunci" in html
    )
    assert "<li>perlu dicek: IKU-02 bernilai 1.500</li>" in html
