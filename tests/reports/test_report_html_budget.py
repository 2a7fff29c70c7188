"""The HTML report with budget data (CONTRACT §11, §12): K and Rp side by side,
the efficiency rule in words, the programs table, the absorption chart against
the anggaran kas, the PK as the target's source; never a number where a side
is missing."""

from __future__ import annotations

import re

from report_seed import AS_OF

from iku.domain.budget import EFFICIENCY_RULE
from iku.domain.periods import Period
from iku.reports import load_report_data, render_html


def _row(html: str, code: str, table: str) -> str:
    """The table row of `code` in the first table of class `table` that has it."""
    for section in html.split(f'<table class="{table}">')[1:]:
        section = section[: section.index("</table>")]
        found = re.search(rf"<td class=\"c code\">{code}</td>.*?</tr>", section, re.S)
        if found:
            return found.group(0)
    raise AssertionError(f"{code} not in a table {table}")


def test_kinerja_beside_anggaran(budget_res):
    html = render_html(load_report_data(budget_res, Period(2023, 2), AS_OF))
    row = _row(html, "IKU-02", "budget")
    # capaian 35 % against the PK's 160; pagu 1.250 juta, 600 juta spent (48 %); index 0,73
    for text in ("35,00 %", "Rp1.250.000.000", "Rp600.000.000", "48,00 %", "0,73", "kurang efisien"):
        assert text in row
    row3 = _row(html, "IKU-03", "budget")
    assert "program belum dipetakan ke indikator" in row3 and "Rp" not in row3
    row1 = _row(html, "IKU-01", "budget")
    assert "indeks tidak dihitung: capaian kinerja belum ada (target belum ditetapkan)" in row1
    assert EFFICIENCY_RULE in html
    assert "Realisasi anggaran s.d. Juni 2023" in html
    # programs and kegiatan, with the OPD's total: 825 of 1.750 juta
    assert "1.04.02.2.01" in html and "Jumlah Perangkat Daerah" in html and "47,14 %" in html
    # the target's source: PK awal beside the Renstra's 150
    iku = _row(html, "IKU-02", "iku")
    assert "PK awal; Renstra 150" in iku
    assert "Perjanjian Kinerja (PK) yang berlaku pada 30 Juni 2023" in html


def test_absorption_chart_against_the_anggaran_kas(budget_res):
    html = render_html(load_report_data(budget_res, Period(2023, 2), AS_OF))
    assert "Penyerapan Anggaran Bulanan terhadap Anggaran Kas" in html
    # kegiatan 1.04.02.2.01 (pagu 750 juta): 250 juta by March = 33,33 %, 375 by June = 50 %;
    # its anggaran kas 150 / 400 juta = 20 % / 53,33 %
    chart = html[html.index('aria-label="Penyerapan anggaran bulanan 1.04.02.2.01"') :]
    chart = chart[: chart.index("</svg>")]
    for text in (
        "Maret: 33,33 %",
        "Juni: 50 %",
        "Anggaran kas s.d. Maret: 20 %",
        "Anggaran kas s.d. Juni: 53,33 %",
    ):
        assert text in chart
    # a program without an anggaran kas: its line alone, and the page says so
    program = html[html.index('aria-label="Penyerapan anggaran bulanan 1.04.03"') :]
    assert "Anggaran kas" not in program[: program.index("</svg>")]
    assert "anggaran kas belum ditetapkan" in program[:3000]
    assert "<script" not in html


def test_without_budget_no_rupiah_and_the_reason(seeded_res):
    html = render_html(load_report_data(seeded_res, Period(2023, 2), AS_OF))
    assert "Program dan kegiatan belum dipetakan dalam katalog" in html
    assert "Rp1" not in html and "Penyerapan Anggaran Bulanan" not in html
