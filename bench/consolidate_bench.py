"""What consolidation costs per sheet, compared with only reading the sheets.

In a temporary folder: generate N valid sheets, then
  (a) `iku consolidate` on all of them (fresh process),
  (b) `iku consolidate` again with nothing new,
  (c) a plain python-calamine read of the same files, timed inside its process.
(a) and (b) run against a running Prefect server; (b) also without one (the
process then starts a temporary server itself), for comparison.

    .venv/bin/python bench/consolidate_bench.py [--n 2000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: iku and prefect live beside python
sys.path.insert(0, str(REPO))

GOAL_RATIO = 10.0
GOAL_NOTHING_NEW_S = 2.0

# (c): what a reader costs at the least, in its own process like (a)
READ_LOOP = """
import sys, time
from pathlib import Path
from python_calamine import CalamineWorkbook
paths = [Path(p) for p in Path(sys.argv[1]).read_text().split("\\n") if p]
t = time.perf_counter()
for p in paths:
    CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
print(time.perf_counter() - t)
"""


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


@dataclass
class ConsolidateFigures:
    n: int
    first_s: float  # (a) with server
    nothing_new_s: float  # (b) with server
    nothing_new_no_server_s: float | None  # (b) without a server
    read_s: float  # (c)
    peak_rss_mb: float  # of (a)
    first_output: str

    @property
    def marginal_ms(self) -> float:
        return (self.first_s - self.nothing_new_s) / self.n * 1000

    @property
    def read_ms(self) -> float:
        return self.read_s / self.n * 1000

    @property
    def ratio(self) -> float:
        return self.marginal_ms / self.read_ms if self.read_ms else float("inf")


def _summary_line(output: str) -> str:
    """The CLI's own summary ('N berkas baru: ...'), not the Prefect log lines."""
    lines = [line for line in output.splitlines() if "berkas baru" in line]
    return lines[-1].strip() if lines else (output.strip().splitlines() or [""])[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd: list[str], env: dict, log: Path) -> Run:
    """Wall time and the child's own peak RSS (wait4 gives that child's rusage,
    the same accounting as RUSAGE_CHILDREN but for this process alone)."""
    with log.open("wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb = usage.ru_maxrss  # kilobytes on Linux
    return Run(seconds, rss_kb / 1024, proc.returncode, log.read_text(errors="replace"))


class PrefectServer:
    """`prefect server start` with its own PREFECT_HOME, stopped on exit."""

    def __init__(self, home: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
        }
        self.env.pop("PREFECT_API_URL", None)
        self.log = log
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> PrefectServer:
        import httpx

        self._fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited early; see {self.log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"prefect server did not become healthy in 180 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # its own session: the server and its workers only
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self._fh.close()


def iku_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKU_") and k != "PREFECT_API_URL"}
    env.update(
        {
            "IKU_CONFIG_DIR": str(REPO / "config"),
            "IKU_INBOX_DIR": str(tmp / "inbox"),
            "IKU_OUTPUT_DIR": str(tmp / "out"),
            "IKU_ARCHIVE_DIR": str(tmp / "archive"),
            "IKU_WAREHOUSE_URL": f"sqlite:///{tmp / 'iku.sqlite'}",
            "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",  # keep the one-line summary on one line
        }
    )
    return env


def measure(n: int = 2000, *, seed: int = 1, keep: bool = False, echo=print) -> ConsolidateFigures:
    from iku.config import load_config
    from iku.sample_data import generate_bulk

    tmp = Path(tempfile.mkdtemp(prefix="iku-bench-"))
    try:
        config = load_config(REPO / "config")
        t = time.perf_counter()
        paths = generate_bulk(config, tmp / "inbox", n, seed=seed)
        echo(f"  {n} sheets generated in {time.perf_counter() - t:.1f} s under {tmp / 'inbox'}")
        env = iku_env(tmp)
        iku = [str(BIN / "iku"), "consolidate"]

        with PrefectServer(tmp / "prefect-home", tmp / "prefect-server.log") as server:
            echo(f"  Prefect server up at {server.url}")
            env_srv = {**env, "PREFECT_API_URL": server.url, "PREFECT_HOME": str(tmp / "prefect-home")}
            a = run_measured(iku, env_srv, tmp / "a.log")
            if a.returncode:
                raise RuntimeError(f"(a) iku consolidate failed ({a.returncode}):\n{a.output[-3000:]}")
            echo(f"  (a) first run: {a.seconds:.1f} s  — {_summary_line(a.output)}")
            found = re.search(r"(\d+) berkas baru: (\d+) valid", a.output)
            if not found or int(found.group(2)) != n:
                echo(f"  WARNING: expected {n} valid new files; the figures below are suspect")
            b = run_measured(iku, env_srv, tmp / "b.log")
            if b.returncode:
                raise RuntimeError(f"(b) iku consolidate failed ({b.returncode}):\n{b.output[-3000:]}")
            echo(f"  (b) nothing new, with server: {b.seconds:.2f} s")

        # without PREFECT_API_URL the process starts a temporary server of its own
        env_tmp = {**env, "PREFECT_HOME": str(tmp / "prefect-home-ephemeral")}
        b0 = run_measured(iku, env_tmp, tmp / "b0.log")
        b0_s = b0.seconds if b0.returncode == 0 else None
        echo(
            f"  (b) nothing new, temporary server: "
            f"{f'{b0.seconds:.1f} s' if b0_s is not None else 'failed, see ' + str(tmp / 'b0.log')}"
        )

        listing = tmp / "paths.txt"
        listing.write_text("\n".join(str(p) for p in paths))
        c = subprocess.run(
            [sys.executable, "-c", READ_LOOP, str(listing)], capture_output=True, text=True, check=True
        )
        read_s = float(c.stdout.strip().splitlines()[-1])
        echo(f"  (c) calamine read only: {read_s:.2f} s")
        return ConsolidateFigures(
            n, a.seconds, b.seconds, b0_s, read_s, a.peak_rss_mb, _summary_line(a.output)
        )
    finally:
        if keep:
            echo(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def summary_rows(f: ConsolidateFigures) -> list[tuple[str, str, str, str]]:
    """(measure, figure, goal, verdict) rows for the summary table."""

    def verdict(ok: bool | None) -> str:
        return "-" if ok is None else ("ok" if ok else "MISSED")

    no_server = "n/a" if f.nothing_new_no_server_s is None else f"{f.nothing_new_no_server_s:.1f} s"
    return [
        (f"consolidate {f.n} sheets, first run (a)", f"{f.first_s:.1f} s", "", "-"),
        ("marginal cost per sheet (a-b)/n", f"{f.marginal_ms:.2f} ms", "", "-"),
        ("raw calamine read per sheet (c)/n", f"{f.read_ms:.3f} ms", "", "-"),
        ("ratio marginal / raw read", f"{f.ratio:.1f}", f"<= {GOAL_RATIO:g}", verdict(f.ratio <= GOAL_RATIO)),
        (
            "nothing new (b), Prefect server",
            f"{f.nothing_new_s:.2f} s",
            f"< {GOAL_NOTHING_NEW_S:g} s",
            verdict(f.nothing_new_s < GOAL_NOTHING_NEW_S),
        ),
        ("nothing new (b), temporary server", no_server, "(for comparison)", "-"),
        ("peak memory of (a)", f"{f.peak_rss_mb:.0f} MB", "", "-"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    f = measure(args.n, seed=args.seed, keep=args.keep)
    for row in summary_rows(f):
        print(f"{row[0]:<40} {row[1]:>12}  {row[2]:<18} {row[3]}")
    if args.json:
        print(json.dumps({**asdict(f), "marginal_ms": f.marginal_ms, "read_ms": f.read_ms, "ratio": f.ratio}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
