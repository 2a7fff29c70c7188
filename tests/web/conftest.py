"""Fixtures: the portal on a free loopback port (see tests/webkit.py)."""

from __future__ import annotations

import pytest
from webkit import start_portal, stop_portal


@pytest.fixture
def portal_factory(tmp_path, prefect_server):  # the portal's files are consolidated by the flow's tasks
    started = []

    def start(**kw):
        p = start_portal(tmp_path, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        stop_portal(p)


@pytest.fixture
def portal(portal_factory):
    return portal_factory()
