"""Alert texts, in Indonesian, for the people who must act on them (pure: no I/O).

Each builder returns an AlertMessage: the e-mail subject and body, the one-line
summary, and the webhook body of CONTRACT §8. Kinds:

- ``invalid_submission``  a file was read but breaks the rules (one per file)
- ``unreadable_file``     a file could not be read at all (one per file)
- ``missing_submission``  nothing valid or invalid by the deadline (one per bidang and month)
- ``reminder``            H-n before the deadline, to a bidang that has not submitted (extra kind)
- ``recap``               after a consolidation that found new files, to the planning team (extra kind)
- ``kabupaten_recap``     the recap of every OPD for a quarter or year, to the kabupaten (extra kind)
- ``returned_month``      the planning team returned a bidang's month with a note (extra kind)
- ``invalid_budget``      a budget sheet in the inbox's anggaran folder was refused (extra kind)
- ``locked_submission``   a valid file for a month of a locked quarter: recorded, never current (extra kind)
- ``missing_evidence``    a month with valid data but no bukti dukung for an indicator that requires it (extra kind)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iku.config import Config
from iku.domain.model import Problem, SubmissionRecord
from iku.domain.periods import deadline, month_name
from iku.domain.places import Where
from iku.domain.status import MonthSubmission, file_status_counts
from iku.domain.text import one_line
from iku.formatting import held_advice, held_reason, local_date, local_datetime, num, pct

if TYPE_CHECKING:
    from iku.reports.recap import RecapData

FOOTER = (
    "Pesan ini dikirim otomatis oleh pipeline konsolidasi IKU {opd}. "
    "Balasan ke alamat ini tidak dibaca; hubungi tim perencanaan bila ada pertanyaan."
)

COLUMN_FIX = {
    "bidang": "Isi kolom bidang dengan kode '{bidang}' pada setiap baris, dan simpan berkas di folder bidang itu sendiri.",
    "tahun": "Isi kolom tahun dengan tahun empat angka (mis. 2023), sama pada setiap baris.",
    "bulan": "Isi kolom bulan dengan angka 1-12 atau nama bulan (Januari ... Desember), sama pada setiap baris.",
    "kode_indikator": "Cantumkan setiap kode indikator bidang ini tepat satu kali ({codes}) dan hapus kode lain.",
    "realisasi": "Isi realisasi bulan itu sendiri (bukan kumulatif) sebagai angka tidak negatif, mis. 12 atau 9,85.",
    "pembilang": "Isi pembilang bulan itu (mis. luas kawasan kumuh yang berkurang bulan ini) sebagai angka tidak negatif, tidak lebih besar dari penyebut.",
    "penyebut": "Isi penyebut sebagaimana keadaan bulan itu (mis. total luas kawasan kumuh di bawah 10 Ha) sebagai angka lebih besar dari 0.",
}
GENERAL_FIX = (
    "Perbaiki sesuai keterangan di atas; templat yang sudah terisi dapat dibuat dengan "
    "`iku template --bidang {bidang} --period YYYY-MM`."
)
RESUBMIT = (
    "Setelah diperbaiki, simpan berkas sebagai berkas baru di folder bidang Anda{where}. "
    "Berkas diproses otomatis pada konsolidasi harian berikutnya; berkas yang tidak valid "
    "tidak pernah menggantikan data valid yang sudah ada."
)

STATUS_ID = {"valid": "valid", "invalid": "TIDAK VALID", "unreadable": "TIDAK TERBACA"}


@dataclass(frozen=True)
class AlertMessage:
    kind: str
    cause_key: str
    subject: str
    text: str  # e-mail body
    summary: str  # the webhook "message"
    bidang: str | None = None
    year: int | None = None
    month: int | None = None
    file: str | None = None
    problems: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # additional webhook fields of the extra kinds
    attachments: tuple[str, ...] = ()  # files the e-mail carries (the kabupaten recap)
    # the OPD the alert is about (code, name): the same file sent to two OPD
    # makes two alerts a receiver can tell apart (None: the kabupaten's own)
    opd: str | None = None
    opd_name: str | None = None

    def __post_init__(self) -> None:
        # the subject is an e-mail header: one line whatever a file name holds
        object.__setattr__(self, "subject", one_line(self.subject))

    def webhook_body(self) -> dict:
        body = {
            "kind": self.kind,
            "bidang": self.bidang,
            "year": self.year,
            "month": self.month,
            "file": self.file,
            "problems": list(self.problems),
            "message": self.summary,
        }
        if self.opd is not None:  # added keys (CONTRACT §8 keeps every key it names)
            body.update(opd=self.opd, opd_name=self.opd_name)
        body.update(self.extra)
        return body


# -- formatting helpers -------------------------------------------------------


def period_label(year: int | None, month: int | None) -> str:
    if year and month:
        return f"{month_name(month)} {year}"
    return "(periode tidak terbaca)"


def bidang_label(config: Config, code: str | None) -> str:
    if not code:
        return "(bidang tidak dikenal)"
    try:
        return f"{config.catalogue.bidang_by_code(code).name} ({code})"
    except KeyError:
        return code


def bidang_name(config: Config, code: str | None) -> str:
    try:
        return config.catalogue.bidang_by_code(code).name if code else "Bidang"
    except KeyError:
        return code or "Bidang"


def problem_where(p: Problem) -> str:
    parts = []
    if p.row is not None:
        parts.append(f"Baris {p.row}")
    if p.column:
        parts.append(f"kolom {p.column}")
    return ", ".join(parts) if parts else "Berkas"


def fix_for(p: Problem, config: Config, bidang: str | None) -> str:
    codes = ", ".join(i.code for i in config.catalogue.indicators_of(bidang)) if bidang else "lihat templat"
    template = COLUMN_FIX.get((p.column or "").lower(), GENERAL_FIX)
    return template.format(bidang=bidang or "<kode bidang>", codes=codes)


def _due_text(config: Config, year: int, month: int) -> str:
    pipe = config.pipeline
    return local_datetime(deadline(year, month, pipe.deadline_day, pipe.timezone), pipe.timezone)


def _opd_alert(config: Config, kind: str, key: str, subject: str, **fields: Any) -> AlertMessage:
    """An alert about one OPD: its code and name in the body and its name in the
    subject (CONTRACT §8), so two OPD's alerts never look alike."""
    return AlertMessage(
        kind=kind,
        cause_key=key,
        subject=_subject(config, subject),
        opd=config.catalogue.opd.code,
        opd_name=config.catalogue.opd.name,
        **fields,
    )


def _subject(config: Config, text: str) -> str:
    """An e-mail subject naming the OPD (name and code) after what happened."""
    opd = config.catalogue.opd
    return f"{text} — {opd.name} ({opd.code})"


def _footer(config: Config, key: str) -> str:
    return FOOTER.format(opd=config.catalogue.opd.name) + f"\nKode peringatan: {key}"


def _where(source_dir: str | None) -> str:
    return f" ({source_dir})" if source_dir else ""


# -- submission alerts -----------------------------------------------------------


def _file_lines(config: Config, rec: SubmissionRecord, period_text: str) -> list[str]:
    """The block that names the file an alert is about."""
    return [
        f"  Bidang   : {bidang_label(config, rec.bidang)}",
        f"  Periode  : {period_text}",
        f"  Berkas   : {rec.file_name}",
        f"  Diterima : {local_datetime(rec.received_at, config.pipeline.timezone)}",
    ]


def invalid_submission(rec: SubmissionRecord, config: Config, source_dir: str | None = None) -> AlertMessage:
    key = f"invalid:{rec.sha256}"
    period = period_label(rec.year, rec.month)
    lines = [
        f"Yth. {bidang_name(config, rec.bidang)},",
        "",
        "Berkas laporan realisasi IKU berikut TIDAK VALID, sehingga datanya belum diterima:",
        "",
        *_file_lines(
            config,
            rec,
            period
            + (f" (batas waktu {_due_text(config, rec.year, rec.month)})" if rec.year and rec.month else ""),
        ),
        "",
        f"Masalah yang ditemukan ({len(rec.problems)}):",
    ]
    for i, p in enumerate(rec.problems, start=1):
        lines.append(f"  {i}. {problem_where(p)}: {p.message}")
        lines.append(f"     Perbaikan: {fix_for(p, config, rec.bidang)}")
    lines += ["", RESUBMIT.format(where=_where(source_dir)), "", _footer(config, key)]
    summary = (
        f"Berkas {rec.file_name} dari {bidang_label(config, rec.bidang)} untuk {period} tidak valid: "
        f"{len(rec.problems)} masalah. Perbaiki lalu kirim ulang."
    )
    return _opd_alert(
        config,
        "invalid_submission",
        key,
        f"[IKU] Berkas tidak valid: {bidang_name(config, rec.bidang)}, {period} ({rec.file_name})",
        text="\n".join(lines),
        summary=summary,
        bidang=rec.bidang,
        year=rec.year,
        month=rec.month,
        file=rec.file_name,
        problems=[p.as_dict() for p in rec.problems],
    )


def unreadable_file(rec: SubmissionRecord, config: Config, source_dir: str | None = None) -> AlertMessage:
    key = f"unreadable:{rec.sha256}"
    period = period_label(rec.year, rec.month)
    problems = rec.problems or [Problem("Berkas tidak dapat dibuka.")]
    lines = [
        f"Yth. {bidang_name(config, rec.bidang)},",
        "",
        "Berkas berikut TIDAK DAPAT DIBACA oleh pipeline IKU, sehingga isinya belum diperiksa:",
        "",
        *_file_lines(config, rec, period),
        "",
        "Penyebab:",
    ]
    for i, p in enumerate(problems, start=1):
        lines.append(f"  {i}. {problem_where(p)}: {p.message}")
    lines += [
        "",
        "Perbaikan: buka berkas di Excel atau LibreOffice, pastikan berkas tidak rusak, tidak "
        "dikunci kata sandi dan tidak kosong, lalu simpan ulang sebagai .xlsx (atau .csv UTF-8). "
        "Format yang diterima: .xlsx, .xls, .ods, .csv.",
        "",
        RESUBMIT.format(where=_where(source_dir)),
        "",
        _footer(config, key),
    ]
    summary = (
        f"Berkas {rec.file_name} dari {bidang_label(config, rec.bidang)} tidak dapat dibaca: "
        f"{problems[0].message} Simpan ulang sebagai .xlsx lalu kirim ulang."
    )
    return _opd_alert(
        config,
        "unreadable_file",
        key,
        f"[IKU] Berkas tidak dapat dibaca: {bidang_name(config, rec.bidang)} ({rec.file_name})",
        text="\n".join(lines),
        summary=summary,
        bidang=rec.bidang,
        year=rec.year,
        month=rec.month,
        file=rec.file_name,
        problems=[p.as_dict() for p in problems],
    )


def locked_submission(rec: SubmissionRecord, config: Config) -> AlertMessage:
    """A valid file for a month of a locked quarter (CONTRACT §12): archived and
    recorded, never the current data; the bidang and the planning team read why
    and what to do."""
    assert rec.held is not None
    tz = config.pipeline.timezone
    key = f"locked:{rec.sha256}"
    period = period_label(rec.year, rec.month)
    why = held_reason(rec.held, tz)
    lines = [
        f"Yth. {bidang_name(config, rec.bidang)} dan tim perencanaan,",
        "",
        "Berkas laporan realisasi IKU berikut valid dan sudah diarsipkan serta dicatat, tetapi TERKUNCI: "
        "angkanya tidak dipakai sebagai data bulan itu.",
        "",
        *_file_lines(config, rec, period),
        "",
        f"Sebabnya: {why}.",
        "",
        f"Yang perlu dilakukan: {held_advice(rec.held)}.",
        "",
        _footer(config, key),
    ]
    return _opd_alert(
        config,
        "locked_submission",
        key,
        f"[IKU] Berkas terkunci: {bidang_name(config, rec.bidang)}, {period} ({rec.file_name})",
        text="\n".join(lines),
        summary=f"Berkas {rec.file_name} dari {bidang_label(config, rec.bidang)} untuk {period} terkunci: {why}.",
        bidang=rec.bidang,
        year=rec.year,
        month=rec.month,
        file=rec.file_name,
        extra={
            "quarter": f"{rec.held.year}-Q{rec.held.quarter}",
            "approved_by": rec.held.approved_by,
            "locked_since": rec.held.since.isoformat(),
        },
    )


def submission_alert(
    rec: SubmissionRecord, config: Config, source_dir: str | None = None
) -> AlertMessage | None:
    """The alert a new record calls for, or None for a valid file used as the current data."""
    if rec.status == "invalid":
        return invalid_submission(rec, config, source_dir)
    if rec.status == "unreadable":
        return unreadable_file(rec, config, source_dir)
    if rec.held is not None:
        return locked_submission(rec, config)
    return None


def invalid_budget(
    file_name: str,
    sha256: str,
    period: tuple[int | None, int | None],
    problems: list[Problem],
    received_at: datetime,
    config: Config,
    folder: str | None = None,
) -> AlertMessage:
    """A budget sheet dropped in the inbox's anggaran folder was refused whole
    (CONTRACT §11): to the planning team, every problem with its row and column."""
    key = f"invalid-budget:{sha256}"
    year, month = period
    label = period_label(year, month)
    lines = [
        "Yth. Tim Perencanaan dan Keuangan,",
        "",
        "Lembar realisasi anggaran berikut DITOLAK seluruhnya; tidak ada angka anggaran yang dimuat:",
        "",
        f"  Periode  : {label}",
        f"  Berkas   : {file_name}",
        f"  Diterima : {local_datetime(received_at, config.pipeline.timezone)}",
        "",
        f"Masalah yang ditemukan ({len(problems)}):",
        *[f"  {i}. {problem_where(p)}: {p.message}" for i, p in enumerate(problems, start=1)],
        "",
        "Setelah diperbaiki, simpan sebagai berkas baru di folder anggaran"
        f"{_where(folder)}, atau kirim lewat portal (menu Anggaran). Templat: "
        "`iku template --budget --period YYYY-MM`.",
        "",
        _footer(config, key),
    ]
    return _opd_alert(
        config,
        "invalid_budget",
        key,
        f"[IKU] Lembar anggaran ditolak: {label} ({file_name})",
        text="\n".join(lines),
        summary=f"Lembar anggaran {file_name} untuk {label} ditolak: {len(problems)} masalah. Perbaiki lalu kirim ulang.",
        year=year,
        month=month,
        file=file_name,
        problems=[p.as_dict() for p in problems],
    )


# -- deadline alerts ------------------------------------------------------------


def missing_submission(
    cell: MonthSubmission, config: Config, as_of: datetime, source_dir: str | None = None
) -> AlertMessage:
    tz = config.pipeline.timezone
    key = f"missing:{cell.bidang}:{cell.year}-{cell.month:02d}"
    period = period_label(cell.year, cell.month)
    due = local_datetime(cell.deadline, tz)
    lines = [
        f"Yth. {bidang_name(config, cell.bidang)},",
        "",
        f"Sampai {local_datetime(as_of, tz)} laporan realisasi IKU berikut BELUM MASUK, "
        "padahal batas waktunya sudah lewat:",
        "",
        f"  Bidang      : {bidang_label(config, cell.bidang)}",
        f"  Periode     : {period}",
        f"  Batas waktu : {due}",
        f"  Indikator   : {', '.join(i.code for i in config.catalogue.indicators_of(cell.bidang))}",
        *_evidence_lines(config, cell.bidang),
        "",
        "Yang perlu dilakukan: isi lembar Realisasi untuk periode ini (satu baris per indikator) dan "
        f"simpan di folder bidang Anda{_where(source_dir)} secepatnya. Penyampaian setelah batas waktu "
        "dicatat sebagai terlambat.",
        "",
        _footer(config, key),
    ]
    return _opd_alert(
        config,
        "missing_submission",
        key,
        f"[IKU] Laporan belum masuk: {bidang_name(config, cell.bidang)}, {period}",
        text="\n".join(lines),
        summary=(
            f"Laporan {period} dari {bidang_label(config, cell.bidang)} belum masuk; "
            f"batas waktu {due} sudah lewat. Kirim segera."
        ),
        bidang=cell.bidang,
        year=cell.year,
        month=cell.month,
        file=None,
        problems=[],
    )


def reminder(
    cell: MonthSubmission, days_before: int, config: Config, source_dir: str | None = None
) -> AlertMessage:
    tz = config.pipeline.timezone
    key = f"reminder:{cell.bidang}:{cell.year}-{cell.month:02d}:H-{days_before}"
    period = period_label(cell.year, cell.month)
    due = local_datetime(cell.deadline, tz)
    state = "hanya ada berkas yang tidak valid" if cell.status == "invalid" else "belum ada berkas yang masuk"
    lines = [
        f"Yth. {bidang_name(config, cell.bidang)},",
        "",
        f"Pengingat H-{days_before}: laporan realisasi IKU {period} harus masuk paling lambat {due}. "
        f"Sampai saat ini {state}.",
        "",
        f"  Bidang    : {bidang_label(config, cell.bidang)}",
        f"  Periode   : {period}",
        f"  Indikator : {', '.join(i.code for i in config.catalogue.indicators_of(cell.bidang))}",
        *_evidence_lines(config, cell.bidang),
        "",
        f"Simpan lembar Realisasi di folder bidang Anda{_where(source_dir)} sebelum batas waktu. "
        f"Templat terisi: `iku template --bidang {cell.bidang} --period {cell.year}-{cell.month:02d} --out FILE`.",
        "",
        _footer(config, key),
    ]
    return _opd_alert(
        config,
        "reminder",
        key,
        f"[IKU] Pengingat H-{days_before}: laporan {period} {bidang_name(config, cell.bidang)}, batas {local_date(cell.deadline, tz)}",
        text="\n".join(lines),
        summary=f"Pengingat H-{days_before}: laporan {period} dari {bidang_label(config, cell.bidang)} "
        f"belum masuk; batas waktu {due}.",
        bidang=cell.bidang,
        year=cell.year,
        month=cell.month,
        file=None,
        problems=[],
        extra={"deadline": cell.deadline.isoformat(), "days_before": days_before},
    )


def _evidence_lines(config: Config, bidang: str) -> list[str]:
    """The bidang's indicators that require bukti dukung each month, when any."""
    codes = [i.code for i in config.catalogue.indicators_of(bidang) if i.evidence_required]
    if not codes:
        return []
    return [f"  Bukti dukung wajib: {', '.join(codes)} (unggah berkasnya per bulan di portal)"]


def missing_evidence(
    bidang: str, year: int, month: int, codes: list[str], config: Config, deadline_at: datetime
) -> AlertMessage:
    """A month with valid data whose indicators requiring bukti dukung have none
    after the deadline (CONTRACT §12)."""
    tz = config.pipeline.timezone
    key = f"missing-evidence:{bidang}:{year}-{month:02d}"
    period = period_label(year, month)
    lines = [
        f"Yth. {bidang_name(config, bidang)},",
        "",
        f"Data realisasi IKU {period} sudah masuk, tetapi BUKTI DUKUNG untuk indikator yang wajib "
        "melampirkannya belum diunggah:",
        "",
        f"  Bidang       : {bidang_label(config, bidang)}",
        f"  Periode      : {period}",
        f"  Batas waktu  : {local_datetime(deadline_at, tz)}",
        f"  Indikator    : {', '.join(codes)}",
        "",
        "Yang perlu dilakukan: unggah bukti dukungnya (berita acara, foto, daftar hadir; PDF, JPG, PNG "
        "atau XLSX) di halaman bulan itu pada portal, atau lewat POST /api/evidence.",
        "",
        _footer(config, key),
    ]
    return _opd_alert(
        config,
        "missing_evidence",
        key,
        f"[IKU] Bukti dukung belum ada: {bidang_name(config, bidang)}, {period}",
        text="\n".join(lines),
        summary=f"Bukti dukung {period} dari {bidang_label(config, bidang)} belum ada untuk {', '.join(codes)}.",
        bidang=bidang,
        year=year,
        month=month,
        file=None,
        problems=[],
        extra={"indicators": codes},
    )


def returned_month(
    config: Config, bidang: str, year: int, month: int, note: str, by: str, at: datetime
) -> AlertMessage:
    """The perencana returned a bidang-month (CONTRACT §12): the bidang reads why
    and sends a corrected sheet, which starts again at `diterima`."""
    tz = config.pipeline.timezone
    key = f"returned:{bidang}:{year}-{month:02d}:{at.isoformat()}"
    period = period_label(year, month)
    opd = config.catalogue.opd.name
    lines = [
        f"Yth. {bidang_name(config, bidang)},",
        "",
        f"Data realisasi IKU {period} DIKEMBALIKAN oleh tim perencanaan {opd} untuk diperbaiki.",
        "",
        f"  OPD          : {opd}",
        f"  Bidang       : {bidang_label(config, bidang)}",
        f"  Periode      : {period}",
        f"  Dikembalikan : {local_datetime(at, tz)} oleh {by}",
        "",
        "Catatan tim perencanaan:",
        f"  {note}",
        "",
        "Kirim lembar realisasi yang sudah diperbaiki untuk periode ini (portal atau folder bidang Anda); "
        "kiriman baru diperiksa lagi oleh tim perencanaan.",
        "",
        _footer(config, key),
    ]
    return AlertMessage(
        kind="returned_month",
        cause_key=key,
        subject=f"[IKU] Data {period} dikembalikan: {bidang_name(config, bidang)}, {opd}",
        text="\n".join(lines),
        summary=f"Data {period} dari {bidang_label(config, bidang)} ({opd}) dikembalikan: {one_line(note)}",
        bidang=bidang,
        year=year,
        month=month,
        file=None,
        problems=[],
        extra={"opd": config.catalogue.opd.code, "note": note, "returned_by": by},
    )


# -- recap to the planning team ----------------------------------------------------


def recap_key(records: Iterable[SubmissionRecord]) -> str:
    digest = hashlib.sha256("\n".join(sorted(r.sha256 for r in records)).encode()).hexdigest()
    return f"recap:{digest[:32]}"


def recap(
    records: list[SubmissionRecord], cells: list[MonthSubmission], config: Config, as_of: datetime
) -> AlertMessage:
    """What came in this run, and what stands late, invalid or missing (`cells`)."""
    tz = config.pipeline.timezone
    key = recap_key(records)
    counts = file_status_counts(records)
    late = [c for c in cells if c.status == "late"]
    invalid = [c for c in cells if c.status == "invalid"]
    missing = [c for c in cells if c.status == "missing"]
    lines = [
        "Yth. Tim Perencanaan,",
        "",
        f"Rekap konsolidasi IKU per {local_datetime(as_of, tz)}.",
        "",
        f"Berkas baru ({len(records)}): {counts['valid']} valid, {counts['invalid']} tidak valid, "
        f"{counts['unreadable']} tidak terbaca.",
    ]
    for r in sorted(records, key=lambda r: (r.bidang, r.year or 0, r.month or 0, r.file_name)):
        lines.append(
            f"  - {bidang_label(config, r.bidang)}, {period_label(r.year, r.month)}: "
            f"{r.file_name} ({STATUS_ID[r.status]}"
            + (f", {len(r.problems)} masalah" if r.problems else "")
            + ")"
        )

    def section(title: str, items: list[MonthSubmission], detail) -> None:
        lines.extend(["", f"{title} ({len(items)}):"])
        if not items:
            lines.append("  - tidak ada")
        for c in items:
            lines.append(f"  - {bidang_label(config, c.bidang)}, {period_label(c.year, c.month)}{detail(c)}")

    section(
        "Terlambat",
        late,
        lambda c: f": masuk {local_datetime(c.received_at, tz)}, batas {local_datetime(c.deadline, tz)}",
    )
    section(
        "Tidak valid (belum ada berkas valid)", invalid, lambda c: ": perbaikan sudah diminta kepada bidang"
    )
    section("Belum masuk setelah batas waktu", missing, lambda c: f": batas {local_datetime(c.deadline, tz)}")
    lines += [
        "",
        "Rincian setiap masalah dikirim dalam peringatan tersendiri kepada bidang terkait.",
        "",
        _footer(config, key),
    ]

    def brief(items: list[MonthSubmission]) -> list[dict]:
        return [{"bidang": c.bidang, "year": c.year, "month": c.month} for c in items]

    return _opd_alert(
        config,
        "recap",
        key,
        f"[IKU] Rekap konsolidasi {local_date(as_of, tz)}: {len(records)} berkas baru, "
        f"{len(late)} terlambat, {len(invalid)} tidak valid, {len(missing)} belum masuk",
        text="\n".join(lines),
        summary=(
            f"{len(records)} berkas baru ({counts['valid']} valid, {counts['invalid']} tidak valid, "
            f"{counts['unreadable']} tidak terbaca); {len(late)} terlambat, {len(invalid)} tidak valid, "
            f"{len(missing)} belum masuk."
        ),
        extra={
            "files": [
                {
                    "bidang": r.bidang,
                    "year": r.year,
                    "month": r.month,
                    "file": r.file_name,
                    "status": r.status,
                    "problems": len(r.problems),
                }
                for r in records
            ],
            "late": brief(late),
            "invalid": brief(invalid),
            "missing": brief(missing),
        },
    )


def side_product_failed(what: str, where: str, error: str, config: Config, when: datetime) -> AlertMessage:
    """A side product (GX Data Docs, the report index) could not be written.
    The data were loaded all the same; one alert a month per product and place."""
    opd = config.catalogue.opd
    key = f"output:{what}:{where}:{when:%Y-%m}"
    text = "\n".join(
        [
            "Yth. Tim Perencanaan,",
            "",
            f"Keluaran pendamping '{what}' tidak dapat ditulis ke {where}.",
            f"Penyebab: {one_line(error)}",
            "",
            "Data tetap dimuat ke gudang data seperti biasa; hanya keluaran ini yang tertinggal.",
            "Periksa izin tulis dan ruang kosong folder tersebut; keluaran dibuat lagi pada proses berikutnya.",
            "",
            FOOTER.format(opd=opd.name),
        ]
    )
    return _opd_alert(
        config,
        "output_failed",
        key,
        f"[IKU] Keluaran tidak dapat ditulis: {what}",
        text=text,
        summary=f"Keluaran '{what}' tidak dapat ditulis ke {where}: {one_line(error)}. Data tetap dimuat.",
        problems=[{"row": None, "column": None, "message": one_line(error)}],
        extra={"output": what, "location": where},
    )


# -- the recap of every OPD, to the kabupaten ------------------------------------------


def kabupaten_recap(data: RecapData, files: list[Where], fingerprint: str) -> AlertMessage:
    """The kabupaten recap of a quarter or year, its files attached (and named
    where they lie on the server). `fingerprint`: a digest of the recap's
    figures, so a re-run with the same figures sends nothing new."""
    tz = data.timezone
    key = f"kabupaten-recap:{data.period.slug}:{fingerprint[:32]}"
    avg, rate = data.average, data.rate
    lines = [
        f"Yth. {data.region},",
        "",
        f"Terlampir {data.title}, keadaan per {local_datetime(data.as_of, tz)}: "
        f"{len(data.opds)} perangkat daerah, {data.indicators} IKU.",
        "",
        f"Rata-rata capaian seluruh IKU perangkat daerah: {pct(avg.pct)}"
        + (f" ({avg.predicate})" if avg.predicate else "")
        + ".",
        f"Penyampaian lembar bulanan: {rate.received} dari {rate.expected} yang jatuh tempo diterima "
        f"({pct(rate.reporting_pct)}), {rate.on_time} tepat waktu ({pct(rate.on_time_pct)}).",
    ]
    if data.rpjmd:
        lines += ["", "IKU kabupaten (RPJMD):"]
        for k in data.rpjmd:
            r = k.result
            target = "target belum ditetapkan" if r.target is None else f"target {num(r.target)}"
            lines.append(
                f"  - {k.indicator.code} {k.indicator.name}: realisasi {num(r.realisation)} {k.indicator.unit}, "
                f"{target}, capaian {pct(r.achievement_pct)}"
                + (f" ({r.verdict or r.predicate})" if r.predicate else "")
                + (
                    f"; terhadap Rencana Aksi {num(r.target_quarter)}: {pct(r.achievement_quarter_pct)}"
                    + (f" ({r.predicate_quarter})" if r.predicate_quarter else "")
                    if r.target_quarter is not None
                    else ""
                )
                + (f"; {r.why}" if r.why else "")
                + f" [{k.rule_text}]"
            )
    lines += ["", "Per perangkat daerah:"]
    for o in data.opds:
        _, a = o.headline
        lines.append(
            f"  - {o.name}: rata-rata capaian {pct(a.pct)}, penyampaian {o.rate.received}/{o.rate.expected} "
            f"({pct(o.rate.reporting_pct)})"
        )
    lines += ["", "Berkas (terlampir; juga tersimpan di server):"]
    lines += [f"  - {f}" for f in files]
    lines += [
        "",
        "Pesan ini dikirim otomatis oleh pipeline konsolidasi IKU kabupaten. "
        "Balasan ke alamat ini tidak dibaca.",
        f"Kode pesan: {key}",
    ]
    return AlertMessage(
        kind="kabupaten_recap",
        cause_key=key,
        subject=f"[IKU] {data.title} — {data.region}",
        text="\n".join(lines),
        summary=(
            f"{data.title}: {len(data.opds)} perangkat daerah, rata-rata capaian {pct(avg.pct)}, "
            f"penyampaian {rate.received} dari {rate.expected} ({pct(rate.reporting_pct)})."
        ),
        year=data.period.year,
        extra={"period": data.period.label, "files": [f.name for f in files]},
        attachments=tuple(str(f) for f in files),
    )
