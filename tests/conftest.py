"""Shared fixtures. Real parts only: a real PostgreSQL (schema per test), real
files, a real Prefect test server for flow tests."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# the test harness's Prefect server sends no telemetry (no lookup of an outside host)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# No GX worker kept warm after a test's run (each would hold ~250 MB for half an
# hour); the tests of that worker turn it on themselves.
os.environ.setdefault("IKU_GX_WORKER_IDLE", "0")

PG_URL = os.environ.get("IKU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# In CI the PostgreSQL tests must run: unreachable is a failure, not a skip.
PG_REQUIRED = (
    os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("IKU_REQUIRE_POSTGRES") == "1"
)


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    """Both warehouse back ends: tests using this run once on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wh.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def iku_env(tmp_path, monkeypatch):
    """A private IKU environment: shipped config, empty inbox, output and SQLite warehouse."""
    env = {
        "IKU_CONFIG_DIR": str(REPO / "config"),
        "IKU_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'data' / 'iku.sqlite'}",
        "IKU_INBOX_DIR": str(tmp_path / "inbox"),
        "IKU_OUTPUT_DIR": str(tmp_path / "out"),
        "IKU_ARCHIVE_DIR": str(tmp_path / "archive"),
        "IKU_PREFECT_HOME": str(tmp_path / "prefect"),  # never the repository's data/prefect
        "IKU_GX_WORKER_IDLE": os.environ["IKU_GX_WORKER_IDLE"],
    }
    for key in [
        k for k in os.environ if k.startswith("IKU_") and k not in env and k != "IKU_TEST_POSTGRES_URL"
    ]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "inbox").mkdir()
    return tmp_path


@pytest.fixture
def config_copy(tmp_path):
    """A writable copy of config/ for tests that change it."""
    dest = tmp_path / "config"
    shutil.copytree(REPO / "config", dest)
    return dest


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A throw-away Prefect server for flow tests (slow to start: once per session)."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    # tests call the flow's tasks directly too (tests/test_consolidation.py): their logs stay local
    os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def prefect_api_url(prefect_server):
    """The test Prefect server's API, for `iku` commands run as subprocesses."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


from sheetkit import sheet_rows, write_csv, write_xlsx  # noqa: E402


@pytest.fixture
def sheets():
    """Writers for submission sheets: sheets.xlsx(path, rows), sheets.csv(...), sheets.rows(...)."""

    class Writers:
        rows = staticmethod(sheet_rows)
        xlsx = staticmethod(write_xlsx)
        csv = staticmethod(write_csv)

    return Writers


def pytest_collection_modifyitems(config, items):
    """Files with slow tests first (the worker pool first of all): on two test
    processes (`make test`) the long ones then start early and run beside the
    many short ones, instead of ending the run alone. Order within a file stays."""

    def weight(item) -> int:
        if item.get_closest_marker("workers"):
            return 0
        return 1 if item.get_closest_marker("slow") else 2

    first: dict = {}
    for item in items:
        first[item.path] = min(first.get(item.path, 2), weight(item))
    items.sort(key=lambda item: first[item.path])  # stable: collection order otherwise
