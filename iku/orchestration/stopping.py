"""How `iku serve` and `iku worker` stop on SIGTERM (what systemd sends): as a
KeyboardInterrupt raised in the main thread. asyncio and anyio let it through
every task, where a cancellation of the main task, Prefect's own way, was lost
in CI (docs/testing.md)."""

from __future__ import annotations


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised in the main thread; Ctrl-C is a plain KeyboardInterrupt."""


def why(exc: KeyboardInterrupt) -> str:
    """The stop's cause as the closing line names it."""
    return "SIGTERM" if isinstance(exc, Stopped) else "Ctrl-C"
