"""Running the suites with Great Expectations (GX Core 1.x).

GX takes about 3 s to import, so it is imported here, lazily, only when a run
has new sheets to check; the commands that don't validate stay fast.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from iku.domain.model import Problem

if TYPE_CHECKING:
    import pandas as pd

from .frames import Group
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
    from iku.settings import set_library_env

    set_library_env({"GX_ANALYTICS_ENABLED": "false"})  # no phoning home from a government server
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
        ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch_def, suite=suite))
    return ctx


def validate(groups: list[Group], docs_dir: Path | None = None) -> dict[int, list[Problem]]:
    """Problems per file id for every group's sheets: one GX validation per suite
    for the whole batch, whatever the number of OPD and bidang. With `docs_dir`
    the results are kept for `build_docs`, which renders them later (off the
    path the user waits on)."""
    import pandas as pd  # here, not at the top: the parent process never needs it

    from .frames import build_batch

    problems: dict[int, list[Problem]] = {fid: [] for g in groups for fid in g.sheets}
    if not problems:
        return problems
    frames = build_batch(groups)
    ctx = _context(str(docs_dir) if docs_dir else None)
    context_of = {id(g): _run_context(g) for g in groups}

    if len(frames.rows):
        by_key = frames.rows.set_index(["file_id", "excel_row"], drop=False)
        params = {"indicator_keys": frames.indicator_keys}
        for result in _run(ctx, ROW_SUITE, frames.rows, params, docs_dir):
            if result.success:
                continue
            meta = result.expectation_config.meta
            for hit in result.result.get("unexpected_index_list") or []:
                key = (int(hit["file_id"]), int(hit["excel_row"]))
                row = {k: (None if pd.isna(v) else v) for k, v in by_key.loc[key].to_dict().items()}
                typed = frames.raw.get(key, {})
                context = {
                    **context_of[id(frames.group_of[key[0]])],
                    **row,
                    meta["column"]: typed.get(meta["column"], row.get(meta["column"])),
                }
                problems[key[0]].append(render_problem(meta, context))

    for result in _run(ctx, COVERAGE_SUITE, frames.coverage, {}, docs_dir):
        if result.success:
            continue
        for hit in result.result.get("unexpected_index_list") or []:
            file_id, code = int(hit["file_id"]), hit["kode_indikator"]
            group = frames.group_of[file_id]
            names = {i.code: i.name for i in group.catalogue.indicators_of(group.bidang)}
            context = {**context_of[id(group)], "kode_indikator": code, "indicator_name": names.get(code, "")}
            problems[file_id].append(render_problem(result.expectation_config.meta, context))

    for found in problems.values():
        found.sort(key=lambda p: (p.row is None, p.row or 0, p.column or ""))
    return problems


def _run_context(group: Group) -> dict:
    """What a group's messages name besides the row's own cells."""
    start, end = group.catalogue.opd.renstra_period
    return {
        "folder_bidang": group.bidang,
        "indicator_list": ", ".join(group.codes),
        "year_min": start,
        "year_max": end,
    }


# Results validated with a Data Docs folder and not yet rendered, per folder.
_pending_docs: dict[str, list] = {}


def _run(ctx, name: str, frame: pd.DataFrame, params: dict, docs_dir: Path | None) -> list:
    result = ctx.validation_definitions.get(name).run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=params,
        result_format=_result_format(name),
    )
    if docs_dir is not None:
        # the run stored the result in the context's results store; build_docs renders it
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        suite = ExpectationSuiteIdentifier(name=name)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=suite, run_id=result.meta["run_id"], batch_identifier=result.batch_id
        )
        _pending_docs.setdefault(str(docs_dir), []).extend([key, suite])
    return result.results


def build_docs(docs_dir: Path) -> Path:
    """Render the Data Docs pages of the validations run since the last call
    (GX's site builder); returns the site's index page."""
    pending = _pending_docs.pop(str(docs_dir), [])
    if pending:
        _context(str(docs_dir)).build_data_docs(site_names=["iku"], resource_identifiers=pending)
    return docs_dir / "index.html"
