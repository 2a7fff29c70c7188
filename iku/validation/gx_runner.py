"""Running the suites with Great Expectations (GX Core 1.x).

GX takes about 3 s to import, so it is imported here, lazily, only when a run
has new sheets to check; the commands that don't validate stay fast.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from iku.config import Catalogue
from iku.domain.model import Problem
from iku.domain.sheet import Sheet

if TYPE_CHECKING:
    import pandas as pd

from .suites import COVERAGE_SUITE, ROW_SUITE, load_suite_json, render_problem

# The columns that lead a failed value back to its file and sheet row.
INDEX_COLUMNS = {ROW_SUITE: ["file_id", "excel_row"], COVERAGE_SUITE: ["file_id", "kode_indikator"]}


def _result_format(name: str) -> dict:
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": INDEX_COLUMNS[name],
        "partial_unexpected_count": 0,
    }


def import_gx() -> None:
    """Pay GX's import cost now (see iku.validation.worker)."""
    _gx()


@lru_cache(maxsize=1)
def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no phoning home from a government server
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


@lru_cache(maxsize=4)
def _context(docs_dir: str | None):
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir:
        ctx.add_data_docs_site(
            site_name="iku",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = ctx.data_sources.add_pandas("iku_sheets")
    for name in (ROW_SUITE, COVERAGE_SUITE):
        asset = source.add_dataframe_asset(name)
        batch_def = asset.add_batch_definition_whole_dataframe(name)
        suite = ctx.suites.add(gx.ExpectationSuite(**load_suite_json(name)))
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_def, suite=suite)
        )
        if docs_dir:
            from great_expectations.checkpoint import UpdateDataDocsAction

            ctx.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[definition],
                    actions=[UpdateDataDocsAction(name="docs", site_names=["iku"])],
                    result_format=_result_format(name),
                )
            )
    return ctx


def _run(ctx, name: str, frame: pd.DataFrame, params: dict, docs: bool) -> list:
    if not docs:
        return (
            ctx.validation_definitions.get(name)
            .run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=params,
                result_format=_result_format(name),
            )
            .results
        )
    # through the checkpoint, so the results also land in the Data Docs site
    result = ctx.checkpoints.get(name).run(
        batch_parameters={"dataframe": frame}, expectation_parameters=params
    )
    return [r for run in result.run_results.values() for r in run.results]


def validate_bidang(
    sheets: dict[int, Sheet], catalogue: Catalogue, bidang: str, docs_dir: Path | None = None
) -> dict[int, list[Problem]]:
    """Problems per file id for the sheets of one bidang (all files in one GX run)."""
    import pandas as pd  # here, not at the top: the parent process never needs it

    from .frames import build_frames

    problems: dict[int, list[Problem]] = {fid: [] for fid in sheets}
    if not sheets:
        return problems
    frames = build_frames(sheets, catalogue, bidang)
    indicators = catalogue.indicators_of(bidang)
    start, end = catalogue.opd.renstra_period
    codes = [i.code for i in indicators]
    params = {
        "bidang_codes": [bidang],
        "indicator_codes": codes,
        "year_min": start,
        "year_max": end,
    }
    run_context = {
        "folder_bidang": bidang,
        "indicator_list": ", ".join(codes),
        "year_min": start,
        "year_max": end,
    }
    ctx = _context(str(docs_dir) if docs_dir else None)
    docs = docs_dir is not None

    if len(frames.rows):
        by_key = frames.rows.set_index(["file_id", "excel_row"], drop=False)
        for result in _run(ctx, ROW_SUITE, frames.rows, params, docs):
            if result.success:
                continue
            meta = result.expectation_config.meta
            for hit in result.result.get("unexpected_index_list") or []:
                key = (int(hit["file_id"]), int(hit["excel_row"]))
                row = {k: (None if pd.isna(v) else v) for k, v in by_key.loc[key].to_dict().items()}
                typed = frames.raw.get(key, {})
                context = {
                    **run_context,
                    **row,
                    meta["column"]: typed.get(meta["column"], row.get(meta["column"])),
                }
                problems[key[0]].append(render_problem(meta, context))

    names = {i.code: i.name for i in indicators}
    for result in _run(ctx, COVERAGE_SUITE, frames.coverage, {}, docs):
        if result.success:
            continue
        for hit in result.result.get("unexpected_index_list") or []:
            code = hit["kode_indikator"]
            context = {**run_context, "kode_indikator": code, "indicator_name": names.get(code, "")}
            problems[int(hit["file_id"])].append(render_problem(result.expectation_config.meta, context))

    for found in problems.values():
        found.sort(key=lambda p: (p.row is None, p.row or 0, p.column or ""))
    return problems
