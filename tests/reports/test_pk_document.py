"""The Perjanjian Kinerja document (PermenPANRB 53/2014 form, CONTRACT §12):
the builder by hand on catalogues read from YAML, the HTML's escaping, and the
A4 portrait PDF printed by headless Chromium, read back with poppler."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from browser import browser_required, chromium_path
from kabupatenkit import DINKES, SEED, kabupaten_config

from iku import formatting as fmt
from iku.config import Catalogue, load_config
from iku.domain.budget import BudgetLine
from iku.reports.pk import (
    PkDocument,
    build_pk_document,
    default_as_of,
    head_of_region,
    load_pk_document,
    render_pk_html,
    write_pk,
)
from iku.resources import build_resources
from iku.settings import Settings
from iku.storage import Unwritable
from iku.warehouse.budget import BudgetFileRecord, BudgetMonth, record_budget_file

KEPALA = "Ir. Budi Santoso, M.T."
BUPATI = "Drs. H. Anwar Sadat, M.Ag."
NIP = "19700101 199503 1 001"

SIGNATORIES = f"""\
  pengesahan:
    place: Kuala Tungkal
    title: Kepala Dinas Perumahan dan Kawasan Permukiman
    name: "{KEPALA}"
    rank: Pembina Utama Muda (IV/c)
    nip: "{NIP}"
  bupati: "{BUPATI}"
"""

PK = """
perjanjian_kinerja:
  2023:
    - {date: 2023-01-31, label: "PK awal", targets: {IKU-02: 160, IKU-04: 10.5}}
    - {date: 2023-08-15, label: "PK perubahan", targets: {IKU-02: 1400}}
"""

PROGRAMS = """
programs:
  - code: "1.04.02"
    name: Program Pengembangan Perumahan
    indicators: [IKU-01, IKU-02]
    pagu_renstra: {2023: 1300000000, 2024: 1250000000}
  - code: "1.04.03"
    name: Program Kawasan Permukiman
    indicators: [IKU-04]
"""


def _catalogue_yaml(
    config_dir: Path,
    *,
    signatories: str = SIGNATORIES,
    extra: str = PK + PROGRAMS,
    replace: dict[str, str] | None = None,
    file: str = "opd.yaml",
) -> Path:
    """config/opd.yaml of `config_dir` with the signatories under opd:, `extra`
    appended and the texts of `replace` replaced."""
    path = config_dir / file
    text = path.read_text(encoding="utf-8")
    for before, after in (replace or {}).items():
        assert before in text
        text = text.replace(before, after)
    anchor = "  renstra_period: [2022, 2026]\n"
    assert anchor in text
    shipped = text.index("  pengesahan:\n")  # the seed's signatory: these tests bring their own
    text = text[:shipped] + text[text.index("\nbidang:", shipped) :]
    path.write_text(text.replace(anchor, anchor + signatories) + extra, encoding="utf-8")
    return config_dir


def _catalogue(config_dir: Path, **kw) -> Catalogue:
    return load_config(_catalogue_yaml(config_dir, **kw)).catalogue


def _targets(doc: PkDocument) -> dict[str, tuple[str, str, str]]:
    return {r.code: (r.target_text, r.source, r.note) for s in doc.sasaran for r in s.rows}


def _month(month: int, pagu: dict[str, float]) -> BudgetMonth:
    lines = {c: BudgetLine(c, "program", c, v, v / 4) for c, v in pagu.items()}
    return BudgetMonth(2023, month, lines, f"LRA-{month:02d}.xlsx", 1, datetime(2023, month, 5, tzinfo=UTC))


# -- the builder ----------------------------------------------------------------


def test_the_revision_in_force_on_the_day_gives_the_targets(config_copy):
    cat = _catalogue(config_copy)
    before = build_pk_document(cat, 2023, date(2023, 8, 14))
    assert before.target_source == "pk" and before.revision.label == "PK awal"
    assert before.signed_on == date(2023, 1, 31) and before.earlier == ()
    assert before.revision_text == "PK awal, tanggal 31 Januari 2023"
    t = _targets(before)
    assert t["IKU-02"] == ("160 Unit", "pk", "")
    assert t["IKU-04"] == ("10,5 %", "pk", "")
    # not in the PK: the Renstra's target, marked; no target at all: said so
    assert t["IKU-03"] == ("2 Perumahan", "renstra", "target Renstra (tidak disebut dalam PK)")
    assert t["IKU-01"] == ("–", "renstra", "target belum ditetapkan")

    after = build_pk_document(cat, 2023, date(2023, 8, 15))
    assert after.revision.label == "PK perubahan" and after.signed_on == date(2023, 8, 15)
    assert [r.label for r in after.earlier] == ["PK awal"]
    assert after.revision_text == "PK perubahan, tanggal 15 Agustus 2023"
    t = _targets(after)
    assert t["IKU-02"] == ("1.400 Unit", "pk", "")  # Indonesian thousands
    # named only by the PK awal: its target stands, and the table says whose it is
    assert t["IKU-04"] == ("10,5 %", "pk", "menurut PK awal, 31 Januari 2023")
    assert after.fallback_notice is None
    # the sasaran group their indicators in catalogue order, numbered
    assert [(s.number, [r.code for r in s.rows]) for s in after.sasaran] == [
        (1, ["IKU-01", "IKU-02"]),
        (2, ["IKU-03", "IKU-04"]),
        (3, ["IKU-05"]),
    ]
    assert after.sasaran[2].sasaran.startswith("Peningkatan Pelayanan, Sertifikasi")
    assert "\n" not in after.sasaran[2].sasaran  # the folded YAML's line joined


def test_parties_from_the_catalogue_and_blank_lines_without_them(config_copy):
    doc = build_pk_document(_catalogue(config_copy), 2023, date(2023, 9, 1))
    assert (doc.first.role, doc.first.name, doc.first.title) == (
        "PIHAK PERTAMA",
        KEPALA,
        "Kepala Dinas Perumahan dan Kawasan Permukiman",
    )
    assert (doc.first.rank, doc.first.nip, doc.place) == ("Pembina Utama Muda (IV/c)", NIP, "Kuala Tungkal")
    assert (doc.second.role, doc.second.name, doc.second.title) == (
        "PIHAK KEDUA",
        BUPATI,
        "Bupati Tanjung Jabung Barat",
    )

    plain = load_config(config_copy).catalogue.model_copy(update={"perjanjian_kinerja": {}})
    plain = plain.model_copy(
        update={"opd": plain.opd.model_copy(update={"pengesahan": None, "bupati": None})}
    )
    doc = build_pk_document(plain, 2023, date(2023, 9, 1))
    assert doc.first.name is None and doc.first.title == "Kepala Dinas Perumahan dan Kawasan Permukiman"
    assert doc.second.name is None and doc.place is None
    html = render_pk_html(doc)
    assert html.count("(………………………………………)") == 4  # two blank names, on both pages
    assert "…………………… 2023" in html  # a date to fill in


def test_without_a_pk_the_renstra_targets_said_plainly(config_copy):
    cat = _catalogue(config_copy)
    for year, day in ((2024, date(2024, 3, 1)), (2023, date(2023, 1, 30))):  # none; not yet signed
        doc = build_pk_document(cat, year, day)
        assert doc.target_source == "renstra" and doc.revision is None and doc.signed_on is None
        assert all(r.source == "renstra" for s in doc.sasaran for r in s.rows)
        assert doc.revision_text == f"Target Renstra tahun {year} (Perjanjian Kinerja belum tercatat)"
        assert f"target Renstra tahun {year}" in doc.fallback_notice
        assert (
            "belum berlaku per 30 Januari 2023 (PK awal bertanggal 31 Januari 2023)" in doc.fallback_notice
        ) == (year == 2023)
        t = _targets(doc)
        assert t["IKU-02"] == ("150 Unit", "renstra", "")  # no per-row note: the notice says it
        html = render_pk_html(doc)
        # statement and lampiran; its "per <day>" marked as a time stamp (left out of the content hash)
        assert re.sub("<!--/?t-->", "", html).count(doc.fallback_notice) == 2
        assert html.count(f"<!--t-->{fmt.day(day)}<!--/t-->") == 2
        assert f"…………………… {year}" in html


def test_default_day(config_copy):
    cat = _catalogue(config_copy)
    assert default_as_of(cat, 2023, date(2024, 2, 1)) == date(2023, 12, 31)  # a past year: its last PK
    assert default_as_of(cat, 2023, date(2022, 12, 1)) == date(2023, 12, 31)  # prepared ahead
    assert default_as_of(cat, 2023, date(2023, 1, 10)) == date(2023, 1, 31)  # to be signed on its date
    assert default_as_of(cat, 2023, date(2023, 5, 2)) == date(2023, 5, 2)
    assert default_as_of(cat, 2024, date(2024, 5, 2)) == date(2024, 5, 2)  # no PK yet


def test_programs_with_and_without_budget(config_copy):
    cat = _catalogue(config_copy)
    no_budget = build_pk_document(cat, 2023, date(2023, 9, 1))
    (p1, p2) = no_budget.programs
    assert (p1.number, p1.code, p1.pagu, p1.pagu_source) == (1, "1.04.02", 1_300_000_000, "renstra")
    assert p1.keterangan == "Pagu indikatif Renstra tahun 2023. Mendukung IKU-01, IKU-02."
    assert (p2.pagu, p2.pagu_source, p2.keterangan) == (None, None, "Pagu belum tersedia. Mendukung IKU-04.")
    assert no_budget.total_pagu == 1_300_000_000
    assert "belum diimpor" in no_budget.budget_note
    html = render_pk_html(no_budget)
    assert "Rp 1.300.000.000" in html and "belum termasuk program yang pagunya belum tersedia" in html

    budget = _month(8, {"1.04.02": 1_425_500_000.5, "1.04.03": 600_000_000})
    doc = build_pk_document(cat, 2023, date(2023, 9, 1), budget)
    assert [(p.pagu, p.pagu_source) for p in doc.programs] == [
        (1_425_500_000.5, "apbd"),
        (600_000_000, "apbd"),
    ]
    assert doc.programs[0].keterangan == "APBD 2023 (pagu per Agustus 2023). Mendukung IKU-01, IKU-02."
    assert doc.total_pagu == 2_025_500_000.5
    assert (
        doc.budget_note
        == "Anggaran: pagu APBD 2023 menurut data realisasi anggaran Agustus 2023 (LRA-08.xlsx)."
    )
    html = render_pk_html(doc)
    assert "Rp 1.425.500.000,5" in html and "Rp 2.025.500.000,5" in html
    assert "belum termasuk" not in html

    with pytest.raises(ValueError, match="budget figures of 2023 for the PK of 2024"):
        build_pk_document(cat, 2024, date(2024, 9, 1), budget)

    # a budget sheet naming one program only: the other keeps its Renstra pagu or none
    partial = build_pk_document(cat, 2023, date(2023, 9, 1), _month(8, {"1.04.03": 5e8}))
    assert [(p.pagu, p.pagu_source) for p in partial.programs] == [(1.3e9, "renstra"), (5e8, "apbd")]


def test_no_programs_configured(config_copy):
    doc = build_pk_document(_catalogue(config_copy, extra=PK), 2023, date(2023, 9, 1))
    assert doc.programs == () and doc.total_pagu is None
    assert doc.budget_note == ""
    html = render_pk_html(doc)
    assert "Belum ada program yang dikonfigurasi untuk OPD ini." in html
    assert '<td class="total">Jumlah</td>' not in html


def test_head_of_region():
    assert head_of_region("Kabupaten Tanjung Jabung Barat") == "Bupati Tanjung Jabung Barat"
    assert head_of_region("Kota Jambi") == "Wali Kota Jambi"
    assert head_of_region("Provinsi Jambi") == "Kepala Daerah Provinsi Jambi"


def test_hostile_names_are_escaped(config_copy):
    evil = "<script>alert(1)</script>"
    cat = _catalogue(
        config_copy,
        signatories=f"""\
  pengesahan:
    place: "Kuala <b>Tungkal</b>"
    title: "Kepala & {evil}"
    name: "Budi {evil}"
    nip: "<i>1</i>"
  bupati: "Anwar <img src=x onerror=alert(1)>"
""",
        extra=PK + PROGRAMS.replace("Program Kawasan Permukiman", f"Program {evil}"),
        replace={
            "name: Perbaikan Rumah Tidak Layak Huni bagi MBR": f'name: "Rumah {evil}"',
            "sasaran: Penyediaan Perumahan Layak Huni": f'sasaran: "Sasaran {evil}"',
        },
    )
    html = render_pk_html(build_pk_document(cat, 2023, date(2023, 9, 1)))
    assert "<script" not in html and "<img" not in html and "<b>Tungkal" not in html and "<i>1" not in html
    assert "Budi &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Kepala &amp; &lt;script&gt;" in html
    assert "Anwar &lt;img src=x onerror=alert(1)&gt;" in html
    assert "Program &lt;script&gt;" in html and "Sasaran &lt;script&gt;" in html


# -- the warehouse's budget and the files -----------------------------------------


def _record(res, month: int, pagu: dict[str, float]) -> None:
    lines = [BudgetLine(c, "program", c, v, 0.0) for c, v in pagu.items()]
    sha = f"{month:064d}"
    rec = BudgetFileRecord(
        sha256=sha,
        file_name=f"LRA-{month:02d}.xlsx",
        source_path=f"/inbox/LRA-{month:02d}.xlsx",
        archive_path=f"/archive/{sha}.xlsx",
        size_bytes=1000,
        received_at=datetime(2023, month, 5, tzinfo=UTC),
        status="valid",
        year=2023,
        month=month,
        lines=lines,
    )
    record_budget_file(res.warehouse, res.opd, rec)


@pytest.fixture
def pk_res(iku_env, config_copy, monkeypatch):
    """Resources over a copy of config/ with the signatories, a PK and programs."""
    _catalogue_yaml(config_copy)
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config_copy))
    return build_resources(Settings())


def test_pagu_of_the_month_the_pk_was_signed_with(pk_res):
    # no budget imported: the Renstra's pagu
    assert load_pk_document(pk_res, 2023, date(2023, 9, 1)).programs[0].pagu_source == "renstra"
    _record(pk_res, 3, {"1.04.02": 1.0e9})
    _record(pk_res, 9, {"1.04.02": 1.2e9, "1.04.03": 3.0e8})  # after the APBD-Perubahan
    pagu = {
        d: [p.pagu for p in load_pk_document(pk_res, 2023, d).programs]
        for d in (date(2023, 2, 1), date(2023, 4, 1), date(2023, 9, 30), date(2023, 12, 31))
    }
    assert pagu == {
        date(2023, 2, 1): [1.0e9, None],  # before any sheet: the earliest imported
        date(2023, 4, 1): [1.0e9, None],
        date(2023, 9, 30): [1.2e9, 3.0e8],
        date(2023, 12, 31): [1.2e9, 3.0e8],
    }


def test_without_chromium_only_the_html(pk_res, monkeypatch):
    monkeypatch.setenv("IKU_CHROMIUM", "")
    paths = write_pk(pk_res, 2023, date(2023, 9, 1))
    assert paths == [pk_res.report_dir(2023) / "perjanjian-kinerja-2023.html"]
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o600


def test_every_opd_of_a_kabupaten_in_its_folder(iku_env, tmp_path, monkeypatch):
    monkeypatch.setenv("IKU_CHROMIUM", "")
    config = kabupaten_config(tmp_path / "kab", twin=False)
    _catalogue_yaml(config / "opd", extra=PK, file=f"{SEED}.yaml")  # a PK; Dinas Kesehatan: none
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config))
    out = Path(Settings().output_dir) / "2023"
    paths = write_pk(build_resources(Settings()), 2023, date(2023, 9, 1))
    assert paths == [
        out / DINKES / "perjanjian-kinerja-2023.html",
        out / SEED / "perjanjian-kinerja-2023.html",
    ]
    dinkes, seed = (p.read_text(encoding="utf-8") for p in paths)
    assert "DINAS KESEHATAN" in dinkes and "Perjanjian Kinerja tahun 2023 belum tercatat" in dinkes
    assert "DINAS PERUMAHAN" in seed and "PK perubahan, tanggal 15 Agustus 2023" in seed
    # one OPD chosen (--opd): only its document, written again
    again = write_pk(build_resources(Settings(), opd=SEED), 2023, date(2023, 5, 1))
    assert again == [paths[1]] and "PK awal, tanggal 31 Januari 2023" in paths[1].read_text(encoding="utf-8")


def test_a_folder_that_cannot_be_written_is_one_line(pk_res, monkeypatch):
    monkeypatch.setenv("IKU_CHROMIUM", "")
    blocker = pk_res.output_dir / "2023"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the year folder should be", encoding="utf-8")
    with pytest.raises(Unwritable, match=r"^Perjanjian Kinerja tidak dapat ditulis ke .*/out/2023 \("):
        write_pk(pk_res, 2023, date(2023, 9, 1))


# -- the PDF ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("pdftotext", "pdftoppm", "pdfinfo") if shutil.which(t) is None]
    if chromium_path() is None or missing:
        if browser_required():
            pytest.fail(f"chromium and poppler-utils are required in CI; missing: {missing or 'chromium'}")
        pytest.skip("chromium or poppler-utils not installed")


def _pages(pdf: Path, mode: str = "-layout") -> list[str]:
    out = subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]


def _info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def _signatures_whole(page: str) -> None:
    """Both signature blocks on this page, in the form's order, nothing left out."""
    for line in (
        "Pihak Kedua,",
        "Pihak Pertama,",
        "Bupati Tanjung Jabung Barat",
        BUPATI,
        KEPALA,
        f"NIP. {NIP}",
    ):
        assert line in page, line
    # the names' last mention: the signature, below its role (the statement names them earlier too)
    assert page.index("Pihak Kedua,") < page.rindex(BUPATI)
    assert page.index("Pihak Pertama,") < page.rindex(KEPALA) < page.index(f"NIP. {NIP}")


@pytest.mark.browser
def test_pdf_pages(tools, pk_res):
    _record(pk_res, 8, {"1.04.02": 1_425_500_000, "1.04.03": 600_000_000})
    paths = write_pk(pk_res, 2023, date(2023, 9, 1))
    out = pk_res.report_dir(2023)
    assert paths == [out / "perjanjian-kinerja-2023.html", out / "perjanjian-kinerja-2023.pdf"]
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    pdf = paths[1]
    info = _info(pdf)
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info  # A4 portrait
    pages = _pages(pdf)
    assert len(pages) == 2 and "Pages:           2" in info
    statement, lampiran = pages
    # the text in reading order (-raw), spaces folded, for the sentences
    raw = [" ".join(page.split()) for page in _pages(pdf, "-raw")]
    flat = raw[0]
    assert "PERJANJIAN KINERJA TAHUN 2023" in flat and "LAMPIRAN" not in flat
    assert "PK perubahan, tanggal 15 Agustus 2023; menggantikan PK awal tanggal 31 Januari 2023" in flat
    assert (
        "Dalam rangka mewujudkan manajemen pemerintahan yang efektif, transparan dan akuntabel serta "
        "berorientasi pada hasil, kami yang bertanda tangan di bawah ini:"
    ) in flat
    assert f"Nama : {KEPALA} Jabatan : Kepala Dinas Perumahan dan Kawasan Permukiman" in flat
    assert "selanjutnya disebut pihak pertama." in flat
    assert f"Nama : {BUPATI} Jabatan : Bupati Tanjung Jabung Barat" in flat
    assert "selaku atasan pihak pertama, selanjutnya disebut pihak kedua." in flat
    assert (
        "Keberhasilan dan kegagalan pencapaian target kinerja tersebut menjadi tanggung jawab kami." in flat
    )
    assert "Kuala Tungkal, 15 Agustus 2023" in flat
    _signatures_whole(statement)
    # the lampiran: its own page, the targets in Indonesian numbers, the pagu, the signatures again
    flat = raw[1]
    assert "LAMPIRAN PERJANJIAN KINERJA TAHUN 2023" in flat
    for text in (
        "1.400 Unit",
        "10,5 %",
        "2 Perumahan",
        "Rp 1.425.500.000",
        "Rp 600.000.000",
        "Rp 2.025.500.000",
    ):
        assert text in flat, text
    assert "APBD 2023 (pagu per Agustus 2023)" in flat
    _signatures_whole(lampiran)
    assert lampiran.index("Jumlah") < lampiran.index("Pihak Kedua,")
    for n, page in enumerate(pages, start=1):
        assert page.rstrip().endswith(f"Halaman {n} dari 2")


@pytest.mark.browser
def test_a_long_lampiran_never_splits_a_signature_block(tools, pk_res, config_copy):
    # forty programs push the lampiran over pages; the last signatures move whole
    many = "programs:\n" + "".join(
        f'  - code: "1.04.{n:02d}"\n    name: Program Nomor {n} dengan Nama yang Cukup Panjang\n'
        f"    pagu_renstra: {{2023: {n * 1000000}}}\n"
        for n in range(10, 50)
    )
    path = config_copy / "opd.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(PROGRAMS, "\n" + many), encoding="utf-8")
    res = build_resources(Settings())
    assert len(res.config.catalogue.programs) == 40
    pdf = write_pk(res, 2023, date(2023, 9, 1))[1]
    pages = _pages(pdf)
    assert len(pages) >= 3
    assert "LAMPIRAN" not in pages[0] and "LAMPIRAN PERJANJIAN KINERJA" in pages[1]
    holding = [p for p in pages if "Pihak Pertama," in p]
    assert len(holding) == 2  # once after the statement, once after the lampiran
    for page in holding:
        _signatures_whole(page)
    assert "Program Nomor 49" in "".join(pages[1:])
    # the last page is the signatures' (no blank page after them)
    assert "Pihak Pertama," in pages[-1]
