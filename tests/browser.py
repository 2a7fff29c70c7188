"""Headless Chromium driven over the DevTools protocol: load a file, record
every request the page makes, take a screenshot and print a PDF."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from iku.reports.pdf import CHROMIUM_NAMES
from iku.reports.pdf import HEADLESS_FLAGS as FLAGS


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageRun:
    requests: list[str] = field(default_factory=list)
    evaluated: dict = field(default_factory=dict)
    screenshot: bytes = b""
    pdf: bytes = b""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Session:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            ev = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if ev.get("method") == method:
                return ev
            self.events.append(ev)


def load_page(path: Path, expressions: dict[str, str] | None = None, width: int = 1400) -> PageRun:
    """Open `path` in a fresh headless Chromium and report what it asked for.
    One retry: a busy machine sometimes drops the DevTools connection at start."""
    try:
        return _load_page(path, expressions, width)
    except OSError:
        return _load_page(path, expressions, width)


def _load_page(path: Path, expressions: dict[str, str] | None, width: int) -> PageRun:
    from websockets.sync.client import connect

    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("chromium not found")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="iku-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ws_url = None
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=1) as r:
                        ws_url = json.load(r)["webSocketDebuggerUrl"]
                    break
                except OSError:
                    time.sleep(0.2)
            if ws_url is None:
                raise RuntimeError("chromium did not open its DevTools port")
            run = PageRun()
            with connect(ws_url, max_size=None, open_timeout=10) as ws:
                cdp = _Session(ws)
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
                cdp.wait_for("Page.loadEventFired", timeout=60)
                time.sleep(0.3)  # let late requests (lazy images, fonts) show up
                for name, expr in (expressions or {}).items():
                    res = cdp.call(
                        "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=sid
                    )
                    run.evaluated[name] = res["result"].get("value")
                size = cdp.call("Page.getLayoutMetrics", session=sid)["cssContentSize"]
                shot = cdp.call(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": size["width"],
                            "height": size["height"],
                            "scale": 1,
                        },
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
                for ev in cdp.events:
                    if ev.get("method") == "Network.requestWillBeSent":
                        run.requests.append(ev["params"]["request"]["url"])
            return run
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true")
