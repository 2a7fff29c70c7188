"""Consolidation end to end through the run's own core (load_new_files: the
steps a manual run and, as tasks, the flow run), on SQLite and
on a real PostgreSQL: bad input is recorded, archived and never damages good
data; revisions; re-runs; concurrent runs."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from runkit import consolidate, make_resources
from sheetkit import sheet_rows, write_csv, write_xlsx
from sqlalchemy import update

from iku.warehouse.sakip import Sakip
from iku.warehouse.schema import submission

pytestmark = pytest.mark.prefect


def touch(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture
def res(tmp_path, warehouse_url, prefect_server):
    return make_resources(tmp_path, warehouse_url)


def current(res):
    return {
        (v.bidang, v.indicator, v.month): (v.realisation, v.numerator, v.denominator)
        for v in res.warehouse.current_values(res.opd, 2023)
    }


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 20_000_000)
    return buf.getvalue()


def rows_with(bidang="perumahan", **cell):
    """Valid April rows with one cell changed: cell = {(row_index, column_name): value}."""
    rows = sheet_rows(bidang)
    header = rows[0]
    for (i, column), value in cell.get("set", {}).items():
        rows[i][header.index(column)] = value
    return rows


BAD = {
    # name: (folder bidang, writer(path), status, words in a problem, (row, column) of that problem)
    "corrupt.xlsx": (
        "perumahan",
        lambda p: p.write_bytes(b"PK\x03\x04 this is not a workbook"),
        "unreadable",
        "rusak",
        None,
    ),
    "laporan.pdf": (
        "perumahan",
        lambda p: p.write_bytes(b"%PDF-1.4 ..."),
        "unreadable",
        "tidak didukung",
        None,
    ),
    "kosong.xlsx": ("perumahan", lambda p: write_xlsx(p, []), "unreadable", "kosong", None),
    "tanpa-kolom.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, [r[:4] + r[5:] for r in sheet_rows()]),
        "invalid",
        "Kolom wajib 'realisasi'",
        (1, "realisasi"),
    ),
    "negatif.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, rows_with(set={(2, "realisasi"): -4})),
        "invalid",
        "negatif",
        (3, "realisasi"),
    ),
    "abc.csv": (
        "perumahan",
        lambda p: write_csv(p, rows_with(set={(1, "realisasi"): "abc"})),
        "invalid",
        "'abc' bukan angka",
        (2, "realisasi"),
    ),
    "ganda.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows() + [sheet_rows()[1]]),
        "invalid",
        "lebih dari sekali",
        (6, "kode_indikator"),
    ),
    "kode-asing.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows() + [["perumahan", 2023, 4, "IKU-99", 1]]),
        "invalid",
        "'IKU-99' bukan indikator",
        (6, "kode_indikator"),
    ),
    "kode-bidang-lain.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows() + [["perumahan", 2023, 4, "IKU-04", 1]]),
        "invalid",
        "'IKU-04' bukan indikator bidang 'perumahan'",
        (6, "kode_indikator"),
    ),
    "dua-bulan.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, rows_with(set={(4, "bulan"): 5})),
        "invalid",
        "berbeda dengan baris lain",
        (5, "bulan"),
    ),
    "salah-folder.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows("perkim", pembilang=2.5)),
        "invalid",
        "tidak sesuai dengan folder",
        (2, "bidang"),
    ),
    "pembilang-besar.xlsx": (
        "perkim",
        lambda p: write_xlsx(p, sheet_rows("perkim", pembilang=120, penyebut=98.5)),
        "invalid",
        "lebih besar dari penyebut",
        (2, "pembilang"),
    ),
    "penyebut-nol.xlsx": (
        "perkim",
        lambda p: write_xlsx(p, sheet_rows("perkim", pembilang=0, penyebut=0)),
        "invalid",
        "harus lebih besar dari 0",
        (2, "penyebut"),
    ),
    "tahun-2021.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows(year=2021)),
        "invalid",
        "di luar periode Renstra 2022–2026",
        (2, "tahun"),
    ),
    "bulan-13.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows(month=13)),
        "invalid",
        "Bulan '13' tidak dikenali",
        (2, "bulan"),
    ),
    "besar.csv": (
        "perumahan",
        lambda p: p.write_bytes(b"x" * 5_100_000),
        "unreadable",
        "terlalu besar",
        None,
    ),
    "banyak-baris.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows() + [sheet_rows()[1]] * 600),
        "invalid",
        "Terlalu banyak baris",
        None,
    ),
    "bom.xlsx": ("perumahan", lambda p: p.write_bytes(zip_bomb()), "unreadable", "zip bomb", None),
    "kurang-indikator.xlsx": (
        "perumahan",
        lambda p: write_xlsx(p, sheet_rows()[:-1]),
        "invalid",
        "IKU-05",
        (None, "kode_indikator"),
    ),
}


def test_bad_input_is_recorded_archived_and_leaves_good_data_alone(res, tmp_path):
    inbox = res.settings.inbox_dir
    write_xlsx(inbox / "perumahan" / "april.xlsx", sheet_rows(value=3))
    write_xlsx(inbox / "perkim" / "april.xlsx", sheet_rows("perkim"))
    first = consolidate(res)
    assert [r.status for r in first] == ["valid", "valid"]
    before = current(res)
    assert before[("perumahan", "IKU-02", 4)] == (3.0, None, None)
    assert before[("perkim", "IKU-04", 4)] == (None, 1.5, 98.5)

    for name, (bidang, write, *_rest) in BAD.items():
        path = inbox / bidang / "masuk" / name  # any depth
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    records = {r.file_name: r for r in consolidate(res)}

    assert set(records) == set(BAD)  # one broken file never stops the run
    for name, (_b, _w, status, words, where) in BAD.items():
        record = records[name]
        assert record.status == status, (name, record.problems)
        hit = [p for p in record.problems if words in p.message]
        assert hit, (name, [p.message for p in record.problems])
        if where:
            assert where in [(p.row, p.column) for p in hit], (name, hit)
        if name == "besar.csv":  # never read past the size limit, so not archived
            assert record.archive_path == "" and record.size_bytes == 5_100_000
            continue
        assert Path(record.archive_path).read_bytes() == (inbox / record.bidang / "masuk" / name).read_bytes()
    assert current(res) == before
    logs = res.warehouse.submission_logs(res.opd)
    assert len(logs) == 2 + len(BAD)
    assert all(log.problems for log in logs if log.status != "valid")


def test_revision_supersedes_and_rerun_does_nothing(res):
    inbox = res.settings.inbox_dir
    t0 = datetime(2023, 5, 5, tzinfo=UTC)
    touch(write_xlsx(inbox / "perumahan" / "april.xlsx", sheet_rows(value=3)), t0)
    assert [r.status for r in consolidate(res)] == ["valid"]
    touch(write_csv(inbox / "perumahan" / "april-revisi.csv", sheet_rows(value="4,5")), t0.replace(day=20))
    # the same bytes under another name are not a new submission
    copy = inbox / "perumahan" / "salinan.xlsx"
    copy.write_bytes((inbox / "perumahan" / "april.xlsx").read_bytes())
    records = consolidate(res)
    assert [(r.file_name, r.status) for r in records] == [("april-revisi.csv", "valid")]
    assert current(res)[("perumahan", "IKU-01", 4)] == (4.5, None, None)
    logs = {log.file_name: log for log in res.warehouse.submission_logs(res.opd, 2023)}
    assert (logs["april.xlsx"].revision, logs["april.xlsx"].is_current) == (1, False)
    assert (logs["april-revisi.csv"].revision, logs["april-revisi.csv"].is_current) == (2, True)
    assert logs["april.xlsx"].received_at == t0
    assert consolidate(res) == []


def test_a_modification_time_in_the_future_counts_as_received_now(res):
    """Found by a hostile run: a sheet stamped 2100 was loaded, yet showed as
    missing (its month's status waited for 2100) and would have been alerted."""
    from iku.queries import submission_matrix

    inbox = res.settings.inbox_dir
    touch(write_xlsx(inbox / "perumahan" / "mei.xlsx", sheet_rows(month=5)), datetime(2100, 1, 1, tzinfo=UTC))
    before = datetime.now(UTC)
    assert [r.status for r in consolidate(res)] == ["valid"]
    (log,) = res.warehouse.submission_logs(res.opd, 2023)
    assert before <= log.received_at <= datetime.now(UTC)
    cells = submission_matrix(res, 2023, 12, datetime.now(UTC))
    may = next(c for c in cells if c.bidang == "perumahan" and c.month == 5)
    assert may.status == "late"  # received (late: the deadline was in 2023), never "missing"


def test_two_runs_at_once_never_load_a_file_twice(res):
    inbox = res.settings.inbox_dir
    for month in range(1, 7):
        write_xlsx(inbox / "perumahan" / f"{month:02d}.xlsx", sheet_rows(month=month))
    res.warehouse.migrate()
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                consolidate(make_resources(res.settings.inbox_dir.parent, res.settings.warehouse_url))
            )
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(len(r) for r in results) == [0, 6]
    assert len(res.warehouse.submission_logs(res.opd)) == 6
    assert len(res.warehouse.current_values(res.opd, 2023)) == 6 * 4


def test_two_versions_in_one_run_the_later_is_current(res):
    inbox = res.settings.inbox_dir
    t0 = datetime(2023, 5, 5, tzinfo=UTC)
    touch(write_xlsx(inbox / "perumahan" / "b-old.xlsx", sheet_rows(value=1)), t0)
    touch(write_xlsx(inbox / "perumahan" / "a-new.xlsx", sheet_rows(value=2)), t0.replace(day=6))
    assert [r.file_name for r in consolidate(res)] == ["b-old.xlsx", "a-new.xlsx"]
    logs = {log.file_name: (log.revision, log.is_current) for log in res.warehouse.submission_logs(res.opd)}
    assert logs == {"b-old.xlsx": (1, False), "a-new.xlsx": (2, True)}
    assert {v.realisation for v in res.warehouse.current_values(res.opd, 2023)} == {2.0}


def test_faktor_columns_are_stored_with_their_month(res):
    rows = sheet_rows(month=5)
    rows[0] += ["Faktor Pendorong", "Faktor Penghambat", "Tindak Lanjut"]
    rows[1] += ["Bantuan provinsi tepat waktu", "Cuaca", "Jadwal ulang survei"]
    for r in rows[2:]:
        r += [None, None, None]
    write_xlsx(res.settings.inbox_dir / "perumahan" / "mei.xlsx", rows)
    assert [r.status for r in consolidate(res)] == ["valid"]
    got = {v.indicator: v for v in res.warehouse.current_values(res.opd, 2023)}
    first = got["IKU-01"]
    assert (first.month, first.supporting, first.inhibiting, first.follow_up) == (
        5,
        "Bantuan provinsi tepat waktu",
        "Cuaca",
        "Jadwal ulang survei",
    )
    assert (got["IKU-02"].supporting, got["IKU-02"].inhibiting, got["IKU-02"].follow_up) == (None, None, None)


def test_a_sheet_that_breaks_the_validator_is_held_back_and_the_rest_loads(res, monkeypatch):
    """A failure inside GX (injected: no real sheet is known to cause one) costs
    that sheet one run, not the run: its bidang's other sheets and every other
    bidang load, it is archived, and the next run checks it again."""
    from iku.validation import worker

    write_xlsx(res.source_dir("perumahan") / "mei.xlsx", sheet_rows(month=5))
    write_xlsx(res.source_dir("perumahan") / "juni.xlsx", sheet_rows(month=6))
    real = worker.submit

    def breaks_on_june(groups, docs_dir=None, shared=True):
        if any(s.rows[0].bulan == 6 for g in groups for s in g.sheets.values()):
            raise RuntimeError("GX broke")
        return real(groups, docs_dir, shared)

    monkeypatch.setattr(worker, "submit", breaks_on_june)
    first = consolidate(res)
    assert [(r.month, r.status) for r in first] == [(5, "valid")]
    assert len(list((res.settings.archive_dir).rglob("*.xlsx"))) == 2
    monkeypatch.setattr(worker, "submit", real)
    second = consolidate(res)
    assert [(r.month, r.status) for r in second] == [(6, "valid")]


def test_strays_one_level_down_in_a_kabupaten_inbox(tmp_path):
    from iku.consolidation import stray_entries

    inbox = tmp_path / "inbox"
    sources = [inbox / "dinkes" / "kesmas", inbox / "dinkes" / "yankes", inbox / "disperkim" / "perumahan"]
    for folder in [*sources, inbox / "dinkes" / "Kesmas", inbox / ".tersembunyi"]:
        folder.mkdir(parents=True)
    (inbox / "dinkes" / "catatan.xlsx").write_bytes(b"x")
    (inbox / "disperkim" / "perumahan" / "a.xlsx").write_bytes(b"x")  # in a source folder: read, no stray
    found = stray_entries(inbox, sources)
    assert found == [
        f"{inbox / 'dinkes' / 'Kesmas'}: folder tidak dikenal, tidak diproses; maksudnya 'kesmas'?",
        f"{inbox / 'dinkes' / 'catatan.xlsx'}: berkas di luar folder bidang, tidak diproses; "
        "pindahkan ke folder bidangnya",
    ]
    assert stray_entries(inbox / "dinkes" / "kesmas", [inbox / "dinkes" / "kesmas"]) == []


def test_a_quarter_closed_by_lock_after_days_keeps_its_figures(res):
    """pipeline.yaml lock_after_days reaches the load: a corrected April 2023
    sheet arriving long after the quarter closed is recorded, never current."""
    inbox = res.settings.inbox_dir
    write_xlsx(inbox / "perumahan" / "april.xlsx", sheet_rows(value=3))
    assert [r.held for r in consolidate(res)] == [None]  # no lock configured: loads as usual
    with res.warehouse.engine.begin() as conn:  # as if loaded in time, before the quarter closed
        conn.execute(update(submission).values(processed_at=datetime(2023, 5, 6, tzinfo=UTC)))
    pipeline = res.config.pipeline.model_copy(update={"lock_after_days": 15})
    res.config = res.config.model_copy(update={"pipeline": pipeline})
    write_xlsx(inbox / "perumahan" / "april-revisi.xlsx", sheet_rows(value=7))
    [late] = consolidate(res)
    assert (late.status, late.held.quarter, late.held.approved_by) == ("valid", 2, None)
    # closed 15 days after 30 June 2023, midnight WIB
    assert late.held.since == datetime(2023, 7, 15, 16, 59, 59, 999999, tzinfo=UTC)
    assert current(res)[("perumahan", "IKU-02", 4)] == (3.0, None, None)


def test_plausibility_warnings_are_kept_with_the_submission_and_never_refuse(res):
    """CONTRACT §12: a typing slip (1500 for 15) passes every rule; the run loads
    it and keeps "perlu dicek" with the reason, checked against the months before
    it (those of the warehouse and those earlier in the same run)."""
    inbox = res.settings.inbox_dir
    t0 = datetime(2023, 2, 5, tzinfo=UTC)
    for month in (1, 2, 3):
        path = write_xlsx(inbox / "perumahan" / f"{month:02d}.xlsx", sheet_rows(month=month, value=15))
        touch(path, t0.replace(month=month + 1))
    assert [r.warnings for r in consolidate(res)] == [[], [], []]  # valid, checked, nothing odd
    touch(write_xlsx(inbox / "perumahan" / "04.xlsx", sheet_rows(month=4, value=15)), t0.replace(month=5))
    touch(write_xlsx(inbox / "perumahan" / "05.xlsx", sheet_rows(month=5, value=1500)), t0.replace(month=6))
    april, may = consolidate(res)
    assert (april.warnings, may.status, may.held) == ([], "valid", None)
    codes = ["IKU-01", "IKU-02", "IKU-03", "IKU-05"]  # perumahan's indicators, each 1500 after 15s
    assert [w["indicator"] for w in may.warnings] == codes
    assert all(
        w["message"].startswith("perlu dicek: IKU-0") and "1.500" in w["message"] for w in may.warnings
    )
    assert {w["rule"] for w in may.warnings} == {"history"}  # four months of history: April from this run
    assert current(res)[("perumahan", "IKU-02", 5)] == (1500.0, None, None)  # loaded: a warning, no refusal
    kept = Sakip(res.warehouse).follow_up(res.opd, 2023)
    assert [(w["month"], w["indicator"], w["file_name"]) for w in kept] == [(5, c, "05.xlsx") for c in codes]
    assert Sakip(res.warehouse).unchecked(res.opd, 2023) == set()  # every current file was checked


def test_warnings_drafted_before_validation_are_checked_again_without_an_invalid_month(res):
    """The run drafts each file's warnings while GX validates, as if every sheet
    were valid. April is refused by GX (a negative realisation): May's warnings
    must come from the months recorded as valid (January to March: a short
    history, May 10x the largest), not from a history holding April's -5 (four
    months: the spread rule would speak)."""
    inbox = res.settings.inbox_dir
    t0 = datetime(2023, 2, 5, tzinfo=UTC)
    for month in (1, 2, 3):
        path = write_xlsx(inbox / "perumahan" / f"{month:02d}.xlsx", sheet_rows(month=month, value=15))
        touch(path, t0.replace(month=month + 1))
    consolidate(res)
    touch(write_xlsx(inbox / "perumahan" / "04.xlsx", sheet_rows(month=4, value=-5)), t0.replace(month=5))
    touch(write_xlsx(inbox / "perumahan" / "05.xlsx", sheet_rows(month=5, value=150)), t0.replace(month=6))
    april, may = consolidate(res)
    assert (april.status, april.warnings, may.status) == ("invalid", None, "valid")
    assert {w["rule"] for w in may.warnings} == {"jump"}
    assert all("bulan tertinggi sebelumnya (15)" in w["message"] for w in may.warnings)


def test_concurrent_runs_raise_the_gc_threshold_once_and_restore_it():
    # the portal runs consolidations in threads of one process: the first to start raises
    # the collector's threshold, the last to end restores it, whatever the order they end in
    import gc
    import threading

    from iku.collector import few_gc_passes

    before = gc.get_threshold()
    first, second = few_gc_passes(), few_gc_passes()
    first.__enter__()
    assert gc.get_threshold()[0] == 50_000
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert gc.get_threshold()[0] == 50_000
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before

    def run() -> None:
        with few_gc_passes():
            pass

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == before
