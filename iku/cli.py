"""The `iku` command line (CONTRACT §5). Thin: parse arguments, call a flow or
a query, print. Findings (invalid or missing sheets) exit 0; bad arguments,
bad configuration and an unreachable warehouse exit non-zero with one line."""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from iku.config import ConfigError
from iku.domain.periods import parse_as_of
from iku.orchestration.commands import needs_prefect, server_app
from iku.warehouse import WarehouseUnavailable

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="IKU consolidation pipeline: monthly bidang sheets to quarterly, annual and LAKIP reports.",
)
app.add_typer(server_app, name="server")
console = Console()

STATUS_STYLE = {
    "on_time": ("tepat waktu", "green"),
    "late": ("terlambat", "yellow"),
    "invalid": ("tidak valid", "red"),
    "missing": ("belum masuk", "bold red"),
    "pending": ("menunggu", "dim"),
}
STATUS_MARK = {"on_time": "✔", "late": "T", "invalid": "✘", "missing": "—", "pending": "·"}


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"iku: {' '.join(message.split())}", err=True)  # one line, never wrapped
    raise typer.Exit(code)


def guarded(fn):
    """Turn the operator-facing errors into one line and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(f"bad configuration: {exc}", 3)
        except WarehouseUnavailable as exc:
            _fail(str(exc), 4)
        except ValueError as exc:
            _fail(str(exc), 2)

    return wrapper


def _resources():
    from iku.resources import build_resources

    return build_resources()


@app.command()
@guarded
def consolidate() -> None:
    """Process every new file of every bidang (validate, archive, load), then send the alerts due."""
    from iku.consolidation import scan_sources, summarise

    res = _resources()
    # Nothing new and nothing left to deliver: answer without starting Prefect
    # (a cron that polls often should cost well under a second).
    scan = scan_sources(
        res.source_dirs(), res.warehouse.known_hashes(res.opd), res.config.pipeline.limits.max_file_bytes
    )
    if scan.new or res.warehouse.undelivered_alerts(res.opd):
        if scan.new:
            from iku.validation.worker import warm_up

            warm_up()  # GX's 3 s import overlaps Prefect's start-up
        needs_prefect()
        from iku.flows.consolidate import consolidate_flow

        summary = consolidate_flow()
    else:
        summary = summarise([], scan.known, scan.skipped)
    for line in summary.get("ignored_files", []):
        console.print(f"diabaikan: {line}", markup=False, highlight=False)
    console.print(
        f"[bold]{summary['new_files']}[/] berkas baru: {summary['valid']} valid, "
        f"{summary['invalid']} tidak valid, {summary['unreadable']} tidak terbaca; "
        f"{summary['known_files']} sudah pernah diproses; {summary.get('ignored', 0)} diabaikan."
    )


@app.command()
@guarded
def status(
    year: int = typer.Option(..., "--year", help="Tahun"),
    as_of: str | None = typer.Option(None, "--as-of", help="Tanggal acuan (YYYY-MM-DD)"),
    as_json: bool = typer.Option(False, "--json", help="Cetak JSON (CONTRACT §7)"),
) -> None:
    """The bidang x month submission matrix."""
    from iku.queries import submission_matrix

    res = _resources()
    when = parse_as_of(as_of, res.config.pipeline.timezone)
    cells = submission_matrix(res, year, 12, when)
    if as_json:
        print(json.dumps({"year": year, "submissions": [c.as_json() for c in cells]}, ensure_ascii=False))
        return
    table = Table(title=f"Status penyampaian {year} (per {when:%Y-%m-%d %H:%M})")
    table.add_column("Bidang")
    for m in range(1, 13):
        table.add_column(f"{m:02d}", justify="center")
    for b in res.config.catalogue.bidang:
        row = [b.code]
        for c in (c for c in cells if c.bidang == b.code):
            style = STATUS_STYLE[c.status][1]
            row.append(f"[{style}]{STATUS_MARK[c.status]}[/]")
        table.add_row(*row)
    console.print(table)
    console.print(
        "  ".join(f"[{STATUS_STYLE[s][1]}]{m}[/] {STATUS_STYLE[s][0]}" for s, m in STATUS_MARK.items())
    )


@app.command()
@guarded
def report(period: str = typer.Option(..., "--period", help="YYYY-Qn atau YYYY")) -> None:
    """Write the quarterly (YYYY-Qn) or annual (YYYY) report: HTML, Excel and JSON."""
    from iku.domain.periods import Period

    Period.parse(period)  # bad input fails before Prefect starts
    needs_prefect()
    from iku.flows.reports import report_flow

    for path in report_flow(period):
        console.print(str(path))


@app.command()
@guarded
def lakip(year: int = typer.Option(..., "--year")) -> None:
    """Write the year-end LAKIP feed (lakip-Y.xlsx, lakip-Y.json)."""
    needs_prefect()
    from iku.flows.reports import lakip_flow

    for path in lakip_flow(year):
        console.print(str(path))


@app.command("import-history")
@guarded
def import_history(file: Path = typer.Option(..., "--file", help=".xlsx, .xls, .ods atau .csv")) -> None:
    """Load the realisation of years before the pipeline started (earlier LKjIP), marked as history."""
    from iku.history import import_and_print

    import_and_print(_resources(), file, console)


@app.command()
@guarded
def template(
    bidang: str = typer.Option(..., "--bidang"),
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    out: Path = typer.Option(..., "--out"),
) -> None:
    """Write a pre-filled submission sheet for one bidang and month."""
    from iku.domain.periods import parse_month_period
    from iku.sheet_template import write_template

    res = _resources()
    year, month = parse_month_period(period)
    if bidang not in {b.code for b in res.config.catalogue.bidang}:
        raise ValueError(f"unknown bidang '{bidang}'")
    write_template(res.config, bidang, year, month, out)
    console.print(str(out))


@app.command("check-missing")
@guarded
def check_missing(
    period: str | None = typer.Option(None, "--period", help="YYYY-MM; default: every month due"),
    as_of: str | None = typer.Option(None, "--as-of"),
) -> None:
    """Alert for every bidang whose submission is missing after the deadline."""
    if period:
        from iku.domain.periods import parse_month_period

        parse_month_period(period)
    parse_as_of(as_of)
    needs_prefect()
    from iku.flows.alerts import check_missing_flow

    found = check_missing_flow(period=period, as_of=as_of)
    for item in found:
        console.print(f"belum masuk: {item['bidang']} {item['year']}-{item['month']:02d}")
    console.print(f"{len(found)} penyampaian belum masuk.")


@app.command()
@guarded
def serve() -> None:
    """Run the schedules unattended (Prefect deployments served from this process)."""
    needs_prefect()
    from iku.flows.serve import serve_all

    serve_all()


@app.command()
@guarded
def demo(
    year: int = typer.Option(2023, "--year"),
    workdir: Path | None = typer.Option(None, "--workdir", help="Default: the configured inbox/output"),
) -> None:
    """The whole pipeline on generated sample data, printing where the reports are."""
    from iku.demo import run_demo

    run_demo(year=year, workdir=workdir, console=console)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
