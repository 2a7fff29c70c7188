"""Budget files and lines in the warehouse, on SQLite and PostgreSQL: revisions,
the same bytes twice, the current figures through a month, the month before."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from iku.domain.budget import BudgetLine
from iku.domain.model import Problem
from iku.warehouse import Warehouse
from iku.warehouse.budget import (
    BudgetFileRecord,
    budget_files,
    budget_months,
    current_budget,
    previous_budget,
    record_budget_file,
)
from iku.warehouse.schema import budget_line

OPD = "disperkim-tjb"


def rec(
    sha: str, month: int, real: float, status: str = "valid", pagu: float = 1e9, **kw
) -> BudgetFileRecord:
    return BudgetFileRecord(
        sha256=sha * 64,
        file_name=f"lra-{month:02d}-{sha}.xlsx",
        source_path=f"/in/lra-{month:02d}.xlsx",
        archive_path=f"/archive/{sha}.xlsx",
        size_bytes=1000,
        received_at=datetime(2024, month + 1, 2, tzinfo=UTC),
        status=status,
        year=2024,
        month=month,
        lines=[
            BudgetLine("1.04.02", "program", "Program Pengembangan Perumahan", pagu, real),
            BudgetLine("1.04.02.2.01", "kegiatan", "Pendataan", pagu / 2, real / 2),
        ]
        if status == "valid"
        else [],
        **kw,
    )


def test_revisions_keep_history_and_the_same_bytes_change_nothing(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    assert current_budget(wh, OPD, 2024) is None
    first = record_budget_file(wh, OPD, rec("a", 3, 3e8))
    assert (first.revision, first.already_recorded_at) == (1, None)
    again = record_budget_file(wh, OPD, rec("a", 3, 3e8))
    assert again.id == first.id and again.already_recorded_at is not None
    # APBD-Perubahan: the corrected March file carries another pagu
    second = record_budget_file(wh, OPD, rec("b", 3, 3.5e8, pagu=1.2e9))
    assert second.revision == 2
    march = current_budget(wh, OPD, 2024, 3)
    assert march is not None and (march.month, march.revision, march.file_name) == (3, 2, "lra-03-b.xlsx")
    assert march.lines["1.04.02"] == BudgetLine(
        "1.04.02", "program", "Program Pengembangan Perumahan", 1.2e9, 3.5e8
    )
    files = budget_files(wh, OPD, 2024)
    assert [(f["sha256"][0], f["revision"], f["is_current"]) for f in files] == [
        ("b", 2, True),
        ("a", 1, False),
    ]
    assert files[0]["received_at"].tzinfo is not None
    with wh.engine.connect() as conn:
        rows = conn.execute(
            select(budget_line.c.is_current, func.count())
            .group_by(budget_line.c.is_current)
            .order_by(budget_line.c.is_current)
        ).all()
    assert [tuple(r) for r in rows] == [(False, 2), (True, 2)]  # the first file's lines stay, not current


def test_a_refused_file_is_recorded_without_figures_and_loads_once_valid(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    refused = rec("c", 4, 0, status="invalid", problems=[Problem("Nilai negatif", 7, "anggaran")])
    first = record_budget_file(wh, OPD, refused)
    assert first.revision is None and current_budget(wh, OPD, 2024) is None
    stored = budget_files(wh, OPD)[0]
    assert (stored["status"], stored["problems"]) == (
        "invalid",
        [{"row": 7, "column": "anggaran", "message": "Nilai negatif"}],
    )
    assert record_budget_file(wh, OPD, refused).already_recorded_at is not None
    # the same bytes valid now (the catalogue was fixed): loaded, on the same row
    fixed = record_budget_file(wh, OPD, rec("c", 4, 2e8, warnings=[Problem("turun", column="realisasi")]))
    assert fixed.id == first.id and fixed.revision == 1
    row = budget_files(wh, OPD)[0]
    assert (row["status"], row["problems"], row["warnings"][0]["message"]) == ("valid", [], "turun")
    assert current_budget(wh, OPD, 2024).lines["1.04.02"].realisation == 2e8


def test_figures_through_a_month_and_the_month_before(warehouse_url):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    for sha, month, real in (("d", 1, 1e8), ("e", 3, 3e8), ("f", 6, 5e8)):
        record_budget_file(wh, OPD, rec(sha, month, real))
    assert sorted(budget_months(wh, OPD, 2024)) == [1, 3, 6]
    assert sorted(budget_months(wh, OPD, 2024, through_month=5)) == [1, 3]
    assert current_budget(wh, OPD, 2024, 5).month == 3  # no May file: March's cumulative figures
    assert current_budget(wh, OPD, 2024).lines["1.04.02.2.01"].realisation == 2.5e8
    assert previous_budget(wh, OPD, 2024, 6).month == 3
    assert previous_budget(wh, OPD, 2024, 3).month == 1
    assert previous_budget(wh, OPD, 2024, 1) is None
    assert current_budget(wh, "another-opd", 2024) is None and current_budget(wh, OPD, 2023) is None
