"""`iku demo`: the whole pipeline on a generated year of sheets.

It writes sample data, so it only ever writes (and clears) folders that are
plainly the demo's: inside --workdir, or the default data/ and out/ of the
current directory. Anything else, or folders holding data that a previous demo
did not put there, makes it stop with a message instead of deleting.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from iku.settings import Settings

MARKER = ".iku-demo.json"  # written into the demo inbox; its presence makes clearing safe
# the demo must never mail or post alerts about invented data to real people
NO_ALERTS = {"smtp_host": None, "alert_webhook_url": None, "alert_email_to": None}
# read by Prefect and GX from the environment only (set once, iku.settings.set_library_env)
QUIET_LIBRARIES = {
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",  # the demo prints its own summary
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no phoning home, no heartbeat noise
}


@dataclass
class DemoPlaces:
    inbox: Path
    output: Path
    archive: Path
    database: Path | None  # the SQLite file; None when not SQLite
    roots: list[Path]  # clearing is allowed only below these


def _at(settings: Settings, workdir: Path) -> Settings:
    """`settings` with every place inside `workdir`."""
    workdir = workdir.resolve()
    return settings.model_copy(
        update={
            "inbox_dir": workdir / "inbox",
            "output_dir": workdir / "out",
            "archive_dir": workdir / "archive",
            "warehouse_url": f"sqlite:///{workdir / 'iku.sqlite'}",
        }
    )


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _places(settings, workdir: Path | None) -> DemoPlaces:
    roots = [workdir.resolve()] if workdir else [Path("data").resolve(), Path("out").resolve()]
    return DemoPlaces(
        settings.inbox_dir.resolve(),
        settings.output_dir.resolve(),
        settings.archive_dir.resolve(),
        (db.resolve() if (db := _sqlite_file(settings.warehouse_url)) else None),
        roots,
    )


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


def _has_content(path: Path) -> bool:
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


def _warehouse_empty(url: str, opd: str) -> bool:
    """A warehouse a command merely created (no file ever recorded) may be replaced."""
    from iku.warehouse import Warehouse

    try:
        return not Warehouse(url).known_hashes(opd)
    except Exception:
        return False


def prepare_places(places: DemoPlaces, warehouse_url: str, opd: str, workdir: Path | None) -> None:
    """Refuse unsafe places; clear a previous demo's data. Raises ValueError with the reason."""
    hint = "" if workdir else " Jalankan `iku demo --workdir FOLDER` untuk memakai folder tersendiri."
    if places.database is None:
        raise ValueError(
            f"demo memuat data karangan dan tidak akan menulis ke {warehouse_url.split('@')[-1]}"
            f" (bukan berkas SQLite).{hint}"
        )
    for label, path in (
        ("kotak masuk", places.inbox),
        ("folder keluaran", places.output),
        ("arsip", places.archive),
        ("gudang data", places.database),
    ):
        if not _inside(path, places.roots):
            raise ValueError(
                f"demo hanya menulis di dalam {', '.join(map(str, places.roots))}; "
                f"{label} ada di {path}.{hint}"
            )
    previous_demo = (places.inbox / MARKER).is_file()
    if not previous_demo:
        busy = [str(p) for p in (places.inbox, places.output, places.archive) if _has_content(p)]
        if places.database.exists() and not _warehouse_empty(warehouse_url, opd):
            busy.append(str(places.database))
        if busy:
            raise ValueError(
                "demo akan menimpa data yang tidak ditulis demo sebelumnya: "
                f"{', '.join(busy)}. Pindahkan data itu atau pilih folder lain.{hint}"
            )
    for folder in (places.inbox, places.output, places.archive):
        if folder.is_dir():
            shutil.rmtree(folder)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{places.database}{suffix}").unlink(missing_ok=True)


def _status_table(res, year: int, as_of: datetime, wide: bool) -> Table:
    from iku.console import status_table
    from iku.queries import submission_matrix

    cells = submission_matrix(res, year, 12, as_of)
    return status_table(cells, [b.code for b in res.config.catalogue.bidang], year, as_of, wide)


def _problems_table(res, year: int) -> Table | None:
    from iku.console import problems_table

    logs = [s for s in res.warehouse.submission_logs(res.opd, year) if s.status != "valid"]
    files = [
        {
            "file": s.file_name,
            "bidang": s.bidang,
            "status": s.status,
            "problems": [p.as_dict() for p in s.problems],
        }
        for s in logs
    ]
    return problems_table(files, "Berkas tidak valid (contoh temuan untuk bidang)")


def run_demo(
    year: int = 2023, workdir: Path | None = None, console: Console | None = None, kabupaten: bool = False
) -> dict:
    """Generate a year of sheets, consolidate, print the status matrix, write the reports.
    `kabupaten`: three OPD in one installation (the shipped one and two examples),
    with the kabupaten recap.

    Returns what it did (paths, the consolidation summary, the demo's
    Resources), for tests. The process environment is left as it was (the
    demo's places go to its flows as Resources), apart from the quiet
    settings of Prefect and GX.
    """
    from iku.resources import provided

    console = console or Console()
    res, places = _set_up(year, Path(workdir) if workdir else None, kabupaten)
    cat = res.config.catalogue
    tz = ZoneInfo(res.config.pipeline.timezone)
    as_of = datetime(year + 1, 1, 31, 23, 59, 59, tzinfo=tz)  # every month of the year is due
    title = f"{len(res.units())} perangkat daerah, {res.kabupaten_name}" if res.multi else cat.opd.name
    console.rule(f"[bold]Demo IKU {title} — tahun {year}")
    console.print(
        f"Kotak masuk: {places.inbox}\nLaporan:     {places.output}\nGudang data: {places.database}"
    )
    scenarios, paths = _write_samples(res, places, year, tz, console)
    with provided(res):  # the flows below run on the demo's resources, built once here
        api_url, summary = _consolidate(res, year, as_of, console)
        _import_earlier_years(res, places, year, console)
        reports = _write_reports(year, console, recap=res.multi)
    if res.multi:
        _print_kabupaten_iku(places.output / str(year) / f"rekap-{year}.json", console)
    _print_prefect_ui(api_url, console)
    console.rule("Selesai")
    return {
        "inbox": places.inbox,
        "output": places.output,
        "database": places.database,
        "files": paths,
        "summary": summary,
        "reports": reports,
        "scenario": next(iter(scenarios.values())),
        "scenarios": scenarios,
        "as_of": as_of,
        "resources": res,
    }


def _replace_demo_folder(folder: Path) -> None:
    """Clear `folder` when an earlier demo wrote it (or it is empty); else refuse."""
    if not folder.exists():
        return
    # only a folder an earlier demo wrote is replaced: never someone's own configuration
    if folder.is_dir() and (not any(folder.iterdir()) or (folder / MARKER).is_file()):
        shutil.rmtree(folder)
        return
    raise ValueError(
        f"demo akan menimpa {folder}, yang tidak ditulis demo sebelumnya. "
        "Pindahkan folder itu atau pilih --workdir lain."
    )


def add_sample_sakip(opd_yaml: Path, year: int) -> bool:
    """Append the sample programs, kegiatan and PK awal (iku/sample_budget.py) to
    one OPD's catalogue file when they fit it (the seed OPD without programs)."""
    import yaml

    from iku.config import _catalogue
    from iku.sample_budget import catalogue_extra, fits

    catalogue = _catalogue(opd_yaml)
    if not fits(catalogue):
        return False
    text = yaml.safe_dump(catalogue_extra(catalogue, year), allow_unicode=True, sort_keys=False, width=120)
    with opd_yaml.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n# Added by `iku demo`: SAMPLE programs, budget plan and PK {year} (iku/sample_budget.py)\n"
        )
        fh.write(text)
    return True


def write_sakip_config(folder: Path, source: Path, year: int) -> Path | None:
    """The single-OPD configuration `source` copied to `folder` with the sample
    programs and PK added to its catalogue; None (config used as it is) when they
    do not fit it (another OPD, or programs of its own)."""
    from iku.config import catalogue_files

    if catalogue_files(source) or not (source / "opd.yaml").is_file():
        return None
    _replace_demo_folder(folder)
    shutil.copytree(source, folder)
    if not add_sample_sakip(folder / "opd.yaml", year):
        shutil.rmtree(folder)
        return None
    (folder / MARKER).write_text('{"written_by": "iku demo"}\n', encoding="utf-8")
    return folder


def write_kabupaten_config(folder: Path, source: Path | None = None, year: int | None = None) -> Path:
    """A small kabupaten (config/opd/<code>.yaml): the OPD of `source` (a
    single-OPD configuration folder; the shipped one by default) and the two
    example catalogues of examples/kabupaten/, with its pipeline.yaml."""
    from iku.config import RPJMD_FILE, ConfigError, load_installation
    from iku.shipped import shipped

    source = source or shipped("config")
    if not (source / "opd.yaml").is_file():
        source = shipped("config")
    _replace_demo_folder(folder)
    (folder / "opd").mkdir(parents=True)
    (folder / MARKER).write_text('{"written_by": "iku demo --kabupaten"}\n', encoding="utf-8")
    shutil.copy(source / "pipeline.yaml", folder / "pipeline.yaml")
    code = load_installation(source).codes[0]
    shutil.copy(source / "opd.yaml", folder / "opd" / f"{code}.yaml")
    if year is not None:
        add_sample_sakip(folder / "opd" / f"{code}.yaml", year)
    examples = shipped("examples") / "kabupaten"
    for example in sorted(examples.glob("*.yaml")):
        shutil.copy(example, folder / "opd" / example.name)
    # The kabupaten's own IKU (RPJMD), fed by the three OPD's indicators; left
    # out when the first OPD is not the shipped one it names.
    shutil.copy(examples / "rpjmd" / RPJMD_FILE, folder / RPJMD_FILE)
    try:
        load_installation(folder)
    except ConfigError:
        (folder / RPJMD_FILE).unlink()
    return folder


def _set_up(year: int, workdir: Path | None, kabupaten: bool = False):
    """The demo's settings (no alerts, its own places), its Resources and its
    places, checked and cleared."""
    if workdir is not None:
        if workdir.exists() and not workdir.is_dir():
            raise ValueError(f"--workdir {workdir} bukan folder")
        if workdir.resolve() == Path(workdir.resolve().anchor):
            raise ValueError("--workdir tidak boleh akar sistem berkas (/); pilih folder tersendiri")
    from iku.resources import build_resources
    from iku.settings import load_settings, set_library_env

    set_library_env(QUIET_LIBRARIES)
    settings = load_settings()
    chosen = settings.model_fields_set  # what the environment set, not a default
    settings = (_at(settings, workdir) if workdir is not None else settings).model_copy(update=NO_ALERTS)
    places = _places(settings, workdir)
    if places.database is not None:
        # absolute paths for every step: GX Data Docs refuse a relative output folder
        settings = settings.model_copy(
            update={
                "inbox_dir": places.inbox,
                "output_dir": places.output,
                "archive_dir": places.archive,
                "warehouse_url": f"sqlite:///{places.database}",
            }
        )
    settings = _demo_config(settings, places, "config_dir" in chosen, year, kabupaten)
    res = build_resources(settings)
    cat = res.config.catalogue
    if not cat.opd.renstra_period[0] <= year <= cat.opd.renstra_period[1]:
        raise ValueError(
            f"tahun {year} di luar periode Renstra {cat.opd.renstra_period[0]}–{cat.opd.renstra_period[1]}"
        )
    if res.config.pipeline.sources or any(u.config.catalogue.sources for u in res.units()):
        raise ValueError(
            "pipeline.yaml menetapkan folder sumber sendiri (sources:); demo menulis ke "
            "$IKU_INBOX_DIR/<bidang>/. Pakai konfigurasi tanpa sources untuk demo."
        )
    prepare_places(places, settings.warehouse_url, res.opd, workdir)
    if places.database is not None:
        places.database.parent.mkdir(parents=True, exist_ok=True)
    return res, places


def _demo_config(
    settings: Settings, places: DemoPlaces, chosen: bool, year: int, kabupaten: bool
) -> Settings:
    """The configuration the demo runs on, written beside its data, never into
    config/: a kabupaten of three OPD, or the OPD's own with the sample programs
    and PK (when they fit it). `chosen`: IKU_CONFIG_DIR was set."""
    if kabupaten:
        if places.database is None:
            raise ValueError("demo memuat data karangan hanya ke berkas SQLite; pakai --workdir FOLDER")
        source = settings.config_dir if chosen else None
        folder = write_kabupaten_config(places.roots[0] / "kabupaten-config", source, year)
        return settings.model_copy(update={"config_dir": folder})
    if places.database is None:
        return settings
    sakip = write_sakip_config(places.roots[0] / "demo-config", settings.config_dir, year)
    return settings.model_copy(update={"config_dir": sakip}) if sakip is not None else settings


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    )


def _write_samples(res, places, year: int, tz: ZoneInfo, console: Console):
    """1. A year of sample sheets in the inbox, with the marker that makes clearing safe."""
    from iku.sample_data import plan_year, write_scenario

    # each OPD its own scenario, in its own folders
    scenarios = {u.opd: plan_year(u.config, year, seed=i) for i, u in enumerate(res.units(), start=1)}
    places.inbox.mkdir(parents=True, exist_ok=True)
    (places.inbox / MARKER).write_text(
        json.dumps(
            {
                "year": year,
                "written_at": datetime.now(tz).isoformat(),
                "expected_status": {
                    f"{opd + '/' if res.multi else ''}{b}-{m:02d}": s
                    for opd, sc in scenarios.items()
                    for (b, m), s in sorted(sc.expected_status.items())
                },
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    with _bar(console) as progress:
        job = progress.add_task(
            "Membuat berkas contoh", total=sum(len(sc.files) for sc in scenarios.values())
        )
        paths = []
        for u in res.units():
            folder = places.inbox / u.opd if res.multi else places.inbox
            paths += write_scenario(
                u.config, scenarios[u.opd], folder, on_file=lambda _p: progress.advance(job)
            )
    budget = _write_budget_sheets(res, year)
    every = list(scenarios.values())
    late = sum(1 for sc in every for s in sc.expected_status.values() if s == "late")
    console.print(
        f"{len(paths)} berkas contoh dibuat: {sum(len(sc.invalid_files) for sc in every)} sengaja tidak "
        f"valid, {late} bulan terlambat, {sum(len(sc.with_status('missing')) for sc in every)} bulan "
        "tidak dikirim."
        + (
            f" {len(budget)} lembar realisasi anggaran bulanan (contoh ekspor SIPD) di folder anggaran."
            if budget
            else ""
        )
    )
    return scenarios, paths + budget


def _write_budget_sheets(res, year: int) -> list[Path]:
    """A year of monthly budget realisation sheets in the anggaran folder of each
    OPD that has the sample programs (consolidated like a finance office's)."""
    from iku.sample_budget import DEMO_PROGRAMS, write_budget_year

    sample = {p[0] for p in DEMO_PROGRAMS}
    paths: list[Path] = []
    for u in res.units():
        if {p.code for p in u.config.catalogue.budget_programs} == sample:
            paths += write_budget_year(Path(u.budget_dir()), year, u.config.pipeline.timezone)
    return paths


def _consolidate(res, year: int, as_of: datetime, console: Console) -> tuple[str, dict]:
    """2. Consolidation, on PREFECT_API_URL's server or the local one iku manages (left running)."""
    from iku.orchestration.local_server import use_prefect

    api_url = use_prefect(console.print)  # an unreachable server: the command's exit code 6
    from flows.consolidate import consolidate_flow

    with console.status("Konsolidasi..."):
        summary = consolidate_flow()
    budget = summary.get("budget_files", [])
    console.print(
        f"Konsolidasi: {summary.get('new_files')} berkas baru, {summary.get('valid')} valid, "
        f"{summary.get('invalid')} tidak valid, {summary.get('unreadable')} tidak terbaca"
        + (f"; {sum(b['status'] == 'loaded' for b in budget)} lembar anggaran dimuat." if budget else ".")
    )
    for unit in res.units():
        if res.multi:
            console.print(f"[bold]{unit.config.catalogue.opd.name}[/] ({unit.opd})")
        console.print(_status_table(unit, year, as_of, wide=console.width >= 185))
        problems = _problems_table(unit, year)
        if problems is not None:
            console.print(problems)
    return api_url, summary


def _import_earlier_years(res, places, year: int, console: Console) -> None:
    """The Renstra years before the demo year, as an earlier LKjIP gives them (iku import-history)."""
    from iku.history import import_and_print
    from iku.sample_data import write_history

    for unit in res.units():
        name = f"riwayat-lkjip-contoh-{unit.opd}.csv" if res.multi else "riwayat-lkjip-contoh.csv"
        history = write_history(unit.config, year, places.output / name)
        if history is not None:
            import_and_print(unit, history, console)


def _write_reports(year: int, console: Console, recap: bool = False) -> list[Path]:
    """3. The four quarterly reports, the annual report and the LAKIP feed (of
    every OPD), and with several OPD the kabupaten recap of each period."""
    from flows.reports import lakip_flow, recap_flow, report_flow
    from iku.reports.pdf import pdf_printer

    reports: list[Path] = []
    periods = [f"{year}-Q{q}" for q in range(1, 5)] + [str(year)]
    # one Chromium prints every PDF of the year (each flow's printer is this one)
    with _bar(console) as progress, pdf_printer():
        job = progress.add_task("Menyusun laporan", total=len(periods) * (2 if recap else 1) + 1)
        for period in periods:
            reports.extend(Path(p) for p in report_flow(period))
            progress.advance(job)
            if recap:  # the Bupati's view across every OPD
                reports.extend(Path(p) for p in recap_flow(period))
                progress.advance(job)
        reports.extend(Path(p) for p in lakip_flow(year))
        progress.advance(job)
    console.print("[bold]Laporan:[/]")
    for p in reports:
        console.print(f"  {p}")
    return reports


def _print_kabupaten_iku(recap: Path, console: Console) -> None:
    """The kabupaten's own IKU of the year, as the recap computed them from their OPD feeds."""
    from iku.domain.rpjmd import RULE_ID
    from iku.formatting import num, pct

    items = json.loads(recap.read_text(encoding="utf-8")).get("rpjmd", []) if recap.is_file() else []
    if not items:
        return
    table = Table(title=f"IKU kabupaten (RPJMD), {recap.name}", title_justify="left")
    for name in ("Kode", "Indikator", "Target", "Realisasi", "Capaian", "Predikat", "Dari"):
        table.add_column(name)
    for k in items:
        table.add_row(
            k["code"],
            k["name"],
            num(k["target"]),
            num(k["realisation"]),
            pct(k["achievement_pct"]),
            k["verdict"] or k["predicate"] or k["why"] or "–",
            f"{RULE_ID[k['rule']]}{' tertimbang' if k.get('weighted') else ''}: "
            + ", ".join(f"{f['opd']}/{f['indicator']}" for f in k["feeds"]),
        )
    console.print(table)


def _print_prefect_ui(api_url: str, console: Console) -> None:
    from iku.orchestration.local_server import read_state

    managed = read_state()
    console.print(
        f"UI Prefect (riwayat dan log setiap run): {api_url.removesuffix('/api')}"
        + (
            "  — tetap berjalan; `iku server stop` mematikannya"
            if managed and managed.api_url == api_url
            else ""
        )
    )
