"""The annual report brings its companions (issue 19 item 5, CONTRACT §11/§12):
the pohon kinerja and the year's Perjanjian Kinerja, written beside it by the
run's own steps (flows.pipeline.report_all, what `iku report` runs), listed in
out/index.html and the portal's report list; a quarter brings none."""

from __future__ import annotations

from datetime import UTC, datetime

from iku.domain.periods import Period
from iku.reports.pdf import chromium
from iku.web.routes.perencana import REPORT_NAME


def test_the_annual_report_writes_the_tree_and_the_pk_and_lists_them(budget_res):
    from flows.pipeline import report_all

    as_of = datetime(2024, 1, 31, tzinfo=UTC)
    quarter = {p.name for p in report_all(budget_res, Period(2023, 2), as_of)}
    assert not {n for n in quarter if n.startswith(("pohon-kinerja", "perjanjian-kinerja"))}

    names = {p.name for p in report_all(budget_res, Period(2023), as_of)}
    expected = {"iku-2023.html", "pohon-kinerja-2023.html", "perjanjian-kinerja-2023.html"}
    if chromium() is not None:
        expected |= {"pohon-kinerja-2023.pdf", "perjanjian-kinerja-2023.pdf"}
    assert expected <= names
    year = budget_res.output_dir / "2023"
    tree = (year / "pohon-kinerja-2023.html").read_text(encoding="utf-8")
    assert "<svg" in tree and "1.04.02" in tree  # the cascade down to the programs, with their codes
    pk = (year / "perjanjian-kinerja-2023.html").read_text(encoding="utf-8")
    assert "PK perubahan" in pk  # the revision in force at the year's end

    index = (budget_res.output_dir / "index.html").read_text(encoding="utf-8")
    assert "Pohon kinerja tahunan 2023" in index and 'href="2023/pohon-kinerja-2023.html"' in index
    assert "Perjanjian Kinerja 2023" in index and 'href="2023/perjanjian-kinerja-2023.html"' in index
    assert all(REPORT_NAME.match(n) for n in expected)  # the portal lists and serves them
