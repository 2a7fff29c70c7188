"""What an operator reads in a flow run's log (Prefect UI): totals, every
problem, every missing (bidang, month), every file written, and one line,
not a contradiction, when no alert channel is set."""

from __future__ import annotations

import pytest
from sheetkit import sheet_rows, write_xlsx

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def run_log(state) -> list[str]:
    """Every line of a finished flow run's log as the Prefect server holds it (the UI's view)."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)

    async def read() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(
                LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])), limit=200
            )
        return [log.message for log in logs]

    return asyncio.run(read())


def test_consolidation_logs_totals_and_every_problem(iku_env, prefect_server):
    from flows.consolidate import consolidate_flow

    rows = sheet_rows(month=4)
    rows[2][4] = "abc"  # IKU-02 realisasi, Excel row 3
    write_xlsx(iku_env / "inbox" / "perumahan" / "april.xlsx", rows)
    write_xlsx(iku_env / "inbox" / "perkim" / "april.xlsx", sheet_rows("perkim"))
    (iku_env / "inbox" / "perkim" / "~$april.xlsx").write_bytes(b"lock")
    lines = run_log(consolidate_flow(return_state=True))

    assert "jumlah: 2 baru (1 valid, 1 tidak valid, 0 tidak terbaca), 1 diabaikan, 0 sudah dikenal" in lines
    problem = [line for line in lines if line.startswith("april.xlsx: baris 3, kolom realisasi: ")]
    assert len(problem) == 1 and "bukan angka" in problem[0]
    no_channel = [line for line in lines if "tidak ada saluran peringatan" in line]
    assert len(no_channel) == 1
    assert not any("diantrekan" in line for line in lines)
    assert any(line.endswith("perumahan/april.xlsx: tidak valid (1 masalah)") for line in lines)


def test_check_missing_names_every_missing_month_and_reports_name_their_files(iku_env, prefect_server):
    from flows.alerts import check_missing_flow
    from flows.reports import report_flow

    state = check_missing_flow(period=None, as_of="2023-03-11", return_state=True)
    assert len(state.result()) == 4  # January and February, both bidang
    lines = run_log(state)
    for bidang in ("perumahan", "perkim"):
        for month in (1, 2):
            assert f"belum masuk: bidang {bidang}, 2023-{month:02d}" in lines
    state = report_flow("2023-Q1", as_of="2023-04-20", return_state=True)
    lines = run_log(state)
    for p in state.result():
        assert f"ditulis {p}" in lines
