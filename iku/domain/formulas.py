"""Formula cells whose stored value cannot be trusted, in .xlsx/.xlsm files.

python-calamine reads the value a spreadsheet program stored beside each
formula. Excel and LibreOffice always store it. Files written by a program
(openpyxl, xlsxwriter, other systems' exports) often store none, or a 0 and a
flag (`fullCalcOnLoad`) asking Excel to compute everything when it opens the
file: read as they are, such cells would load as empty or as a silent 0. This
finds them so the reader can report them as a problem of their row.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from .package import Package

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HAS_FORMULA = re.compile(rb"<(\w+:)?f[\s>/]")


def _has_formula(xml: bytes) -> bool:
    """A formula element (<f>, <f .../>, <x:f>) in a part. Its tag holds "<f" or
    ":f": two substring tests rule out nearly every part at a third of the
    regex's cost, which tries its group at every "<" of the part."""
    return (b"<f" in xml or b":f" in xml) and _HAS_FORMULA.search(xml) is not None


_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")


@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell read without a trustworthy value (the cell as typed)."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "=(rumus)"


def uncached_formulas(zf: Package, sheet_name: str) -> dict[tuple[int, int], UncachedFormula]:
    """(row, column), 0-based, of every formula cell of `sheet_name` whose value
    was not stored, or whose workbook asks to be recalculated on opening."""
    # the common case, no formula anywhere, costs one search per worksheet part
    parts = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if not any(_has_formula(zf.read(n)) for n in parts):
        return {}
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    calc = book.find(f"{_MAIN}calcPr")
    recalc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    rid = next(
        (s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet_name),
        None,
    )
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship") if r.get("Id") == rid), None)
    if target is None:
        return {}
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    xml = zf.read(path)
    if not _has_formula(xml):
        return {}
    found = {}
    for cell in ElementTree.fromstring(xml).iter(f"{_MAIN}c"):
        f = cell.find(f"{_MAIN}f")
        if f is None:
            continue
        v = cell.find(f"{_MAIN}v")
        if not recalc and v is not None and (v.text or "").strip():
            continue
        ref = _CELL_REF.match(cell.get("r") or "")
        if ref is None:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ord(ch) - 64
        found[(int(ref.group(2)) - 1, col - 1)] = UncachedFormula((f.text or "").strip())
    return found
