"""The number columns each indicator kind needs: one rule, followed by the GX suite,
the sheet template and achievement."""

from __future__ import annotations

import ast
import json
import re

import pytest
from conftest import REPO

from iku.config import load_config
from iku.domain.kinds import KINDS, NUMBER_COLUMNS, kinds_needing, number_columns, required_numbers
from iku.sheet_template import used_columns


def _suite_requirements() -> dict[str, set[str]]:
    """column -> the kinds whose rows the suite requires it for (from row_condition)."""
    suite = json.loads((REPO / "expectations" / "submission_rows.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for exp in suite["expectations"]:
        kwargs = exp["kwargs"]
        if exp["type"] != "expect_column_values_to_not_be_null" or "row_condition" not in kwargs:
            continue
        cond = kwargs["row_condition"]
        if m := re.search(r"kind in (\[.*?\])", cond):
            kinds = set(ast.literal_eval(m.group(1)))
        elif m := re.search(r"kind == '(\w+)'", cond):
            kinds = {m.group(1)}
        else:
            pytest.fail(f"row_condition without a kind: {cond}")
        found[kwargs["column"]] = kinds
    return found


def test_the_gx_suite_requires_exactly_what_the_rule_says():
    assert _suite_requirements() == {column: kinds_needing(column) for column in NUMBER_COLUMNS}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_needs_some_number_column(kind):
    assert number_columns(kind)
    assert set(number_columns(kind)) <= set(NUMBER_COLUMNS)


def test_required_numbers_is_the_union_over_the_kinds():
    assert required_numbers(["count"]) == {"realisasi"}
    assert required_numbers(["count", "ratio"]) == {"realisasi", "pembilang", "penyebut"}
    assert required_numbers([]) == set()


def test_the_template_opens_the_cells_the_rule_requires():
    config = load_config(REPO / "config")
    for ind in config.catalogue.indicators:
        assert used_columns(ind) == number_columns(ind.kind)
