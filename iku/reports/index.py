"""out/index.html: every report file the warehouse has a record of (written
by any worker, on any machine), grouped by year and, with several OPD, by OPD,
plus the latest validation pages. Built from the warehouse, not from a look at
the local folder, so a shared store (s3://, sftp://) gets one complete index."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from iku import formatting as fmt
from iku import storage
from iku.domain.periods import QUARTER_NAMES
from iku.storage import Where
from iku.warehouse.reports import WrittenReport

from .html import environment

# iku-2023-Q2.html, lakip-2023.json, lakip-kabupaten-2023.xlsx, rekap-2023-Q1.pdf,
# perjanjian-kinerja-2023.pdf, validasi-20230508-090000.html (pohon-kinerja-2023.html:
# recorded by iku.reports.tree.tree_written)
KABUPATEN_KINDS = ("rekap", "lakip-kabupaten")  # of every OPD: recorded under no OPD
_NAME = re.compile(
    r"^(?:(?P<kind>iku|lakip-kabupaten|lakip|rekap|perjanjian-kinerja)-(?P<period>\d{4}(?:-Q[1-4])?)"
    r"\.(?P<fmt>html|pdf|xlsx|json)"
    r"|validasi-(?P<run>\d{8}-\d{6})\.html)$"
)
_FORMAT_ORDER = {"html": 0, "pdf": 1, "xlsx": 2, "json": 3}
VALIDATION_PAGES = 20  # the latest ones are listed


def written(paths: list[Where], opd: str) -> list[WrittenReport]:
    """The records of report files just written, from their names (others are ignored)."""
    found = []
    for path in paths:
        m = _NAME.match(path.name)
        if not m:
            continue
        if m["run"]:
            kind, period, form = "validasi", m["run"], "html"
        else:
            kind, period, form = m["kind"], m["period"], m["fmt"]
        found.append(
            WrittenReport(
                opd="" if kind in KABUPATEN_KINDS else opd,
                period=period,
                kind=kind,
                format=form,
                location=storage.as_text(path),
            )
        )
    return found


def written_before(
    output_dir: Path, recorded: list[WrittenReport], opd_codes: list[str], default_opd: str
) -> list[WrittenReport]:
    """Report files in a local output folder written before the warehouse kept
    a record of them (before migration 0005, or before the first record): the
    ones older than every record and not recorded, so an upgrade keeps them in
    the index. A file written later and not recorded stays out."""
    known = {r.location for r in recorded}
    since = min((r.written_at for r in recorded if r.written_at), default=None)
    found = []
    for path in sorted([*output_dir.glob("*/*"), *output_dir.glob("*/*/*")]):
        opd = next((part for part in path.relative_to(output_dir).parts if part in opd_codes), default_opd)
        for w in written([path], opd):
            if w.location in known or not path.is_file():
                continue
            at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            if since is None or at < since:
                found.append(replace(w, written_at=at))
    return found


def _title(kind: str, period: str) -> tuple[tuple[int, int], str]:
    year, _, quarter = period.partition("-Q")
    if kind == "lakip":
        return (6, 0), f"Bahan LAKIP/LKjIP {year} (Bab III)"
    if kind == "lakip-kabupaten":
        return (6, 1), f"Bahan LKjIP kabupaten {year} (IKU RPJMD)"
    if kind == "perjanjian-kinerja":
        return (5, 0), f"Perjanjian Kinerja {year}"
    when = f"{QUARTER_NAMES.get(int(quarter))} {year}" if quarter else f"tahunan {year}"
    order = int(quarter) if quarter else 5
    if kind == "rekap":
        return (0, order), f"Rekap kabupaten {when}"
    if kind == "pohon-kinerja":
        return (2, order), f"Pohon kinerja {when}"
    return (1, order), when if quarter else f"Laporan tahunan {year}"


def _href(location: str, root: Where) -> str:
    rel = storage.relative_href(location, root)
    if rel is not None:
        return rel
    return location if storage.is_remote(location) else Path(location).resolve().as_uri()


def _name(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def index_html(
    reports: list[WrittenReport], root: Where, heading: str, region: str, opd_names: dict[str, str], tz: str
) -> str:
    """The index page; `opd_names` (code -> name) has more than one entry with several OPD."""
    multi = len(opd_names) > 1
    latest: dict[str, WrittenReport] = {r.location: r for r in reports}  # a location once, newest
    files = [r for r in latest.values() if r.kind != "validasi"]
    groups: dict[int, dict[str, dict[tuple[tuple[int, int], str], list[WrittenReport]]]] = {}
    for r in files:
        key = _title(r.kind, r.period)
        groups.setdefault(int(r.period[:4]), {}).setdefault(r.opd, {}).setdefault(key, []).append(r)
    years = []
    for year in sorted(groups, reverse=True):
        sections = []
        for opd in sorted(groups[year], key=lambda code: (code != "", code)):
            label = "Kabupaten" if opd == "" else (f"{opd_names.get(opd, opd)} ({opd})" if multi else "")
            items = [
                (
                    title,
                    [
                        {"name": _name(r.location), "href": _href(r.location, root)}
                        for r in sorted(found, key=lambda r: (_FORMAT_ORDER.get(r.format, 9), r.location))
                    ],
                )
                for (_, title), found in sorted(groups[year][opd].items())
            ]
            sections.append((label, items))
        years.append((year, sections))
    pages = sorted((r for r in latest.values() if r.kind == "validasi"), key=lambda r: r.period, reverse=True)
    validations = [
        {
            "href": _href(r.location, root),
            "title": _validation_title(r.period)
            + (f" · {opd_names.get(r.opd, r.opd)}" if multi and r.opd else ""),
        }
        for r in pages[:VALIDATION_PAGES]
    ]
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            heading=heading,
            region=region,
            years=years,
            updated=datetime.now(ZoneInfo(tz)),
            validations=validations,
        )
    )


def write_index(
    output_dir: Where,
    reports: list[WrittenReport],
    heading: str,
    region: str,
    opd_names: dict[str, str],
    tz: str,
) -> Where:
    """<output>/index.html linking every report recorded."""
    html = index_html(reports, output_dir, heading, region, opd_names, tz)
    return storage.write(output_dir / "index.html", html)


def _validation_title(run: str) -> str:
    """'20230508-090000' -> 'Pemeriksaan 8 Mei 2023 09.00'."""
    try:
        when = datetime.strptime(run, "%Y%m%d-%H%M%S")
    except ValueError:
        return run
    return f"Pemeriksaan {fmt.day(when)} {when:%H.%M}"
