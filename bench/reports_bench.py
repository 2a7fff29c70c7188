"""How long the reports of one year take to build and render, in-process.

Two catalogues: the shipped one (the seed's OPD, 5 indicators) and a synthetic
one of 200 indicators over 10 bidang, written as an opd.yaml into a temporary
config folder. Figures come from iku.sample_data's year plan, so no warehouse
and no Prefect are involved: what is timed is iku.reports building the report
data and writing HTML, Excel and JSON (4 quarterly + annual) and the LAKIP feed.

    .venv/bin/python bench/reports_bench.py
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOAL_PER_REPORT_S = 1.0
YEAR = 2023


@dataclass
class ReportTimes:
    catalogue: str
    indicators: int
    cold: dict[str, float] = field(default_factory=dict)  # first render in this process
    warm: dict[str, float] = field(default_factory=dict)  # the same again
    note: str | None = None

    @property
    def worst(self) -> float:
        return max(self.cold.values())

    @property
    def total(self) -> float:
        return sum(self.cold.values())


def synthetic_catalogue(directory: Path, n: int = 200, bidang: int = 10, seed: int = 1) -> Path:
    """Write config/opd.yaml (+ the shipped pipeline.yaml) with `n` indicators."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "pipeline.yaml", directory / "pipeline.yaml")
    shipped = yaml.safe_load((REPO / "config" / "opd.yaml").read_text(encoding="utf-8"))
    years = list(range(shipped["opd"]["renstra_period"][0], shipped["opd"]["renstra_period"][1] + 1))
    width = max(2, len(str(n)))
    indicators = []
    for i in range(1, n + 1):
        kind = rng.choices(["count", "ratio", "level"], weights=[7, 2, 1])[0]
        base = {
            "count": rng.randint(10, 500),
            "ratio": rng.choice([10, 25, 50, 75, 90]),
            "level": rng.randint(60, 90),
        }[kind]
        s = (i - 1) // 8 + 1  # eight indicators per sasaran
        indicators.append(
            {
                "code": f"IKU-{i:0{width}d}",
                "name": f"Indikator sintetis {i} untuk uji kecepatan laporan",
                "tujuan": f"Tujuan {(s - 1) // 5 + 1}",
                "sasaran": f"Sasaran {s}",
                "unit": {"count": "Unit", "ratio": "%", "level": "Indeks"}[kind],
                "bidang": f"bidang{(i - 1) % bidang + 1:02d}",
                "kind": kind,
                "polarity": "down" if rng.random() < 0.1 else "up",
                "baseline": {"value": base * 0.8, "text": f"{base * 0.8:g}"},
                # some targets not set, as in the seed
                "targets": {y: (None if rng.random() < 0.05 else base) for y in years},
                "formula": "Realisasi / Target X 100%",
            }
        )
    data = {
        "opd": shipped["opd"],
        "bidang": [
            {"code": f"bidang{b:02d}", "name": f"Bidang Sintetis {b}", "email": []}
            for b in range(1, bidang + 1)
        ],
        "indicators": indicators,
    }
    (directory / "opd.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return directory


def load_catalogue(directory: Path):
    """load_config, or, when the schema refuses the synthetic file (e.g. the
    two-digit code pattern IKU-\\d{2} against 200 codes), the same data built
    without validation so the rendering can still be timed. Returns (config, note)."""
    from iku.config import Baseline, Bidang, Catalogue, Config, ConfigError, Indicator, Opd, load_config

    try:
        return load_config(directory), None
    except ConfigError as exc:
        raw = yaml.safe_load((directory / "opd.yaml").read_text(encoding="utf-8"))
        pipeline = load_config(REPO / "config").pipeline
        cat = Catalogue.model_construct(
            opd=Opd(**raw["opd"]),
            bidang=[Bidang(**b) for b in raw["bidang"]],
            indicators=[
                Indicator.model_construct(**{**d, "baseline": Baseline(**d["baseline"])})
                for d in raw["indicators"]
            ],
        )
        return Config(catalogue=cat, pipeline=pipeline, directory=directory), f"built unvalidated: {exc}"


def figures(config, year: int):
    """Current monthly values of every year up to `year` and the year's submission
    matrix, as the warehouse would hold them after consolidating the sample plan."""
    from iku.domain.model import MonthlyValue
    from iku.domain.periods import deadline
    from iku.domain.status import MonthSubmission
    from iku.sample_data import plan_year

    tz = ZoneInfo(config.pipeline.timezone)
    values, subs = [], []
    for y in range(config.catalogue.opd.renstra_period[0], year + 1):
        plan = plan_year(config, y)
        current: dict[tuple, MonthlyValue] = {}
        revisions: dict[tuple, int] = {}
        for f in sorted((f for f in plan.files if f.valid), key=lambda f: f.received_at):
            rev = revisions[(f.bidang, f.month)] = revisions.get((f.bidang, f.month), 0) + 1
            sha = hashlib.sha256(f"{y}/{f.relpath}".encode()).hexdigest()
            for fig in f.figures:
                current[(f.bidang, f.month, fig.indicator)] = MonthlyValue(
                    f.bidang,
                    fig.indicator,
                    y,
                    f.month,
                    fig.realisation,
                    fig.numerator,
                    fig.denominator,
                    fig.note,
                    Path(f.relpath).name,
                    sha,
                    rev,
                    f.received_at,
                )
        values.extend(current.values())
        if y == year:
            firsts = {}
            for f in sorted(plan.files, key=lambda f: f.received_at):
                if f.valid:
                    firsts.setdefault((f.bidang, f.month), f)
            order = {b.code: i for i, b in enumerate(config.catalogue.bidang)}  # bidang-major, as the query
            for (b, m), status in sorted(
                plan.expected_status.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])
            ):
                first = firsts.get((b, m))
                due = deadline(y, m, config.pipeline.deadline_day, config.pipeline.timezone)
                subs.append(
                    MonthSubmission(b, y, m, status, first.received_at.astimezone(tz) if first else None, due)
                )
    return values, subs


def time_year(config, label: str, out: Path, note: str | None = None) -> ReportTimes:
    from iku import reports
    from iku.domain.periods import Period

    values, subs = figures(config, YEAR)
    as_of = datetime(YEAR + 1, 1, 31, 23, 59, 59, tzinfo=ZoneInfo(config.pipeline.timezone))
    result = ReportTimes(label, len(config.catalogue.indicators), note=note)
    for bucket in (result.cold, result.warm):
        for period in [f"{YEAR}-Q{q}" for q in range(1, 5)] + [str(YEAR)]:
            p = Period.parse(period)
            t = time.perf_counter()
            data = reports.build_report_data(
                config, values, [s for s in subs if s.month <= p.end_month], p, as_of
            )
            reports.render_report(data, out)
            bucket[period] = time.perf_counter() - t
        t = time.perf_counter()
        reports.render_lakip(reports.build_lakip_data(config, values, YEAR), out)
        bucket["lakip"] = time.perf_counter() - t
    return result


def measure(echo=print) -> list[ReportTimes]:
    import iku.reports  # noqa: F401 - imports are interpreter start, not rendering
    from iku.config import load_config

    tmp = Path(tempfile.mkdtemp(prefix="iku-reports-bench-"))
    try:
        results = [time_year(load_config(REPO / "config"), "seed OPD", tmp / "seed")]
        config, note = load_catalogue(synthetic_catalogue(tmp / "config200"))
        if note:
            echo(f"  note: synthetic catalogue {note}")
        results.append(time_year(config, "synthetic", tmp / "synthetic", note))
        for r in results:
            echo(
                f"  {r.catalogue} ({r.indicators} indicators): "
                + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in r.cold.items())
            )
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summary_rows(results: list[ReportTimes]) -> list[tuple[str, str, str, str]]:
    rows = []
    for r in results:
        ok = r.worst < GOAL_PER_REPORT_S
        rows.append(
            (
                f"reports {YEAR}, {r.catalogue} ({r.indicators} ind.): slowest",
                f"{r.worst * 1000:.0f} ms",
                f"< {GOAL_PER_REPORT_S:g} s per report",
                "ok" if ok else "MISSED",
            )
        )
        rows.append(
            (
                f"reports {YEAR}, {r.catalogue}: all 6 (cold / warm)",
                f"{r.total:.2f} / {sum(r.warm.values()):.2f} s",
                "",
                "-",
            )
        )
    return rows


def main() -> int:
    for row in summary_rows(measure()):
        print(f"{row[0]:<52} {row[1]:>14}  {row[2]:<22} {row[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
