"""Fixtures of the report tests: a seeded warehouse behind Resources."""

from __future__ import annotations

import pytest
from report_seed import seed

from iku.resources import build_resources
from iku.settings import Settings


@pytest.fixture
def seeded_res(iku_env):
    """Resources over the private environment, its SQLite warehouse seeded."""
    res = build_resources(Settings())
    seed(res.settings.warehouse_url)
    return res


@pytest.fixture
def seeded_res_any(iku_env, warehouse_url):
    """The same, once on SQLite and once on PostgreSQL."""
    res = build_resources(Settings(warehouse_url=warehouse_url))
    seed(warehouse_url)
    return res
