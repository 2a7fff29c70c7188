"""`iku demo`: the whole pipeline on sample data (iku/app/demo.py does the work)."""

from __future__ import annotations

from pathlib import Path

import typer

from iku.cli.common import config, console, renstra_year
from iku.cli.errors import BadArgument


def demo(
    year: int = typer.Option(2023, "--year", help="Tahun contoh (dalam periode Renstra)."),
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Folder kerja demo; bawaan: kotak masuk dan folder keluaran yang dikonfigurasi.",
    ),
    kabupaten: bool = typer.Option(
        False, "--kabupaten", help="Tiga OPD dalam satu instalasi, dengan rekap kabupaten (iku recap)."
    ),
) -> None:
    """Seluruh pipeline pada data contoh, lalu cetak letak laporannya."""
    from iku.app.demo import run_demo

    renstra_year(config(), year)
    try:
        run_demo(year=year, workdir=workdir, console=console, kabupaten=kabupaten)
    except ValueError as exc:  # the demo refuses unsafe places with a reason
        raise BadArgument(str(exc)) from None
