"""The consolidation flow under a real (throw-away) Prefect server."""
from __future__ import annotations

import json

import pytest

from sheetkit import sheet_rows, write_xlsx

pytestmark = pytest.mark.prefect


def test_flow_loads_archives_and_builds_data_docs(iku_env, prefect_server):
    from flows.consolidate import consolidate_flow

    write_xlsx(iku_env / "inbox" / "perumahan" / "04.xlsx", sheet_rows(month=4))
    write_xlsx(iku_env / "inbox" / "perkim" / "04.xlsx", sheet_rows("perkim", pembilang=200))
    summary = consolidate_flow()
    assert summary == {"new_files": 2, "known_files": 0, "valid": 1, "invalid": 1, "unreadable": 0}
    assert len(list((iku_env / "archive").rglob("*.xlsx"))) == 2
    docs = iku_env / "out" / "gx-docs"
    assert (docs / "index.html").exists()
    assert list((docs / "validations").rglob("*.html"))
    assert consolidate_flow()["new_files"] == 0
