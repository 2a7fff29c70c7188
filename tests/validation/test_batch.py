"""One GX validation per suite for a whole run: sheets of several OPD and
bidang in one batch, each checked against its own OPD's catalogue (kinds,
codes of the folder's bidang, Renstra years), every problem back on its file."""

from __future__ import annotations

from kabupatenkit import DINKES, SEED, dinkes_rows, kabupaten_config
from sheetkit import sheet_rows

from iku.config import load_installation
from iku.domain.sheet import parse_sheet
from iku.validation import gx_runner
from iku.validation.frames import Group


def _sheet(rows, config):
    return parse_sheet(rows, {"realisasi", "pembilang", "penyebut"}, config.pipeline.limits)


def test_one_batch_of_two_opd_keeps_each_catalogue(tmp_path, monkeypatch):
    inst = load_installation(kabupaten_config(tmp_path / "config", twin=False))
    seed, dinkes = inst.config(SEED), inst.config(DINKES)
    # Dinkes with a later Renstra: 2023 is outside its period, not outside the seed's
    later = dinkes.catalogue.model_copy(
        update={"opd": dinkes.catalogue.opd.model_copy(update={"renstra_period": (2024, 2026)})}
    )
    ratio_without_numerator = dinkes_rows("kesmas", year=2024)
    ratio_without_numerator[1][4:7] = [45, None, 50]  # IKU-01 is a ratio in Dinkes: realisasi is not enough
    foreign = dinkes_rows("kesmas", year=2024)
    foreign[2][3] = "IKU-03"  # p2p's indicator in a kesmas sheet
    groups = [
        Group(seed.catalogue, "perumahan", {0: _sheet(sheet_rows("perumahan"), seed)}, SEED),
        Group(seed.catalogue, "perkim", {1: _sheet(sheet_rows("perkim"), seed)}, SEED),
        Group(
            later,
            "kesmas",
            {
                2: _sheet(dinkes_rows("kesmas", year=2023), dinkes),
                3: _sheet(ratio_without_numerator, dinkes),
                4: _sheet(foreign, dinkes),
                5: _sheet(dinkes_rows("kesmas", year=2024), dinkes),
            },
            DINKES,
        ),
    ]
    runs = []
    real = gx_runner._run
    monkeypatch.setattr(gx_runner, "_run", lambda *a: runs.append(a[1]) or real(*a))

    found = gx_runner.validate(groups)

    assert sorted(runs) == ["submission_coverage", "submission_rows"]  # one GX run per suite
    assert found[0] == found[1] == found[5] == []
    assert {(p.row, p.column) for p in found[2]} == {(2, "tahun"), (3, "tahun")}
    assert all("di luar periode Renstra 2024–2026" in p.message for p in found[2])
    assert [(p.row, p.column) for p in found[3]] == [(2, "pembilang")]
    messages = [p.message for p in found[4]]
    assert any("'IKU-03' bukan indikator bidang 'kesmas'" in m and "IKU-01, IKU-02" in m for m in messages)
    assert any("IKU-02" in m and "tidak ada di berkas" in m for m in messages)  # coverage, per OPD
