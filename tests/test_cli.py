"""The command line as a user runs it: exit codes and the status JSON (CONTRACT §5).

Every exit code is held here through the installed script, a process of its
own; the parametrised cases of one rule run in this process (tests/clikit.py,
the same App.__call__), a second of CPU less each, and so do the consolidations
with new sheets (3 s of GX import each as processes; tests/test_crash_safety.py
and tests/test_hostile_inbox.py run them as processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clikit import iku
from sheetkit import sheet_rows, write_xlsx

IKU = str(Path(sys.executable).with_name("iku"))


def run(*args, env=None):
    return subprocess.run(
        [IKU, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120
    )


def test_status_json_has_every_month_and_contract_fields(iku_env):
    result = run("status", "--year", "2023", "--as-of", "2023-05-10", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["year"] == 2023 and len(body["submissions"]) == 24
    first = body["submissions"][0]
    # §7's keys, and §12's verification and lock (with the return note, who and when)
    assert set(first) == {"bidang", "month", "status", "received_at", "verification", "locked"} | {
        "verification_note",
        "verification_by",
        "verification_at",
        "warnings",  # "perlu dicek" kept with the current submission
        "evidence_missing",  # indicators requiring bukti dukung without it
    }
    assert (first["verification"], first["locked"]) == (None, False)  # nothing valid came
    by = {(s["bidang"], s["month"]): s["status"] for s in body["submissions"]}
    assert by[("perumahan", 3)] == "missing" and by[("perumahan", 4)] == "pending"


def test_bad_arguments_and_configuration_exit_non_zero_with_one_line(iku_env, config_copy):
    bad = run("report", "--period", "2023-Q7")
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0 and "2023-Q7" in bad.stderr
    (config_copy / "pipeline.yaml").write_text("deadline_day: 40\npredicates: []\n")
    broken = run("status", "--year", "2023", env={"IKU_CONFIG_DIR": str(config_copy)})
    assert broken.returncode == 3
    assert "pipeline.yaml: deadline_day" in broken.stderr and broken.stderr.strip().count("\n") == 0


def test_unreachable_warehouse_exits_non_zero(iku_env):
    result = run(
        "status",
        "--year",
        "2023",
        env={"IKU_WAREHOUSE_URL": "postgresql+psycopg://x@127.0.0.1:1/x?connect_timeout=2"},
    )
    assert result.returncode == 4 and "gudang data tidak dapat dibuka" in result.stderr
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("url", "code", "said"),
    [
        ("garbage", 3, "bukan URL gudang data SQLAlchemy"),
        ("foo://", 3, "basis data 'foo' tidak didukung"),
        ("mysql://a@127.0.0.1:1/x", 3, "pustakanya tidak terpasang"),
        ("sqlite://", 3, "SQLite di memori kehilangan semua data"),  # loaded, then lost at exit
        ("sqlite:///:memory:", 3, "SQLite di memori"),
        ("sqlite:///{notes}", 4, "file is not a database"),
    ],
)
def test_a_warehouse_url_that_cannot_work_is_told_in_one_line(iku_env, url, code, said):
    """Found by a hostile run: these ended as 'kesalahan tak terduga' (exit 1), or
    an in-memory SQLite loaded every file and forgot it at exit (exit 0)."""
    notes = iku_env / "catatan.txt"
    notes.write_text("bukan basis data\n" * 200, encoding="utf-8")
    result = iku("consolidate", env={"IKU_WAREHOUSE_URL": url.replace("{notes}", str(notes))})
    assert result.returncode == code and said in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert notes.read_text(encoding="utf-8") == "bukan basis data\n" * 200  # opened, never written


@pytest.mark.prefect
def test_template_then_consolidate_it_roundtrip(iku_env, prefect_server):
    """The sheet `iku template` writes, filled in as a person would, is consolidated
    as valid and its figures land in the warehouse."""
    import openpyxl

    from flows.consolidate import consolidate_flow
    from iku.resources import build_resources
    from iku.sheet_template import HEADER, HEADER_ROW

    out = iku_env / "inbox" / "perumahan" / "template.xlsx"
    result = run("template", "--bidang", "perumahan", "--period", "2023-04", "--out", str(out))
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    ws = wb["Realisasi"]
    code_col, value_col = HEADER.index("Kode Indikator") + 1, HEADER.index("Realisasi") + 1
    typed = {"IKU-01": 3, "IKU-02": 12, "IKU-03": 0, "IKU-05": 7.5}
    for row in range(HEADER_ROW + 2, HEADER_ROW + 2 + len(typed)):
        ws.cell(row, value_col, typed[ws.cell(row, code_col).value])
    wb.save(out)

    summary = consolidate_flow()
    assert (summary["new_files"], summary["valid"]) == (1, 1), summary
    res = build_resources()
    values = {v.indicator: (v.month, v.realisation) for v in res.warehouse.current_values(res.opd, 2023)}
    assert values == {code: (4, float(v)) for code, v in typed.items()}


def test_consolidate_with_nothing_new_answers_without_prefect(iku_env):
    result = run("consolidate", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})  # nothing listens there
    assert result.returncode == 0, result.stderr
    assert "0 berkas baru" in result.stdout


def test_report_runs_in_its_own_process_without_prefect(iku_env, sheets):
    """`iku report` renders without a Prefect flow: no server is needed (none
    listens at PREFECT_API_URL), and it logs what the flow logged, on stderr."""
    result = run(
        "report", "--period", "2023-Q1", env={"PREFECT_API_URL": "http://127.0.0.1:9/api", "IKU_CHROMIUM": ""}
    )
    assert result.returncode == 0, result.stderr
    written = result.stdout.split()
    assert [Path(p).name for p in written] == ["iku-2023-Q1.html", "iku-2023-Q1.xlsx", "iku-2023-Q1.json"]
    assert all(Path(p).exists() for p in written)
    assert "2023-Q1: 5 indikator" in result.stderr and "ditulis " in result.stderr
    assert "indeks: " in result.stderr and "Flow run" not in result.stderr
    # in the operator's words (issue 17 M9): PDFs switched off are said once, as information
    assert "wrote " not in result.stderr and "indicators" not in result.stderr
    assert "INFO    | PDF tidak dibuat (dimatikan: IKU_CHROMIUM kosong): iku-2023-Q1.pdf" in result.stderr


def one_line(result) -> str:
    """The failure's single line on stderr (and nothing else there)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("iku: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--period", "1999"),
        ("report", "--period", "2021-Q4"),
        ("report", "--period", "2030"),
        ("report", "--period", "99999"),
        ("lakip", "--year", "1999"),
        ("status", "--year", "1999"),
        ("status", "--year", "99999"),
        ("template", "--bidang", "perumahan", "--period", "2027-01", "--out", "x.xlsx"),
        ("check-missing", "--period", "2021-12"),
        ("demo", "--year", "2021"),
    ],
)
def test_every_command_refuses_a_year_outside_the_renstra(iku_env, args):
    result = iku(*args)
    assert result.returncode == 2
    assert "di luar periode Renstra 2022–2026" in one_line(result)
    assert not (iku_env / "out").exists()  # nothing written, not even an empty report


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("status",), "opsi --year wajib diisi"),
        (("status", "--year", "abc"), "--year: harus bilangan bulat"),
        (("status", "--year", "2023", "--bogus"), "opsi tidak dikenal: --bogus"),
        (("frob",), "perintah tidak dikenal: frob"),
        (("report", "--period", "2023-Q7"), "periode '2023-Q7' bukan YYYY atau YYYY-Qn"),
        (("status", "--year", "2023", "--as-of", "kemarin"), "tanggal acuan 'kemarin' bukan tanggal"),
    ],
)
def test_usage_errors_are_one_indonesian_line_exit_2(iku_env, args, expected):
    result = iku(*args)
    assert result.returncode == 2 and expected in one_line(result)


def test_help_is_indonesian():
    result = run("--help")
    assert result.returncode == 0
    for words in ("Perintah", "Opsi", "Tampilkan bantuan ini lalu keluar", "Matriks penyampaian"):
        assert words in result.stdout
    assert "Show this message" not in run("status", "--help").stdout


@pytest.mark.parametrize(
    ("file", "edit", "expected"),
    [
        (
            "pipeline.yaml",
            ("timezone: Asia/Jakarta", "timezone: Asia/Jakrta"),
            "zona waktu 'Asia/Jakrta' tidak dikenal",
        ),
        (
            "pipeline.yaml",
            ("deadline_day: 10", "deadline_day: 10\ndeadline_day: 12"),
            "kunci 'deadline_day' ditulis dua kali",
        ),
        ("opd.yaml", ("targets: {2022: 20,", "targets: {2022: -20,"), "target 2022 negatif"),
        ("opd.yaml", ("email: []", 'email: ["perumahan@x.go.id\\r\\nBcc: semua@x.go.id"]'), "alamat e-mail"),
    ],
)
def test_configuration_faults_exit_3_with_one_line(iku_env, config_copy, file, edit, expected):
    path = config_copy / file
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    result = iku("status", "--year", "2023", env={"IKU_CONFIG_DIR": str(config_copy)})
    assert result.returncode == 3
    line = one_line(result)
    assert f"{file}" in line and expected in line


def test_an_address_with_a_line_break_in_the_environment_exits_3(iku_env):
    result = run("status", "--year", "2023", env={"IKU_ALERT_EMAIL_TO": "a@x.go.id\r\nBcc: b@x.go.id"})
    assert result.returncode == 3 and "IKU_ALERT_EMAIL_TO" in one_line(result)


def test_unwritable_output_or_archive_exits_5(iku_env, sheets):
    blocker = iku_env / "a-file"
    blocker.write_text("not a folder")
    report = run("report", "--period", "2023-Q1", env={"IKU_OUTPUT_DIR": str(blocker / "out")})
    assert report.returncode == 5 and "tidak dapat ditulis" in one_line(report)
    sheets.xlsx(iku_env / "inbox" / "perumahan" / "04.xlsx", sheets.rows(month=4))
    consolidate = run("consolidate", env={"IKU_ARCHIVE_DIR": str(blocker / "archive")})
    assert consolidate.returncode == 5 and "folder arsip" in one_line(consolidate)


def test_a_folder_where_the_archive_copy_belongs_stops_the_load_in_one_line(iku_env, sheets):
    """Found by a hostile run: the file was recorded as archived at a folder's path."""
    import hashlib

    sheet = sheets.xlsx(iku_env / "inbox" / "perumahan" / "04.xlsx", sheets.rows(month=4))
    sha = hashlib.sha256(sheet.read_bytes()).hexdigest()
    (iku_env / "archive" / sha[:2] / f"{sha}.xlsx").mkdir(parents=True)
    result = iku("consolidate")
    last = result.stderr.strip().splitlines()[-1]  # after the run's log lines
    assert result.returncode == 5 and "sudah ada sebagai folder" in last and "Traceback" not in result.stderr
    status = run("status", "--year", "2023", "--json")
    april = [c for c in json.loads(status.stdout)["submissions"] if c["month"] == 4]
    assert {c["status"] for c in april} != {"on_time"} and all(c["received_at"] is None for c in april)


def test_an_unexpected_error_is_one_line_exit_1_and_debug_shows_the_traceback(iku_env):
    env = {"IKU_TEST_FAIL_AT": "consolidate-start"}
    plain = run("consolidate", env=env)
    assert plain.returncode == 1
    line = one_line(plain)
    assert "kesalahan tak terduga" in line and "--debug" in line
    debug = run("--debug", "consolidate", env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == line


def test_status_as_of_shows_the_state_on_that_date(iku_env):
    """February arrives on 15 March, late: on 11 March it was still missing."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from iku.domain.model import SubmissionRecord, ValueRow
    from iku.warehouse import Warehouse

    wh = Warehouse(os.environ["IKU_WAREHOUSE_URL"])
    wh.migrate()
    wh.record_many(
        "disperkim-tjb",
        [
            SubmissionRecord(
                sha256="f" * 64,
                bidang="perumahan",
                file_name="februari.xlsx",
                source_path="/inbox/perumahan/februari.xlsx",
                archive_path="/archive/ff",
                size_bytes=10,
                received_at=datetime(2023, 3, 15, 9, tzinfo=ZoneInfo("Asia/Jakarta")),
                status="valid",
                year=2023,
                month=2,
                values=[ValueRow("IKU-01", 1.0, None, None, None, 2)],
            )
        ],
    )
    wh.engine.dispose()

    def february(as_of):
        result = iku("status", "--year", "2023", "--as-of", as_of, "--json")
        assert result.returncode == 0, result.stderr
        return {(s["bidang"], s["month"]): s["status"] for s in json.loads(result.stdout)["submissions"]}[
            ("perumahan", 2)
        ]

    assert february("2023-03-11") == "missing"
    assert february("2023-03-20") == "late"
    table = iku("status", "--year", "2023", "--as-of", "2023-03-20")
    assert table.returncode == 0 and "Status penyampaian 2023" in table.stdout
    assert "terlambat" in table.stdout  # the legend, in Indonesian


@pytest.mark.prefect
def test_consolidate_prints_each_problem_and_ends_with_one_summary_line(iku_env, sheets, prefect_api_url):
    rows = sheets.rows("perkim", pembilang=200)  # more than the penyebut 98,5
    sheets.xlsx(iku_env / "inbox" / "perkim" / "april.xlsx", rows)
    sheets.xlsx(iku_env / "inbox" / "perumahan" / "april.xlsx", sheets.rows(month=4))
    (iku_env / "inbox" / "perumahan" / "rusak.xlsx").write_bytes(b"PK\x03\x04 bukan excel")
    result = iku("consolidate", env={"PREFECT_API_URL": prefect_api_url, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Berkas bermasalah" in out
    for words in (
        "april.xlsx",
        "perkim",
        "tidak valid",
        "pembilang",
        "penyebut (98,5)",
        "rusak.xlsx",
        "tidak terbaca",
    ):
        assert words in out, words
    last = out.strip().splitlines()[-1]
    assert last.startswith("3 berkas baru: 1 valid, 1 tidak valid, 1 tidak terbaca")


@pytest.mark.parametrize("target", ["folder", "fifo", "device", "empty", "too-long"])
def test_template_into_something_that_is_no_file_is_refused_in_one_line(iku_env, target):
    """Found by a hostile run: a folder or an empty name ended in exit 1, /dev/full
    in a traceback, a named pipe hung for ever."""
    out = {
        "folder": str(iku_env),
        "fifo": str(iku_env / "pipa"),
        "device": "/dev/full",
        "empty": "",
        "too-long": str(iku_env / ("x" * 300 + ".xlsx")),
    }[target]
    if target == "fifo":
        os.mkfifo(out)
    result = subprocess.run(
        [IKU, "template", "--bidang", "perumahan", "--period", "2023-04", "--out", out],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 5, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_places_no_file_is_read_from_are_said_on_every_run(iku_env):
    """Found by a hostile run: a mistyped inbox, a folder in the wrong case or a file
    beside the bidang folders were passed over in silence, every run."""
    inbox = iku_env / "inbox"
    write_xlsx(inbox / "Perkim" / "mei.xlsx", sheet_rows("perkim", month=5))
    write_xlsx(inbox / "april.xlsx", sheet_rows(month=4))
    write_xlsx(inbox / "lain" / "x.xlsx", sheet_rows(month=4))
    result = iku("consolidate")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("0 berkas baru")  # the summary stays the last line
    assert f"peringatan: folder sumber bidang perumahan tidak ada: {inbox / 'perumahan'}" in lines
    assert (
        f"peringatan: {inbox / 'Perkim'}: folder tidak dikenal, tidak diproses; maksudnya 'perkim'?" in lines
    )
    assert any(
        line.startswith(f"peringatan: {inbox / 'april.xlsx'}: berkas di luar folder bidang") for line in lines
    )
    assert any(line.startswith(f"peringatan: {inbox / 'lain'}: folder tidak dikenal") for line in lines)
    mistyped = run("consolidate", env={"IKU_INBOX_DIR": str(iku_env / "kotak-masuk")})
    assert mistyped.returncode == 0
    assert "peringatan: kotak masuk" in mistyped.stdout and "(IKU_INBOX_DIR)" in mistyped.stdout


def test_iku_log_level_is_the_switch_for_the_console_lines(iku_env, sheets):
    """Issue 17 M9: IKU_LOG_LEVEL=WARNING keeps only what needs a look; a wrong
    value is a configuration fault (one line, exit 3)."""
    quiet = run("report", "--period", "2023-Q1", env={"IKU_CHROMIUM": "", "IKU_LOG_LEVEL": "warning"})
    assert quiet.returncode == 0, quiet.stderr
    assert "ditulis " not in quiet.stderr and "INFO" not in quiet.stderr
    assert len(quiet.stdout.split()) == 3  # the paths, as before
    wrong = run("report", "--period", "2023-Q1", env={"IKU_LOG_LEVEL": "cerewet"})
    assert wrong.returncode == 3 and "IKU_LOG_LEVEL" in one_line(wrong)
