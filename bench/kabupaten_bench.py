"""A whole kabupaten in one installation: 40 OPD x 5 bidang x 12 months =
2,400 sheets of one year consolidated by one `iku consolidate`, then every
OPD's quarterly report (`iku report`, all OPD) and the kabupaten recap
(`iku recap`), against a warm local Prefect server, each command in a fresh
process as a user runs it; then the same as flow runs (`--prefect`), as the
schedule runs them (the 2,400 sheets as an `iku-consolidate` flow run; every
OPD's report and the recap as one `iku-scheduled-report` flow run).

The 40 catalogues are generated from the shipped ones (config/opd.yaml and
examples/kabupaten/*.yaml, cycled): each OPD gets five bidang, its template's
bidang and copies of them with their indicators (numbered anew), so kinds
(count, ratio, level) vary between OPD as in a real kabupaten.

Fixed and per-sheet costs come from two runs in fresh warehouses, half the
year (1,200 sheets) and the whole year (2,400): per sheet = the slope, fixed =
what is left of the whole year's run. Wall and CPU time are both reported (CPU
of the command and its GX worker, and of the Prefect server meanwhile).

    .venv/bin/python bench/kabupaten_bench.py [--opd 40] [--keep] [--no-pool]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolidate_bench import (
    REPO,
    Run,
    _read_loop,
    _timed,
    free_port,
    iku_env,
    run_measured,
    start_server,
    stop_servers,
    valid_count,
    wait_for_warm_worker,
)

GOAL_CONSOLIDATE_S = 10.0
# the scheduled quarterly report of every OPD and the recap, as its deployment runs it
SCHEDULED = (
    "from iku.orchestration.local_server import use_prefect; use_prefect(); "
    "from flows.serve import scheduled_report_flow; "
    "scheduled_report_flow(kind='quarterly', period='{period}', recap=True)"
)
GOAL_REPORTS_S = 10.0
BIDANG_PER_OPD = 5
TEMPLATES = [REPO / "config" / "opd.yaml", *sorted((REPO / "examples" / "kabupaten").glob("*.yaml"))]


def write_catalogues(dest: Path, opd_count: int) -> Path:
    """config/ in the kabupaten layout with `opd_count` OPD of five bidang each."""
    (dest / "opd").mkdir(parents=True)
    shutil.copy(REPO / "config" / "pipeline.yaml", dest / "pipeline.yaml")
    for k in range(opd_count):
        cat = yaml.safe_load(TEMPLATES[k % len(TEMPLATES)].read_text(encoding="utf-8"))
        code = f"opd-{k + 1:02d}"
        cat["opd"] = {**cat["opd"], "code": code, "name": f"{cat['opd']['name']} ({k + 1})"}
        cat.pop("sources", None)
        used = [b for b in cat["bidang"] if any(i["bidang"] == b["code"] for i in cat["indicators"])]
        bidang, indicators = [], []
        for j in range(BIDANG_PER_OPD):
            src = used[j % len(used)]
            copy = j // len(used)
            suffix = f"-{copy + 1}" if copy else ""
            bidang.append({**src, "code": src["code"] + suffix, "name": src["name"] + suffix})
            indicators += [
                {**i, "code": f"IKU-{len(indicators) + n + 1:02d}", "bidang": src["code"] + suffix}
                for n, i in enumerate(i for i in cat["indicators"] if i["bidang"] == src["code"])
            ]
        cat["bidang"], cat["indicators"] = bidang, indicators
        (dest / "opd" / f"{code}.yaml").write_text(yaml.safe_dump(cat, allow_unicode=True), encoding="utf-8")
    return dest


def write_sheets(config_dir: Path, inbox: Path, months: int) -> tuple[int, int]:
    """`months` months of every bidang of every OPD, all valid, received before
    their deadline; returns (sheets, year)."""
    from iku.config import load_installation
    from iku.sample_data import generate_bulk

    inst = load_installation(config_dir)
    total = 0
    year = 0
    for k, code in enumerate(inst.codes):
        config = inst.config(code)
        year = config.catalogue.opd.years[0]
        bidang = [b for b in config.catalogue.bidang if config.catalogue.indicators_of(b.code)]
        # generate_bulk walks bidang first, then months: n = bidang x months is that many months
        total += len(generate_bulk(config, inbox / code, len(bidang) * months, seed=k + 1))
    return total, year


@dataclass
class KabupatenFigures:
    opd: int
    half: Run
    half_sheets: int
    whole: Run
    whole_sheets: int
    report: Run
    recap: Run
    report_nopdf: Run
    recap_nopdf: Run
    year: int
    whole_flow: Run | None = None  # the 2,400 sheets as a flow run (--prefect), as scheduled
    scheduled: Run | None = None  # the schedule's quarterly flow run: every OPD's report, then the recap
    scheduled_same: Run | None = None  # the same again, nothing changed: every PDF kept
    scheduled_changed: Run | None = None  # again after one OPD's new sheets: its PDF and the recap's
    pools: list = field(default_factory=list)  # pool_bench.PoolRun: the year on 1 and 2 workers
    read_ms: float = 0.0  # the raw calamine read per sheet of these sheets: the baseline of a slow day

    @property
    def per_sheet_ms(self) -> float:
        return (self.whole.seconds - self.half.seconds) / (self.whole_sheets - self.half_sheets) * 1000

    @property
    def per_sheet_cpu_ms(self) -> float:
        return (self.whole.cpu_s - self.half.cpu_s) / (self.whole_sheets - self.half_sheets) * 1000

    @property
    def fixed_s(self) -> float:
        return self.whole.seconds - self.per_sheet_ms / 1000 * self.whole_sheets

    @property
    def fixed_cpu_s(self) -> float:
        return self.whole.cpu_s - self.per_sheet_cpu_ms / 1000 * self.whole_sheets

    @property
    def reports_s(self) -> float:
        return self.report.seconds + self.recap.seconds

    @property
    def reports_nopdf_s(self) -> float:
        return self.report_nopdf.seconds + self.recap_nopdf.seconds


def _scheduled(env, tmp: Path, period: str, name: str, what: str, echo) -> Run:
    run = run_measured(
        [sys.executable, "-c", SCHEDULED.format(period=period)], env("whole"), tmp / f"{name}.log"
    )
    if run.returncode:
        raise RuntimeError(f"the scheduled quarterly report failed:\n{run.output[-3000:]}")
    echo(f"  scheduled quarterly report + recap, one flow run, {what}: {run.shown}, load {run.load:.1f}")
    return run


def _change_one_opd(config_dir: Path, inbox: Path) -> str:
    """New figures for the first OPD's January (one sheet per bidang, other
    bytes): its report and the recap change, the other 39 reports do not."""
    from iku.config import load_installation
    from iku.sample_data import generate_bulk

    inst = load_installation(config_dir)
    code = inst.codes[0]
    config = inst.config(code)
    bidang = [b for b in config.catalogue.bidang if config.catalogue.indicators_of(b.code)]
    generate_bulk(config, inbox / code, len(bidang), seed=999)
    return code


def _report_runs(env, tmp: Path, period: str, config_dir: Path, echo) -> tuple[dict[str, Run], list[Run]]:
    """Every OPD's report and the recap by hand, with PDFs and without; then as
    the scheduled flow run does them: cold (every PDF printed), again with
    nothing changed, and again after one OPD received new sheets."""
    timed = {}
    # with Chromium (one PDF per report), then without (IKU_CHROMIUM empty: HTML, Excel, JSON)
    for label, extra in (("", {}), ("_nopdf", {"IKU_CHROMIUM": ""})):
        for cmd in ("report", "recap"):
            what = f"iku {cmd} --period {period}{' without PDF' if extra else ''}"
            timed[cmd + label] = _timed(
                [cmd, "--period", period], {**env("whole"), **extra}, tmp / f"{cmd}{label}.log", what, echo
            )
    for pdf in (tmp / "whole" / "out").rglob("*.pdf"):  # cold: no PDF to keep
        pdf.unlink()
    cold = _scheduled(env, tmp, period, "s-cold", "cold", echo)
    same = _scheduled(env, tmp, period, "s-same", "nothing changed", echo)
    code = _change_one_opd(config_dir, tmp / "whole" / "inbox")
    _timed(["consolidate", "--opd", code], env("whole"), tmp / "change.log", f"new sheets of {code}", echo)
    changed = _scheduled(env, tmp, period, "s-changed", "one OPD changed", echo)
    return timed, [cold, same, changed]


def _pool_runs(env, tmp: Path, opd_count: int, echo) -> list:
    """The whole year on a work pool of one worker, then two (PostgreSQL)."""
    import pool_bench
    from province_bench import pg_create, pg_drop

    runs = []
    for workers in (1, 2):
        db = f"iku_bench_pool{workers}_{os.getpid()}"
        try:
            url = pg_create(db)
        except Exception as exc:  # no PostgreSQL: the pool is not measured
            echo(f"  pool not measured: PostgreSQL unreachable ({type(exc).__name__})")
            return runs
        try:
            runs.append(pool_bench.measure_pool(env("whole"), tmp, workers, opd_count, url, echo))
        finally:
            pg_drop(db)
    return runs


def measure(
    opd_count: int = 40, *, keep: bool = False, echo=print, pool: bool = True, reports: bool = True
) -> KabupatenFigures:
    tmp = Path(tempfile.mkdtemp(prefix="iku-bench-kab-"))
    port = free_port()
    config_dir = write_catalogues(tmp / "config", opd_count)

    def env(data: str) -> dict:
        return {**iku_env(tmp, data, port), "IKU_CONFIG_DIR": str(config_dir)}

    server_env = env("half")
    try:
        start_server(server_env, tmp / "server-start.log", echo)
        runs: dict[str, tuple[Run, int]] = {}
        year = 0
        for data, months in (("half", 6), ("whole", 12)):
            t = time.perf_counter()
            sheets, year = write_sheets(config_dir, tmp / data / "inbox", months)
            echo(f"  {sheets} sheets of {opd_count} OPD generated in {time.perf_counter() - t:.1f} s")
            if data == "half":  # warm-up, not counted: a first run leaves the GX worker warm
                write_sheets(config_dir, tmp / "warm" / "inbox", 1)
                _timed(["consolidate"], env("warm"), tmp / "warm.log", "warm-up", echo)
                if not wait_for_warm_worker(env("warm")):
                    echo("  WARNING: no warm GX worker started; the runs below start their own")
            run = _timed(
                ["consolidate"], env(data), tmp / f"{data}.log", f"consolidate {sheets} sheets", echo
            )
            if valid_count(run.output) != sheets:
                echo(f"  WARNING: expected {sheets} valid new files; the figures below are suspect")
            runs[data] = (run, sheets)
        # the same year as the schedule runs it: a flow run against the warm server
        sheets, _ = write_sheets(config_dir, tmp / "flow" / "inbox", 12)
        whole_flow = _timed(
            ["consolidate", "--prefect"],
            env("flow"),
            tmp / "flow.log",
            f"consolidate {sheets} sheets, flow run",
            echo,
        )
        if valid_count(whole_flow.output) != sheets:
            echo(f"  WARNING: expected {sheets} valid new files in the flow run; its figure is suspect")
        sheets_read = sorted((tmp / "whole" / "inbox").rglob("*.xlsx"))
        read_ms = _read_loop(tmp, sheets_read, "read") / len(sheets_read) * 1000
        echo(f"  raw calamine read: {read_ms:.3f} ms per sheet ({len(sheets_read)} sheets)")
        period = f"{year}-Q4"
        pools = _pool_runs(env, tmp, opd_count, echo) if pool else []
        nothing = Run(0.0, 0.0, 0, "")
        timed, (scheduled, same, changed) = (
            _report_runs(env, tmp, period, config_dir, echo)
            if reports
            else (dict.fromkeys(("report", "recap", "report_nopdf", "recap_nopdf"), nothing), [None] * 3)
        )
        return KabupatenFigures(
            opd_count,
            runs["half"][0],
            runs["half"][1],
            runs["whole"][0],
            runs["whole"][1],
            timed["report"],
            timed["recap"],
            timed["report_nopdf"],
            timed["recap_nopdf"],
            year,
            whole_flow=whole_flow,
            scheduled=scheduled,
            scheduled_same=same,
            scheduled_changed=changed,
            pools=pools,
            read_ms=read_ms,
        )
    finally:
        stop_servers(server_env)
        if keep:
            echo(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def summary_rows(f: KabupatenFigures) -> list[tuple[str, str, str, str]]:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    return [
        (
            f"kabupaten: consolidate {f.whole_sheets} sheets ({f.opd} OPD)",
            f.whole.shown,
            f"< {GOAL_CONSOLIDATE_S:g} s",
            verdict(f.whole.seconds < GOAL_CONSOLIDATE_S),
        ),
        (
            f"kabupaten: consolidate {f.whole_sheets} sheets as a flow run",
            f.whole_flow.shown if f.whole_flow else "-",
            f"< {GOAL_CONSOLIDATE_S:g} s",
            verdict(f.whole_flow is not None and f.whole_flow.seconds < GOAL_CONSOLIDATE_S),
        ),
        (f"kabupaten: consolidate {f.half_sheets} sheets", f.half.shown, "", "-"),
        (
            "kabupaten: per sheet (slope) / fixed",
            f"{f.per_sheet_ms:.2f} ms / {f.fixed_s:.1f} s (CPU {f.per_sheet_cpu_ms:.2f} ms / {f.fixed_cpu_s:.1f} s)",
            "",
            "-",
        ),
        (f"kabupaten: iku report --period {f.year}-Q4 (all OPD)", f.report.shown, "", "-"),
        (f"kabupaten: iku recap --period {f.year}-Q4", f.recap.shown, "", "-"),
        (
            "kabupaten: every OPD's report + recap, with PDF",
            f"{f.reports_s:.2f} s",
            f"< {GOAL_REPORTS_S:g} s",
            verdict(f.reports_s < GOAL_REPORTS_S),
        ),
        ("kabupaten: iku report, all OPD, without PDF", f.report_nopdf.shown, "", "-"),
        ("kabupaten: iku recap, without PDF", f.recap_nopdf.shown, "", "-"),
        (
            "kabupaten: every OPD's report + recap, without PDF",
            f"{f.reports_nopdf_s:.2f} s",
            f"< {GOAL_REPORTS_S:g} s",
            verdict(f.reports_nopdf_s < GOAL_REPORTS_S),
        ),
        (
            "kabupaten: the same as the schedule runs it (one flow run), cold",
            f.scheduled.shown if f.scheduled else "-",
            f"< {GOAL_REPORTS_S:g} s",
            verdict(f.scheduled is not None and f.scheduled.seconds < GOAL_REPORTS_S),
        ),
        (
            "kabupaten: the same, nothing changed (PDFs kept)",
            f.scheduled_same.shown if f.scheduled_same else "-",
            "",
            "-",
        ),
        (
            "kabupaten: the same, one OPD changed",
            f.scheduled_changed.shown if f.scheduled_changed else "-",
            f"< {GOAL_REPORTS_S:g} s",
            verdict(f.scheduled_changed is not None and f.scheduled_changed.seconds < GOAL_REPORTS_S),
        ),
        *[(f"kabupaten: the year on a work pool, {p.workers} worker(s)", p.shown, "", "-") for p in f.pools],
        (f"kabupaten: peak memory, {f.whole_sheets} sheets", f"{f.whole.peak_rss_mb:.0f} MB", "", "-"),
        ("kabupaten: raw calamine read per sheet (the day's baseline)", f"{f.read_ms:.3f} ms", "", "-"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opd", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-pool", action="store_true", help="not the work pool (bench/pool_bench.py)")
    args = parser.parse_args(argv)
    for row in summary_rows(measure(args.opd, keep=args.keep, pool=not args.no_pool)):
        print(f"{row[0]:<52} {row[1]:>40}  {row[2]:<8} {row[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
