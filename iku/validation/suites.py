"""Loading the GX suites (JSON data in expectations/) and turning their failed
rows into Problems a bidang can act on."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

from iku.domain.model import Problem
from iku.formatting import num
from iku.shipped import shipped

EXPECTATIONS_DIR = shipped("expectations")
ROW_SUITE = "submission_rows"
COVERAGE_SUITE = "submission_coverage"


def load_suite_json(name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    with (directory / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


class _Blank(dict):
    def __missing__(self, key):  # a {name} the context lacks shows as "?" rather than failing
        return "?"


def _shown(value: object) -> str:
    """A cell as the person sees it in the sheet: a date as 01/06/2023 (never
    as Excel's day count or as 2023-06-01 00:00:00)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M" if value.time() != time() else "%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # whole numbers as typed: a year stays 2023, not 2.023
    if isinstance(value, float):
        return num(value, 6)  # Indonesian decimals: 9,85 (not 9.85), as the bidang writes them
    return str(value)


def render_problem(meta: dict, context: dict) -> Problem:
    """The message of a failed expectation, filled with the row's cells."""
    column = meta.get("column")
    values = _Blank({k: _shown(v) for k, v in context.items()})
    values.setdefault("value", _shown(context.get(column)))
    return Problem(message=meta["message"].format_map(values), row=context.get("excel_row"), column=column)
