"""`iku lakip --year Y` over every OPD also writes the kabupaten's own feed
(lakip-kabupaten-Y): each IKU of rpjmd.yaml year by year, from the very figures
the feeding OPD's own LKjIP feed shows (monthly sheets or imported history)."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from clikit import iku as run
from kabupatenkit import DINKES, EXAMPLES, SEED, dinkes_rows, kabupaten_config
from sheetkit import sheet_rows, write_xlsx
from test_import_history import HEADER
from test_import_history import write_xlsx as write_history

from .conftest import page_sizes, print_pdf


def _installation(iku_env, monkeypatch):
    config = kabupaten_config(iku_env / "config", twin=False)
    shutil.copy(EXAMPLES / "dpmptsp-tjb.yaml", config / "opd")
    shutil.copy(EXAMPLES / "rpjmd" / "rpjmd.yaml", config / "rpjmd.yaml")
    monkeypatch.setenv("IKU_CONFIG_DIR", str(config))
    inbox = iku_env / "inbox"
    for month in (1, 2, 3):
        rows = sheet_rows(month=month, value=40)
        if month == 3:  # the bidang says why, in the faktor columns (CONTRACT §2)
            rows = [rows[0] + ["faktor_pendorong", "faktor_penghambat", "tindak_lanjut"]] + [
                r
                + (["DAK cair tepat waktu", "hujan", "percepat lelang"] if r[3] == "IKU-01" else ["", "", ""])
                for r in rows[1:]
            ]
        write_xlsx(inbox / SEED / "perumahan" / f"{month}.xlsx", rows)
    write_xlsx(inbox / DINKES / "kesmas" / "1.xlsx", dinkes_rows(month=1))
    assert run("consolidate").returncode == 0
    history = write_history(
        iku_env / "riwayat.xlsx",
        [HEADER, ["IKU-01", 2022, 15, "LKjIP 2022", None], ["IKU-02", 2022, 120, "LKjIP 2022", None]],
    )
    imported = run("import-history", "--file", str(history), "--opd", SEED)
    assert imported.returncode == 0, imported.stderr
    return iku_env / "out" / "2023"


def test_the_kabupaten_feed_compares_its_iku_across_years(iku_env, monkeypatch):
    out = _installation(iku_env, monkeypatch)
    result = run("lakip", "--year", "2023")
    assert result.returncode == 0, result.stderr
    assert (out / SEED / "lakip-2023.json").is_file()  # every OPD's own feed, as before
    doc = json.loads((out / "lakip-kabupaten-2023.json").read_text(encoding="utf-8"))
    assert doc["year"] == 2023 and doc["years"] == [2022, 2023]
    ikd01, ikd02, ikd03 = doc["indicators"]

    # sum of the seed's IKU-01 and IKU-02: 2022 from imported history, 2023 from the sheets
    assert ikd01["end_target"] == {"year": 2026, "target": 170}
    y2022, y2023 = ikd01["years"]
    assert (y2022["realisation"], y2022["target"], y2022["achievement_pct"]) == (135, None, None)
    assert y2022["why"] == "target belum ditetapkan"
    assert [(f["indicator"], f["realisation"], f["source"]) for f in y2022["feeds"]] == [
        ("IKU-01", 15, "history"),
        ("IKU-02", 120, "history"),
    ]
    assert (y2023["realisation"], y2023["target"]) == (240, 170)  # 3 months x 40, twice
    assert y2023["achievement_pct"] == round(240 / 170 * 100, 2) and y2023["predicate"] == "Sangat Tinggi"

    # a lower-is-better level: the latest month; a year with no data has no figure, and says so
    assert [(y["year"], y["realisation"]) for y in ikd02["years"]] == [(2022, None), (2023, 22.5)]
    assert ikd02["years"][1]["achievement_pct"] == round((2 * 14 - 22.5) / 14 * 100, 2)
    assert ikd02["years"][0]["missing"] == [f"{DINKES}/IKU-02"]
    assert ikd03["years"][1]["why"].startswith("data belum lengkap")  # the DPMPTSP sent nothing

    # why: the faktor the feeding OPD's bidang wrote, as its own feed gathers them
    cause = ikd01["causes"][0]
    assert (cause["opd"], cause["indicator"]) == (SEED, "IKU-01")
    assert [(c["text"], c["months"]) for c in cause["supporting"]] == [("DAK cair tepat waktu", [3])]
    assert [c["text"] for c in cause["inhibiting"]] == ["hujan"] and ikd01["causes"][1]["supporting"] == []

    book = openpyxl.load_workbook(out / "lakip-kabupaten-2023.xlsx")
    assert book.sheetnames == [
        "IKU Kabupaten",
        "Sumber OPD",
        "Analisis Penyebab",
        "Anggaran Perangkat Daerah",
    ]
    # no OPD here configures programs: each OPD listed, no figure, the reason in words
    money = [[c.value for c in row] for row in book["Anggaran Perangkat Daerah"].iter_rows(min_row=5)]
    assert len(money) == len(doc["opd_budget"]) and money[0][2] == "– belum ada data realisasi anggaran"
    assert all(b["pagu"] is None and b["absorption_pct"] is None for b in doc["opd_budget"])
    why = [c.value for c in book["Analisis Penyebab"][5]]
    assert why[0] == "IKD-01" and why[5] == "• DAK cair tepat waktu (Maret)" and why[6] == "• hujan (Maret)"
    sheet = book["IKU Kabupaten"]
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["No", "Kode", "Indikator Kinerja", "Satuan"]
    assert header[4:10] == ["Target 2022", "Realisasi 2022", "Capaian 2022 (%)", "Target 2023", "Realisasi 2023",
                            "Capaian 2023 (%)"]  # fmt: skip
    first = [c.value for c in sheet[5]]
    assert first[1] == "IKD-01" and first[5] == 135 and first[8] == 240
    assert first[10] == "Sangat Tinggi" and first[11] == "170 (2026)"
    assert first[12] == f"jumlah dari {SEED}/IKU-01, {SEED}/IKU-02"
    sources = [[c.value for c in row] for row in book["Sumber OPD"].iter_rows(min_row=5)]
    assert sources[0][:2] == ["IKD-01", f"{SEED}/IKU-01"] and sources[0][6:8] == [15, 120]
    assert "2022: data historis (impor)" in sources[0][8]
    index = (iku_env / "out" / "index.html").read_text(encoding="utf-8")
    assert "Bahan LKjIP kabupaten 2023 (IKU RPJMD)" in index and "lakip-kabupaten-2023.xlsx" in index


def test_one_opd_alone_writes_no_kabupaten_feed(iku_env, monkeypatch):
    """The kabupaten figure needs every OPD that feeds it: --opd writes only that OPD's."""
    out = _installation(iku_env, monkeypatch)
    result = run("lakip", "--year", "2023", "--opd", SEED)
    assert result.returncode == 0, result.stderr
    assert (out / SEED / "lakip-2023.xlsx").is_file() and not (out / "lakip-kabupaten-2023.json").exists()


@pytest.mark.browser
def test_the_kabupaten_feed_prints(iku_env, monkeypatch, office, tmp_path):
    """LibreOffice prints lakip-kabupaten-Y.xlsx: a page or more per sheet, A4 landscape."""
    out = _installation(iku_env, monkeypatch)
    assert run("lakip", "--year", "2023").returncode == 0
    pdf = print_pdf(office, out / "lakip-kabupaten-2023.xlsx", tmp_path)
    sizes = page_sizes(pdf)
    assert len(sizes) >= 4 and all((round(w), round(h)) == (842, 595) for w, h in sizes)


def test_the_year_recap_draws_the_kabupaten_tree(iku_env, monkeypatch):
    """`iku recap --period Y` over every OPD also writes the kabupaten's pohon kinerja
    (issue 19 item 5): its RPJMD IKU above the OPD IKU that feed them, in out/Y/,
    listed in the index; a quarter's recap writes none."""
    out = _installation(iku_env, monkeypatch)
    monkeypatch.setenv("IKU_CHROMIUM", "")  # the HTML is the point here; the PDF is tested with the tree
    quarter = run("recap", "--period", "2023-Q1")
    assert quarter.returncode == 0, quarter.stderr
    assert not (out / "pohon-kinerja-2023.html").exists()
    result = run("recap", "--period", "2023")
    assert result.returncode == 0, result.stderr
    page = (out / "pohon-kinerja-2023.html").read_text(encoding="utf-8")
    assert "IKU RPJMD" in page and "IKD-01" in page and "IKU-01" in page
    index = (iku_env / "out" / "index.html").read_text(encoding="utf-8")
    assert "pohon-kinerja-2023.html" in index
