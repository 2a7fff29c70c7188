"""The performance tree (pohon kinerja, issue 19 item 5): the builder's figures
against hand-computed ones, an OPD without programs and one without budget,
the kabupaten's RPJMD IKU above the OPD IKU, hostile names shown as text, and
the page in headless Chromium at A4 and at phone width, printed to PDF."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser import browser_required, chromium_path, load_page
from budgetkit import with_programs
from kabupatenkit import DINKES, EXAMPLES, SEED, kabupaten_config

from iku.config import load_installation
from iku.domain.budget import BudgetLine
from iku.domain.model import MonthlyValue
from iku.domain.periods import Period
from iku.reports.model import build_report_data
from iku.reports.tree import (
    COLUMN_HEAD_H,
    FIRST_PAGE_H,
    NO_BUDGET,
    NO_CASH_PLAN,
    NO_PROGRAM,
    PAGE_H,
    build_tree,
    layout,
    render_tree_html,
    tree_budgets,
    tree_written,
    write_tree,
)

REPO = Path(__file__).resolve().parents[2]
WHEN = datetime(2025, 1, 10, tzinfo=UTC)
OPD = "disperkim-tjb"


def _value(bidang, code, month, realisation=None, num=None, den=None, year=2024):
    return MonthlyValue(bidang, code, year, month, realisation, num, den, None, "s.xlsx", "h", 1, WHEN)


def _values(through: int = 12) -> list[MonthlyValue]:
    """IKU-01: 2 a month; IKU-02: 12 a month (target 150); IKU-04: ratio 8 of 100 in the latest month."""
    out = []
    for m in range(1, through + 1):
        out.append(_value("perumahan", "IKU-01", m, 2))
        out.append(_value("perumahan", "IKU-02", m, 12))
    out.append(_value("perkim", "IKU-04", through, num=8, den=100))
    return out


def _line(code, level, pagu, real):
    return BudgetLine(code, level, code, pagu, real)


# pagu / realisasi through December (rupiah)
YEAR_LINES = {
    line.code: line
    for line in [
        _line("1.04.02", "program", 1_250_000_000, 1_100_000_000),
        _line("1.04.02.2.01", "kegiatan", 750_000_000, 700_000_000),
        _line("1.04.02.2.02", "kegiatan", 500_000_000, 400_000_000),
        _line("1.04.03", "program", 300_000_000, 120_000_000),
    ]
}


def _config(tmp_path: Path, programs: bool = True, edit=None):
    dest = tmp_path / "config"
    shutil.copytree(REPO / "config", dest)
    if programs:
        with_programs(dest)
    if edit is not None:
        opd = dest / "opd.yaml"
        opd.write_text(edit(opd.read_text(encoding="utf-8")), encoding="utf-8")
    return load_installation(dest).config()


def _by(tree, kind, code, parent=None):
    nodes = parent.walk() if parent is not None else tree.nodes
    return next(n for n in nodes if n.kind == kind and n.code == code)


def test_the_builders_figures_by_hand(tmp_path):
    cfg = _config(tmp_path)
    data = build_report_data(cfg, _values(), [], Period(2024), WHEN)
    tree = build_tree([data], {OPD: YEAR_LINES})

    assert [n.code for n in tree.roots] == ["IKU-01", "IKU-02", "IKU-03", "IKU-04", "IKU-05"]
    assert not tree.has_rpjmd and tree.unlinked == []
    iku2 = _by(tree, "iku", "IKU-02")
    # 12 x 12 = 144 of 150: 96,00 %, Sangat Tinggi
    assert (iku2.target, iku2.realisation, iku2.capaian, iku2.predicate) == (150, 144, 96.0, "Sangat Tinggi")
    # its budget: the one program listing it, 1.100 of 1.250 million = 88,00 %
    assert (iku2.pagu, iku2.budget_realisation, iku2.absorption) == (1.25e9, 1.1e9, 88.0)
    # only the kegiatan supporting IKU-02 (1.04.02.2.01 names IKU-01 alone)
    assert [k.code for k in iku2.children[0].children] == ["1.04.02.2.02"]
    assert iku2.children[0].also == ("IKU-01",)
    iku1 = _by(tree, "iku", "IKU-01")
    assert iku1.capaian is None and iku1.predicate is None and iku1.why == "target belum ditetapkan"
    assert [k.code for k in iku1.children[0].children] == ["1.04.02.2.01", "1.04.02.2.02"]
    # program: target = pagu; tingkat capaian Rp = realisasi / pagu = 88,00 %: Tinggi
    program = _by(tree, "program", "1.04.02", iku1)
    assert (program.target, program.realisation, program.unit) == (1.25e9, 1.1e9, "Rp")
    assert (program.capaian, program.absorption, program.predicate) == (88.0, 88.0, "Tinggi")
    keg = _by(tree, "kegiatan", "1.04.02.2.01", iku1)
    assert (keg.absorption, keg.predicate) == (93.33, "Sangat Tinggi")  # 700 / 750
    # 120 / 300 = 40,00 %: Sangat Rendah; its kegiatan has no line in the budget data
    iku4 = _by(tree, "iku", "IKU-04")
    assert (iku4.absorption, iku4.children[0].predicate) == (40.0, "Sangat Rendah")
    assert iku4.children[0].children[0].absorption is None
    assert iku4.children[0].children[0].budget_note == "tidak ada pada data anggaran"
    # an IKU no program supports: a leaf, absorption "–" with the reason
    iku3 = _by(tree, "iku", "IKU-03")
    assert iku3.children == () and iku3.absorption is None
    assert iku3.budget_note == "tidak ada program yang mendukung"


def test_mid_year_predicates_are_read_against_the_plan(tmp_path):
    """TW II: an IKU without Rencana Aksi has a provisional capaian and no
    predicate; a kegiatan with anggaran kas is judged against it."""
    cfg = _config(tmp_path)
    data = build_report_data(cfg, _values(6), [], Period(2024, 2), WHEN)
    lines = {
        "1.04.02": _line("1.04.02", "program", 1_250_000_000, 500_000_000),
        "1.04.02.2.01": _line("1.04.02.2.01", "kegiatan", 750_000_000, 300_000_000),
    }
    tree = build_tree([data], {OPD: lines}, budget_months={OPD: 5})
    iku2 = _by(tree, "iku", "IKU-02")
    assert (iku2.capaian, iku2.predicate, iku2.provisional) == (48.0, None, True)  # 72 / 150
    assert "sementara" in iku2.basis
    keg = _by(tree, "kegiatan", "1.04.02.2.01")
    # absorption 300 / 750 = 40,00 %; planned through TW II 400 / 750 = 53,33 %;
    # 40 / 53,33 x 100 = 75,00 %: Sedang
    assert (keg.absorption, keg.capaian, keg.predicate) == (40.0, 75.0, "Sedang")
    program = _by(tree, "program", "1.04.02")
    assert (program.absorption, program.capaian, program.predicate) == (40.0, None, None)
    assert program.why == NO_CASH_PLAN
    html = render_tree_html(tree)
    assert "Pohon Kinerja Triwulan II Tahun 2024" in html
    assert "data anggaran terakhir s.d. Mei 2024" in html


def test_mid_year_an_iku_with_rencana_aksi_has_its_verdict(tmp_path):
    """IKU-02 with a Rencana Aksi of 80 through TW II: 72 / 80 = 90,00 %: Tinggi."""
    line = "targets: {2022: 150, 2023: 150, 2024: 150, 2025: 150, 2026: 150}"
    cfg = _config(
        tmp_path, edit=lambda t: t.replace(line, f"{line}\n    rencana_aksi: {{2024: [40, 80, 120, 150]}}")
    )
    tree = build_tree([build_report_data(cfg, _values(6), [], Period(2024, 2), WHEN)])
    iku2 = _by(tree, "iku", "IKU-02")
    assert (iku2.capaian, iku2.predicate, iku2.provisional) == (90.0, "Tinggi", False)
    assert iku2.basis == "thd Rencana Aksi s.d. Triwulan II" and iku2.label == "Tinggi"
    assert _by(tree, "iku", "IKU-01").label == "tanpa predikat"  # no target, no capaian


def test_an_opd_without_programs_has_the_iku_as_leaves(tmp_path):
    cfg = _config(tmp_path, programs=False)
    data = build_report_data(cfg, _values(), [], Period(2024), WHEN)
    tree = build_tree([data], {})
    assert [n.kind for n in tree.nodes] == ["iku"] * 5
    assert all(n.children == () and n.budget_note == NO_PROGRAM for n in tree.nodes)
    html = render_tree_html(tree)
    assert "belum ada program yang dipetakan ke IKU dalam katalog" in html
    assert html.count('class="tree-svg"') == len(layout(tree)) >= 1


def test_an_opd_without_budget_shows_a_dash(tmp_path):
    cfg = _config(tmp_path)
    data = build_report_data(cfg, _values(), [], Period(2024), WHEN)
    tree = build_tree([data])
    program = _by(tree, "program", "1.04.02")
    assert (program.pagu, program.absorption, program.predicate, program.budget_note) == (
        None,
        None,
        None,
        NO_BUDGET,
    )
    iku2 = _by(tree, "iku", "IKU-02")
    assert iku2.absorption is None and iku2.capaian == 96.0  # the performance half stands
    html = render_tree_html(tree)
    assert "Serapan anggaran – (belum ada data anggaran)" in html
    assert "belum ada data realisasi anggaran tahun 2024" in html


def test_kabupaten_iku_head_the_tree(tmp_path):
    """IKD-01 = IKU-01 + IKU-02 of the seed OPD: 24 + 144 = 168 of 170 (98,82 %);
    its budget counts program 1.04.02, under both, once."""
    conf = kabupaten_config(tmp_path / "config", twin=False)
    shutil.copy(EXAMPLES / "dpmptsp-tjb.yaml", conf / "opd" / "dpmptsp-tjb.yaml")
    shutil.copy(EXAMPLES / "rpjmd" / "rpjmd.yaml", conf / "rpjmd.yaml")
    with_programs(conf, f"opd/{SEED}.yaml")
    inst = load_installation(conf)
    seed = build_report_data(inst.config(SEED), _values(), [], Period(2024), WHEN)
    dinkes = build_report_data(
        inst.config(DINKES), [_value("kesmas", "IKU-02", 12, 17)], [], Period(2024), WHEN
    )
    tree = build_tree([seed, dinkes], {SEED: YEAR_LINES}, inst.rpjmd, heading="Kabupaten Contoh")
    assert tree.has_rpjmd
    assert [n.code for n in tree.roots] == ["IKD-01", "IKD-02", "IKD-03"]
    ikd1 = tree.roots[0]
    assert [(c.owner, c.code) for c in ikd1.children] == [(SEED, "IKU-01"), (SEED, "IKU-02")]
    assert (ikd1.realisation, ikd1.capaian, ikd1.predicate) == (168, 98.82, "Sangat Tinggi")
    assert (ikd1.pagu, ikd1.budget_realisation, ikd1.absorption) == (1.25e9, 1.1e9, 88.0)
    # IKD-02 = dinkes IKU-02 (level 17; the kabupaten's target 12, down):
    # (2 x 12 - 17) / 12 x 100 = 58,33 %: Rendah; dinkes has no budget data
    ikd2 = tree.roots[1]
    assert (ikd2.capaian, ikd2.predicate, ikd2.absorption, ikd2.budget_note) == (
        58.33,
        "Rendah",
        None,
        NO_BUDGET,
    )
    # every OPD IKU feeding no kabupaten IKU is listed apart
    assert (SEED, "IKU-03") in [(n.owner, n.code) for n in tree.unlinked]
    html = render_tree_html(tree)
    assert "IKU RPJMD → IKU Perangkat Daerah → Program → Kegiatan" in html
    # one OPD's own tree: only the kabupaten IKU it feeds, computed from every OPD
    own = build_tree([seed], {SEED: YEAR_LINES}, inst.rpjmd, rpjmd_from=[seed, dinkes])
    assert [n.code for n in own.roots] == ["IKD-01"] and own.roots[0].capaian == 98.82
    assert "IKU perangkat daerah yang tidak mengalir ke IKU RPJMD" in html


def test_the_layout_cuts_pages_and_loses_no_node(tmp_path):
    """Every node is drawn, each first time not "lanjutan"; every drawing fits an
    A4 page; a node drawn again on a later piece is marked "lanjutan"."""
    cfg = _config(tmp_path, edit=_many_programs)
    tree = build_tree([build_report_data(cfg, _values(), [], Period(2024), WHEN)], {OPD: YEAR_LINES})
    drawings = layout(tree)
    assert len(drawings) > 1
    assert drawings[0].height <= FIRST_PAGE_H + COLUMN_HEAD_H + 2
    assert all(d.height <= PAGE_H + COLUMN_HEAD_H + 2 for d in drawings)
    drawn = [(b.node.kind, b.node.code, b.continued) for d in drawings for b in d.boxes]
    # a program under two IKU is two nodes of the tree: count by path, not by code
    assert sum(1 for _, _, again in drawn if not again) == len(tree.nodes)
    assert any(again for _, _, again in drawn)
    for d in drawings:
        for b in d.boxes:
            assert b.y + b.h <= d.height  # inside its drawing
            assert b.x + b.w <= d.width + 0.5
    assert {(k, c) for k, c, _ in drawn} == {(n.kind, n.code) for n in tree.nodes}


def test_written_files_are_recorded_for_the_index(seeded_res, tmp_path):
    """write_tree with the warehouse: the files go on the record out/index.html is
    built from, and the index links them beside the reports of the same period."""
    from iku.reports.index import index_html
    from iku.warehouse.budget import BudgetFileRecord, record_budget_file
    from iku.warehouse.reports import written_reports

    wh = seeded_res.warehouse
    for month, real in ((4, 2e8), (5, 5e8), (7, 9e8)):  # July lies after TW II
        record_budget_file(
            wh,
            OPD,
            BudgetFileRecord(
                sha256=f"{month:064d}",
                file_name=f"lra-{month:02d}.xlsx",
                source_path=f"/in/lra-{month:02d}.xlsx",
                archive_path=f"/archive/{month}.xlsx",
                size_bytes=1000,
                received_at=WHEN,
                status="valid",
                year=2024,
                month=month,
                lines=[BudgetLine("1.04.02", "program", "Program Pengembangan Perumahan", 1.25e9, real)],
            ),
        )
    cfg = _config(tmp_path)
    data = build_report_data(cfg, _values(6), [], Period(2024, 2), WHEN)
    budgets, months = tree_budgets(wh, [data])
    assert months == {OPD: 5} and budgets[OPD]["1.04.02"].realisation == 5e8
    tree = build_tree([data], budgets, budget_months=months)
    assert _by(tree, "program", "1.04.02").absorption == 40.0  # 500 / 1.250 million
    out = tmp_path / "out"
    paths = write_tree(tree, out / "2024", pdf=False, warehouse=wh, opd=OPD)
    assert [p.name for p in paths] == ["pohon-kinerja-2024-Q2.html"]
    recorded = [r for r in written_reports(seeded_res.warehouse) if r.kind == "pohon-kinerja"]
    assert [(r.opd, r.period, r.format) for r in recorded] == [(OPD, "2024-Q2", "html")]
    index = index_html(recorded, out, "Dinas", "", {OPD: "Dinas"}, "Asia/Jakarta")
    assert 'href="2024/pohon-kinerja-2024-Q2.html"' in index and "Triwulan II 2024" in index


def test_without_chromium_only_the_pdf_is_skipped(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("IKU_CHROMIUM", "/nonexistent/chromium")  # as on a machine without Chromium
    cfg = _config(tmp_path)
    tree = build_tree([build_report_data(cfg, _values(), [], Period(2024), WHEN)])
    with caplog.at_level(logging.INFO, logger="iku"):
        paths = write_tree(tree, tmp_path / "out")
    assert [p.name for p in paths] == ["pohon-kinerja-2024.html"]
    assert not (tmp_path / "out" / "pohon-kinerja-2024.pdf").exists()
    assert "Chromium tidak ditemukan" in caplog.text


HOSTILE = '<script>alert("x")</script> & </text><svg onload="alert(1)">'


def _hostile(tmp_path):
    def edit(text: str) -> str:
        text = text.replace("name: Program Kawasan Permukiman", f"name: '{HOSTILE}'")
        return text.replace("name: Perbaikan Rumah Tidak Layak Huni bagi MBR", f"name: 'IKU {HOSTILE}'", 1)

    cfg = _config(tmp_path, edit=edit)
    data = build_report_data(cfg, _values(), [], Period(2024), WHEN)
    return build_tree([data], {OPD: YEAR_LINES})


def test_hostile_names_are_escaped(tmp_path):
    tree = _hostile(tmp_path)
    assert _by(tree, "program", "1.04.03").name == HOSTILE
    html = render_tree_html(tree)
    assert "<script" not in html and "onload=" not in html.replace("onload=&#34;", "")
    assert "&lt;script&gt;" in html and "&lt;/text&gt;&lt;svg" in html


# -- in Chromium -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        if browser_required():
            pytest.fail("chromium is required in CI (CI=true) but was not found")
        pytest.skip("chromium not installed")
    return chromium_path()


def _many_programs(text: str) -> str:
    """Six more programs with four kegiatan each, so the tree runs over several pages."""
    extra = []
    for p in range(4, 10):
        extra.append(f'  - code: "1.04.{p:02d}"\n    name: Program Contoh Nomor {p} Penyelenggaraan Kawasan')
        extra.append(f"    indicators: [IKU-0{p % 3 + 1}]\n    kegiatan:")
        for k in range(1, 5):
            extra.append(
                f'      - {{code: "1.04.{p:02d}.2.{k:02d}", name: "Kegiatan {k} Penyediaan Prasarana, '
                f'Sarana dan Utilitas Umum di Perumahan untuk Menunjang Fungsi Hunian"}}'
            )
    return text + "\n".join(extra) + "\n"


OVERFLOW_JS = """(() => {
  let bad = [];
  for (const g of document.querySelectorAll('svg.tree-svg g')) {
    const r = g.querySelector('rect').getBBox();
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < r.x - 0.5 || b.x + b.width > r.x + r.width + 0.5 || b.y + b.height > r.y + r.height + 0.5)
        bad.push(t.textContent);
    }
  }
  return bad;
})()"""

MEASURES = {
    "scroll": "document.documentElement.scrollWidth",
    "client": "document.documentElement.clientWidth",
    "svgs": "document.querySelectorAll('svg.tree-svg').length",
    "svg_shown": "document.querySelector('section.drawings').offsetHeight > 0",
    "list_height": "document.getElementById('daftar').offsetHeight",
    "cards": "document.querySelectorAll('#daftar .card').length",
    "widest_card": "Math.max(...[...document.querySelectorAll('#daftar .card')].map(c => c.getBoundingClientRect().right))",
    "scripts": "document.scripts.length",
    "text": "document.body.innerText",
    "overflow": OVERFLOW_JS,
}


@pytest.mark.browser
def test_the_page_at_a4_and_on_a_phone(chromium, tmp_path):
    cfg = _config(tmp_path, edit=_many_programs)
    data = build_report_data(cfg, _values(), [], Period(2024), WHEN)
    lines = dict(YEAR_LINES)
    lines["1.04.05"] = _line("1.04.05", "program", 2_000_000_000, 1_500_000_000)
    tree = build_tree([data], {OPD: lines})
    drawings = layout(tree)
    assert len(drawings) >= 3  # the test is about pages
    paths = write_tree(tree, tmp_path / "out")
    html, pdf = paths
    assert [p.name for p in paths] == ["pohon-kinerja-2024.html", "pohon-kinerja-2024.pdf"]

    a4 = load_page(html, MEASURES, width=1123)  # 297 mm at 96 px per inch
    assert a4.evaluated["scroll"] <= a4.evaluated["client"]
    assert a4.evaluated["svgs"] == len(drawings) and a4.evaluated["svg_shown"]
    assert a4.evaluated["list_height"] <= 1  # the list is there for screen readers only
    assert a4.evaluated["cards"] == len(tree.nodes)
    assert a4.evaluated["overflow"] == []  # every wrapped line stays inside its box
    assert a4.evaluated["scripts"] == 0
    assert [u for u in a4.requests if not u.startswith(("file:", "data:", "about:"))] == []

    phone = load_page(html, MEASURES, width=390)
    assert phone.evaluated["scroll"] <= phone.evaluated["client"]
    assert phone.evaluated["widest_card"] <= phone.evaluated["client"]
    assert not phone.evaluated["svg_shown"] and phone.evaluated["list_height"] > 2000
    assert "Rp1.500.000.000" in phone.evaluated["text"]  # the list gives the whole rupiah
    assert "Program Contoh Nomor 5" in phone.evaluated["text"]

    Path("/tmp/pohon-kinerja-a4.png").write_bytes(a4.screenshot)
    Path("/tmp/pohon-kinerja-390.png").write_bytes(phone.screenshot)

    # the PDF: one A4 landscape page per drawing, page numbers from the CSS
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == len(drawings)
    assert "841.92 x 594.96 pts (A4)" in info  # landscape
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Pohon Kinerja Tahun 2024" in text and f"Halaman {pages} dari {pages}" in text
    assert "Program Pengembangan Perumahan" in text and "Serapan 88,00 %" in text

    records = tree_written(paths, OPD)
    assert [(r.kind, r.period, r.format, r.opd) for r in records] == [
        ("pohon-kinerja", "2024", "html", OPD),
        ("pohon-kinerja", "2024", "pdf", OPD),
    ]


@pytest.mark.browser
def test_hostile_names_stay_text_in_chromium(chromium, tmp_path):
    tree = _hostile(tmp_path)
    html = write_tree(tree, tmp_path, pdf=False)[0]
    run = load_page(
        html,
        {
            **MEASURES,
            "svg_text": "[...document.querySelectorAll('svg text')].map(t => t.textContent).join(' ')",
        },
    )
    assert run.evaluated["scripts"] == 0
    assert HOSTILE in run.evaluated["text"]  # the list, word for word
    assert "<script>alert" in run.evaluated["svg_text"]  # the box, as text
    assert json.dumps(run.evaluated["overflow"]) == "[]"
