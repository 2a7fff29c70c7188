"""What one account or one OPD may send (issue 17 H1): uploads per hour and
bytes per day, per account (its sessions and its API tokens together) and per
OPD (all its accounts), and a floor of free disk space below which nothing is
written. Every sheet sent counts, invalid and unreadable ones too: each of them
is stored, archived and alerted like a valid one.

The counts live in this process (`iku web` runs one); a restart forgets them,
which gives a sender at most one more window's worth."""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from iku.storage import Remote, Where

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Refusal:
    status: int  # 429 (too many, too much) or 507 (no room on the server)
    message: str  # for a person, in Indonesian
    retry_after: int  # seconds


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds) + 1} detik"
    if seconds < 2 * HOUR:
        return f"{int(seconds // 60) + 1} menit"
    return f"{int(seconds // HOUR) + 1} jam"


def _bytes(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB" if n >= 1_000_000 else f"{n:,} bita".replace(",", ".")


class UploadQuota:
    """Sliding windows per key: at most `per_hour` uploads in any hour and
    `bytes_per_day` bytes in any 24 hours (0: no limit)."""

    def __init__(self, per_hour: int, bytes_per_day: int, opd_per_hour: int, opd_bytes_per_day: int):
        self.limits = {"akun": (per_hour, bytes_per_day), "OPD": (opd_per_hour, opd_bytes_per_day)}
        self._events: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def take(self, account_id: int, opd: str, size: int, now: float | None = None) -> Refusal | None:
        """Count one upload of `size` bytes, or the refusal when it is one too many
        (a refused upload is not counted)."""
        now = time.monotonic() if now is None else now
        keys = {"akun": f"account:{account_id}", "OPD": f"opd:{opd}"}
        with self._lock:
            for scope, key in keys.items():
                events = self._events.setdefault(key, deque())
                while events and events[0][0] <= now - DAY:
                    events.popleft()
                refusal = self._over(scope, events, size, now)
                if refusal is not None:
                    return refusal
            for key in keys.values():
                self._events[key].append((now, size))
        return None

    def _over(self, scope: str, events: deque[tuple[float, int]], size: int, now: float) -> Refusal | None:
        per_hour, per_day = self.limits[scope]
        this_hour = [t for t, _ in events if t > now - HOUR]
        if per_hour and len(this_hour) >= per_hour:
            wait = this_hour[len(this_hour) - per_hour] + HOUR - now
            return Refusal(
                429,
                f"Terlalu banyak kiriman: batas {per_hour} berkas per jam untuk {scope} ini sudah tercapai. "
                f"Coba lagi dalam {_minutes(wait)}.",
                int(wait) + 1,
            )
        if per_day and sum(s for _, s in events) + size > per_day:
            wait = DAY
            total = sum(s for _, s in events) + size
            for t, s in events:  # the oldest uploads leave the window first
                total -= s
                if total <= per_day:
                    wait = t + DAY - now
                    break
            return Refusal(
                429,
                f"Terlalu banyak data: batas {_bytes(per_day)} per hari untuk {scope} ini sudah tercapai. "
                f"Coba lagi dalam {_minutes(wait)}.",
                int(wait) + 1,
            )
        return None


def free_bytes(where: Where) -> int | None:
    """Free bytes on the local file system holding `where` (its nearest existing
    folder); None for a shared store, whose room the portal cannot see."""
    if isinstance(where, Remote):
        return None
    path = Path(where).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def room_refusal(places: list[Where], size: int, floor: int) -> Refusal | None:
    """A refusal when writing `size` bytes would leave less than `floor` bytes
    free on the file system of any of `places` (the inbox, the archive)."""
    if floor <= 0:
        return None
    for place in places:
        free = free_bytes(place)
        if free is not None and free - size < floor:
            return Refusal(
                507,
                "Ruang penyimpanan server hampir penuh, berkas belum diterima. "
                "Beri tahu pengelola sistem, lalu kirim lagi nanti.",
                3600,
            )
    return None
