"""The warehouse on SQLite and a real PostgreSQL: migrations, OPD keys, alerts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from iku.domain.model import SubmissionRecord, ValueRow
from iku.warehouse import Warehouse, WarehouseUnavailable


def record(sha, month=4, status="valid", value=1.0, bidang="perumahan"):
    return SubmissionRecord(
        sha256=sha,
        bidang=bidang,
        file_name=f"{sha}.xlsx",
        source_path=f"/in/{sha}.xlsx",
        archive_path=f"/ar/{sha}.xlsx",
        size_bytes=10,
        received_at=datetime(2023, 5, 1, tzinfo=UTC),
        status=status,
        year=2023,
        month=month,
        values=[ValueRow("IKU-01", value, None, None, "catatan", 2)] if status == "valid" else [],
    )


def test_migrate_is_idempotent_and_creates_the_tables(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    wh.migrate()
    tables = set(inspect(wh.engine).get_table_names())
    assert {"submission", "realisation", "alert", "alembic_version"} <= tables


def test_opd_code_keeps_agencies_apart(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    assert wh.record("opd-a", record("s1")) is not None
    assert wh.record("opd-b", record("s1", value=7)) is not None  # same bytes, other OPD
    assert wh.record("opd-a", record("s1")) is None  # never twice for one OPD
    assert [v.realisation for v in wh.current_values("opd-a", 2023)] == [1.0]
    assert [v.realisation for v in wh.current_values("opd-b", 2023)] == [7.0]


def test_invalid_after_valid_keeps_the_valid_data_current(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    wh.record("o", record("a", value=2))
    wh.record("o", record("b", status="invalid"))
    values = wh.current_values("o", 2023)
    assert [(v.realisation, v.sha256, v.revision) for v in values] == [(2.0, "a", 1)]


def test_alert_once_per_cause_and_channel(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    kwargs = dict(
        cause_key="invalid:abc", kind="invalid_submission", recipient="x@y", subject="s", payload={"a": 1}
    )
    first = wh.add_alert("o", channel="email", **kwargs)
    assert first is not None
    assert wh.add_alert("o", channel="email", **kwargs) is None
    assert wh.add_alert("o", channel="webhook", **kwargs) is not None
    wh.mark_alert(first, delivered=True, attempts=1)
    assert [a["channel"] for a in wh.undelivered_alerts("o")] == ["webhook"]


def test_unreachable_warehouse_is_one_clear_error():
    wh = Warehouse("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(WarehouseUnavailable, match="gudang data tidak dapat dibuka"):
        wh.migrate()


def test_received_at_keeps_its_instant_whatever_the_zone(warehouse_url):
    from zoneinfo import ZoneInfo

    wh = Warehouse(warehouse_url)
    wh.migrate()
    rec = record("tz")
    rec.received_at = datetime(2023, 5, 8, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    wh.record("o", rec)
    assert wh.submission_logs("o")[0].received_at == rec.received_at


def test_first_runs_at_once_on_an_empty_warehouse_all_migrate(warehouse_url):
    """Two (here four) first runs race on creating the tables: the migration
    holds the run lock, so every one of them succeeds."""
    start, errors = threading.Barrier(4), []

    def first_run():
        wh = Warehouse(warehouse_url)
        start.wait()
        try:
            wh.migrate()
            wh.known_hashes("disperkim-tjb")
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)
        finally:
            wh.engine.dispose()

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    wh = Warehouse(warehouse_url)
    assert {"submission", "realisation", "alert"} <= set(inspect(wh.engine).get_table_names())


def test_a_run_that_must_wait_for_the_lock_is_told_so(warehouse_url):
    """A second consolidation waited in silence; it is now told once, then waits."""
    wh, other = Warehouse(warehouse_url), Warehouse(warehouse_url)
    wh.migrate()
    told, order = [], []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with wh.exclusive("uji"):
            holding.set()
            release.wait(30)
            order.append("first done")

    first = threading.Thread(target=hold)
    first.start()
    assert holding.wait(30)
    threading.Timer(0.5, release.set).start()
    with other.exclusive("uji", waiting=lambda: told.append("waiting")):
        order.append("second in")
    first.join(30)
    assert told == ["waiting"] and order == ["first done", "second in"]
    with other.exclusive("uji", waiting=lambda: told.append("again")):
        pass
    assert told == ["waiting"]  # free: nobody is told to wait
    wh.engine.dispose()
    other.engine.dispose()


def test_the_driver_executemany_stores_what_sqlalchemy_stores(warehouse_url):
    """record_many inserts through the driver's executemany with each column
    type's bind processor (store._insert_many): every column, JSON, time
    stamps with their zone, booleans and None included, reads back exactly as
    SQLAlchemy's own executemany of the same rows stores it."""
    from sqlalchemy import insert, select

    from iku.warehouse.schema import submission
    from iku.warehouse.store import _insert_many

    wh = Warehouse(warehouse_url)
    wh.migrate()
    base = {
        "bidang": "perumahan",
        "year": 2023,
        "month": None,
        "file_name": "laporan-\\xe9.xlsx",
        "source_path": "/in/a b.xlsx",
        "archive_path": "",
        "size_bytes": 2**31 - 1,
        "received_at": datetime(2023, 5, 1, 7, 30, 15, 123456, tzinfo=UTC),
        "processed_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "status": "invalid",
        "problems": [{"message": "Baris 3: 'x' bukan angka", "row": 3, "column": None}],
        "revision": None,
        "is_current": False,
        "warnings": None,
    }
    rows = [
        {"opd_code": opd, "sha256": sha, **base, **extra}
        for opd, sha, extra in (
            ("a", "s1", {}),
            ("a", "s2", {"month": 4, "revision": 1, "is_current": True, "status": "valid", "problems": []}),
            (
                "a",
                "s3",
                {"warnings": [{"rule": "jump", "value": 1.5e300, "message": "perlu dicek: ünïcode"}]},
            ),
        )
    ]
    with wh.engine.begin() as conn:
        conn.execute(insert(submission), [{**r, "opd_code": "b"} for r in rows])
        _insert_many(conn, submission, rows)
    with wh.engine.connect() as conn:
        stored = {
            opd: [
                tuple(r)[2:]
                for r in conn.execute(
                    select(submission).where(submission.c.opd_code == opd).order_by(submission.c.sha256)
                )
            ]
            for opd in ("a", "b")
        }
        raw = {
            opd: [
                tuple(r)[2:]
                for r in conn.exec_driver_sql(
                    f"SELECT * FROM submission WHERE opd_code = '{opd}' ORDER BY sha256"
                )
            ]
            for opd in ("a", "b")
        }
    assert stored["a"] == stored["b"] and len(stored["a"]) == 3
    assert raw["a"] == raw["b"]  # the same bytes in the database, not only the same values read back
