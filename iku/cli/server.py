"""The schedules and the Prefect server they run on (CONTRACT §5): `iku server
start|stop|status` (the local Prefect server), `iku serve`, `iku deploy` and
`iku worker`."""

from __future__ import annotations

import typer

from iku.cli.common import needs_prefect
from iku.cli.errors import fail
from iku.orchestration import local_server

server_app = typer.Typer(
    no_args_is_help=True,
    help="Server Prefect lokal yang dipakai bila PREFECT_API_URL tidak disetel (datanya di data/prefect).",
)


@server_app.command("start")
def start() -> None:
    """Nyalakan server Prefect lokal di latar belakang (tidak berbuat apa-apa bila sudah berjalan)."""
    try:
        info = local_server.running() or local_server.start(lambda m: typer.echo(m))
    except local_server.PrefectServerError as exc:
        raise fail(str(exc), local_server.EXIT_CODE) from exc
    typer.echo(f"Server Prefect lokal berjalan (pid {info.pid}). UI: {info.url}")


@server_app.command("stop")
def stop() -> None:
    """Matikan server Prefect lokal; run terjadwal menunggu sampai server menyala lagi."""
    from iku.validation import warm_worker

    info = local_server.stop()
    warm = warm_worker.stop(local_server.prefect_home())  # the GX worker kept warm beside it
    also = " Worker GX dihentikan." if warm else ""
    if info is None:
        typer.echo("Server Prefect lokal tidak berjalan." + also)
    else:
        typer.echo(f"Server Prefect lokal dihentikan (pid {info.pid})." + also)


@server_app.command("status")
def status() -> None:
    """Katakan apakah server Prefect lokal berjalan, beserta alamat UI-nya."""
    import os

    if os.environ.get("PREFECT_API_URL"):
        url = os.environ["PREFECT_API_URL"]
        state = "menjawab" if local_server.healthy(url) else "TIDAK menjawab"
        typer.echo(f"PREFECT_API_URL={url} ({state}); server lokal tidak dipakai.")
    info = local_server.read_state()
    if info is None:
        typer.echo(f"Server Prefect lokal tidak berjalan (data: {local_server.prefect_home()}).")
        return
    if not local_server.healthy(info.api_url):
        typer.echo(f"Server Prefect lokal sedang menyala (pid {info.pid}), belum menjawab. UI: {info.url}")
        return
    typer.echo(f"Server Prefect lokal berjalan (pid {info.pid}). UI: {info.url}")


def serve() -> None:
    """Jalankan jadwal tanpa penjagaan (deployment Prefect dilayani dari proses ini)."""
    needs_prefect()
    from iku.orchestration.deployments import serve_all

    serve_all()


def deploy(
    pool: str = typer.Option(..., "--pool", help="Nama work pool (tipe process; dibuat bila belum ada)"),
) -> None:
    """Daftarkan jadwal `iku serve` di sebuah work pool untuk worker (pengganti `iku serve`)."""
    from iku.config import ConfigError
    from iku.orchestration.deployments import is_sqlite
    from iku.settings import Settings

    if is_sqlite(Settings().warehouse_url):
        # each worker would silently fill its own SQLite file
        raise fail(
            "work pool menolak gudang data SQLite: setiap worker akan mengisi berkasnya sendiri; "
            "setel IKU_WAREHOUSE_URL ke PostgreSQL (postgresql+psycopg://...)",
            2,
        )
    needs_prefect()
    from iku.orchestration.deployments import deploy_to_pool

    try:
        names, withheld = deploy_to_pool(pool)
    except ConfigError as exc:
        raise fail(f"konfigurasi tidak valid: {exc}", 3) from exc
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    _print_deployed(pool, names, withheld)


def worker(
    pool: str = typer.Option(..., "--pool", help="Nama work pool yang diisi `iku deploy --pool`"),
    name: str | None = typer.Option(
        None, "--name", help="Nama worker di UI Prefect (bawaan: dibuat Prefect)"
    ),
    limit: int | None = typer.Option(None, "--limit", help="Paling banyak flow run sekaligus (1 atau lebih)"),
) -> None:
    """Jalankan worker untuk work pool `iku deploy` (berhenti bersih dengan SIGTERM atau Ctrl-C)."""
    if limit is not None and limit < 1:
        raise fail(f"--limit {limit} tidak valid: paling sedikit 1 flow run sekaligus", 2)
    if not pool.strip():
        raise fail("--pool kosong: isi nama work pool yang dipakai `iku deploy --pool`", 2)
    needs_prefect()
    from iku.orchestration.worker import run_worker

    typer.echo(run_worker(pool, name=name, limit=limit, say=typer.echo))


def _print_deployed(pool: str, names: list[str], withheld: list[str]) -> None:
    for name in names:
        typer.echo(f"  {name}")
    typer.echo(f"{len(names)} deployment terdaftar di work pool '{pool}'.")
    if withheld:
        typer.echo(
            "Tidak ikut disimpan di deployment (rahasia; isi di berkas lingkungan setiap worker): "
            + ", ".join(withheld)
        )
    typer.echo(f"Jalankan worker: iku worker --pool {pool}   (hentikan dulu `iku serve`)")
