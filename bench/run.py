"""`make bench`: the consolidation and the report benchmarks, then one summary table.

.venv/bin/python bench/run.py [--n 2000] [--opd 40] [--skip-consolidate] [--skip-kabupaten]
                              [--skip-reports] [--skip-budget] [--skip-web]
.venv/bin/python bench/run.py --province [--province-opd 400]   (`make bench-province`: the
                              province's year, then its warehouse at ten years on PostgreSQL; alone)

Commands are timed in wall and CPU time; the load average is printed at the
start and the end, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import budget_bench
import consolidate_bench
import kabupaten_bench
import province_bench
import reports_bench
import web_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="IKU pipeline benchmarks")
    parser.add_argument("--n", type=int, default=2000, help="sheets for the consolidation benchmark")
    parser.add_argument("--opd", type=int, default=40, help="OPD of the kabupaten benchmark")
    parser.add_argument("--skip-consolidate", action="store_true")
    parser.add_argument("--skip-kabupaten", action="store_true")
    parser.add_argument("--skip-reports", action="store_true")
    parser.add_argument("--skip-budget", action="store_true")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument(
        "--province", action="store_true", help="the province benchmark only (bench/province_bench.py)"
    )
    parser.add_argument("--province-opd", type=int, default=400, help="OPD of the province benchmark")
    args = parser.parse_args(argv)
    if args.province:  # an hour-scale run of its own: the other benchmarks are not repeated
        args.skip_consolidate = args.skip_kabupaten = args.skip_reports = args.skip_web = True
        args.skip_budget = True

    rows: list[tuple[str, str, str, str]] = []
    failed = False
    started = time.perf_counter()
    load_start = os.getloadavg()
    print(
        f"load average at the start: {load_start[0]:.1f} {load_start[1]:.1f} {load_start[2]:.1f}", flush=True
    )
    benchmarks = [
        (
            args.skip_consolidate,
            "consolidation",
            f"Consolidation benchmark ({args.n} sheets)",
            consolidate_bench,
            (args.n,),
        ),
        (
            args.skip_kabupaten,
            "kabupaten",
            f"Kabupaten benchmark ({args.opd} OPD)",
            kabupaten_bench,
            (args.opd,),
        ),
        (args.skip_reports, "report", "Report benchmark", reports_bench, ()),
        (
            args.skip_budget,
            "budget",
            "Budget benchmark (2,000-row sheet; reports with and without)",
            budget_bench,
            (),
        ),
        (args.skip_web, "portal", "Portal benchmark", web_bench, ()),
    ]
    for skip, name, title, bench, bench_args in benchmarks:
        if skip:
            continue
        print(f"{title} ...", flush=True)
        try:
            rows += bench.summary_rows(bench.measure(*bench_args))
        except Exception as exc:
            failed = True
            print(f"  {name} benchmark failed: {exc}")
            rows.append((f"{name} benchmark", "failed", "", "ERROR"))

    if args.province:
        for name, run in (
            ("province", lambda: province_bench.summary_rows(province_bench.measure(args.province_opd))),
            ("province ten years", lambda: province_ten_years(args.province_opd)),
        ):
            print(f"{name.capitalize()} benchmark ({args.province_opd} OPD) ...", flush=True)
            try:
                rows += run()
            except Exception as exc:
                failed = True
                print(f"  {name} benchmark failed: {exc}")
                rows.append((f"{name} benchmark", "failed", "", "ERROR"))

    widths = [max(len(r[i]) for r in rows + [("measure", "figure", "goal", "")]) for i in range(4)]
    line = "-" * (sum(widths) + 6)
    load = os.getloadavg()
    print(
        f"\nSummary (total {time.perf_counter() - started:.0f} s; load average at the start "
        f"{load_start[0]:.1f}, at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores)"
        f"\n{line}"
    )
    print(f"{'measure':<{widths[0]}}  {'figure':>{widths[1]}}  {'goal':<{widths[2]}}  ")
    print(line)
    for m, fig, goal, verdict in rows:
        print(f"{m:<{widths[0]}}  {fig:>{widths[1]}}  {goal:<{widths[2]}}  {verdict}")
    print(line)
    # a missed goal is a finding to read, not a failure of `make bench`
    return 1 if failed else 0


def province_ten_years(opd: int) -> list[tuple[str, str, str, str]]:
    """The warehouse at ten years: its rows, then the plans of the slowest queries."""
    f = province_bench.measure_ten_years(opd)
    for name, statement, plan in f.plans:
        print(f"\n-- {name}\n{statement}\n{plan}")
    return province_bench.ten_year_rows(f)


if __name__ == "__main__":
    sys.exit(main())
