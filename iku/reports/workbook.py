"""The workbook pieces every Excel output shares (the report, the LKjIP feed,
the recaps): formats, cell writers that never turn text into a formula, print
setup, the bidang's notes and the pengesahan block.

Every text a person typed (keterangan, file names) goes through write_string:
a note beginning with =, +, - or @ stays text and never becomes a formula."""

from __future__ import annotations

import io
import math

import xlsxwriter

from iku import formatting as fmt
from iku.domain.periods import month_name
from iku.excel_layout import row_height as _row_height
from iku.formatting import STATUS_COLOURS

from .model import ReportData, predicate_colour

ROMAN = ["I", "II", "III", "IV"]
FONT_POINTS = 9  # the reports' Arial 9 (Styles.base)


def row_height(*cells: tuple[object, float], minimum: float = 15.0) -> float:
    return _row_height(*cells, minimum=minimum, font_size=FONT_POINTS)


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    # strings never turn into formulas or links, whatever write() is handed
    return xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


class Styles:
    """The formats a sheet needs, created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook, bands=()):
        base = {"font_name": "Arial", "font_size": 9, "valign": "top"}
        self.wb, self.base = wb, base
        self.title = wb.add_format(
            {**base, "bold": True, "font_size": 12, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = wb.add_format({**base, "font_size": 10, "align": "center"})
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "border": 1,
                "bg_color": "#D6EAF8",
            }
        )
        self.colno = wb.add_format(
            {**base, "italic": True, "align": "center", "border": 1, "bg_color": "#EBF5FB"}
        )
        self.text = wb.add_format({**base, "text_wrap": True, "border": 1})
        self.center = wb.add_format({**base, "align": "center", "border": 1, "text_wrap": True})
        self.int = wb.add_format({**base, "num_format": "#,##0", "border": 1})
        self.dec = wb.add_format({**base, "num_format": "#,##0.00", "border": 1})
        self.pct = wb.add_format({**base, "num_format": "0.00", "border": 1})
        self.rupiah = wb.add_format({**base, "num_format": "#,##0", "border": 1})  # whole rupiah
        self.when = wb.add_format({**base, "num_format": "dd/mm/yyyy hh:mm", "border": 1})
        self.flag = wb.add_format({**base, "text_wrap": True, "border": 1, "font_color": "#922B21"})
        self.bold = wb.add_format({**base, "bold": True, "border": 1})
        self.note = wb.add_format({**base, "italic": True, "text_wrap": True, "font_color": "#566573"})
        self.bold_wrap = wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True})
        # cells the evaluator fills or corrects
        self.fill = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC"})
        self.fill_text = wb.add_format({**base, "border": 1, "bg_color": "#FFF2CC", "text_wrap": True})
        self.sign = wb.add_format({**base, "font_size": 10, "align": "center"})
        self.sign_name = wb.add_format(
            {**base, "font_size": 10, "align": "center", "bold": True, "underline": 1}
        )
        self.pred = self._predicate_formats(bands)
        self.status = self._status_formats()

    def _predicate_formats(self, bands) -> dict:
        """A predicate cell coloured by its band."""
        return {
            b.label: self.wb.add_format(
                {
                    **self.base,
                    "bold": True,
                    "align": "center",
                    "border": 1,
                    "bg_color": predicate_colour(b.label, list(bands)),
                }
            )
            for b in bands
        }

    def _status_formats(self) -> dict[str, xlsxwriter.format.Format]:
        """A submission status cell in its colour, white text on the dark ones."""
        return {
            k: self.wb.add_format(
                {
                    **self.base,
                    "align": "center",
                    "border": 1,
                    "bg_color": c,
                    "font_color": "#FFFFFF" if k in ("invalid", "missing") else "#000000",
                }
            )
            for k, c in STATUS_COLOURS.items()
        }

    def number(self, value: float) -> xlsxwriter.format.Format:
        return self.int if float(value).is_integer() else self.dec


def put_text(ws, row: int, col: int, value: str | None, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def put_number(ws, row: int, col: int, value: float | None, st: Styles, fmt=None, empty: str = "") -> None:
    if value is None or not math.isfinite(value):  # a stored inf/NaN shows as no figure
        put_text(ws, row, col, empty, st.center)
    else:
        ws.write_number(row, col, value, fmt or st.number(value))


def put_predicate(ws, row: int, col: int, label: str | None, st: Styles) -> None:
    put_text(ws, row, col, label, st.pred.get(label, st.center))


A4 = 9  # xlsxwriter's paper index


def print_setup(
    ws,
    repeat_from: int | None = None,
    repeat_to: int | None = None,
    paper: int = A4,
    side: float = 0.4,
    footer_points: int = 8,
) -> None:
    ws.set_landscape()
    ws.set_paper(paper)
    ws.set_margins(left=side, right=side, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    if repeat_from is not None:
        ws.repeat_rows(repeat_from, repeat_to)
    ws.set_footer(f"&L&{footer_points}&A&R&{footer_points}Halaman &P dari &N")


def month_notes(items, code: str | None = None) -> list[str]:
    """The bidang's words with their month: 'Mei: ...' (prefixed with the code when given)."""
    prefix = f"{code} " if code else ""
    return [
        f"{prefix}({month_name(n.month)}): {n.text}" if code else f"{month_name(n.month)}: {n.text}"
        for n in items
    ]


def signature(ws, st: Styles, data: ReportData, row: int, first_col: int, last_col: int) -> int:
    """The pengesahan block (place, date, title, name, pangkat, NIP) under a table."""
    p = data.catalogue.opd.pengesahan
    if p is None:
        return row
    lines = [
        f"{p.place}, {fmt.day(data.generated_at)}",
        p.title,
        "",
        "",
        "",
        p.name,
        p.rank,
        f"NIP. {p.nip}" if p.nip else "",
    ]
    for i, line in enumerate(lines):
        fmt_ = st.sign_name if i == 5 else st.sign
        ws.merge_range(row + i, first_col, row + i, last_col, line, fmt_)
    return row + len(lines)
