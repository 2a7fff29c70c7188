"""The machine's processes as /proc shows them, for tests that must prove a
process ended (or none was left behind)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    state: str  # "Z": a zombie nobody reaped yet (the container's init may not)
    ppid: int
    pgrp: int

    @property
    def cmdline(self) -> bytes:
        try:
            return (Path("/proc") / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return b""


def _read(pid: str) -> Proc | None:
    try:
        stat = (Path("/proc") / pid / "stat").read_text()
    except OSError:
        return None
    state, ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
    return Proc(int(pid), state, int(ppid), int(pgrp))


def running() -> Iterator[Proc]:
    """Every process that still runs (zombies left out)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            proc = _read(entry.name)
            if proc is not None and proc.state != "Z":
                yield proc


def gone(pid: int) -> bool:
    """Ended: no such process, or a zombie nobody reaped."""
    proc = _read(str(pid))
    return proc is None or proc.state == "Z"
