"""A small Chromium driver over the DevTools protocol for pages that a person
clicks through: navigate, type, attach a file, click and wait for the next
page, read the DOM, take a screenshot. Debian's /usr/bin/chromium, headless,
through the DevTools session of iku/reports/chromium.py."""

from __future__ import annotations

import base64
import json

from browser import Browser, chromium_path


class Chromium:
    def __init__(self, width: int = 1280, height: int = 900, mobile: bool = False):
        exe = chromium_path()
        if exe is None:
            raise FileNotFoundError("chromium not found")
        self.cdp = Browser(exe)
        self.cdp.start(timeout=60)
        try:
            target = self.cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.sid = self.cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            self.call("Page.enable")
            self.call("DOM.enable")
            self.resize(width, height, mobile)
        except BaseException:
            self.close()
            raise

    def call(self, method: str, params: dict | None = None, timeout: float = 120) -> dict:
        return self.cdp.call(method, params, session=self.sid, timeout=timeout)

    def resize(self, width: int, height: int = 900, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def _wait_load(self, timeout: float = 180) -> None:
        self.cdp.wait_for("Page.loadEventFired", session=self.sid, timeout=timeout)

    def goto(self, url: str) -> None:
        self.cdp.events.clear()
        self.call("Page.navigate", {"url": url})
        self._wait_load()

    def eval(self, expression: str):
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def fill(self, selector: str, value: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    def attach(self, selector: str, path: str) -> None:
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        self.call("DOM.setFileInputFiles", {"nodeId": node, "files": [path]})

    def click_and_wait(self, selector: str) -> None:
        """Click like a person (a real mouse event at the element) and wait for the next page."""
        self.cdp.events.clear()
        box = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )
        self._wait_load()

    def text(self, selector: str = "body") -> str:
        return self.eval(f"document.querySelector({json.dumps(selector)}).innerText")

    def url(self) -> str:
        return self.eval("location.href")

    def screenshot(self) -> bytes:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
            },
        )
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        self.cdp.close()
