"""The budget commands (CONTRACT §11): `iku import-budget` and the body of
`iku template --budget`. Thin: check the arguments and the configuration,
call iku.budget_import / iku.budget_template, print in Indonesian.

A catalogue without `programs:` ends both with exit 3 (CONTRACT §9: bad
configuration): the arguments are fine, the fix is in the OPD's YAML file,
and nothing is archived or recorded for a file that could never be loaded.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from iku.cli.common import OPD_ONE, console, one_opd, renstra_year, resources
from iku.cli.errors import fail, parse_arg
from iku.locations import ensure_writable


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)  # one line, never wrapped


def _where(problem) -> str:
    parts = [
        p for p in (problem.row and f"baris {problem.row}", problem.column and f"kolom {problem.column}") if p
    ]
    return f"{', '.join(parts)}: {problem.message}" if parts else problem.message


def catalogue_file(config) -> Path:
    """The YAML file that holds this OPD's catalogue (config/opd.yaml or config/opd/<kode>.yaml)."""
    if config.multi:
        return config.directory / "opd" / f"{config.catalogue.opd.code}.yaml"
    return config.directory / "opd.yaml"


def needs_programs(config) -> None:
    """Exit 3 with one line when the OPD's catalogue lists no programs."""
    if not config.catalogue.budget_programs:
        raise fail(
            f"konfigurasi tidak valid: {catalogue_file(config)}: kunci programs belum diisi; "
            "anggaran hanya dapat dimuat untuk program, kegiatan dan sub kegiatan yang terdaftar "
            "beserta IKU yang didukungnya (CONTRACT §11)",
            3,
        )


def _rp(value: float) -> str:
    from iku.formatting import fixed

    return f"Rp{fixed(value)}"


def import_budget(
    file: Path = typer.Option(
        ...,
        "--file",
        help="Laporan Realisasi Anggaran (ekspor SIPD atau lembar iku template --budget): .xlsx, .xls, .ods atau .csv",
    ),
    period: str = typer.Option(
        ..., "--period", help="YYYY-MM: bulan yang realisasinya (kumulatif) dilaporkan."
    ),
    opd: str | None = typer.Option(None, "--opd", help=OPD_ONE),
) -> None:
    """Muat realisasi anggaran satu bulan (pagu dan realisasi per program, kegiatan, sub kegiatan)."""
    from iku.budget_import import import_budget as load
    from iku.domain.periods import month_name, parse_month_period
    from iku.formatting import stamp

    opd_config = one_opd(opd)
    year, month = parse_arg(parse_month_period, period)
    renstra_year(opd_config, year)
    needs_programs(opd_config)
    res = resources(opd_config.catalogue.opd.code)
    ensure_writable(res.settings.archive_dir, "folder arsip")
    done = load(res, file, (year, month))
    label = f"{month_name(month)} {year}"
    for code, name in done.left_out:
        _say(f"dilewati: {code} {name} (program tidak terdaftar di katalog OPD; tidak dimuat)")
    for warning in done.warnings:
        _say(f"peringatan: {_where(warning)}")
    if done.refused:
        for problem in done.problems:
            _say(f"masalah: {_where(problem)}")
        raise fail(
            f"{done.file_name} ditolak: {len(done.problems)} masalah; tidak ada angka anggaran {label} yang dimuat"
            + (" (berkas diarsipkan dan dicatat)" if done.archive_path is not None else ""),
            2,
        )
    if done.status == "unchanged":
        tz = ZoneInfo(res.config.pipeline.timezone)
        when = f" pada {stamp(done.recorded_before.astimezone(tz))}" if done.recorded_before else ""
        shown = f"{month_name(done.month)} {done.year}" if done.year and done.month else label
        _say(
            f"{done.file_name}: berkas yang sama sudah pernah dimuat{when} untuk {shown} "
            f"(revisi {done.revision}); tidak ada yang berubah."
        )
        return
    programs = [line for line in done.lines if line.level == "program"]
    pagu = sum(line.pagu for line in programs)
    spent = sum(line.realisation for line in programs)
    absorbed = f" ({_pct(spent, pagu)})" if pagu else ""
    revision = (
        f"revisi {done.revision}, menggantikan berkas sebelumnya (yang lama tetap di riwayat)"
        if (done.revision or 1) > 1
        else "revisi 1"
    )
    _say(
        f"{done.file_name}: anggaran {label} dimuat ({revision}): {len(programs)} program, "
        f"pagu {_rp(pagu)}, realisasi {_rp(spent)}{absorbed}; "
        f"{len(done.warnings)} peringatan, {len(done.left_out)} program dilewati."
    )


def _pct(part: float, whole: float) -> str:
    from iku.formatting import pct

    return f"penyerapan {pct(round(part / whole * 100, 2))}"


def write_budget_sheet(opd_config, year: int, month: int, out: Path) -> None:
    """`iku template --budget`: the budget sheet of one OPD and month."""
    from iku.budget_template import write_budget_template
    from iku.domain.periods import month_name

    needs_programs(opd_config)
    ensure_writable(out.parent if str(out.parent) else Path("."), "folder tujuan")
    write_budget_template(opd_config, year, month, out)
    console.print(str(out), soft_wrap=True, highlight=False, markup=False)
    _say(
        f"lembar realisasi anggaran {month_name(month)} {year} ditulis: "
        f"{len(opd_config.catalogue.budget_programs)} program; isi pagu dan realisasi kumulatif di sel kuning."
    )
