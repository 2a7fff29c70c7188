"""The SAKIP cycle's commands for operators (CONTRACT §12): verify, return,
approve, unlock, audit, and the Perjanjian Kinerja document (pk).

Every action runs with the role `operator` (iku.domain.verification) and is
recorded in the audit log under `--by`, by default the operating system's user
name. A transition that is not allowed ends with its Indonesian reason and
exit 2 (TransitionRefused is a ValueError: `guarded` makes it a bad argument).
"""

from __future__ import annotations

import getpass
import json
from datetime import date
from zoneinfo import ZoneInfo

import typer

from iku.cli.common import (
    AS_OF,
    OPD_ALL,
    OPD_ONE,
    YEAR,
    console,
    installation,
    one_opd,
    renstra_all,
    renstra_year,
    resources,
    step_log,
)
from iku.cli.errors import BadArgument, guarded, parse_arg
from iku.locations import ensure_writable

ROLE = "operator"
BY = "Nama yang dicatat di log audit; bawaan: nama pengguna sistem operasi."
MONTH = "YYYY-MM"
QUARTER = "YYYY-Qn (triwulan)."


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)  # one line, never wrapped


def _actor(by: str | None) -> str:
    name = (by if by is not None else _os_user()).strip()
    if not name:
        raise BadArgument("--by: nama pencatat tidak boleh kosong")
    return name


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER
        return ""


def _unit(opd: str | None):
    """The one OPD's resources and its Sakip."""
    from iku.warehouse.sakip import Sakip

    opd_config = one_opd(opd)
    res = resources(opd_config.catalogue.opd.code)
    return res, Sakip.for_pipeline(res.warehouse, res.config.pipeline)


def _month(res, bidang: str, period: str) -> tuple[int, int]:
    from iku.domain.periods import parse_month_period

    year, month = parse_arg(parse_month_period, period)
    renstra_year(res.config, year)
    codes = [b.code for b in res.config.catalogue.bidang]
    if bidang not in codes:
        raise BadArgument(f"bidang '{bidang}' tidak dikenal; yang ada: {', '.join(codes)}")
    return year, month


def _quarter(res, period: str) -> tuple[int, int]:
    from iku.domain.periods import Period

    parsed = parse_arg(Period.parse, period)
    if parsed.quarter is None:
        raise BadArgument(f"periode '{period}' harus triwulan YYYY-Qn (n = 1-4)")
    renstra_year(res.config, parsed.year)
    return parsed.year, parsed.quarter


def _when(at, res) -> str:
    from iku.formatting import local_datetime

    return local_datetime(at, res.config.pipeline.timezone) if at is not None else "waktu tidak tercatat"


@guarded
def verify(
    bidang: str = typer.Option(..., "--bidang", help="Kode bidang, mis. perumahan."),
    period: str = typer.Option(..., "--period", help=MONTH),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
    by: str | None = typer.Option(None, "--by", help=BY),
) -> None:
    """Tandai data satu bidang satu bulan sebagai diverifikasi (tercatat di log audit)."""
    from iku.domain.verification import month_label

    res, sakip = _unit(opd)
    year, month = _month(res, bidang, period)
    actor = _actor(by)
    view = sakip.verify(res.opd, bidang, year, month, actor=actor, role=ROLE)
    _say(f"{bidang} {month_label(year, month)}: {view.state} oleh {actor} ({_when(view.at, res)}).")


@guarded
def return_month(
    bidang: str = typer.Option(..., "--bidang", help="Kode bidang, mis. perumahan."),
    period: str = typer.Option(..., "--period", help=MONTH),
    note: str | None = typer.Option(
        None, "--note", help="Catatan untuk bidang: apa yang harus diperbaiki (wajib)."
    ),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
    by: str | None = typer.Option(None, "--by", help=BY),
) -> None:
    """Kembalikan data satu bidang satu bulan dengan catatan; bidang mengirim perbaikan."""
    from iku.domain.verification import month_label

    res, sakip = _unit(opd)
    year, month = _month(res, bidang, period)
    actor = _actor(by)
    view = sakip.return_month(res.opd, bidang, year, month, note, actor=actor, role=ROLE)
    _say(
        f"{bidang} {month_label(year, month)}: {view.state} oleh {actor} ({_when(view.at, res)}); "
        f"catatan: {view.note}"
    )


def expected_bidang(config) -> list[str]:
    """The bidang that must have every month of a quarter verified: those with indicators."""
    cat = config.catalogue
    return [b.code for b in cat.bidang if cat.indicators_of(b.code)]


@guarded
def approve(
    period: str = typer.Option(..., "--period", help=QUARTER),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
    by: str | None = typer.Option(None, "--by", help=BY),
) -> None:
    """Setujui satu triwulan OPD (setiap bulan bidang sudah diverifikasi); triwulan itu lalu dikunci."""
    from iku.domain.verification import quarter_label

    res, sakip = _unit(opd)
    year, quarter = _quarter(res, period)
    actor = _actor(by)
    view = sakip.approve(res.opd, year, quarter, expected_bidang(res.config), actor=actor, role=ROLE)
    when = _when(view.approval.approved_at, res) if view.approval and view.approval.approved_at else ""
    _say(
        f"{quarter_label(year, quarter)} {res.opd}: disetujui dan dikunci oleh {actor} ({when}); "
        "berkas baru untuk bulan-bulannya diarsipkan tetapi tidak menjadi data terkini."
    )


@guarded
def unlock(
    period: str = typer.Option(..., "--period", help=QUARTER),
    reason: str | None = typer.Option(
        None, "--reason", help="Alasan membuka kunci (wajib; tercatat di log audit)."
    ),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
    by: str | None = typer.Option(None, "--by", help=BY),
) -> None:
    """Buka kunci triwulan yang sudah disetujui; kiriman terbaru tiap bulan kembali menjadi data terkini."""
    from iku.domain.verification import quarter_label

    res, sakip = _unit(opd)
    year, quarter = _quarter(res, period)
    actor = _actor(by)
    changed = sakip.unlock(res.opd, year, quarter, reason, actor=actor, role=ROLE)
    for bidang, y, m in changed:
        _say(f"menjadi data terkini: kiriman terbaru {bidang} {y}-{m:02d}")
    _say(
        f"{quarter_label(year, quarter)} {res.opd}: kunci dibuka oleh {actor}; alasan: {(reason or '').strip()}; "
        f"{len(changed)} bidang-bulan berganti ke kiriman terbaru."
    )


def audit(
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    as_json: bool = typer.Option(
        False, "--json", help='Cetak JSON: {"audit": [...]}, waktu dalam zona pipeline (WIB).'
    ),
) -> None:
    """Log audit verifikasi, persetujuan, buka kunci dan bukti dukung (waktu WIB)."""
    from iku.domain.verification import AUDIT_ACTION_LABELS
    from iku.formatting import stamp, tz_label
    from iku.warehouse.sakip import Sakip

    if opd is not None:
        installation().check(opd)  # an unknown OPD: exit 2
    res = resources(opd)
    tz_name = res.config.pipeline.timezone
    tz = ZoneInfo(tz_name)
    entries = Sakip.for_pipeline(res.warehouse, res.config.pipeline).audit(opd, role=ROLE)
    if as_json:
        body = [{**e.as_dict(), "at": e.recorded_at.astimezone(tz).isoformat()} for e in entries]
        print(json.dumps({"audit": body}, ensure_ascii=False))
        return
    several = len({e.opd_code for e in entries}) > 1
    for e in entries:
        where = f"{e.opd_code} " if several else ""
        note = f": {e.note}" if e.note else ""
        _say(
            f"{stamp(e.recorded_at.astimezone(tz))} {tz_label(tz_name)}  {e.actor} ({e.role})  "
            f"{where}{AUDIT_ACTION_LABELS.get(e.action, e.action)} {e.target}{note}"
        )
    whose = f" OPD {opd}" if opd else ""
    _say(f"{len(entries)} catatan di log audit{whose}.")


def pk(
    year: int = typer.Option(..., "--year", help=YEAR),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ALL),
    as_of: str | None = typer.Option(
        None, "--as-of", help=AS_OF + " Revisi PK terakhir pada atau sebelum tanggal ini yang dipakai."
    ),
) -> None:
    """Tulis dokumen Perjanjian Kinerja (HTML dan PDF A4) tiap OPD untuk satu tahun."""
    from iku.domain.periods import parse_as_of
    from iku.reports.pk import write_pk
    from iku.settings import load_settings

    renstra_all(opd, year)
    res = resources(opd)
    day: date | None = None
    if as_of is not None:
        day = parse_arg(parse_as_of, as_of, res.config.pipeline.timezone).date()
    ensure_writable(load_settings().output_dir / str(year), "folder laporan")
    with step_log():
        paths = write_pk(res, year, day)
    for path in paths:  # one a line, as print_paths (a Where may be a remote store's)
        console.print(str(path), soft_wrap=True, highlight=False, markup=False)
