"""The command line as a user runs it: exit codes and the status JSON (CONTRACT §5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert set(first) == {"bidang", "month", "status", "received_at"}
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
    assert result.returncode == 4 and "cannot open warehouse" in result.stderr


def test_template_then_consolidate_it_roundtrip(iku_env, tmp_path):
    out = iku_env / "inbox" / "perumahan" / "template.xlsx"
    result = run("template", "--bidang", "perumahan", "--period", "2023-04", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_consolidate_with_nothing_new_answers_without_prefect(iku_env):
    result = run("consolidate", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})  # nothing listens there
    assert result.returncode == 0, result.stderr
    assert "0 berkas baru" in result.stdout
