"""Issue 17 H1: one account or one OPD cannot fill the disk or flood the alerts.
Uploads per hour and bytes per day per account and per OPD, Indonesian 429
answers with Retry-After, and a floor of free disk space below which nothing is
written. Invalid sheets count like valid ones (each costs an alert)."""

from __future__ import annotations

import httpx
from webkit import CSRF

from iku.web.quota import DAY, HOUR, UploadQuota

A = "/opd/disperkim-tjb"
BAD = b"a;b\n"  # unreadable: stored, archived and alerted all the same


def api(portal, role: str, data: bytes = BAD, name: str = "x.csv") -> httpx.Response:
    return httpx.post(
        f"{portal.url}/api/submissions",
        headers={"authorization": f"Bearer {portal.tokens[role]}"},
        files={"file": (name, data)},
        timeout=180,
    )


def page_upload(portal, client: httpx.Client, bidang: str, data: bytes = BAD) -> httpx.Response:
    month = f"{A}/bidang/{bidang}/2023/4"
    csrf = CSRF.search(client.get(month).text).group(1)
    return client.post(f"{month}/unggah", data={"csrf": csrf}, files={"berkas": ("x.csv", data)})


def stored(portal, bidang: str) -> list[str]:
    folder = portal.res.source_dir(bidang)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_account_is_held_to_its_uploads_per_hour(portal_factory):
    p = portal_factory(uploads_per_hour=3)
    # three different invalid files: each one is accepted (and would be alerted)
    for i in range(3):
        assert api(p, "bidang_a", BAD + str(i).encode()).status_code == 200
    r = api(p, "bidang_a", BAD + b"3")
    assert r.status_code == 429 and 3000 < int(r.headers["retry-after"]) <= 3600
    assert r.json()["detail"].startswith("Terlalu banyak kiriman: batas 3 berkas per jam untuk akun ini")
    assert len(stored(p, "perumahan")) == 3  # the fourth was never written
    # the account's browser session shares its count with its token
    page = page_upload(p, p.client("bidang_a"), "perumahan", BAD + b"4")
    assert page.status_code == 429 and "batas 3 berkas per jam" in page.text and page.headers["retry-after"]
    assert len(stored(p, "perumahan")) == 3
    # another bidang's account is not held back by it
    assert api(p, "bidang_b", BAD + b"5").status_code == 200


def test_an_opd_is_held_to_its_uploads_per_hour(portal_factory):
    p = portal_factory(opd_uploads_per_hour=3)
    assert api(p, "bidang_a", BAD + b"1").status_code == 200
    assert api(p, "bidang_b", BAD + b"2").status_code == 200
    assert page_upload(p, p.client("bidang_a"), "perumahan", BAD + b"3").status_code == 200
    r = api(p, "bidang_b", BAD + b"4")
    assert r.status_code == 429 and "untuk OPD ini" in r.json()["detail"] and r.headers["retry-after"]
    assert len(stored(p, "perumahan")) + len(stored(p, "perkim")) == 3


def test_an_account_is_held_to_its_bytes_per_day(portal_factory):
    p = portal_factory(upload_bytes_per_day=250_000)
    blob = b"x" * 100_000  # unreadable, 100 kB: two fit in a day, the third does not
    assert api(p, "bidang_a", blob + b"1").status_code == 200
    assert api(p, "bidang_a", blob + b"2").status_code == 200
    r = api(p, "bidang_a", blob + b"3")
    assert r.status_code == 429 and "per hari" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 23 * 3600
    assert api(p, "bidang_a", b"small").status_code == 200  # what still fits is taken


def test_nothing_is_written_below_the_free_space_floor(portal_factory):
    p = portal_factory(min_free_bytes=10**18)  # more than any disk here has free
    r = api(p, "bidang_a")
    assert r.status_code == 507 and "Ruang penyimpanan server hampir penuh" in r.json()["detail"]
    page = page_upload(p, p.client("bidang_b"), "perkim")
    assert page.status_code == 507 and "hampir penuh" in page.text
    assert stored(p, "perumahan") == [] and stored(p, "perkim") == []
    archive = p.res.settings.archive_dir
    assert not archive.exists() or not any(archive.rglob("*"))


def test_windows_slide_and_refusals_are_not_counted():
    q = UploadQuota(per_hour=2, bytes_per_day=1000, opd_per_hour=0, opd_bytes_per_day=0)
    assert q.take(1, "o", 10, now=0) is None and q.take(1, "o", 10, now=10) is None
    refused = q.take(1, "o", 10, now=20)
    assert refused is not None and refused.retry_after == int(HOUR - 20) + 1
    assert q.take(1, "o", 10, now=HOUR + 1) is None  # the first has left the hour
    again = q.take(1, "o", 10, now=HOUR + 5)  # the second and third are in it
    assert again is not None and again.retry_after == 6
    too_much = q.take(1, "o", 975, now=HOUR + 20)  # 30 bytes today + 975 > 1000
    assert too_much is not None and "per hari" in too_much.message
    assert too_much.retry_after == int(DAY - HOUR - 20) + 1  # when the first 10 bytes leave the day
    assert q.take(1, "o", 975, now=DAY + 1) is None
