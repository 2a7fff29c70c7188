"""The SAKIP cycle through the `iku` command (CONTRACT §5, §12): verify,
return, approve, unlock, the audit log, status with verification and locks,
and the Perjanjian Kinerja document. The commands run in this process
(tests/clikit.py: some forty of them, a second of CPU each as processes);
tests/test_cli.py runs the installed script."""

from __future__ import annotations

import getpass
import json
import os
import re
from pathlib import Path

import pytest
from clikit import iku
from kabupatenkit import SEED, TWIN, kabupaten_config
from loopback import WebhookReceiver
from sheetkit import sheet_rows, write_xlsx

from iku.warehouse import Warehouse

BIDANG = ("perumahan", "perkim")  # both have indicators: both are expected for an approval


def run(*args, env=None):
    return iku(*args, env=env)


def ok(*args, env=None) -> str:
    result = run(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def refused(*args) -> str:
    """A transition that is not allowed: exit 2 and its Indonesian reason in one line."""
    result = run(*args)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    said = result.stderr.strip()
    assert said.startswith("iku: ") and "\n" not in said and "Traceback" not in said, said
    return said


def submit(inbox: Path, bidang: str, month: int, value: float = 3, name: str = "") -> None:
    write_xlsx(
        inbox / bidang / f"{bidang}-2024-{month:02d}{name}.xlsx", sheet_rows(bidang, 2024, month, value)
    )


def fill_quarter(env: Path) -> Path:
    """Every bidang's sheets of 2024 Q1 consolidated by `iku consolidate`."""
    for bidang in BIDANG:
        for month in (1, 2, 3):
            submit(env / "inbox", bidang, month)
    assert "6 berkas baru: 6 valid" in ok("consolidate")
    return env


@pytest.fixture
def quarter_in(iku_env):
    return fill_quarter(iku_env)


@pytest.fixture
def quarter_in_both(iku_env, warehouse_url, monkeypatch):
    """quarter_in on SQLite and on PostgreSQL (approve and unlock take the run lock)."""
    monkeypatch.setenv("IKU_WAREHOUSE_URL", warehouse_url)
    return fill_quarter(iku_env)


def submissions(*args) -> dict:
    body = json.loads(ok("status", "--year", "2024", "--json", *args))
    return {(s["bidang"], s["month"]): s for s in body["submissions"]}


@pytest.mark.slow  # several `iku` runs, a consolidation among them
def test_every_transition_and_every_refusal(quarter_in_both):
    quarter_in = quarter_in_both
    said = refused("approve", "--period", "2024-Q1")
    assert said == (
        "iku: Triwulan I 2024 belum dapat disetujui; belum diverifikasi: perumahan Januari (diterima), "
        "perumahan Februari (diterima), perumahan Maret (diterima), perkim Januari (diterima), "
        "perkim Februari (diterima), perkim Maret (diterima)"
    )
    assert "catatan wajib diisi" in refused("return", "--bidang", "perumahan", "--period", "2024-02")
    assert "catatan wajib diisi" in refused(
        "return", "--bidang", "perumahan", "--period", "2024-02", "--note", "   "
    )
    note = "IKU-02 tertulis 1500, seharusnya 15"
    returned = ok("return", "--bidang", "perumahan", "--period", "2024-02", "--note", note, "--by", "sari")
    assert returned.startswith("perumahan Februari 2024: dikembalikan oleh sari (") and "WIB" in returned
    assert returned.rstrip().endswith(f"catatan: {note}")
    assert "sudah dikembalikan" in refused(
        "return", "--bidang", "perumahan", "--period", "2024-02", "--note", "lagi"
    )

    cells = submissions()
    assert cells[("perumahan", 2)]["verification"] == "dikembalikan"
    assert cells[("perumahan", 2)]["verification_note"] == note
    assert cells[("perumahan", 2)]["verification_by"] == "sari"
    assert cells[("perumahan", 1)]["verification"] == "diterima" and not cells[("perumahan", 1)]["locked"]
    assert cells[("perumahan", 5)]["verification"] is None  # nothing valid came for May

    # the month is corrected: the new file starts again at diterima
    submit(quarter_in / "inbox", "perumahan", 2, value=15, name="-perbaikan")
    assert "1 berkas baru: 1 valid" in ok("consolidate")
    assert submissions()[("perumahan", 2)]["verification"] == "diterima"

    verified = ok("verify", "--bidang", "perumahan", "--period", "2024-01")  # --by: the OS user
    assert verified.startswith(f"perumahan Januari 2024: diverifikasi oleh {getpass.getuser()} (")
    assert "sudah diverifikasi" in refused("verify", "--bidang", "perumahan", "--period", "2024-01")
    assert "Mei 2024 belum mempunyai kiriman yang valid" in refused(
        "verify", "--bidang", "perumahan", "--period", "2024-05"
    )
    assert "bidang 'keuangan' tidak dikenal" in refused(
        "verify", "--bidang", "keuangan", "--period", "2024-01"
    )
    assert "di luar periode Renstra" in refused("verify", "--bidang", "perumahan", "--period", "2030-01")
    for bidang in BIDANG:
        for month in ("01", "02", "03"):
            if (bidang, month) != ("perumahan", "01"):
                ok("verify", "--bidang", bidang, "--period", f"2024-{month}", "--by", "sari")
    assert "harus triwulan YYYY-Qn" in refused("approve", "--period", "2024")
    assert "tidak sedang dikunci" in refused("unlock", "--period", "2024-Q1", "--reason", "coba")

    approved = ok("approve", "--period", "2024-Q1", "--by", "Kepala Dinas")
    assert approved.startswith("Triwulan I 2024 disperkim-tjb: disetujui dan dikunci oleh Kepala Dinas (")
    cells = submissions()
    assert all(cells[(b, m)]["locked"] for b in BIDANG for m in (1, 2, 3))
    assert not any(cells[(b, m)]["locked"] for b in BIDANG for m in range(4, 13))
    assert cells[("perumahan", 2)]["verification"] == "diverifikasi"
    assert "sudah disetujui dan dikunci" in refused("approve", "--period", "2024-Q1")
    assert "buka kuncinya dulu (iku unlock)" in refused(
        "return", "--bidang", "perkim", "--period", "2024-03", "--note", "terlambat"
    )
    assert "alasan wajib diisi untuk membuka kunci" in refused("unlock", "--period", "2024-Q1")
    unlocked = ok("unlock", "--period", "2024-Q1", "--reason", "koreksi hasil reviu inspektorat")
    assert unlocked.rstrip().endswith(
        "kunci dibuka oleh " + getpass.getuser() + "; alasan: koreksi hasil reviu inspektorat; "
        "0 bidang-bulan berganti ke kiriman terbaru."
    )
    assert not submissions()[("perumahan", 1)]["locked"]

    log = json.loads(ok("audit", "--json"))["audit"]
    assert [(e["action"], e["actor"], e["target"]) for e in log] == [
        ("return", "sari", "perumahan/2024-02"),
        ("verify", getpass.getuser(), "perumahan/2024-01"),
        *[
            ("verify", "sari", f"{b}/2024-{m:02d}")
            for b in BIDANG
            for m in (1, 2, 3)
            if (b, m) != ("perumahan", 1)
        ],
        ("approve", "Kepala Dinas", "2024-Q1"),
        ("unlock", getpass.getuser(), "2024-Q1"),
    ]
    assert log[0]["note"] == note and log[-1]["note"] == "koreksi hasil reviu inspektorat"
    assert {e["role"] for e in log} == {"operator"} and {e["opd"] for e in log} == {"disperkim-tjb"}
    assert all(e["at"].endswith("+07:00") for e in log)  # WIB
    shown = ok("audit").splitlines()
    assert len(shown) == len(log) + 1 and shown[-1] == f"{len(log)} catatan di log audit."
    assert " WIB  sari (operator)  pengembalian bulan perumahan/2024-02: " + note in shown[0]
    assert "persetujuan triwulan 2024-Q1" in shown[-3] and "buka kunci triwulan 2024-Q1: koreksi" in shown[-2]


@pytest.mark.slow  # several `iku` runs, a consolidation among them
def test_the_status_table_marks_verified_returned_and_locked_months(quarter_in):
    for month in ("01", "02", "03"):
        for bidang in BIDANG:
            ok("verify", "--bidang", bidang, "--period", f"2024-{month}")
    ok("approve", "--period", "2024-Q1")
    submit(quarter_in / "inbox", "perumahan", 4)
    ok("consolidate")
    ok("return", "--bidang", "perumahan", "--period", "2024-04", "--note", "lampiran kurang")
    table = ok("status", "--year", "2024", env={"COLUMNS": "120"})
    header = next(line for line in table.splitlines() if "Bidang" in line)
    assert "01🔒" in header and "03🔒" in header and "04🔒" not in header
    row = next(line for line in table.splitlines() if "perumahan" in line)
    cells = [c.strip() for c in row.split("│")[2:-1]]
    assert cells[:4] == ["Tv", "Tv", "Tv", "Tk"]  # received late (2026), verified / returned
    assert "v diverifikasi  k dikembalikan  🔒 disetujui dan dikunci" in table
    wide = ok("status", "--year", "2024", env={"COLUMNS": "250"})
    assert "terlambat, dikembalikan" in wide and "terlambat, diverifikasi" in wide


@pytest.mark.slow  # several `iku` runs, a consolidation among them
def test_several_opd_need_opd_and_audit_reads_every_opd(iku_env, tmp_path, monkeypatch):
    monkeypatch.setenv("IKU_CONFIG_DIR", str(kabupaten_config(tmp_path / "kab", dinkes=False)))
    for opd in (SEED, TWIN):
        submit(iku_env / "inbox" / opd, "perkim", 1)
    ok("consolidate")
    assert f"pilih satu dengan --opd ({SEED}, {TWIN})" in refused(
        "verify", "--bidang", "perkim", "--period", "2024-01"
    )
    assert "OPD 'lain' tidak dikenal" in refused("approve", "--period", "2024-Q1", "--opd", "lain")
    ok("verify", "--bidang", "perkim", "--period", "2024-01", "--opd", TWIN, "--by", "andi")
    cells = json.loads(ok("status", "--year", "2024", "--json"))["submissions"]
    states = {(c["opd"], c["bidang"], c["month"]): c["verification"] for c in cells}
    assert states[(TWIN, "perkim", 1)] == "diverifikasi" and states[(SEED, "perkim", 1)] == "diterima"
    assert json.loads(ok("audit", "--json", "--opd", SEED)) == {"audit": []}
    every = json.loads(ok("audit", "--json"))["audit"]
    assert [(e["opd"], e["actor"], e["target"]) for e in every] == [(TWIN, "andi", "perkim/2024-01")]
    assert "OPD 'lain' tidak dikenal" in refused("audit", "--opd", "lain")


def test_pk_writes_the_document_and_refuses_a_year_outside_the_renstra(iku_env, tmp_path):
    from iku.reports.pdf import chromium

    written = ok("pk", "--year", "2024").split()
    expected = ["perjanjian-kinerja-2024.html"]
    if chromium():  # the PDF where Chromium is installed (CI installs it)
        expected.append("perjanjian-kinerja-2024.pdf")
    assert [Path(p).name for p in written] == expected
    html = Path(written[0]).read_text(encoding="utf-8")
    assert "PERJANJIAN KINERJA" in html.upper() and "IKU-01" in html
    if len(written) == 2:
        assert Path(written[1]).read_bytes().startswith(b"%PDF-")
    only_html = ok("pk", "--year", "2024", env={"IKU_CHROMIUM": ""}).split()
    assert [Path(p).name for p in only_html] == ["perjanjian-kinerja-2024.html"]
    assert "tahun 2030 di luar periode Renstra 2022–2026" in refused("pk", "--year", "2030")
    assert "bukan" in refused("pk", "--year", "2024", "--as-of", "kemarin")


@pytest.mark.slow  # several `iku` runs, consolidations among them
def test_a_file_for_a_locked_quarter_is_kept_told_and_current_after_unlock(quarter_in_both):
    """CONTRACT §12: consolidate, approve, drop a corrected file, consolidate:
    the figures stay as approved and the file is named `terkunci` with why and
    what to do, alerted once; after `iku unlock` it is the current data."""
    env = quarter_in_both
    for bidang in BIDANG:
        for month in ("01", "02", "03"):
            ok("verify", "--bidang", bidang, "--period", f"2024-{month}", "--by", "sari")
    ok("approve", "--period", "2024-Q1", "--by", "Kepala Dinas")
    before = json.loads(ok("status", "--year", "2024", "--json"))
    submit(env / "inbox", "perumahan", 2, value=15, name="-perbaikan")
    with WebhookReceiver() as hook:
        said = ok("consolidate", env={"IKU_ALERT_WEBHOOK_URL": hook.url}).splitlines()
        assert said[-1].startswith("1 berkas baru: 1 valid (1 terkunci), 0 tidak valid")
        [told] = [line for line in said if line.startswith("terkunci: ")]
        assert told.startswith("terkunci: perumahan-2024-02-perbaikan.xlsx (bidang perumahan, Februari 2024)")
        assert re.search(
            r"Triwulan I 2024 sudah disetujui oleh Kepala Dinas pada \d+ \w+ \d{4} pukul [\d.]+ WIB", told
        )
        assert "minta Kepala Dinas membuka kunci" in told and "iku unlock --period 2024-Q1" in told
        ok("consolidate", env={"IKU_ALERT_WEBHOOK_URL": hook.url})  # nothing new: nothing told again
    assert json.loads(ok("status", "--year", "2024", "--json")) == before  # states as approved
    assert figures("perumahan", 2) == {3.0}  # and the figures
    locked = [b for b in hook.bodies if b["kind"] == "locked_submission"]
    assert len(locked) == 1 and locked[0]["file"] == "perumahan-2024-02-perbaikan.xlsx"
    assert (locked[0]["bidang"], locked[0]["month"], locked[0]["quarter"]) == ("perumahan", 2, "2024-Q1")
    assert locked[0]["approved_by"] == "Kepala Dinas" and "terkunci" in locked[0]["message"]

    unlocked = ok("unlock", "--period", "2024-Q1", "--reason", "perbaikan Februari")
    assert "1 bidang-bulan berganti ke kiriman terbaru." in unlocked
    assert figures("perumahan", 2) == {15.0}  # the usual revision rule: the latest file
    assert submissions()[("perumahan", 2)]["verification"] == "diterima"


def figures(bidang: str, month: int) -> set:
    """The current realisation figures of a bidang-month of 2024, from the warehouse."""
    wh = Warehouse(os.environ["IKU_WAREHOUSE_URL"])
    try:
        return {
            v.realisation
            for v in wh.current_values("disperkim-tjb", 2024)
            if (v.bidang, v.month) == (bidang, month)
        }
    finally:
        wh.engine.dispose()


@pytest.mark.slow  # `iku` runs, a consolidation among them
def test_consolidate_and_status_tell_the_plausibility_warnings(quarter_in):
    submit(quarter_in / "inbox", "perumahan", 4, value=3000)  # 3 a month before: a slipped digit?
    said = ok("consolidate").splitlines()
    assert said[-1].startswith("1 berkas baru: 1 valid, 0 tidak valid")  # a warning, no refusal
    told = [line for line in said if line.startswith("perlu dicek: ")]
    assert told[0] == (
        "perlu dicek: perumahan-2024-04.xlsx (bidang perumahan, April 2024): IKU-01 bernilai 3.000, "
        "1.000 kali bulan tertinggi sebelumnya (3) (berkas tetap diterima)"
    )
    assert len(told) == 4  # each of perumahan's indicators
    cells = submissions()
    assert [w["indicator"] for w in cells[("perumahan", 4)]["warnings"]] == [
        "IKU-01",
        "IKU-02",
        "IKU-03",
        "IKU-05",
    ]
    assert (
        cells[("perumahan", 4)]["warnings"][0]["rule"] == "jump" and cells[("perumahan", 3)]["warnings"] == []
    )


@pytest.mark.slow  # `iku` runs, a consolidation among them
def test_status_flags_a_month_without_required_evidence(quarter_in, config_copy):
    opd = config_copy / "opd.yaml"
    opd.write_text(
        opd.read_text(encoding="utf-8").replace(
            "  - code: IKU-01\n", "  - code: IKU-01\n    evidence_required: true\n", 1
        ),
        encoding="utf-8",
    )
    body = json.loads(ok("status", "--year", "2024", "--json", env={"IKU_CONFIG_DIR": str(config_copy)}))
    cells = {(s["bidang"], s["month"]): s["evidence_missing"] for s in body["submissions"]}
    assert [cells[("perumahan", m)] for m in (1, 2, 3, 4)] == [["IKU-01"], ["IKU-01"], ["IKU-01"], []]
    assert cells[("perkim", 1)] == []  # IKU-01 is perumahan's
