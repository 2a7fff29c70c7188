"""HTML report: escaping, Indonesian numbers, self-containment, index, speed."""

from __future__ import annotations

import re

from report_seed import AS_OF, FORMULA_NOTES, SCRIPT_NOTE, add_factors

from iku.domain.periods import Period
from iku.reports import load_report_data, render_html, render_report, write_index, written
from iku.warehouse.reports import record_reports, written_reports

EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)


def test_html_contents(seeded_res):
    html = render_html(load_report_data(seeded_res, Period(2023, 2), AS_OF))
    assert "Laporan Evaluasi Kinerja Triwulan II Tahun 2023" in html
    assert "Dinas Perumahan dan Kawasan Permukiman" in html
    # the hostile note is text, not a script
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT_NOTE not in html and "<script" not in html.lower()
    assert "=HYPERLINK(&#34;http://evil.example/x&#34;,&#34;klik&#34;)" in html
    # Indonesian numbers; flags named
    assert "37,33 %" in html and "78,95 %" in html and ">7,89<" in html
    assert "target belum ditetapkan" in html and "data belum lengkap (Juni)" in html
    # one chart per indicator, submission matrix in Indonesian, sources with SHA-256
    assert html.count("<svg") == 5
    for label in ("Tepat waktu", "Terlambat", "Tidak valid"):
        assert label in html
    assert 'class="st-invalid"' in html and 'class="st-late"' in html
    assert "perumahan-2023-02-rev.xlsx" in html and "SHA-256" in html
    assert "size: A4 landscape" in html
    assert not EXTERNAL.search(html)


def test_scanner_can_fail():
    assert EXTERNAL.search('<img src="https://cdn.example/x.png">')
    assert EXTERNAL.search("<link href='//fonts.example/css'>")
    assert EXTERNAL.search("body { background: url(http://x/y.png) }")


def test_index_links_every_report_the_warehouse_recorded(seeded_res):
    out = seeded_res.output_dir
    wh = seeded_res.warehouse
    for period, folder in ((Period(2023, 1), "2023"), (Period(2022), "2022")):
        paths = render_report(load_report_data(seeded_res, period, AS_OF), out / folder)
        record_reports(wh, written(paths, seeded_res.opd))
    render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), out / "2023")  # not recorded
    opd = seeded_res.config.catalogue.opd
    index = write_index(
        out, written_reports(wh), opd.name, opd.region, {opd.code: opd.name}, "Asia/Jakarta"
    ).read_text(encoding="utf-8")
    assert "iku-2023-Q2" not in index  # built from the warehouse's record, not from the folder
    for href in (
        "2023/iku-2023-Q1.html",
        "2023/iku-2023-Q1.xlsx",
        "2023/iku-2023-Q1.json",
        "2022/iku-2022.html",
    ):
        assert f'href="{href}"' in index
    assert "Triwulan I 2023" in index and "Laporan tahunan 2022" in index


def test_formula_notes_in_html_are_plain(seeded_res):
    html = render_html(load_report_data(seeded_res, Period(2023, 2), AS_OF))
    for note in FORMULA_NOTES[1:]:
        assert note in html


def test_html_evaluates_mid_year_as_provisional_and_names_what_averages_cover(seeded_res):
    add_factors(seeded_res.warehouse)
    html = render_html(load_report_data(seeded_res, Period(2023, 2), AS_OF))
    # no Rencana Aksi: no quarterly predicate, the annual capaian is provisional with its projection
    assert "Rencana Aksi s.d. Triwulan II" in html and "sementara</span>" in html
    assert "Tanpa predikat (capaian sementara)" in html
    assert "89,60 %" in html  # IKU-02's projection
    assert "rata-rata 3 dari 5 indikator; tanpa capaian: IKU-01 (target belum ditetapkan), IKU-05" in html
    # the bidang's faktor columns, with their month
    assert "<b>Mei:</b> Swadaya masyarakat tinggi" in html
    assert (
        "<b>Juni:</b> Hujan deras menunda pekerjaan" in html
        and "<b>Juni:</b> Pekerjaan dilanjutkan Juli" in html
    )
    # columns never break a word
    assert "break-all" not in html and "hyphens: manual" in html
    assert "counter(page)" in html  # page numbers when printed


def test_annual_html_has_the_quarters(seeded_res):
    html = render_html(load_report_data(seeded_res, Period(2023), AS_OF))
    for q in ("I", "II", "III", "IV"):
        assert f"Realisasi Triwulan {q}</th>" in html
    assert "Rata-rata tingkat capaian kinerja 2023" in html and "Tanpa predikat" not in html


def test_reports_written_before_the_record_are_adopted_once_newer_unrecorded_ones_are_not(seeded_res):
    import os

    from tasks.reports import update_index

    out = seeded_res.output_dir
    old = render_report(load_report_data(seeded_res, Period(2023, 1), AS_OF), out / "2023")
    for p in old:  # written by a version that kept no record
        os.utime(p, (1_600_000_000, 1_600_000_000))
    recorded = render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), out / "2023")
    record_reports(seeded_res.warehouse, written(recorded, seeded_res.opd))
    render_report(load_report_data(seeded_res, Period(2023, 3), AS_OF), out / "2023")  # after: not recorded
    index = update_index.fn(seeded_res).read_text(encoding="utf-8")
    assert 'href="2023/iku-2023-Q1.html"' in index and 'href="2023/iku-2023-Q2.html"' in index
    assert "iku-2023-Q3" not in index
    locations = {r.location for r in written_reports(seeded_res.warehouse)}
    assert str(out / "2023" / "iku-2023-Q1.json") in locations  # adopted into the record


def test_mid_year_no_predicate_badge_but_the_projection_basis(seeded_res):
    """Issue 17 N3: in TW II no provisional capaian, projection or average of
    them carries a predicate (the seed has no Rencana Aksi: no verdict at all),
    and the projection says what it rests on."""
    html = render_html(load_report_data(seeded_res, Period(2023, 2), AS_OF))
    badges = re.findall(r'<span class="pred"[^>]*>([^<]+)</span>', html)
    assert badges and all(b.isdigit() for b in badges)  # only the summary's counts, no predicate
    projected = re.search(r"<tr><td>Rata-rata proyeksi capaian akhir tahun</td>.*?</tr>", html, re.S)
    assert projected and "sementara" in projected.group(0) and "pred" not in projected.group(0)
    assert "menurut laju rata-rata bulan berjalan" in html


def test_keterangan_is_short_and_the_appendix_follows_the_signature(seeded_res):
    """Issue 17 N4: a note every month, each long, made a page per indicator in
    the annual PDF. The table shows the latest note of each quarter, clipped;
    every note whole is in the appendix, which comes after the pengesahan."""
    from dataclasses import replace

    from iku.config import Pengesahan
    from iku.reports.model import Note

    cfg, cat = seeded_res.config, seeded_res.config.catalogue
    sign = Pengesahan(
        place="Kuala Tungkal", title="Kepala Dinas", name="Nama Kepala", rank="Pembina", nip="1"
    )
    seeded_res.config = cfg.model_copy(
        update={"catalogue": cat.model_copy(update={"opd": cat.opd.model_copy(update={"pengesahan": sign})})}
    )
    data = load_report_data(seeded_res, Period(2023), AS_OF)
    long = {
        m: f"Catatan bulan {m}: " + "pekerjaan berjalan sesuai jadwal " * 20 + f"akhir-{m}"
        for m in range(1, 13)
    }
    notes = tuple(Note(m, "perumahan", text, f"f{m}.xlsx") for m, text in long.items())
    data.groups = [
        replace(g, rows=tuple(replace(r, notes=notes) if r.indicator.code == "IKU-02" else r for r in g.rows))
        for g in data.groups
    ]
    html = render_html(data)
    table = html[html.index("Capaian Indikator Kinerja Utama") : html.index("Rata-rata Capaian")]
    row = table[table.index(">IKU-02<") :]
    row = row[: row.index("</tr>")]
    shown = re.findall(r'<span class="note"><b>(\w+):</b> ([^<]*)</span>', row)
    assert [month for month, _ in shown] == ["Desember"] and len(shown[0][1]) <= 160  # the newest, clipped
    assert shown[0][1].endswith("…")
    assert "Catatan lengkap: Lampiran." in row and "akhir-12" not in row
    signature, appendix = html.index('<section class="pengesahan">'), html.index("<h2>Lampiran</h2>")
    assert signature < appendix < html.index("<h3>Sumber Data</h3>")
    full = html[appendix:]
    assert all(f"akhir-{m}</li>" in full for m in range(1, 13))  # every note, whole
    # IKU-05's one short note is shown whole: it needs no appendix; IKU-03's April note gave way to May's
    assert "<b>IKU-05 " not in full and "<b>IKU-03 " in full


def test_short_notes_keep_the_latest_of_each_quarter_while_they_fit():
    from iku.reports.model import Note
    from iku.reports.notes import short_notes

    notes = [Note(m, "perumahan", f"catatan {m}", "f.xlsx") for m in range(1, 13)]
    short = short_notes(notes)
    assert [n.month for n in short.shown] == [3, 6, 9, 12] and not short.complete  # the rest: appendix
    one = short_notes(notes[4:5])
    assert [n.text for n in one.shown] == ["catatan 5"] and one.complete
    assert short_notes([]).complete and short_notes([]).shown == ()
