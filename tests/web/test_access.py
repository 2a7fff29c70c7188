"""Every route of the portal, tried as every role: anonymous, bidang A
(perumahan), bidang B (perkim), perencana and kabupaten. The expected answer
comes from this test's own table, not from the application's."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest
from budgetkit import with_programs
from sheetkit import sheet_rows, write_xlsx
from webkit import CSRF, consolidate

from iku.web.deps import ALLOW

A = "/opd/disperkim-tjb"  # the one OPD of the shipped configuration
SESSION_ENDS = {"/keluar", "/masuk"}
ROLES = ["anonymous", "bidang_a", "bidang_b", "perencana", "kepala", "keuangan", "kabupaten"]
SIGNED_IN = set(ROLES) - {"anonymous"}
READERS = {"perencana", "kepala", "kabupaten"}  # read every page of the OPD
MONTH = "/opd/{opd}/bidang/{bidang}/{year:int}/{month:int}"
QUARTER = "/opd/{opd}/triwulan/{year:int}/{quarter:int}"
# who may pass each route, for routes about bidang A's (perumahan's) data
EXPECTED = {
    "GET /masuk": set(ROLES),
    "POST /masuk": set(ROLES),
    "GET /static/portal.css": set(ROLES),
    "POST /keluar": SIGNED_IN,
    "GET /": SIGNED_IN,
    "GET /panduan/{guide}": SIGNED_IN,
    "GET /opd/{opd}/bidang/{bidang}": {"bidang_a", *READERS},
    f"GET {MONTH}": {"bidang_a", *READERS},
    f"GET {MONTH}/templat": {"bidang_a", *READERS},
    f"POST {MONTH}/unggah": {"bidang_a"},
    f"GET {MONTH}/isian": {"bidang_a"},
    f"POST {MONTH}/isian": {"bidang_a"},
    f"POST {MONTH}/bukti": {"bidang_a", "perencana"},
    f"POST {MONTH}/verifikasi": {"perencana"},
    f"POST {MONTH}/kembalikan": {"perencana"},
    "GET /opd/{opd}/berkas/{sha256}": {"bidang_a", *READERS},
    "GET /opd/{opd}/bukti/{sha256}": {"bidang_a", *READERS},
    "GET /opd/{opd}/perencana": READERS,
    "GET /opd/{opd}/laporan": READERS,
    "GET /opd/{opd}/laporan/{year:int}/{name}": READERS,
    "POST /opd/{opd}/jalankan": {"perencana"},
    "GET /opd/{opd}/peringatan": READERS,
    "GET /opd/{opd}/audit": READERS,
    "GET /opd/{opd}/perlu-dicek": READERS,
    f"POST {QUARTER}/setujui": {"kepala"},
    f"POST {QUARTER}/buka": {"kepala"},
    "GET /opd/{opd}/anggaran": {"keuangan", *READERS},
    "GET /opd/{opd}/anggaran/templat/{year:int}/{month:int}": {"keuangan", *READERS},
    "POST /opd/{opd}/anggaran/unggah": {"perencana", "keuangan"},
    "GET /kabupaten": {"kabupaten"},
    "GET /kabupaten/rekap/{year:int}/{recap}": {"kabupaten"},
    "POST /api/submissions": set(),  # a session is never a token: see test_api_by_token below
    "POST /api/evidence": set(),
}


@pytest.fixture
def portal(portal_factory, config_copy):
    """The shipped OPD with programs (the budget template needs them)."""
    return portal_factory(config_dir=with_programs(config_copy))


def concrete(path: str, sha: str) -> str:
    return (
        path.replace("{opd}", "disperkim-tjb")
        .replace("{bidang}", "perumahan")
        .replace("{year:int}", "2023")
        .replace("{month:int}", "4")
        .replace("{sha256}", sha)
        .replace("{name}", "iku-2023-Q1.json")
        .replace("{recap}", "rekap-2023-Q1.json")
        .replace("{quarter:int}", "2")
        .replace("{guide}", "bidang")
    )


def passed(r: httpx.Response) -> bool:
    if r.status_code in (401, 403, 404):
        return False
    return not (
        r.status_code == 303 and r.headers["location"].endswith("/masuk") and r.request.method == "GET"
    )


def route_keys(app) -> list[str]:
    """Every route of the app's own route table, as "METHOD /path"."""
    return [f"{m} {r.path}" for r in app.routes for m in sorted(r.methods or ()) if m != "HEAD"]


def test_every_route_is_declared(portal):
    routes = route_keys(portal.app)
    assert [k for k in routes if k not in ALLOW] == []  # a route without a rule in the app
    assert [k for k in routes if k not in EXPECTED] == []  # a route this test has no answer for
    assert set(routes) == set(ALLOW) == set(EXPECTED)


def test_every_route_as_every_role(portal, tmp_path):
    data = write_xlsx(tmp_path / "a.xlsx", sheet_rows()).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    (portal.res.source_dir("perumahan")).mkdir(parents=True)
    (portal.res.source_dir("perumahan") / "a.xlsx").write_bytes(data)
    consolidate(portal.res)
    # the same bytes as bukti dukung of perumahan's first indicator (an XLSX is a kind of evidence)
    from iku.warehouse.sakip import Sakip

    indicator = portal.res.config.catalogue.indicators_of("perumahan")[0].code
    Sakip(portal.res.warehouse).record_evidence(
        portal.res.opd,
        "perumahan",
        indicator,
        2023,
        4,
        "a.xlsx",
        data,
        archive_root=portal.res.settings.archive_dir,
        actor="uji",
        role="operator",
    )
    reports = portal.res.output_dir / "2023"
    reports.mkdir(parents=True)
    (reports / "iku-2023-Q1.json").write_text("{}")
    (reports / "rekap-2023-Q1.json").write_text("{}")
    outcome = {}
    undeclared = [key for key in route_keys(portal.app) if key not in EXPECTED or key not in ALLOW]
    assert undeclared == []  # a new route must get a rule in the app and an answer here
    for role in ROLES:
        signed_in = portal.client(None if role == "anonymous" else role)  # one sign-in (scrypt) per role
        for key in route_keys(portal.app):
            method, path = key.split(" ", 1)
            # signing out or in again ends a session: those two on a client of their own (a
            # session lost on the way would refuse routes the table allows: a failure, never a pass)
            client = (
                portal.client(None if role == "anonymous" else role) if path in SESSION_ENDS else signed_in
            )
            token = CSRF.search(client.get("/masuk", follow_redirects=True).text)
            csrf = token.group(1) if token else ""
            url = concrete(path, sha)
            if method == "GET":
                r = client.get(url)
            elif url.endswith("/unggah"):
                r = client.post(url, data={"csrf": csrf}, files={"berkas": ("x.csv", b"a;b\n")})
            elif url == "/api/submissions":
                r = client.post(url, files={"file": ("x.csv", b"a;b\n")})
            elif url == "/masuk":
                # a name of its own per role: the sign-in throttle must not answer in place of the check
                r = client.post(url, data={"csrf": csrf, "username": f"x-{role}", "password": "y"})
                outcome[(role, key)] = r.status_code == 401  # reached the password check
                continue
            elif url.endswith("/jalankan"):
                r = client.post(url, data={"csrf": csrf, "tugas": "tidak-ada"})
            else:
                r = client.post(url, data={"csrf": csrf})
            outcome[(role, key)] = passed(r)
    wrong = [(role, key) for (role, key), ok in outcome.items() if ok != (role in EXPECTED[key])]
    assert wrong == []
    # only bidang A's two posts (an unreadable csv, an empty form) reached its folder
    names = sorted(p.name for p in portal.res.source_dir("perumahan").iterdir())
    assert len(names) == 3 and names[0] == "a.xlsx"
    assert names[1].startswith("portal-2023-04-") and names[2].startswith("portal-tanpa-periode-")
    assert not portal.res.source_dir("perkim").exists()


def test_bidang_b_reaches_its_own_pages_only(portal):
    b = portal.client("bidang_b")
    assert b.get(f"{A}/bidang/perkim/2023/4").status_code == 200
    assert b.get(f"{A}/bidang/perkim/2023/4/isian").status_code == 200
    assert b.get(f"{A}/bidang/perumahan/2023/4").status_code == 403
    assert b.get("/").headers["location"] == f"{A}/bidang/perkim"
    assert (
        b.get("/bidang/perkim/2023/4?x=1").headers["location"] == f"{A}/bidang/perkim/2023/4?x=1"
    )  # old bookmark
    assert (
        portal.client("kabupaten").get("/perencana").headers["location"] == f"{A}/perencana"
    )  # the only OPD
    # unknown bidang, years outside the Renstra and odd months are not found
    assert b.get(f"{A}/bidang/tidak-ada/2023/4").status_code == 404
    assert b.get(f"{A}/bidang/perkim/2031/4").status_code == 404
    assert b.get(f"{A}/bidang/perkim/2023/13").status_code == 404


def test_kabupaten_reads_but_never_writes(portal):
    k = portal.client("kabupaten")
    assert k.get("/").headers["location"] == "/kabupaten"
    assert f'href="{A}/perencana?tahun=' in k.get("/kabupaten").text  # it picks the OPD
    page = k.get(f"{A}/perencana")
    assert page.status_code == 200 and "Jalankan konsolidasi" not in page.text
    assert "Tulis laporan" not in k.get(f"{A}/laporan").text
    assert "Kirim berkas" not in k.get(f"{A}/bidang/perumahan/2023/4").text


def test_an_account_of_another_opd_sees_nothing_here(portal):
    portal.add_account("dinkes-plan", "perencana", None, opd="dinkes-tjb")
    c = httpx.Client(base_url=portal.url)
    csrf = CSRF.search(c.get("/masuk").text).group(1)
    r = c.post("/masuk", data={"csrf": csrf, "username": "dinkes-plan", "password": "kata-sandi-uji-123"})
    assert r.status_code == 303
    for url in (f"{A}/perencana", f"{A}/laporan", f"{A}/peringatan", f"{A}/bidang/perumahan/2023/4", "/"):
        assert c.get(url).status_code == 403, url


def test_api_by_token(portal, tmp_path):
    """The token decides: each bidang's token writes only to its own folder."""
    data = write_xlsx(tmp_path / "b.xlsx", sheet_rows(bidang="perkim")).read_bytes()
    for role, folder in (("bidang_a", "perumahan"), ("bidang_b", "perkim")):
        r = httpx.post(
            f"{portal.url}/api/submissions",
            headers={"authorization": f"Bearer {portal.tokens[role]}"},
            files={"file": ("b.xlsx", data)},
            timeout=180,
        )
        assert r.status_code == 200 and r.json()["bidang"] == folder
        assert r.json()["status"] == ("valid" if folder == "perkim" else "invalid")
        assert any(re.match(r"portal-2023-04-", p.name) for p in portal.res.source_dir(folder).iterdir())


def test_a_removed_account_is_signed_out_at_once(portal):
    from iku.warehouse.accounts import Accounts

    c = portal.client("bidang_b")
    assert c.get(f"{A}/bidang/perkim").status_code == 200
    assert Accounts(portal.res.warehouse).remove("kumuh")
    assert c.get(f"{A}/bidang/perkim").headers["location"] == "/masuk"
    r = httpx.post(
        f"{portal.url}/api/submissions",
        headers={"authorization": f"Bearer {portal.tokens['bidang_b']}"},
        files={"file": ("x.csv", b"a;b\n")},
        timeout=180,
    )
    assert r.status_code == 401
