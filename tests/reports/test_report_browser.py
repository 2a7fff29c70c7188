"""The HTML report in headless Chromium: it renders, asks for nothing outside
the file, shows hostile notes as text, and prints. Screenshots are kept:
REPORT_SCREENSHOT_DIR=<dir> copies them there (CI artefact);
UPDATE_REPORT_SCREENSHOT=1 refreshes docs/report-screenshot.png. (Not IKU_*: the
iku_env fixture clears those.)"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import browser_required, chromium_path, load_page
from report_seed import AS_OF, SCRIPT_NOTE

from iku.domain.periods import Period
from iku.reports import load_report_data, render_report

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        if browser_required():
            pytest.fail("chromium is required in CI (CI=true) but was not found")
        pytest.skip("chromium not installed")
    return chromium_path()


def _outside(requests: list[str]) -> list[str]:
    return [u for u in requests if not u.startswith(("file:", "data:", "about:"))]


def test_report_renders_offline(chromium, seeded_res, tmp_path):
    html = render_report(load_report_data(seeded_res, Period(2023, 2), AS_OF), tmp_path)[0]
    run = load_page(
        html,
        {
            "text": "document.body.innerText",
            "scripts": "document.scripts.length",
            "charts": "document.querySelectorAll('svg.chart').length",
            "tables": "document.querySelectorAll('table').length",
        },
    )
    assert run.requests and run.requests[0].startswith("file:")  # the recorder saw the page itself
    assert _outside(run.requests) == []
    assert run.evaluated["scripts"] == 0
    assert SCRIPT_NOTE in run.evaluated["text"]  # shown as text
    assert run.evaluated["charts"] == 5 and run.evaluated["tables"] >= 4
    assert "37,33 %" in run.evaluated["text"]
    assert run.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(run.screenshot) > 20_000
    assert run.pdf.startswith(b"%PDF")
    shot = tmp_path / "report-2023-Q2.png"
    shot.write_bytes(run.screenshot)
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:  # CI artefact
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    if os.environ.get("UPDATE_REPORT_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "report-screenshot.png")


def test_recorder_catches_a_request(chromium, tmp_path):
    """The check can fail: a page reaching outside is caught (the address is
    TEST-NET, nothing answers; the request is still recorded)."""
    page = tmp_path / "leak.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://192.0.2.1/x.png"></body></html>')
    run = load_page(page)
    assert "http://192.0.2.1/x.png" in _outside(run.requests)
