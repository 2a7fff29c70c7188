"""A province in one installation: 10x the kabupaten (400 OPD x 5 bidang x 12
months = 24,000 sheets of one year) consolidated by one `iku consolidate`, then
every OPD's quarterly report (`iku report`, all OPD, PDFs included) and the
province recap (`iku recap`), each command in a fresh process as a user runs
it, against a warm local Prefect server (as bench/kabupaten_bench.py, whose
catalogue and sheet generators this uses). Printed: wall and CPU time, peak
memory (the largest RSS of the command and its children, from wait4), the
warehouse size and the bytes per sheet in the inbox, the archive and the
reports, each beside the load average (the machine may be shared).

`--postgres` loads the same year into a fresh PostgreSQL database instead of
SQLite (dropped after) and prints pg_database_size and pg_total_relation_size
of every table.

`--ten-years` is the warehouse at ten years of the province's data: a fresh
PostgreSQL database (127.0.0.1:5432, user postgres) migrated by the project's
Alembic chain, filled through the warehouse tables of iku/warehouse/schema.py
with generated rows (COPY; 240,000 submissions, not 240,000 Excel files),
then the queries the product runs (the report data load, the status matrix,
the index, the consolidation's look-ups and writes, the portal's look-ups),
each through the product's own functions, timed; the statements they send are
captured and the slowest shown with EXPLAIN (ANALYZE, BUFFERS).

    .venv/bin/python bench/province_bench.py [--opd 400] [--postgres] [--keep]
    .venv/bin/python bench/province_bench.py --ten-years [--opd 400] [--years 10] [--explain 6]
                                             [--keep | --reuse]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolidate_bench import (
    Run,
    _read_loop,
    _timed,
    free_port,
    iku_env,
    start_server,
    stop_servers,
    valid_count,
    wait_for_warm_worker,
)
from kabupaten_bench import BIDANG_PER_OPD, write_catalogues, write_sheets

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "iku_province_bench"


def load_now() -> float:
    return os.getloadavg()[0]


def folder_bytes(path: Path) -> tuple[int, int]:
    """(bytes, files) under a folder."""
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            files += 1
    return total, files


# -- PostgreSQL databases of the bench --------------------------------------------


def pg_url(db: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"


def pg_create(db: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    admin.dispose()
    return pg_url(db)


def pg_drop(db: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    admin.dispose()


def pg_sizes(url: str) -> tuple[int, list[tuple[str, int, int, int]]]:
    """pg_database_size, and per table (name, rows, total bytes, index bytes)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()  # statistics are transactional: kept only when committed
        db = conn.scalar(text("SELECT pg_database_size(current_database())"))
        tables = [
            (r[0], int(r[1]), int(r[2]), int(r[3]))
            for r in conn.execute(
                text(
                    "SELECT c.relname, c.reltuples, pg_total_relation_size(c.oid), pg_indexes_size(c.oid) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 3 DESC"
                )
            )
        ]
    engine.dispose()
    return int(db), tables


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


# -- the province's year, end to end ----------------------------------------------


@dataclass
class ProvinceFigures:
    opd: int
    sheets: int
    year: int
    generate_s: float
    generate_load: float
    consolidate: Run
    report: Run
    recap: Run
    inbox_bytes: int
    archive_bytes: int
    archive_files: int
    out_bytes: int
    out_files: int
    warehouse_bytes: int
    warehouse: str  # sqlite | postgresql
    pg_tables: list[tuple[str, int, int, int]] = field(default_factory=list)
    load_start: float = 0.0
    read_ms: float = 0.0  # calamine's read of one sheet, the floor, measured beside the run

    @property
    def per_sheet_ms(self) -> float:  # the whole run over the sheets: fixed costs inside
        return self.consolidate.seconds / self.sheets * 1000

    @property
    def per_sheet_cpu_ms(self) -> float:
        return self.consolidate.cpu_s / self.sheets * 1000


def measure(
    opd_count: int = 400, *, postgres: bool = False, keep: bool = False, echo=print
) -> ProvinceFigures:
    tmp = Path(tempfile.mkdtemp(prefix="iku-bench-prov-"))
    port = free_port()
    load_start = load_now()
    config_dir = write_catalogues(tmp / "config", opd_count)
    db = f"{PG_DB}_year"
    url = pg_create(db) if postgres else ""

    def env(data: str) -> dict:
        e = {**iku_env(tmp, data, port), "IKU_CONFIG_DIR": str(config_dir)}
        if postgres and data == "whole":
            e["IKU_WAREHOUSE_URL"] = url
        return e

    server_env = env("warm")
    try:
        start_server(server_env, tmp / "server-start.log", echo)
        # warm-up, not counted: a first run leaves the GX worker warm
        write_sheets(config_dir, tmp / "warm" / "inbox", 1)
        _timed(["consolidate"], env("warm"), tmp / "warm.log", "warm-up", echo)
        if not wait_for_warm_worker(env("warm")):
            echo("  WARNING: no warm GX worker started; the runs below start their own")
        t = time.perf_counter()
        sheets, year = write_sheets(config_dir, tmp / "whole" / "inbox", 12)
        generate_s = time.perf_counter() - t
        generate_load = load_now()
        echo(
            f"  {sheets} sheets of {opd_count} OPD generated in {generate_s:.1f} s, load {generate_load:.1f}"
        )
        run = _timed(["consolidate"], env("whole"), tmp / "whole.log", f"consolidate {sheets} sheets", echo)
        if valid_count(run.output) != sheets:
            echo(f"  WARNING: expected {sheets} valid new files; the figures below are suspect")
        # the floor under the same load: calamine alone on a sample of the same sheets
        sample = sorted((tmp / "whole" / "inbox").rglob("*.xlsx"))[:: max(1, sheets // 2400)]
        read_s = _read_loop(tmp, sample, "read")
        read_ms = read_s / len(sample) * 1000
        echo(
            f"  calamine read alone, {len(sample)} of the sheets: {read_ms:.3f} ms per sheet, load {load_now():.1f}"
        )
        period = f"{year}-Q4"
        report = _timed(
            ["report", "--period", period],
            env("whole"),
            tmp / "report.log",
            f"iku report --period {period}",
            echo,
        )
        recap = _timed(
            ["recap", "--period", period],
            env("whole"),
            tmp / "recap.log",
            f"iku recap --period {period}",
            echo,
        )
        root = tmp / "whole"
        inbox_bytes, _ = folder_bytes(root / "inbox")
        archive_bytes, archive_files = folder_bytes(root / "archive")
        out_bytes, out_files = folder_bytes(root / "out")
        pg_tables: list = []
        if postgres:
            warehouse_bytes, pg_tables = pg_sizes(url)
        else:
            warehouse_bytes = sum(
                p.stat().st_size for p in root.glob("iku.sqlite*") if p.suffix != ".lock" and p.is_file()
            )
        return ProvinceFigures(
            opd_count,
            sheets,
            year,
            generate_s,
            generate_load,
            run,
            report,
            recap,
            inbox_bytes,
            archive_bytes,
            archive_files,
            out_bytes,
            out_files,
            warehouse_bytes,
            "postgresql" if postgres else "sqlite",
            pg_tables,
            load_start,
            read_ms,
        )
    finally:
        stop_servers(server_env)
        if postgres:
            pg_drop(db)
        if keep:
            echo(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def summary_rows(f: ProvinceFigures) -> list[tuple[str, str, str, str]]:
    def peak(r: Run) -> str:
        return f"{r.peak_rss_mb:.0f} MB"

    rows = [
        (
            f"province: generate {f.sheets} sheets ({f.opd} OPD)",
            f"{f.generate_s:.1f} s",
            f"load {f.generate_load:.1f}",
            "-",
        ),
        (
            f"province: consolidate {f.sheets} sheets ({f.warehouse})",
            f.consolidate.shown,
            f"load {f.consolidate.load:.1f}",
            "-",
        ),
        (
            "province: per sheet, whole run / sheets (fixed inside)",
            f"{f.per_sheet_ms:.2f} ms (CPU {f.per_sheet_cpu_ms:.2f} ms)",
            "",
            "-",
        ),
        (
            "province: raw calamine read per sheet; CPU per sheet / read",
            f"{f.read_ms:.3f} ms; {f.per_sheet_cpu_ms / f.read_ms:.1f}x" if f.read_ms else "-",
            "",
            "-",
        ),
        ("province: consolidate, peak memory", peak(f.consolidate), "", "-"),
        (
            f"province: iku report --period {f.year}-Q4 (all OPD, PDF)",
            f.report.shown,
            f"load {f.report.load:.1f}",
            "-",
        ),
        ("province: iku report, peak memory", peak(f.report), "", "-"),
        (f"province: iku recap --period {f.year}-Q4", f.recap.shown, f"load {f.recap.load:.1f}", "-"),
        ("province: iku recap, peak memory", peak(f.recap), "", "-"),
        (f"province: warehouse size ({f.warehouse})", mb(f.warehouse_bytes), "", "-"),
        (
            "province: warehouse bytes per sheet",
            f"{f.warehouse_bytes / f.sheets:,.0f} B",
            "",
            "-",
        ),
        (
            "province: inbox / archive per sheet",
            f"{f.inbox_bytes / f.sheets:,.0f} B / {f.archive_bytes / f.sheets:,.0f} B ({f.archive_files} files)",
            "",
            "-",
        ),
        (
            "province: report files of one quarter + recap",
            f"{mb(f.out_bytes)} in {f.out_files} files",
            "",
            "-",
        ),
    ]
    rows += [
        (f"province: table {name}", f"{mb(total)} ({rows_:,} rows, indexes {mb(ix)})", "", "-")
        for name, rows_, total, ix in f.pg_tables
    ]
    return rows


# -- ten years of the province in PostgreSQL ---------------------------------------


@dataclass
class QueryTiming:
    name: str
    calls: int
    seconds: float
    rows: int
    statements: list[tuple[str, dict]]  # the SQL the product sent, with its parameters
    sql_seconds: float = 0.0  # the same SELECTs sent again through the driver alone (no row objects)

    @property
    def per_call_ms(self) -> float:
        return self.seconds / self.calls * 1000

    @property
    def sql_per_call_ms(self) -> float:
        return self.sql_seconds / self.calls * 1000


@dataclass
class TenYearFigures:
    opd: int
    years: int
    fill_s: float
    fill_load: float
    db_bytes: int
    tables: list[tuple[str, int, int, int]]
    timings: list[QueryTiming]
    plans: list[tuple[str, str, str]]  # (query name, statement, plan)
    load_start: float


def _catalogue(config_dir: Path) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """(opd code, [(bidang, [indicator codes])]) of every generated catalogue."""
    from iku.config import load_installation

    inst = load_installation(config_dir)
    out = []
    for code in inst.codes:
        cat = inst.config(code).catalogue
        out.append(
            (
                code,
                [(b.code, [i.code for i in cat.indicators_of(b.code)]) for b in cat.bidang][:BIDANG_PER_OPD],
            )
        )
    return out


def fill_ten_years(url: str, config_dir: Path, years: list[int], *, seed: int = 7, echo=print) -> int:  # noqa: C901 - one generator of every table's rows, read top to bottom
    """Rows of `years` of every OPD into the warehouse tables, by COPY: each
    (bidang, month) one valid sheet with a fact row per indicator; one period
    in ten sent twice (the first revision no longer current), one in twenty an
    invalid file before it (with its two alert rows); every quarter the
    report files (html, pdf, xlsx, json), every year the LKjIP and the recap.
    Returns the number of submission rows."""
    import psycopg

    from iku.warehouse import schema

    rng = random.Random(seed)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    opds = _catalogue(config_dir)
    sub_cols = [c.name for c in schema.submission.columns]
    fact_cols = [c.name for c in schema.realisation.columns]
    alert_cols = [c.name for c in schema.alert.columns]
    report_cols = [c.name for c in schema.report_file.columns]
    sub_id = fact_id = alert_id = report_id = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for year in years:
            t = time.perf_counter()
            subs, facts, alerts, reports = [], [], [], []
            for code, bidang in opds:
                for b, indicators in bidang:
                    for month in range(1, 13):
                        due = datetime(year, month, 10, tzinfo=UTC) + timedelta(days=31)
                        sends = ["invalid"] if rng.random() < 0.05 else []
                        sends += ["valid", "valid"] if rng.random() < 0.1 else ["valid"]
                        revision = 0
                        for k, status in enumerate(sends):
                            sub_id += 1
                            received = due - timedelta(days=len(sends) - k, hours=rng.randint(1, 12))
                            current = status == "valid" and k == len(sends) - 1
                            if status == "valid":
                                revision += 1
                            name = f"{b}_{year}_{month:02d}_{k}.xlsx"
                            sha = f"{sub_id:064x}"
                            problems = '[{"row": 4, "column": "D", "message": "angka tidak terbaca"}]'
                            subs.append(
                                dict(
                                    id=sub_id,
                                    opd_code=code,
                                    sha256=sha,
                                    bidang=b,
                                    year=year,
                                    month=month,
                                    file_name=name,
                                    source_path=f"/srv/iku/inbox/{code}/{b}/{name}",
                                    archive_path=f"s3://iku-arsip/{code}/{year}/{month:02d}/{sha[:16]}_{name}",
                                    size_bytes=6000 + rng.randint(0, 800),
                                    received_at=received,
                                    processed_at=received + timedelta(minutes=15),
                                    status=status,
                                    problems="[]" if status == "valid" else problems,
                                    revision=revision if status == "valid" else None,
                                    is_current=current,
                                )
                            )
                            if status == "invalid":
                                for channel in ("email", "webhook"):
                                    alert_id += 1
                                    alerts.append(
                                        dict(
                                            id=alert_id,
                                            opd_code=code,
                                            cause_key=f"invalid:{sha}",
                                            channel=channel,
                                            kind="invalid",
                                            bidang=b,
                                            year=year,
                                            month=month,
                                            recipient="kasubag@opd.go.id",
                                            subject=f"Berkas {name} tidak valid",
                                            payload="{}",
                                            created_at=received + timedelta(minutes=16),
                                            delivered_at=received + timedelta(minutes=17),
                                            attempts=1,
                                            last_error=None,
                                        )
                                    )
                                continue
                            for row, ind in enumerate(indicators, start=5):
                                fact_id += 1
                                facts.append(
                                    dict(
                                        id=fact_id,
                                        opd_code=code,
                                        submission_id=sub_id,
                                        bidang=b,
                                        indicator_code=ind,
                                        year=year,
                                        month=month,
                                        realisation=float(rng.randint(0, 40)),
                                        numerator=None,
                                        denominator=None,
                                        note=None,
                                        supporting_factors="Dukungan anggaran tepat waktu",
                                        inhibiting_factors=None,
                                        follow_up=None,
                                        source_row=row,
                                        is_current=current,
                                    )
                                )
                written = datetime(year + 1, 1, 20, tzinfo=UTC)
                files = [(f"{year}-Q{q}", "iku") for q in range(1, 5)] + [(str(year), "lakip")]
                for period, kind in files:
                    for fmt in ("html", "pdf", "xlsx", "json"):
                        report_id += 1
                        reports.append(
                            dict(
                                id=report_id,
                                opd_code=code,
                                period=period,
                                kind=kind,
                                format=fmt,
                                location=f"s3://iku-laporan/{code}/{kind}_{period}.{fmt}",
                                written_at=written,
                            )
                        )
            for q in range(1, 5):
                for fmt in ("html", "pdf", "xlsx", "json"):
                    report_id += 1
                    reports.append(
                        dict(
                            id=report_id,
                            opd_code="",
                            period=f"{year}-Q{q}",
                            kind="rekap",
                            format=fmt,
                            location=f"s3://iku-laporan/rekap_{year}-Q{q}.{fmt}",
                            written_at=datetime(year + 1, 1, 21, tzinfo=UTC),
                        )
                    )
            for table, cols, rows in (
                ("submission", sub_cols, subs),
                ("realisation", fact_cols, facts),
                ("alert", alert_cols, alerts),
                ("report_file", report_cols, reports),
            ):
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row([r[c] for c in cols])
            conn.commit()
            echo(
                f"  {year}: {len(subs):,} submissions, {len(facts):,} facts, {len(reports):,} report files "
                f"in {time.perf_counter() - t:.1f} s, load {load_now():.1f}"
            )
        for table, last in (
            ("submission", sub_id),
            ("realisation", fact_id),
            ("alert", alert_id),
            ("report_file", report_id),
        ):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {max(last, 1)})")
        conn.commit()
    return sub_id


def _capture(engine) -> tuple[list[tuple[str, dict]], Callable[[], None]]:
    """Record every statement the engine sends (with its parameters) until the
    returned function is called."""
    from sqlalchemy import event

    seen: list[tuple[str, dict]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not executemany and isinstance(parameters, dict):
            seen.append((statement, dict(parameters)))

    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


def time_queries(url: str, config_dir: Path, years: list[int], *, echo=print) -> list[QueryTiming]:
    """The warehouse work of the product, each through its own function, on
    the last year (the one being reported and consolidated)."""
    from iku.domain.model import SubmissionRecord, ValueRow
    from iku.warehouse.files import file_by_hash, files_of_month
    from iku.warehouse.history import first_pipeline_year, history_values
    from iku.warehouse.reports import written_reports
    from iku.warehouse.store import Warehouse

    wh = Warehouse(url)
    opds = _catalogue(config_dir)
    codes = [c for c, _ in opds]
    year = years[-1]
    one = codes[len(codes) // 2]
    bidang_one = opds[len(codes) // 2][1]
    since = datetime(year, 12, 1, tzinfo=UTC)
    with wh.engine.connect() as conn:  # a warm pool and catalog: the first connect is not a query
        conn.exec_driver_sql("SELECT 1")

    def new_month() -> int:
        """Five sheets of one OPD for a month the warehouse holds already: the
        revision count and the two updates that make them current, as a
        consolidation of a resent month runs them."""
        records = [
            SubmissionRecord(
                sha256=f"{random.getrandbits(256):064x}",
                bidang=b,
                file_name=f"{b}_{year}_12_ulang.xlsx",
                source_path=f"/srv/iku/inbox/{one}/{b}/x.xlsx",
                archive_path=f"/srv/iku/arsip/{one}/x.xlsx",
                size_bytes=6400,
                received_at=datetime(year + 1, 1, 5, tzinfo=UTC),
                status="valid",
                year=year,
                month=12,
                values=[ValueRow(i, 12.0, None, None, None, 5 + n) for n, i in enumerate(inds)],
            )
            for b, inds in bidang_one
        ]
        return len(wh.record_many(one, records))

    work: list[tuple[str, int, Callable[[], int]]] = [
        (
            "report data load, one OPD (current_values + submission_logs + history_values)",
            20,
            lambda: (
                len(wh.current_values(one, None))
                + len(wh.submission_logs(one, year))
                + len(history_values(wh, one))
            ),
        ),
        (
            f"recap load: the same for all {len(codes)} OPD",
            1,
            lambda: sum(
                len(wh.current_values(c, None))
                + len(wh.submission_logs(c, year))
                + len(history_values(wh, c))
                for c in codes
            ),
        ),
        (
            f"status matrix of the province page: submission_logs(opd, year) x {len(codes)}",
            1,
            lambda: sum(len(wh.submission_logs(c, year)) for c in codes),
        ),
        ("portal: current_values(opd, year)", 20, lambda: len(wh.current_values(one, year))),
        ("index: written_reports (every report file recorded)", 3, lambda: len(written_reports(wh))),
        (
            f"consolidation scan: known_hashes x {len(codes)} OPD",
            1,
            lambda: sum(len(wh.known_hashes(c)) for c in codes),
        ),
        ("consolidation: record_many, 5 sheets resent for one month", 5, new_month),
        (
            "alerts: unalerted_submissions(opd, last month)",
            20,
            lambda: len(wh.unalerted_submissions(one, since)),
        ),
        ("alerts: undelivered_alerts(opd)", 20, lambda: len(wh.undelivered_alerts(one))),
        ("history: first_pipeline_year(opd)", 20, lambda: int(first_pipeline_year(wh, one) is not None)),
        (
            "portal: files_of_month(opd, bidang, year, month)",
            20,
            lambda: len(files_of_month(wh, one, bidang_one[0][0], year, 6)),
        ),
        (
            "portal: file_by_hash(opd, sha256)",
            20,
            lambda: int(file_by_hash(wh, one, f"{12345:064x}") is not None),
        ),
    ]
    timings = []
    for name, calls, fn in work:
        seen, stop = _capture(wh.engine)
        t = time.perf_counter()
        rows = 0
        for _ in range(calls):
            rows += fn()
        seconds = time.perf_counter() - t
        stop()
        timing = QueryTiming(name, calls, seconds, rows // calls, seen)
        # what the database and the driver cost of it: the reads sent again, rows fetched as tuples
        with wh.engine.connect() as conn:
            raw = conn.connection.driver_connection
            t = time.perf_counter()
            for statement, params in seen:
                if statement.lstrip().upper().startswith("SELECT"):
                    with raw.cursor() as cur:
                        cur.execute(statement, params)
                        cur.fetchall()
            timing.sql_seconds = time.perf_counter() - t
            raw.rollback()
        timings.append(timing)
        echo(
            f"  {name}: {timing.per_call_ms:.1f} ms per call ({timing.rows} rows; its reads through the "
            f"driver alone {timing.sql_per_call_ms:.1f} ms), load {load_now():.1f}"
        )
    wh.engine.dispose()
    return timings


def explain(url: str, timings: list[QueryTiming], count: int) -> list[tuple[str, str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the distinct statements of the slowest
    work (per call), each with the parameters of its first call; writes
    run in a transaction rolled back."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    plans: list[tuple[str, str, str]] = []
    done: set[str] = set()
    for t in sorted(timings, key=lambda t: t.per_call_ms, reverse=True)[:count]:
        for statement, params in t.statements:
            if statement in done or not statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
                continue
            done.add(statement)
            with engine.connect() as conn:
                trans = conn.begin()
                raw = conn.connection.driver_connection
                with raw.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan = "\n".join(r[0] for r in cur.fetchall())
                trans.rollback()
            plans.append((t.name, statement, plan))
    engine.dispose()
    return plans


def measure_ten_years(
    opd_count: int = 400,
    years: int = 10,
    *,
    explain_count: int = 6,
    keep_db: bool = False,
    reuse: bool = False,
    database: str = PG_DB,
    echo=print,
) -> TenYearFigures:
    """`reuse`: the database a run with `keep_db` left, migrated to the head
    (new indexes) and measured again without filling it."""
    from iku.warehouse.store import Warehouse

    tmp = Path(tempfile.mkdtemp(prefix="iku-bench-prov10-"))
    load_start = load_now()
    try:
        config_dir = write_catalogues(tmp / "config", opd_count)
        url = pg_url(database) if reuse else pg_create(database)
        t = time.perf_counter()
        Warehouse(url).migrate()
        span = list(range(2030 - years, 2030))
        if reuse:
            echo(f"  migrated the kept database in {time.perf_counter() - t:.1f} s, load {load_now():.1f}")
        else:
            fill_ten_years(url, config_dir, span, echo=echo)
        fill_s = time.perf_counter() - t
        fill_load = load_now()
        db_bytes, tables = pg_sizes(url)  # ANALYZE inside: plans as after autovacuum
        echo(f"  filled in {fill_s:.0f} s (load {fill_load:.1f}): database {mb(db_bytes)}")
        timings = time_queries(url, config_dir, span, echo=echo)
        plans = explain(url, timings, explain_count)
        return TenYearFigures(
            opd_count, years, fill_s, fill_load, db_bytes, tables, timings, plans, load_start
        )
    finally:
        if not keep_db:
            pg_drop(database)
        shutil.rmtree(tmp, ignore_errors=True)


def ten_year_rows(f: TenYearFigures) -> list[tuple[str, str, str, str]]:
    rows = [
        (
            f"ten years: fill {f.years} years of {f.opd} OPD (COPY)",
            f"{f.fill_s:.0f} s",
            f"load {f.fill_load:.1f}",
            "-",
        ),
        ("ten years: pg_database_size", mb(f.db_bytes), "", "-"),
    ]
    rows += [
        (f"ten years: table {name}", f"{mb(total)} ({n:,} rows, indexes {mb(ix)})", "", "-")
        for name, n, total, ix in f.tables
    ]
    rows += [
        (
            f"ten years: {t.name}",
            f"{t.per_call_ms:.1f} ms per call, {t.rows:,} rows (its reads via the driver alone "
            f"{t.sql_per_call_ms:.1f} ms)",
            "",
            "-",
        )
        for t in f.timings
    ]
    return rows


def print_rows(rows: list[tuple[str, str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    for m, fig, note, _ in rows:
        print(f"{m:<{width}}  {fig}  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opd", type=int, default=400)
    parser.add_argument("--postgres", action="store_true", help="consolidate into PostgreSQL, not SQLite")
    parser.add_argument("--ten-years", action="store_true", help="the PostgreSQL warehouse at ten years")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--explain", type=int, default=6, help="plans of the N slowest kinds of work")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (or database)")
    parser.add_argument("--reuse", action="store_true", help="--ten-years on the database --keep left")
    parser.add_argument("--database", default=PG_DB, help="the --ten-years database (created, dropped after)")
    args = parser.parse_args(argv)
    print(
        f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    if args.ten_years:
        f10 = measure_ten_years(
            args.opd,
            args.years,
            explain_count=args.explain,
            keep_db=args.keep,
            reuse=args.reuse,
            database=args.database,
        )
        print_rows(ten_year_rows(f10))
        for name, statement, plan in f10.plans:
            print(f"\n-- {name}\n{statement}\n{plan}")
    else:
        print_rows(summary_rows(measure(args.opd, postgres=args.postgres, keep=args.keep)))
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
