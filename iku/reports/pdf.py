"""The report as a PDF to sign: the HTML printed by Debian's headless Chromium.

The layout is the HTML's own print CSS (templates/partials/style.css): A4
landscape, page numbers in the @page margin boxes, headings kept with what
follows, tables breaking between rows with their header repeated, the
pengesahan block last and never split. Without Chromium the PDF is skipped
(one logged line): the HTML, Excel and JSON are written all the same."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CHROMIUM_NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser")
# Headless Chromium as the reports and the browser tests (tests/browser.py) run
# it: no sandbox (root in CI), no GPU, no network chatter of Chromium's own.
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
FLAGS = [
    *HEADLESS_FLAGS,
    "--no-pdf-header-footer",  # page numbers come from the CSS, not Chromium's URL and date
]
TIMEOUT_SECONDS = 120


def chromium() -> str | None:
    """Chromium's path; IKU_CHROMIUM overrides (an empty value turns PDFs off)."""
    if "IKU_CHROMIUM" in os.environ:
        return shutil.which(os.environ["IKU_CHROMIUM"]) if os.environ["IKU_CHROMIUM"] else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class PdfFailed(Exception):
    """Chromium ran but gave no PDF; the message is one line."""


def write_pdf(html: Path, pdf: Path | None = None) -> Path | None:
    """Print `html` to `pdf` (default: beside it, .pdf); None when Chromium is missing."""
    html = Path(html).resolve()
    pdf = Path(pdf) if pdf else html.with_suffix(".pdf")
    exe = chromium()
    if exe is None:
        log.warning("PDF skipped: chromium not found (apt-get install chromium); %s not written", pdf.name)
        return None
    tmp = pdf.with_name(f".{pdf.name}.{os.getpid()}.tmp")
    # a profile of its own: two reports printed at once must not share one
    with tempfile.TemporaryDirectory(prefix="iku-pdf-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html.as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise PdfFailed(f"chromium did not finish printing {html.name} in {TIMEOUT_SECONDS} s") from None
    if not tmp.exists() or tmp.stat().st_size == 0 or not tmp.read_bytes().startswith(b"%PDF"):
        tmp.unlink(missing_ok=True)
        raise PdfFailed(f"chromium printed no PDF for {html.name}")
    os.replace(tmp, pdf)
    return pdf
