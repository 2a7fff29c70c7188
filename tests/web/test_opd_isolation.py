"""One portal for a kabupaten of two OPD with the very same bidang and indicator
codes (A: the seed Disperkim, B: its twin): every route of the app, enumerated
from the Starlette routes (a new route is tried without anyone listing it), is
tried by the accounts of OPD A against OPD B's data; none of them may reach it,
change it or see a trace of it. The kabupaten role reads every OPD and can
change nothing."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from budgetkit import with_programs
from kabupatenkit import SEED, TWIN, kabupaten_config
from sheetkit import sheet_rows, write_xlsx
from webkit import CSRF, consolidate

from iku.warehouse.sakip import Sakip
from iku.web.deps import ALLOW
from iku.web.jobs import Job

MARK = "RAHASIA-OPD-B"  # in every piece of OPD B's data
SESSION_ENDS = {"/keluar", "/masuk"}  # a lost session answers 303, which this test counts as wrong
A_USERS = ["rumah", "kumuh", "rencana"]  # bidang perumahan, bidang perkim, perencana of OPD A
WRITE_RULES = {"write_bidang", "perencana", "token"}


@pytest.fixture
def kab(portal_factory, tmp_path):
    config = kabupaten_config(tmp_path / "config", dinkes=False)
    for code in (SEED, TWIN):  # programs: the budget template of each OPD
        with_programs(config / "opd" / f"{code}.yaml", file=None)
    p = portal_factory(config_dir=config)
    assert p.res.opd == SEED and set(p.app.state.portal.units) == {SEED, TWIN}
    p.add_account("rumah-b", "bidang", "perumahan", opd=TWIN)
    p.add_account("rencana-b", "perencana", None, opd=TWIN)
    a, b = p.res.unit(SEED), p.res.unit(TWIN)
    # OPD A: one sheet; OPD B: one sheet with a marked note, a report, an alert, a job
    for unit, note in ((a, "catatan A"), (b, MARK)):
        rows = sheet_rows()
        rows[1][7] = note
        unit.source_dir("perumahan").mkdir(parents=True)
        write_xlsx(unit.source_dir("perumahan") / "april.xlsx", rows)
    consolidate(p.res)
    p.sha = {
        u.opd: hashlib.sha256((u.source_dir("perumahan") / "april.xlsx").read_bytes()).hexdigest()
        for u in (a, b)
    }
    p.sha_b = p.sha[TWIN]
    # each OPD's sheet is also bukti dukung of its month (an XLSX is a kind of evidence)
    for unit in (a, b):
        Sakip(unit.warehouse).record_evidence(
            unit.opd,
            "perumahan",
            "IKU-01",
            2023,
            4,
            "april.xlsx",
            (unit.source_dir("perumahan") / "april.xlsx").read_bytes(),
            archive_root=unit.settings.archive_dir,
            actor="uji",
            role="operator",
        )
    for unit in (a, b):
        unit.report_dir(2023).mkdir(parents=True, exist_ok=True)
        (unit.report_dir(2023) / "iku-2023-Q1.json").write_text(f'{{"opd": "{unit.opd}"}}')
    (p.res.output_dir / "2023" / "rekap-2023-Q1.json").write_text(f'{{"rekap": "{MARK}"}}')
    (p.res.output_dir / "2023" / "lakip-kabupaten-2023.json").write_text(f'{{"lakip": "{MARK}"}}')
    b.warehouse.add_alert(
        TWIN,
        cause_key="uji",
        channel="email",
        kind="invalid",
        recipient="b@example.org",
        subject=MARK,
        payload={},
    )
    p.jobs.remember(Job(f"laporan {MARK}", ["report"], TWIN))
    return p


def routes(app) -> list[tuple[str, str]]:
    return [(m, r.path) for r in app.routes for m in sorted(r.methods or ()) if m != "HEAD"]


def url(path: str, opd: str, sha: str) -> str:
    """A concrete URL: every path parameter must be known here, so a route with a
    new kind of parameter fails this test until it is added."""
    sample = {
        "opd": opd,
        "bidang": "perumahan",
        "year:int": "2023",
        "month:int": "4",
        "sha256": sha,
        "name": "iku-2023-Q1.json",
        "recap": "rekap-2023-Q1.json",
        "quarter:int": "2",
        "guide": "bidang",
    }
    out = path
    while "{" in out:
        key = out[out.index("{") + 1 : out.index("}")]
        out = out.replace("{" + key + "}", sample[key])
    return out


def send(client: httpx.Client, method: str, target: str, data: bytes) -> httpx.Response:
    if method == "GET":
        return client.get(target)
    token = CSRF.search(client.get("/masuk", follow_redirects=True).text)
    form = {"csrf": token.group(1) if token else "", "tugas": "tidak-ada", "username": "x", "password": "y"}
    return client.post(target, data=form, files={"berkas": ("b.xlsx", data)})


def traces(kab, text: str) -> list[str]:
    return [m for m in (MARK, TWIN, kab.sha_b[:16], "Kabupaten Kembar") if m in text]


def state_of_b(kab) -> tuple:
    """Everything of OPD B that a write could change."""
    b = kab.res.unit(TWIN)
    files = sorted(
        p.relative_to(kab.res.settings.inbox_dir) for p in (kab.res.settings.inbox_dir / TWIN).rglob("*")
    )
    jobs = [j.label for j in kab.jobs.history if j.opd == TWIN]
    return files, len(b.warehouse.known_hashes(TWIN)), jobs


def test_every_route_refuses_another_opds_data(kab, tmp_path):
    data = write_xlsx(tmp_path / "b.xlsx", sheet_rows()).read_bytes()
    before = state_of_b(kab)
    tried, wrong = set(), []
    for username in A_USERS:
        signed_in = kab.client(username)  # one sign-in (scrypt) per user, not one per request
        for method, path in routes(kab.app):
            assert f"{method} {path}" in ALLOW, f"{method} {path}: a route with no declared rule"
            # OPD B's pages; and OPD A's pages asked for B's objects (its file's SHA-256)
            for opd in (TWIN, SEED) if "{opd}" in path else (None,):
                # signing out or in again ends a session: those two on a client of their own
                client = kab.client(username) if path in SESSION_ENDS else signed_in
                r = send(client, method, url(path, opd or SEED, kab.sha_b), data)
                tried.add(f"{method} {path}")
                if opd == TWIN and r.status_code not in (403, 404):
                    wrong.append((username, method, path, opd, r.status_code))
                if traces(kab, r.text):
                    wrong.append((username, method, path, opd, traces(kab, r.text)))
    assert wrong == []
    assert tried == set(ALLOW)  # every route of the app, and every route declared
    assert state_of_b(kab) == before
    # bidang A's own posts landed in OPD A's folder only
    assert any(p.name.startswith("portal-") for p in kab.res.unit(SEED).source_dir("perumahan").iterdir())


def test_a_token_of_opd_a_writes_to_opd_a_only(kab, tmp_path):
    before = state_of_b(kab)
    data = write_xlsx(tmp_path / "m.xlsx", sheet_rows(month=5)).read_bytes()
    r = httpx.post(
        f"{kab.url}/api/submissions",
        headers={"authorization": f"Bearer {kab.tokens['bidang_a']}"},
        files={"file": ("m.xlsx", data)},
        timeout=180,
    )
    assert r.status_code == 200 and r.json()["status"] == "valid" and not traces(kab, r.text)
    assert state_of_b(kab) == before
    landed = [p.name for p in kab.res.unit(SEED).source_dir("perumahan").iterdir()]
    assert f"portal-2023-05-{r.json()['sha256'][:16]}.xlsx" in landed


def test_opd_b_works_in_its_own_folder(kab, tmp_path):
    """The same bidang code in two OPD: B's officer uploads into <inbox>/<B>/perumahan
    and its consolidation loads the sheet under OPD B."""
    c = kab.client("rumah-b")
    home = f"/opd/{TWIN}/bidang/perumahan"
    assert c.get("/").headers["location"] == home
    assert MARK in c.get(f"{home}/2023/4").text or kab.sha_b[:16] in c.get(f"{home}/2023/4").text
    data = write_xlsx(tmp_path / "m.xlsx", sheet_rows(month=6)).read_bytes()
    csrf = CSRF.search(c.get(f"{home}/2023/6").text).group(1)
    r = c.post(f"{home}/2023/6/unggah", data={"csrf": csrf}, files={"berkas": ("m.xlsx", data)})
    assert r.status_code == 200 and 'data-status="valid"' in r.text
    sha = hashlib.sha256(data).hexdigest()
    folder = kab.res.settings.inbox_dir / TWIN / "perumahan"
    assert kab.res.unit(TWIN).source_dir("perumahan") == folder
    assert f"portal-2023-06-{sha[:16]}.xlsx" in [p.name for p in folder.iterdir()]
    consolidate(kab.res)
    assert sha in kab.res.warehouse.known_hashes(TWIN) and sha not in kab.res.warehouse.known_hashes(SEED)
    # B's planning team sees B; A's planning team never
    assert sha[:16] in kab.client("rencana-b").get(f"/opd/{TWIN}/bidang/perumahan/2023/6").text
    assert kab.client("rencana").get(f"/opd/{TWIN}/bidang/perumahan/2023/6").status_code == 403


def test_kabupaten_reads_every_opd_and_changes_nothing(kab, tmp_path):
    data = write_xlsx(tmp_path / "k.xlsx", sheet_rows(month=7)).read_bytes()
    inbox = kab.res.settings.inbox_dir
    files_before = sorted(inbox.rglob("*"))
    jobs_before = len(kab.jobs.history)
    wrong = []
    for method, path in routes(kab.app):
        for opd in (TWIN, SEED) if "{opd}" in path else (None,):
            r = send(kab.client("kabupaten"), method, url(path, opd or SEED, kab.sha[opd or SEED]), data)
            rule = ALLOW.get(f"{method} {path}")
            assert rule is not None, f"{method} {path}: a route with no declared rule"
            if method == "POST" and path not in ("/masuk", "/keluar"):
                ok = r.status_code in (401, 403)  # every write refused (the API wants a token)
            elif rule in WRITE_RULES:
                ok = r.status_code == 403  # the form page is a bidang's own
            else:
                ok = r.status_code in (200, 303) or (path == "/masuk" and r.status_code == 401)
            if not ok:
                wrong.append((method, path, opd, r.status_code))
    assert wrong == []
    assert sorted(inbox.rglob("*")) == files_before and len(kab.jobs.history) == jobs_before
    k = kab.client("kabupaten")
    overview = k.get("/kabupaten?tahun=2023").text
    assert (
        f'href="/opd/{TWIN}/perencana?tahun=2023"' in overview and f'href="/opd/{SEED}/perencana' in overview
    )
    assert "rekap-2023-Q1.json" in overview
    assert MARK in k.get("/kabupaten/rekap/2023/rekap-2023-Q1.json").text
    assert "lakip-kabupaten-2023.json" in overview  # the kabupaten's LKjIP feed too
    assert MARK in k.get("/kabupaten/rekap/2023/lakip-kabupaten-2023.json").text
    assert kab.sha_b[:16] in k.get(f"/opd/{TWIN}/bidang/perumahan/2023/4").text
    assert MARK in k.get(f"/opd/{TWIN}/peringatan").text
    assert TWIN in k.get(f"/opd/{TWIN}/laporan/2023/iku-2023-Q1.json").text
    assert "Jalankan konsolidasi" not in k.get(f"/opd/{TWIN}/perencana").text
    # an OPD's planning team never sees the recap (it holds every OPD's data)
    assert kab.client("rencana").get("/kabupaten").status_code == 403


def test_old_one_opd_addresses_lead_to_the_accounts_own_opd(kab):
    """Bookmarks of the one-OPD portal (/bidang/..., /perencana) still work, and
    only ever lead into the account's own OPD."""
    assert kab.client("rumah-b").get("/bidang/perumahan/2023/4").headers["location"] == (
        f"/opd/{TWIN}/bidang/perumahan/2023/4"
    )
    assert kab.client("rencana").get("/perencana?tahun=2023").headers["location"] == (
        f"/opd/{SEED}/perencana?tahun=2023"
    )
    assert kab.client("kabupaten").get("/laporan").headers["location"] == "/kabupaten"
    assert httpx.get(f"{kab.url}/perencana", timeout=180).headers["location"] == "/masuk"
    assert kab.client("rencana").get("/lain").status_code == 404
