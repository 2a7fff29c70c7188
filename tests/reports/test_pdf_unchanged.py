"""A PDF is printed again only when its report changes (issue 21): its
content hash (the HTML that would be printed, time stamps left out, salted
with the print settings and iku's version) is recorded with the PDF; a second
run of the same report keeps the file and starts no Chromium; changed figures
print it again. On SQLite and PostgreSQL, with the real Chromium."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from browser import browser_required, chromium_path
from report_seed import AS_OF
from sqlalchemy import text

from flows.pipeline import report_all
from iku.config import Pengesahan
from iku.domain.periods import Period
from iku.reports import load_report_data
from iku.reports.content import content_hash, hash_in
from iku.reports.html import render_html
from iku.reports.pdf import pdf_printer
from iku.storage import as_text
from iku.warehouse.reports import printed_hash

PERIOD = Period.parse("2023-Q2")
SIGN = Pengesahan(
    place="Kuala Tungkal", title="Kepala Dinas", name="Ir. Nama Kepala Dinas", nip="19700101 199503 1 001"
)


@pytest.fixture
def chromium():
    if chromium_path() is None:
        if browser_required():
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium not installed")


def test_the_content_hash_leaves_out_the_time_stamps_only(seeded_res):
    data = load_report_data(seeded_res, PERIOD, AS_OF)
    html = render_html(data)
    later = render_html(replace(data, generated_at=data.generated_at + timedelta(days=3, minutes=7)))
    assert later != html and hash_in(later.encode()) == hash_in(html.encode()) is not None
    assert hash_in(html.encode()) == content_hash(html.replace(f"\n{_meta(html)}", "", 1))
    cat = data.catalogue
    for opd in (  # another name, another pengesahan: another document
        cat.opd.model_copy(update={"name": "Dinas Lain"}),
        cat.opd.model_copy(update={"pengesahan": SIGN}),
    ):
        other = replace(data, catalogue=cat.model_copy(update={"opd": opd}))
        assert hash_in(render_html(other).encode()) != hash_in(html.encode())


def _meta(html: str) -> str:
    return next(line for line in html.splitlines() if line.startswith('<meta name="iku-content"'))


def _run(res, as_of):
    """One `iku report` of every OPD, with its own printer: (paths, Chromium starts)."""
    with pdf_printer() as printer:
        paths = report_all(res, PERIOD, as_of)
    return paths, printer.starts


@pytest.mark.browser
def test_an_unchanged_report_keeps_its_pdf_and_starts_no_chromium(seeded_res_any, chromium):
    res = seeded_res_any
    paths, starts = _run(res, AS_OF)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    html = pdf.with_suffix(".html")
    first = pdf.stat()
    assert starts == 1
    assert printed_hash(res.warehouse, as_text(pdf)) == hash_in(html.read_bytes()) is not None

    paths, starts = _run(res, AS_OF + timedelta(minutes=5))  # a later run: only the stamps differ
    assert pdf in paths and starts == 0
    kept = pdf.stat()
    assert (kept.st_ino, kept.st_mtime_ns, kept.st_size) == (first.st_ino, first.st_mtime_ns, first.st_size)

    with res.warehouse.engine.begin() as conn:  # changed figures: printed again
        conn.execute(text("UPDATE realisation SET realisation = realisation + 1"))
    paths, starts = _run(res, AS_OF)
    assert starts == 1 and pdf.stat().st_mtime_ns != first.st_mtime_ns
    assert printed_hash(res.warehouse, as_text(pdf)) == hash_in(html.read_bytes())

    pdf.unlink()  # a PDF gone is printed again, whatever the record says
    paths, starts = _run(res, AS_OF)
    assert starts == 1 and pdf.is_file()


def test_the_annual_companions_carry_the_hash_without_their_stamps(budget_res):
    """The pohon kinerja and the Perjanjian Kinerja are hashed like the report:
    made a day later (another "dibuat", another "per" day) they say the same."""
    from iku.reports.pk import build_pk_document, render_pk_html
    from iku.reports.tree import build_tree, render_tree_html

    data = load_report_data(budget_res, Period(2023), AS_OF)
    later = replace(data, generated_at=data.generated_at + timedelta(days=1, minutes=7))
    one, two = (render_tree_html(build_tree([d])) for d in (data, later))
    assert one != two and hash_in(one.encode()) == hash_in(two.encode()) is not None
    cat = budget_res.config.catalogue
    for year in (2023, 2024):  # a PK in force; none (the notice's "per <day>" is a stamp)
        first, second = (
            render_pk_html(build_pk_document(cat, year, AS_OF.date() + timedelta(days=d))) for d in (0, 1)
        )
        assert hash_in(first.encode()) == hash_in(second.encode()) is not None
        assert (first != second) == (year == 2024)
    assert hash_in(render_tree_html(build_tree([_renamed(data)])).encode()) != hash_in(one.encode())


def _renamed(data):
    """`data` of an OPD with another name: another content."""
    cat = data.catalogue
    return replace(
        data, catalogue=cat.model_copy(update={"opd": cat.opd.model_copy(update={"name": "Dinas Lain"})})
    )


@pytest.mark.browser
def test_the_annual_companions_keep_their_pdfs(budget_res, chromium):
    """The second annual run starts no Chromium: the pohon kinerja and the
    Perjanjian Kinerja keep their PDFs too, recorded with their hash."""
    res, year = budget_res, Period(2023)
    with pdf_printer() as printer:
        report_all(res, year, AS_OF)
    assert printer.starts >= 1
    folder = res.output_dir / "2023"
    pdfs = [folder / f"{name}-2023.pdf" for name in ("pohon-kinerja", "perjanjian-kinerja")]
    first = [p.stat().st_mtime_ns for p in pdfs]
    for pdf in pdfs:
        assert printed_hash(res.warehouse, as_text(pdf)) == hash_in(pdf.with_suffix(".html").read_bytes())

    with pdf_printer() as printer:
        paths = report_all(res, year, AS_OF + timedelta(minutes=5))
    assert printer.starts == 0 and set(pdfs) <= set(paths)
    assert [p.stat().st_mtime_ns for p in pdfs] == first


@pytest.mark.browser
def test_write_tree_keeps_an_unchanged_pdf(budget_res, chromium):
    """write_tree (the kabupaten's tree in the year's recap) keeps a PDF printed
    from the same content; another content prints it again."""
    from iku.reports.tree import build_tree, write_tree

    data = load_report_data(budget_res, Period(2023), AS_OF)
    out, wh = budget_res.output_dir / "2023", budget_res.warehouse
    with pdf_printer() as printer:
        pdf = write_tree(build_tree([data]), out, printer=printer, warehouse=wh)[1]
    assert printer.starts == 1 and printed_hash(wh, as_text(pdf)) == hash_in(
        pdf.with_suffix(".html").read_bytes()
    )
    printed = pdf.stat().st_mtime_ns
    later = replace(data, generated_at=data.generated_at + timedelta(hours=2))
    with pdf_printer() as printer:
        assert write_tree(build_tree([later]), out, printer=printer, warehouse=wh)[1] == pdf
    assert printer.starts == 0 and pdf.stat().st_mtime_ns == printed
    with pdf_printer() as printer:
        write_tree(build_tree([_renamed(data)]), out, printer=printer, warehouse=wh)
    assert printer.starts == 1 and pdf.stat().st_mtime_ns != printed
