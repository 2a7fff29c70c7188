"""Headless Chromium driven over the DevTools protocol (the session of
iku/reports/chromium.py, which prints the PDFs): load a file, record every
request the page makes, take a screenshot and print a PDF."""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from iku.reports.chromium import Browser, ChromiumGone, find_chromium
from iku.reports.pdf import CHROMIUM_NAMES

__all__ = ["Browser", "PageRun", "browser_required", "chromium_path", "load_page"]


def chromium_path() -> str | None:
    return find_chromium(CHROMIUM_NAMES)


@dataclass
class PageRun:
    requests: list[str] = field(default_factory=list)
    evaluated: dict = field(default_factory=dict)
    screenshot: bytes = b""
    pdf: bytes = b""


def load_page(path: Path, expressions: dict[str, str] | None = None, width: int = 1400) -> PageRun:
    """Open `path` in a fresh headless Chromium and report what it asked for.
    One retry: a busy machine sometimes loses the browser at its start."""
    try:
        return _load_page(path, expressions, width)
    except ChromiumGone:
        return _load_page(path, expressions, width)


def _load_page(path: Path, expressions: dict[str, str] | None, width: int) -> PageRun:
    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("chromium not found")
    run = PageRun()
    with Browser(exe) as cdp:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        cdp.call("Network.enable", session=sid)
        cdp.call("Page.enable", session=sid)
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=sid,
        )
        cdp.call("Page.navigate", {"url": path.resolve().as_uri()}, session=sid)
        cdp.wait_for("Page.loadEventFired", session=sid, timeout=60)
        time.sleep(0.3)  # let late requests (lazy images, fonts) show up
        for name, expr in (expressions or {}).items():
            res = cdp.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=sid)
            run.evaluated[name] = res["result"].get("value")
        size = cdp.call("Page.getLayoutMetrics", session=sid)["cssContentSize"]
        shot = cdp.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
            },
            session=sid,
        )
        run.screenshot = base64.b64decode(shot["data"])
        pdf = cdp.call(
            "Page.printToPDF",
            {
                "landscape": True,
                "paperWidth": 11.69,
                "paperHeight": 8.27,
                "preferCSSPageSize": True,
                "printBackground": True,
            },
            session=sid,
        )
        run.pdf = base64.b64decode(pdf["data"])
        # every request the page made, in the order it made them
        cdp.call("Runtime.evaluate", {"expression": "0"}, session=sid)  # flush pending events
        for ev in cdp.events:
            if ev.get("method") == "Network.requestWillBeSent":
                run.requests.append(ev["params"]["request"]["url"])
    return run


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true")
