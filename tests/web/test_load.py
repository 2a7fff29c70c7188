"""A bounded load test on loopback: 50 uploads at once from 10 bidang accounts
(some of them the same bytes twice) lose nothing and load nothing twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sheetkit import sheet_rows, write_xlsx
from webkit import consolidate

from iku.consolidation import scan_sources


@pytest.mark.slow
def test_fifty_concurrent_uploads(portal, tmp_path):
    tokens = {}
    for i in range(10):
        bidang = "perumahan" if i < 5 else "perkim"
        portal.add_account(f"akun{i}", "bidang", bidang)
        tokens[i] = (bidang, portal.add_token(f"akun{i}"))
    jobs = []
    for i in range(10):
        bidang, token = tokens[i]
        for k in range(5):
            n = (i % 5) * 5 + k  # 25 distinct periods per bidang
            year, month = 2022 + n // 12, n % 12 + 1
            path = write_xlsx(tmp_path / f"{i}-{k}.xlsx", sheet_rows(bidang=bidang, year=year, month=month))
            jobs.append((token, path.read_bytes()))
    # five uploads are the same bytes as another account's, sent at the same time
    jobs[45:] = [(tokens[4][1], jobs[j][1]) for j in range(5)]

    def send(job):
        token, data = job
        with httpx.Client(timeout=120) as c:
            return c.post(
                f"{portal.url}/api/submissions",
                headers={"authorization": f"Bearer {token}"},
                files={"file": ("s.xlsx", data)},
            )

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, jobs))
    assert [r.status_code for r in answers] == [200] * 50
    assert {r.json()["status"] for r in answers} == {"valid"}
    distinct = {r.json()["sha256"] for r in answers}
    assert len(distinct) == 45
    landed = [p for b in ("perumahan", "perkim") for p in portal.res.source_dir(b).iterdir()]
    assert len(landed) == 45 and not any(p.name.startswith(".") for p in landed)

    records = consolidate(portal.res)
    assert len(records) == 45 and {r.status for r in records} == {"valid"}
    assert {r.sha256 for r in records} == distinct
    values = portal.res.warehouse.current_values(portal.res.opd)
    assert len(values) == 25 * 4 + 20 * 1  # perumahan: 4 indicators; perkim: 1 (20 distinct periods)
    assert consolidate(portal.res) == []
    scan = scan_sources(portal.res.source_dirs(), portal.res.warehouse.known_hashes(portal.res.opd))
    assert scan.new == [] and scan.known == 45
