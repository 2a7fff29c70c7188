"""`make test` runs the suite on two processes (pytest-xdist, -n 2): each test
must own what it starts. These tests hold the three shared resources to that:
the Prefect server (one per test process, its PREFECT_HOME in that process's
own temporary folder, on a free port), PostgreSQL (a schema or database of a
unique name per test) and loopback ports (free ones, never a fixed number)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

from conftest import REPO

# a port written into a test (the shared PostgreSQL's 5432 aside)
FIXED_PORT = re.compile(r"(?:\bport\s*=\s*|127\.0\.0\.1:|localhost:)(\d{2,5})\b")
FIXED_DATABASE = re.compile(r"CREATE (?:DATABASE|SCHEMA) \"(?!\{)")


def test_the_prefect_server_is_this_processs_own(prefect_server, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL

    home = Path(os.environ["PREFECT_HOME"])
    assert home.is_relative_to(tmp_path_factory.getbasetemp())  # per xdist worker: popen-gwN
    assert urlparse(PREFECT_API_URL.value()).port not in (None, 4200)  # a free port, not the default


def test_postgres_names_are_unique_per_test(pg_url):
    schema = pg_url.rpartition("search_path%3D")[2]
    assert re.fullmatch(r"t_[0-9a-f]{12}", schema)


def test_no_test_fixes_a_port_or_a_database_name():
    found = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.name}: port {m.group(1)}" for m in FIXED_PORT.finditer(text) if m.group(1) != "5432"
        ]
        found += [f"{path.name}: {m.group(0)}" for m in FIXED_DATABASE.finditer(text)]
    assert not found, found
