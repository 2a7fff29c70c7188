"""One scan per run: `iku consolidate` lists the inbox once (its quick look whether
there is anything to do is the run's scan), and a file another run loaded after
that look is not loaded twice."""

from __future__ import annotations

from runkit import make_resources
from typer.testing import CliRunner

from flows.pipeline import consolidate_all, load_new_files
from iku import consolidation
from iku.queries import scan_units


def _counting(monkeypatch) -> list[dict]:
    """Every listing of the bidang folders, recorded as it goes through."""
    calls: list[dict] = []
    real = consolidation.scan_sources

    def scan_sources(folders, *args, **kwargs):
        calls.append(dict(folders))
        return real(folders, *args, **kwargs)

    monkeypatch.setattr(consolidation, "scan_sources", scan_sources)
    return calls


def test_iku_consolidate_lists_the_inbox_once(iku_env, sheets, monkeypatch):
    from iku.cli import app

    sheets.xlsx(iku_env / "inbox" / "perumahan" / "04.xlsx", sheets.rows(month=4))
    calls = _counting(monkeypatch)
    result = CliRunner().invoke(app, ["consolidate"])
    assert result.exit_code == 0, result.output
    assert "1 berkas baru" in result.output
    assert len(calls) == 1, calls


def test_a_file_loaded_by_another_run_after_the_scan_is_not_loaded_again(tmp_path, sheets):
    res = make_resources(tmp_path, f"sqlite:///{tmp_path / 'wh.sqlite'}")
    sheets.xlsx(tmp_path / "inbox" / "perumahan" / "04.xlsx", sheets.rows(month=4))
    sheets.xlsx(tmp_path / "inbox" / "perkim" / "04.xlsx", sheets.rows(bidang="perkim", month=4))
    looked = scan_units(res)  # the command's quick look, before the run lock
    assert len(looked.new) == 2
    first = min(looked.new, key=lambda f: str(f.path))
    # another run loads one of them meanwhile
    other = consolidation.Scan(new=[first], known=0, absent_folders={})
    assert [r.file_name for r in load_new_files(res, scan=other)[1]] == [first.name]
    summary = consolidate_all(res, scan=looked)
    assert summary["new_files"] == 1 and summary["known_files"] == 1
    assert len(res.warehouse.known_hashes(res.opd)) == 2
