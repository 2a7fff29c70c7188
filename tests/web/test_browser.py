"""The portal in a real headless Chromium, as people use it: a bidang signs
in on a phone-sized screen, uploads a valid and an invalid sheet, fills the
form; the planning team opens the matrix and follows a cell to its files.

UPDATE_PORTAL_SCREENSHOTS=1 refreshes the screenshots in docs/."""

from __future__ import annotations

import os
import shutil

import pytest
from browser import browser_required, chromium_path
from kabupatenkit import SEED, TWIN, kabupaten_config
from sheetkit import REPO, sheet_rows, write_xlsx
from webkit import PASSWORD, ROLES, consolidate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ("portal-masuk", "portal-diterima", "portal-tidak-valid", "portal-isian", "portal-matriks")


@pytest.fixture
def chromium():
    if chromium_path() is None:
        if browser_required():
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium not installed")
    from cdp import Chromium

    browser = Chromium(width=412, height=900, mobile=True)  # a phone first
    yield browser
    browser.close()


def sign_in(b, portal, role):
    b.goto(f"{portal.url}/masuk")
    b.fill("input[name=username]", ROLES[role][0])
    b.fill("input[name=password]", PASSWORD)
    b.click_and_wait("#masuk")


def keep(shots: dict, tmp_path) -> None:
    for name, png in shots.items():
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        (tmp_path / f"{name}.png").write_bytes(png)
        if os.environ.get("UPDATE_PORTAL_SCREENSHOTS") == "1":
            shutil.copy(tmp_path / f"{name}.png", REPO / "docs" / f"{name}.png")


def test_bidang_and_planner_in_chromium(portal, chromium, tmp_path):
    b, shots = chromium, {}
    b.goto(f"{portal.url}/masuk")
    shots["portal-masuk"] = b.screenshot()
    sign_in(b, portal, "bidang_a")
    assert b.url().endswith("/opd/disperkim-tjb/bidang/perumahan") and "Bidang Perumahan" in b.text()

    valid = write_xlsx(tmp_path / "realisasi april.xlsx", sheet_rows(value="1.234,5"))
    b.goto(f"{portal.url}/opd/disperkim-tjb/bidang/perumahan/2023/4")
    # nothing on the month page (the bukti dukung form's long indicator names) widens it beyond the phone
    assert b.eval("document.documentElement.scrollWidth") <= b.eval("window.innerWidth") == 412
    b.attach("#berkas", str(valid))
    b.click_and_wait("#kirim")
    assert b.eval("document.querySelector('#status').dataset.status") == "valid"
    assert "Diterima" in b.text() and "1.234,5" in b.text()
    # the receipt fits the phone, and shows the clerk no hash or stored file name (issue 17 N4)
    assert b.eval("document.documentElement.scrollWidth") <= 412
    assert "SHA-256" not in b.text() and "disimpan sebagai" not in b.text()
    shots["portal-diterima"] = b.screenshot()

    invalid = write_xlsx(tmp_path / "salah.xlsx", sheet_rows(month=5, value="dua belas"))
    b.goto(f"{portal.url}/opd/disperkim-tjb/bidang/perumahan/2023/5")
    b.attach("#berkas", str(invalid))
    b.click_and_wait("#kirim")
    assert b.eval("document.querySelector('#status').dataset.status") == "invalid"
    assert "'dua belas' bukan angka" in b.text()
    assert b.eval("document.documentElement.scrollWidth") <= 412
    shots["portal-tidak-valid"] = b.screenshot()
    b.click_and_wait("#kirim-lagi")  # straight back to the month's upload form
    assert b.url().endswith("/opd/disperkim-tjb/bidang/perumahan/2023/5#kirim")

    b.goto(f"{portal.url}/opd/disperkim-tjb/bidang/perumahan/2023/6")
    b.click_and_wait("#isi-formulir")
    for code in ("IKU-01", "IKU-02", "IKU-03", "IKU-05"):
        b.fill(f"#realisasi__{code}", "3")
    b.fill("#keterangan__IKU-02", "Dua unit menunggu pencairan dana.")
    b.fill("#faktor_penghambat__IKU-02", "Cuaca")
    shots["portal-isian"] = b.screenshot()
    b.click_and_wait("#kirim-isian")
    assert b.eval("document.querySelector('#status').dataset.status") == "valid"

    # the planning team, on a desktop screen, after the consolidation ran
    consolidate(portal.res)
    b.resize(1400)
    b.click_and_wait('form[action="/keluar"] button')  # sign out
    assert b.url().endswith("/masuk")
    sign_in(b, portal, "perencana")
    # as of today: sheets received now (after 2023's deadlines) count, and count as late
    b.goto(f"{portal.url}/opd/disperkim-tjb/perencana?tahun=2023")
    matrix = b.text("#matriks")
    assert "terlambat" in matrix and "tidak valid" in matrix and "belum masuk" in matrix
    shots["portal-matriks"] = b.screenshot()
    b.click_and_wait('#matriks a[href="/opd/disperkim-tjb/bidang/perumahan/2023/5"]')
    assert "'dua belas' bukan angka" in b.text() and "unduh berkas" in b.text()

    keep(shots, tmp_path)
    assert set(shots) == set(SHOTS)


def test_kabupaten_picks_an_opd_in_chromium(portal_factory, chromium, tmp_path):
    """One portal for two OPD: the kabupaten account sees both, opens one's
    matrix, and finds nothing to press there."""
    portal = portal_factory(config_dir=kabupaten_config(tmp_path / "config"))
    twin = portal.res.unit(TWIN)
    twin.source_dir("perumahan").mkdir(parents=True)
    write_xlsx(twin.source_dir("perumahan") / "april.xlsx", sheet_rows())
    consolidate(portal.res)
    b = chromium
    b.resize(1400)
    sign_in(b, portal, "kabupaten")
    assert b.url().endswith("/kabupaten")
    b.goto(f"{portal.url}/kabupaten?tahun=2023")
    overview = b.text("#opd")
    assert "Dinas Kesehatan" in overview and TWIN in overview and overview.count("Matriks") == 3
    shot = b.screenshot()
    b.click_and_wait(f'#opd a[href="/opd/{TWIN}/perencana?tahun=2023"]')
    assert b.url().endswith(f"/opd/{TWIN}/perencana?tahun=2023")
    assert "terlambat" in b.text("#matriks") and "Jalankan konsolidasi" not in b.text()
    assert SEED not in b.text()
    keep({"portal-kabupaten": shot}, tmp_path)
