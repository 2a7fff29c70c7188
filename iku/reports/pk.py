"""The Perjanjian Kinerja document (PermenPANRB 53/2014, Lampiran I; CONTRACT §12):
a statement page signed by the Kepala Dinas (pihak pertama) and the Bupati
(pihak kedua), then the lampiran: sasaran strategis, indikator kinerja and
target, the programs with their anggaran, and the two signatures again.

`build_pk_document` is pure (the catalogue, the year, the day and the budget
figures in; a frozen PkDocument out); `render_pk_html` renders it (no I/O);
`write_pk` writes perjanjian-kinerja-<year>.html and .pdf (A4 portrait) into
each OPD's report folder of the year.

The targets are those of the PK revision in force on the day (iku.domain.pk);
without a PK for the year the Renstra's, and the document says so on both
pages. The pagu of a program is the one the year's budget sheets give (the
month of the revision, or the earliest imported after it), else its Renstra
pagu of the year, else none ("–")."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup

from iku import formatting as fmt
from iku import storage
from iku.config import Catalogue
from iku.domain.budget import Program
from iku.domain.parameters import PkRevision
from iku.domain.periods import month_name
from iku.domain.pk import latest_revision, pk_targets
from iku.resources import Resources
from iku.storage import Unwritable, Where
from iku.warehouse.budget import BudgetMonth, budget_months
from iku.warehouse.reports import record_reports

from .content import hash_in, printed_already, with_content_hash
from .html import environment
from .index import written
from .pdf import PdfFailed, PdfPrinter, pdf_printer

log = logging.getLogger(__name__)

__all__ = [
    "PkDocument",
    "PkParty",
    "PkProgramRow",
    "PkSasaran",
    "PkTargetRow",
    "build_pk_document",
    "default_as_of",
    "load_pk_document",
    "pk_basename",
    "pk_budget",
    "render_pk_html",
    "write_pk",
]

STATEMENT_OPENING = (
    "Dalam rangka mewujudkan manajemen pemerintahan yang efektif, transparan dan akuntabel "
    "serta berorientasi pada hasil, kami yang bertanda tangan di bawah ini:"
)
# The commitment of both parties, as the PermenPANRB 53/2014 form words it.
COMMITMENT_FIRST = (
    "Pihak pertama berjanji akan mewujudkan target kinerja yang seharusnya sesuai lampiran "
    "perjanjian ini, dalam rangka mencapai target kinerja jangka menengah seperti yang telah "
    "ditetapkan dalam dokumen perencanaan. Keberhasilan dan kegagalan pencapaian target kinerja "
    "tersebut menjadi tanggung jawab kami."
)
COMMITMENT_SECOND = (
    "Pihak kedua akan melakukan supervisi yang diperlukan serta akan melakukan evaluasi terhadap "
    "capaian kinerja dari perjanjian ini dan mengambil tindakan yang diperlukan dalam rangka "
    "pemberian penghargaan dan sanksi."
)


@dataclass(frozen=True)
class PkParty:
    """One signatory. `name` None: a blank line to sign on."""

    role: str  # PIHAK PERTAMA | PIHAK KEDUA
    title: str  # jabatan
    name: str | None
    rank: str = ""  # pangkat/golongan
    nip: str = ""


@dataclass(frozen=True)
class PkTargetRow:
    code: str
    indicator: str
    target: float | None
    unit: str
    target_text: str  # "150 Unit", "12,5 %", "–"
    source: str  # pk | renstra
    note: str = ""  # where the target is not the revision's own


@dataclass(frozen=True)
class PkSasaran:
    number: int
    sasaran: str
    rows: tuple[PkTargetRow, ...]


@dataclass(frozen=True)
class PkProgramRow:
    number: int
    code: str
    name: str
    pagu: float | None
    pagu_source: str | None  # apbd | renstra | None
    keterangan: str
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class PkDocument:
    year: int
    opd_code: str
    opd_name: str
    region: str
    as_of: date
    target_source: str  # pk | renstra: where the document's targets come from
    revision: PkRevision | None  # the revision in force on as_of
    earlier: tuple[PkRevision, ...]  # the revisions it replaces, oldest first
    first_dated: PkRevision | None  # without a revision in force: the year's first, dated later
    first: PkParty  # the Kepala Dinas
    second: PkParty  # the Bupati
    place: str | None
    signed_on: date | None  # the revision's date; None: left to fill in
    sasaran: tuple[PkSasaran, ...]
    programs: tuple[PkProgramRow, ...]
    total_pagu: float | None  # over the programs with a pagu
    budget_note: str  # where the pagu come from, in one sentence ("" without programs)

    @property
    def title(self) -> str:
        return f"PERJANJIAN KINERJA TAHUN {self.year}"

    @property
    def revision_text(self) -> str:
        """'PK awal, tanggal 31 Januari 2023'; for the Renstra fallback, what stands instead."""
        if self.revision is None:
            return f"Target Renstra tahun {self.year} (Perjanjian Kinerja belum tercatat)"
        return f"{self.revision.label}, tanggal {fmt.day(self.revision.date)}"

    @property
    def fallback_notice(self) -> str | None:
        """The plain statement that the targets are the Renstra's; None with a PK."""
        if self.revision is not None:
            return None
        if self.first_dated is not None:  # a PK for the year, dated after the day
            return (
                f"Perjanjian Kinerja tahun {self.year} belum berlaku per {fmt.day(self.as_of)} "
                f"({self.first_dated.label} bertanggal {fmt.day(self.first_dated.date)}). Target dalam "
                f"dokumen ini adalah target Renstra tahun {self.year}; dokumen ini konsep."
            )
        return (
            f"Perjanjian Kinerja tahun {self.year} belum tercatat per {fmt.day(self.as_of)} "
            f"(perjanjian_kinerja di katalog OPD). Target dalam dokumen ini adalah target Renstra "
            f"tahun {self.year}; dokumen ini konsep, belum Perjanjian Kinerja yang ditandatangani."
        )

    @property
    def basename(self) -> str:
        return pk_basename(self.year)


def pk_basename(year: int) -> str:
    return f"perjanjian-kinerja-{year}"


def head_of_region(region: str) -> str:
    """The pihak kedua's jabatan: 'Bupati Tanjung Jabung Barat' for 'Kabupaten
    Tanjung Jabung Barat', 'Wali Kota Jambi' for 'Kota Jambi'."""
    for prefix, head in (("Kabupaten ", "Bupati "), ("Kota ", "Wali Kota ")):
        if region.startswith(prefix):
            return head + region.removeprefix(prefix)
    return f"Kepala Daerah {region}"


def _target_text(value: float | None, unit: str) -> str:
    if value is None:
        return fmt.DASH
    return f"{fmt.num(value)} {unit}".strip()


def _sasaran(catalogue: Catalogue, year: int, as_of: date, revision: PkRevision | None) -> list[PkSasaran]:
    targets = pk_targets(catalogue, year, as_of)
    groups: dict[str, list[PkTargetRow]] = {}
    for ind in catalogue.indicators:
        t = targets[ind.code]
        note = ""
        if t.target is None:
            note = "target belum ditetapkan"
        elif revision is not None and t.target_source == "renstra":
            note = "target Renstra (tidak disebut dalam PK)"
        elif revision is not None and t.revision_label and t.revision_date != revision.date:
            note = f"menurut {t.revision_label}, {fmt.day(t.revision_date)}"
        row = PkTargetRow(
            code=ind.code,
            indicator=ind.name,
            target=t.target,
            unit=ind.unit,
            target_text=_target_text(t.target, ind.unit),
            source=t.target_source,
            note=note,
        )
        groups.setdefault(" ".join(ind.sasaran.split()), []).append(row)
    return [PkSasaran(n, text, tuple(rows)) for n, (text, rows) in enumerate(groups.items(), start=1)]


def _programs(
    programs: tuple[Program, ...], year: int, budget: BudgetMonth | None
) -> tuple[list[PkProgramRow], str]:
    rows = []
    for n, p in enumerate(programs, start=1):
        supports = f"Mendukung {', '.join(p.indicators)}." if p.indicators else ""
        line = budget.lines.get(p.code) if budget else None
        renstra = (p.pagu_renstra or {}).get(year)
        if line is not None and budget is not None:
            pagu, source = line.pagu, "apbd"
            why = f"APBD {year} (pagu per {month_name(budget.month)} {year})."
        elif renstra is not None:
            pagu, source = renstra, "renstra"
            why = f"Pagu indikatif Renstra tahun {year}."
        else:
            pagu, source = None, None
            why = "Pagu belum tersedia."
        rows.append(PkProgramRow(n, p.code, p.name, pagu, source, f"{why} {supports}".strip(), p.indicators))
    if not programs:
        note = ""  # the table's one row says it
    elif budget is not None:
        note = (
            f"Anggaran: pagu APBD {year} menurut data realisasi anggaran "
            f"{month_name(budget.month)} {year} ({budget.file_name})."
        )
    else:
        note = f"Anggaran: data anggaran tahun {year} belum diimpor; dipakai pagu indikatif Renstra bila ada."
    return rows, note


def build_pk_document(
    catalogue: Catalogue, year: int, as_of: date | datetime, budget: BudgetMonth | None = None
) -> PkDocument:
    """The document's data for `year` as of `as_of` (no I/O): the PK revision in
    force that day (else the Renstra's targets), the programs with the pagu of
    `budget` (iku.warehouse.budget), else their Renstra pagu of the year."""
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    if budget is not None and budget.year != year:
        raise ValueError(f"budget figures of {budget.year} for the PK of {year}")
    opd = catalogue.opd
    revision = latest_revision(catalogue, year, day)
    earlier = tuple(
        r for r in catalogue.perjanjian_kinerja.get(year, []) if revision and r.date < revision.date
    )
    sign = opd.pengesahan
    first = PkParty(
        "PIHAK PERTAMA",
        title=sign.title if sign else f"Kepala {opd.name}",
        name=sign.name if sign else None,
        rank=sign.rank if sign else "",
        nip=sign.nip if sign else "",
    )
    second = PkParty("PIHAK KEDUA", title=head_of_region(opd.region), name=opd.bupati or None)
    programs, budget_note = _programs(catalogue.budget_programs, year, budget)
    given = [p.pagu for p in programs if p.pagu is not None]
    return PkDocument(
        year=year,
        opd_code=opd.code,
        opd_name=opd.name,
        region=opd.region,
        as_of=day,
        target_source="pk" if revision else "renstra",
        revision=revision,
        earlier=earlier,
        first_dated=None if revision else next(iter(catalogue.perjanjian_kinerja.get(year, [])), None),
        first=first,
        second=second,
        place=sign.place if sign else None,
        signed_on=revision.date if revision else None,
        sasaran=tuple(_sasaran(catalogue, year, day, revision)),
        programs=tuple(programs),
        total_pagu=sum(given) if given else None,
        budget_note=budget_note,
    )


def render_pk_html(doc: PkDocument) -> str:
    """The document as one self-contained HTML string (autoescaped; no I/O),
    with its content hash (iku.reports.content)."""
    return with_content_hash(
        environment()
        .get_template("perjanjian-kinerja.html.j2")
        .render(
            doc=doc,
            fallback_notice=_marked_notice(doc),
            rupiah=_rupiah,
            statement_opening=STATEMENT_OPENING,
            commitment_first=COMMITMENT_FIRST,
            commitment_second=COMMITMENT_SECOND,
        )
    )


def _marked_notice(doc: PkDocument) -> Markup | None:
    """The fallback notice with its "per <day>" marked as a time stamp: a PK
    without a revision printed again only because the day changed is the same
    document."""
    if doc.fallback_notice is None:
        return None
    day = fmt.day(doc.as_of)
    return Markup("<!--t-->{}<!--/t-->").format(day).join(doc.fallback_notice.split(day))


def _rupiah(value: float | None) -> str:
    return fmt.DASH if value is None else f"Rp {fmt.num(value)}"


# -- the warehouse and the files ----------------------------------------------


def default_as_of(catalogue: Catalogue, year: int, today: date) -> date:
    """The day whose revision the document shows: the end of a past or future
    year (its last revision); in the current year today, or the first
    revision's date when the PK is printed before it is dated (to sign it)."""
    if today.year != year:
        return date(year, 12, 31)
    revisions = catalogue.perjanjian_kinerja.get(year, [])
    if revisions and today < revisions[0].date:
        return revisions[0].date
    return today


def pk_budget(res: Resources, year: int, as_of: date) -> BudgetMonth | None:
    """The budget figures the pagu come from: the latest imported month of `year`
    up to the day's month (the pagu as it stood while the revision shown was in
    force: after an APBD-Perubahan, the changed pagu), else the earliest
    imported one (a PK printed before the first sheet came); None when the year
    has none."""
    months = budget_months(res.warehouse, res.opd, year)
    if not months:
        return None
    through = as_of.month if as_of.year == year else 12
    upto = [m for m in months if m <= through]
    return months[max(upto)] if upto else months[min(months)]


def load_pk_document(res: Resources, year: int, as_of: date | None = None) -> PkDocument:
    """One OPD's document, its day defaulting to default_as_of (today in the pipeline's zone)."""
    catalogue = res.config.catalogue
    if as_of is None:
        today = datetime.now(ZoneInfo(res.config.pipeline.timezone)).date()
        as_of = default_as_of(catalogue, year, today)
    return build_pk_document(catalogue, year, as_of, pk_budget(res, year, as_of))


def write_pk(res: Resources, year: int, as_of: date | None = None) -> list[Where]:
    """perjanjian-kinerja-<year>.html and .pdf of each OPD `res` covers, in its
    report folder of the year (out/<year>/, or out/<year>/<opd>/), files 0600;
    the paths written, in OPD order. Without Chromium, or when the print fails,
    only the HTML (logged). A folder that cannot be written: Unwritable (exit 5)."""
    paths: list[Where] = []
    with pdf_printer() as printer:
        for unit in res.units():
            doc = load_pk_document(unit, year, as_of)
            text = render_pk_html(doc)
            folder = unit.report_dir(year)
            try:
                html = storage.write(folder / f"{doc.basename}.html", text)
            except OSError as exc:  # one line for the operator, exit 5 (as every report)
                raise Unwritable(
                    f"Perjanjian Kinerja tidak dapat ditulis ke {folder} ({exc.strerror or type(exc).__name__})"
                ) from None
            pdf, printed = _pdf(html, text, printer, unit)
            # the output index lists them once it knows the name (iku.reports.index);
            # a PDF printed goes on it with the content it was printed from
            digest = hash_in(text.encode())
            record_reports(
                unit.warehouse,
                [
                    *written([html], unit.opd),
                    *(replace(w, content_hash=digest) for w in written(printed, unit.opd)),
                ],
            )
            done = [html] if pdf is None else [html, pdf]
            paths += done
    return paths


def _pdf(html: Where, text: str, printer: PdfPrinter, unit: Resources) -> tuple[Where | None, list[Where]]:
    """The PDF beside `html` and the list of it when printed now ([] when the
    one printed from the same content is kept: no Chromium started)."""
    if printer.exe is not None and printed_already(html, unit.warehouse) is not None:
        log.info("PDF tidak berubah, tetap dipakai: %s", html.with_suffix(".pdf"))
        return html.with_suffix(".pdf"), []
    pdf = _print(html, text, printer)
    return pdf, [] if pdf is None else [pdf]


def _print(html: Where, text: str, printer: PdfPrinter) -> Where | None:
    """The PDF beside `html`, printed in a private folder and then written like
    every report file (0600 locally; a remote store gets it the same way)."""
    with tempfile.TemporaryDirectory(prefix="iku-pk-") as tmp:
        local = Path(tmp) / html.name
        local.write_text(text, encoding="utf-8")
        try:
            printed = printer.print(local)
            if printed is None:  # no Chromium: logged by the printer
                return None
            return storage.write(html.with_suffix(".pdf"), printed.read_bytes())
        except (PdfFailed, Unwritable, OSError) as exc:
            log.warning("PDF tidak ditulis: %s", exc)
            return None
