"""The pipeline's commands (CONTRACT §5): consolidate, status, report, recap,
lakip, import-history, template, check-missing. Thin: parse arguments, call a
flow, its steps or a query, print."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from iku.cli.common import (
    AS_OF,
    OPD_ALL,
    OPD_ONE,
    PERIOD,
    VIA_PREFECT,
    YEAR,
    config,
    console,
    installation,
    needs_prefect,
    one_opd,
    print_paths,
    quiet_tracebacks,
    renstra_all,
    renstra_year,
    resources,
    step_log,
)
from iku.cli.errors import BadArgument, guarded, parse_arg
from iku.console import count, problems_table, status_table
from iku.domain.periods import month_name, parse_as_of
from iku.locations import ensure_writable


def consolidate(
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Proses setiap berkas baru semua bidang (validasi, arsip, muat), lalu kirim peringatan yang jatuh tempo."""
    from iku.collector import few_gc_passes
    from iku.consolidation import summarise
    from iku.queries import scan_units
    from iku.testhook import checkpoint

    res = resources(opd)
    checkpoint("consolidate-start")
    ensure_writable(res.settings.archive_dir, "folder arsip")
    # the scan holds every new file's bytes: the collector's passes are few from here on
    with few_gc_passes():
        # Nothing new and nothing left to deliver: answer at once (a cron that
        # polls often should cost well under a second).
        scan = scan_units(res)
        waiting = any(res.warehouse.undelivered_alerts(u.opd) for u in res.units())
        if not (scan.new or scan.budget or waiting or _outbox_waiting(res)):
            summary = summarise([], scan.known, scan.skipped)
        else:
            summary = _consolidation(res, opd, via_prefect, scan)
        _print_summary(summary, _unread_places(res, scan))


def _consolidation(res, opd: str | None, via_prefect: bool, scan) -> dict:
    """Run the consolidation: as a Prefect flow run, or its steps in this process."""
    if via_prefect:
        if scan.new:
            from iku.validation.worker import warm_up

            warm_up()  # the warm GX worker, or this run's own importing GX while Prefect starts
        needs_prefect()
        from flows.consolidate import consolidate_flow
        from iku.resources import provided

        quiet_tracebacks()
        with provided(res):  # the flow runs on this command's resources, not a second set
            return consolidate_flow(opd=opd)
    # In this process, without a Prefect flow (Prefect's import and a flow
    # run cost more than a run with one new sheet): the same steps, run
    # lock and log lines as the flow the scheduled deployments run.
    from flows.pipeline import consolidate_all

    with step_log():
        return consolidate_all(res, scan=scan)  # the inbox listed once per run


def _print_summary(summary: dict, unread: list[str]) -> None:
    """What a consolidation did: the ignored files, the places never read, the
    problem files, and the one closing line."""
    for line in summary.get("ignored_files", []):
        console.print(f"diabaikan: {line}", markup=False, highlight=False, soft_wrap=True)
    for line in unread:
        console.print(f"peringatan: {line}", markup=False, highlight=False, soft_wrap=True)
    table = problems_table(summary.get("problem_files", []))
    if table is not None:
        console.print(table)
    for f in summary.get("warning_files", []):
        for w in f["warnings"]:
            console.print(
                f"perlu dicek: {f['file']} (bidang {f['bidang']}, {month_name(f['month'])} {f['year']}): "
                f"{w['message'].removeprefix('perlu dicek: ')} (berkas tetap diterima)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    for f in summary.get("locked_files", []):
        period = f"{month_name(f['month'])} {f['year']}"
        console.print(
            f"terkunci: {f['file']} (bidang {f['bidang']}, {period}) dicatat, tidak dipakai: {f['why']}; {f['todo']}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    locked = summary.get("locked", 0)
    budget = summary.get("budget_files", [])
    for line in _budget_lines(budget):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    refused = sum(b["status"] == "refused" for b in budget)
    console.print(
        f"{count(summary['new_files'])} berkas baru: {count(summary['valid'])} valid"
        f"{f' ({count(locked)} terkunci)' if locked else ''}, "
        f"{count(summary['invalid'])} tidak valid, {count(summary['unreadable'])} tidak terbaca; "
        f"{count(summary['known_files'])} sudah pernah diproses; {count(summary.get('ignored', 0))} diabaikan"
        + (
            f"; {count(len(budget))} lembar anggaran ({count(len(budget) - refused)} dimuat, {count(refused)} ditolak)."
            if budget
            else "."
        ),
        highlight=False,
        soft_wrap=True,  # one line, however narrow the terminal
    )


def _budget_lines(budget: list[dict]) -> list[str]:
    """Per budget sheet of the anggaran folders: what became of it, every problem
    and warning, the programs left out (as `iku import-budget` says them)."""
    from iku.domain.periods import month_name

    lines = []
    for b in budget:
        label = (
            f"{month_name(b['month'])} {b['year']}" if b["year"] and b["month"] else "periode tidak terbaca"
        )
        if b["status"] == "refused":
            lines.append(
                f"anggaran: {b['file']} ditolak ({label}): {len(b['problems'])} masalah; tidak ada angka yang dimuat"
            )
        elif b["status"] == "unchanged":  # loaded by another run meanwhile
            lines.append(f"anggaran: {b['file']}: berkas yang sama sudah pernah dimuat untuk {label}")
        else:
            lines.append(f"anggaran: {b['file']}: {label} dimuat (revisi {b['revision']})")
        lines += [f"  masalah: {_at(p)}" for p in b["problems"]]
        lines += [f"  peringatan: {_at(p)}" for p in b["warnings"]]
        lines += [
            f"  dilewati: {code} {name} (program tidak terdaftar di katalog OPD)"
            for code, name in b["left_out"]
        ]
    return lines


def _at(problem: dict) -> str:
    where = ", ".join(
        x
        for x in (
            problem.get("row") and f"baris {problem['row']}",
            problem.get("column") and f"kolom {problem['column']}",
        )
        if x
    )
    return f"{where}: {problem['message']}" if where else problem["message"]


def _unread_places(res, scan) -> list[str]:
    """Where files would never be read: a mistyped inbox, a missing bidang folder,
    a file or folder beside the bidang folders. Said on every run, so a typo in
    IKU_INBOX_DIR never passes for a month in which nobody sent anything."""
    from iku import storage

    inbox = res.settings.inbox_dir
    try:
        present = storage.is_dir(inbox)
    except storage.Unwritable as exc:  # a shared store that stopped answering after the scan
        return [str(exc)]
    if not present:
        return [
            f"kotak masuk {inbox} tidak ada atau bukan folder (IKU_INBOX_DIR): tidak ada berkas yang dibaca"
        ]
    absent = [f"folder sumber bidang {b} tidak ada: {folder}" for b, folder in scan.absent_folders.items()]
    return absent + scan.strays


def _outbox_waiting(res) -> bool:
    """Invalid files recorded by a run that was killed before it alerted."""
    from iku.alerts.dispatch import outbox

    return bool(outbox(res))


def status(
    year: int = typer.Option(..., "--year", help=YEAR),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF),
    as_json: bool = typer.Option(False, "--json", help="Cetak JSON (CONTRACT §7)."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
) -> None:
    """Matriks penyampaian bidang × bulan."""
    from dataclasses import replace

    from iku.queries import submission_matrix

    renstra_all(opd, year)
    when = parse_arg(parse_as_of, as_of, config(opd).pipeline.timezone)
    res = resources(opd)
    units = res.units()
    several = len(units) > 1 or res.multi  # with several OPD every cell names its OPD
    cells = [
        replace(c, opd=u.opd) if several else c for u in units for c in submission_matrix(u, year, 12, when)
    ]
    checked = _verification(units, year)  # as it stands now (CONTRACT §12), also with --as-of
    if as_json:
        tz = when.tzinfo
        warned = _warnings(units, year)
        lacking = _evidence_missing(units, year, checked)
        rows = [
            {
                **c.as_json(),
                **_checked(checked[(c.opd or res.opd, c.bidang, c.month)], tz),
                "warnings": warned.get((c.opd or res.opd, c.bidang, c.month), []),
                "evidence_missing": lacking.get((c.opd or res.opd, c.bidang, c.month), []),
            }
            for c in cells
        ]
        print(json.dumps({"year": year, "submissions": rows}, ensure_ascii=False))
        return
    for u in units:
        if several:
            console.print(f"[bold]{u.config.catalogue.opd.name}[/] ({u.opd})")
        mine = [c for c in cells if c.opd in ("", u.opd)]
        bidang = [b.code for b in u.config.catalogue.bidang]
        marks = {(b, m): v for (o, b, m), v in checked.items() if o == u.opd}
        console.print(status_table(mine, bidang, year, when, wide=console.width >= 185, checks=marks))
    late = sum(c.status in ("late", "missing", "invalid") for c in cells)
    console.print(f"{count(len(cells))} bidang-bulan; {count(late)} terlambat, tidak valid atau belum masuk.")


def _verification(units, year: int) -> dict:
    """(opd, bidang, month) -> the month's verification and lock (iku.warehouse.sakip.MonthView)."""
    from iku.warehouse.sakip import Sakip

    found = {}
    for u in units:
        sakip = Sakip.for_pipeline(u.warehouse, u.config.pipeline)
        codes = [b.code for b in u.config.catalogue.bidang]
        for (bidang, month), view in sakip.states(u.opd, year, bidang=codes).items():
            found[(u.opd, bidang, month)] = view
    return found


def _warnings(units, year: int) -> dict:
    """(opd, bidang, month) -> the "perlu dicek" warnings kept with its current submission."""
    from iku.warehouse.sakip import Sakip

    found: dict = {}
    for u in units:
        for w in Sakip(u.warehouse).follow_up(u.opd, year):
            keep = {k: w[k] for k in ("indicator", "rule", "value", "message")}
            found.setdefault((u.opd, w["bidang"], w["month"]), []).append(keep)
    return found


def _evidence_missing(units, year: int, checked: dict) -> dict:
    """(opd, bidang, month) -> the indicators requiring bukti dukung (evidence_required)
    that have none in a month with valid data."""
    from iku.warehouse.sakip import Sakip

    found: dict = {}
    for u in units:
        required = [i for i in u.config.catalogue.indicators if i.evidence_required]
        if not required:
            continue
        months = sorted({m for (o, _, m), v in checked.items() if o == u.opd and v.state is not None})
        lacking = Sakip(u.warehouse).months_missing_evidence(u.opd, year, [i.code for i in required], months)
        for i in required:
            for m in months:
                view = checked.get((u.opd, i.bidang, m))
                if (i.code, m) in lacking and view is not None and view.state is not None:
                    found.setdefault((u.opd, i.bidang, m), []).append(i.code)
    return found


def _checked(view, tz) -> dict:
    """A MonthView's keys for a submissions[] entry, its time in the pipeline's zone like received_at."""
    keys = view.as_dict()
    if view.at is not None and keys["verification_at"] is not None:
        keys["verification_at"] = view.at.astimezone(tz).isoformat()
    return keys


def _report_folder(year: int) -> None:
    """The year's report folder can be written (exit 5 otherwise), before any work."""
    from iku.settings import load_settings

    ensure_writable(load_settings().output_dir / str(year), "folder laporan")


def report(
    period: str = typer.Option(..., "--period", help=PERIOD),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Tulis laporan triwulan (YYYY-Qn) atau tahunan (YYYY): HTML, Excel dan JSON."""
    from iku.domain.periods import Period

    parsed = parse_arg(Period.parse, period)  # bad input fails before Prefect starts
    renstra_all(opd, parsed.year)
    _report_folder(parsed.year)
    if via_prefect:
        needs_prefect()
        from flows.reports import report_flow

        quiet_tracebacks()
        paths = report_flow(period, opd=opd)
    else:
        # In this process, without a Prefect flow (Prefect's import and a flow
        # run cost more than the report): the same steps and log lines as the
        # flow the scheduled deployments run.
        from flows.pipeline import report_all

        res = resources(opd)
        with step_log():
            paths = report_all(res, parsed, parse_arg(parse_as_of, None, res.config.pipeline.timezone))
    print_paths(paths)


def recap(
    period: str = typer.Option(..., "--period", help=PERIOD),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF),
    send: bool = typer.Option(
        False,
        "--send",
        help="Kirim juga ke alamat kabupaten (pipeline.yaml kabupaten.email) dengan berkas terlampir.",
    ),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Rekap kabupaten: IKU, predikat, rata-rata dan penyampaian setiap OPD (HTML, Excel, JSON)."""
    from iku.domain.periods import Period

    parsed = parse_arg(Period.parse, period)
    renstra_all(None, parsed.year)
    when = parse_arg(parse_as_of, as_of, config().pipeline.timezone)
    _report_folder(parsed.year)
    if via_prefect:
        needs_prefect()
        from flows.reports import recap_flow

        quiet_tracebacks()
        paths = recap_flow(period, as_of=as_of, send=send)
    else:  # the flow's steps in this process, as `iku report` runs
        from flows.pipeline import recap_all

        res = resources()
        with step_log():
            paths = recap_all(res, parsed, when, send=send)
    print_paths(paths)


def lakip(
    year: int = typer.Option(..., "--year", help=YEAR),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    via_prefect: bool = typer.Option(False, "--prefect", help=VIA_PREFECT),
) -> None:
    """Tulis bahan LAKIP akhir tahun (lakip-Y.xlsx, lakip-Y.json); untuk semua OPD dengan rpjmd.yaml juga lakip-kabupaten-Y."""
    renstra_all(opd, year)
    _report_folder(year)
    if via_prefect:
        needs_prefect()
        from flows.reports import lakip_flow

        quiet_tracebacks()
        paths = lakip_flow(year, opd=opd)
    else:  # the flow's steps in this process, as `iku report` runs
        from flows.pipeline import lakip_all

        with step_log():
            paths = lakip_all(resources(opd), year)
    print_paths(paths)


@guarded
def import_history(
    file: Path = typer.Option(..., "--file", help=".xlsx, .xls, .ods atau .csv"),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
) -> None:
    """Muat realisasi tahun-tahun sebelum pipeline berjalan (dari LKjIP terdahulu), ditandai sebagai data historis."""
    from iku.history import import_and_print

    one_opd(opd)
    import_and_print(resources(opd), file, console)


def template(
    bidang: str | None = typer.Option(
        None, "--bidang", help="Kode bidang, mis. perumahan (wajib tanpa --budget)."
    ),
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="Berkas .xlsx yang ditulis."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
    budget: bool = typer.Option(
        False,
        "--budget",
        help="Lembar realisasi anggaran OPD (program, kegiatan, sub kegiatan) sebagai ganti lembar bidang.",
    ),
) -> None:
    """Tulis lembar isian yang sudah terisi untuk satu bidang dan satu bulan, atau lembar anggaran OPD (--budget)."""
    from iku.domain.periods import parse_month_period
    from iku.sheet_template import write_template

    opd_config = one_opd(opd)
    year, month = parse_arg(parse_month_period, period)
    renstra_year(opd_config, year)
    if budget:
        if bidang is not None:
            raise BadArgument(
                "--bidang tidak dipakai dengan --budget: lembar anggaran berlaku untuk seluruh OPD"
            )
        from iku.cli.budget import write_budget_sheet

        return write_budget_sheet(opd_config, year, month, out)
    if bidang is None:
        raise BadArgument("opsi --bidang wajib diisi (atau --budget untuk lembar anggaran)")
    codes = [b.code for b in opd_config.catalogue.bidang]
    if bidang not in codes:
        raise BadArgument(f"bidang '{bidang}' tidak dikenal; yang ada: {', '.join(codes)}")
    ensure_writable(out.parent if str(out.parent) else Path("."), "folder tujuan")
    write_template(opd_config, bidang, year, month, out)
    console.print(str(out))


def check_missing(
    period: str | None = typer.Option(
        None, "--period", help="YYYY-MM; bawaan: setiap bulan yang sudah lewat tenggatnya."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Tanggal acuan (YYYY-MM-DD); bawaan: sekarang."),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
) -> None:
    """Peringatan untuk setiap bidang yang belum menyampaikan setelah tenggat."""
    from iku.domain.periods import parse_month_period

    if period:
        renstra_all(opd, parse_arg(parse_month_period, period)[0])
    when = parse_arg(parse_as_of, as_of, config(opd).pipeline.timezone)
    for each in installation().configs(opd):
        start, end = each.catalogue.opd.renstra_period
        if not start <= when.year <= end + 1:  # January after the last year still checks its December
            raise BadArgument(f"tanggal acuan {when:%Y-%m-%d} di luar periode Renstra {start}–{end}")
    needs_prefect()
    from flows.alerts import check_missing_flow

    quiet_tracebacks()

    found = check_missing_flow(period=period, as_of=as_of, opd=opd)
    for item in found:
        who = f"{item['opd']}/" if item.get("opd") else ""
        console.print(f"belum masuk: {who}{item['bidang']} {item['year']}-{item['month']:02d}")
    console.print(f"{len(found)} penyampaian belum masuk.")
