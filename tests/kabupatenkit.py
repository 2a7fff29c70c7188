"""A kabupaten installation for tests: the seed OPD, a twin with the very same
bidang and indicator codes, and the example Dinas Kesehatan."""

from __future__ import annotations

import shutil
from pathlib import Path

from sheetkit import HEADER, REPO

SEED = "disperkim-tjb"
TWIN = "disperkim-twin"
DINKES = "dinkes-tjb"
EXAMPLES = REPO / "examples" / "kabupaten"


def kabupaten_config(dest: Path, *, twin: bool = True, dinkes: bool = True, docs: bool = False) -> Path:
    """config/ in the kabupaten layout (config/opd/<code>.yaml) under `dest`;
    GX Data Docs off unless `docs` (they are the flow test's business)."""
    (dest / "opd").mkdir(parents=True, exist_ok=True)
    pipeline = (REPO / "config" / "pipeline.yaml").read_text(encoding="utf-8")
    if not docs:
        pipeline = pipeline.replace("gx_data_docs: true", "gx_data_docs: false")
    (dest / "pipeline.yaml").write_text(pipeline, encoding="utf-8")
    seed = (REPO / "config" / "opd.yaml").read_text(encoding="utf-8")
    (dest / "opd" / f"{SEED}.yaml").write_text(seed, encoding="utf-8")
    if twin:
        text = seed.replace(f"code: {SEED}", f"code: {TWIN}").replace(
            "Kabupaten Tanjung Jabung Barat", "Kabupaten Kembar"
        )
        (dest / "opd" / f"{TWIN}.yaml").write_text(text, encoding="utf-8")
    if dinkes:
        shutil.copy(EXAMPLES / f"{DINKES}.yaml", dest / "opd" / f"{DINKES}.yaml")
    return dest


def dinkes_rows(bidang: str = "kesmas", year: int = 2023, month: int = 4) -> list[list]:
    rows = [HEADER]
    if bidang == "kesmas":
        rows.append([bidang, year, month, "IKU-01", None, 45, 50, ""])
        rows.append([bidang, year, month, "IKU-02", 22.5, None, None, "e-PPGBM"])
    elif bidang == "p2p":
        rows.append([bidang, year, month, "IKU-03", 1, None, None, ""])
    else:
        rows.append([bidang, year, month, "IKU-04", 25, None, None, ""])
    return rows
