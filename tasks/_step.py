"""The one way a plain step becomes a Prefect task of this pipeline.

A step's arguments go to Prefect inside quote(): Prefect otherwise walks every
object inside them (the Resources with every OPD's catalogue, every report row,
every sheet's bytes) looking for upstream futures, which none of ours are.
Measured: every OPD's report of 40 OPD as a flow run spent 17 s of CPU in that
walk. No result is cached or persisted (inputs hold a live warehouse engine).

A task is typed as the step it wraps (same parameters, same result), so mypy
holds the flows' task modules to the Protocols of flows/pipeline.py as it
holds the plain steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

P = ParamSpec("P")
R = TypeVar("R")

RETRY_DELAYS = [2, 10]  # seconds: a store or a database that blinks


class StepTask(Task):
    """A Task whose arguments are handed over as they are (see the module)."""

    def __call__(self, *args: Any, return_state: bool = False, wait_for: Any = None, **kwargs: Any) -> Any:
        return super().__call__(
            *(quote(a) for a in args),
            return_state=return_state,
            wait_for=wait_for,
            **{k: quote(v) for k, v in kwargs.items()},
        )


def step(fn: Callable[P, R], name: str, retries: bool = True) -> Callable[P, R]:
    """`fn` as the task `name`; with `retries`, tried twice more after a failure.
    Called inside a flow run it returns what `fn` returns (Prefect runs it then)."""
    if retries:
        return StepTask(fn, name=name, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=RETRY_DELAYS)
    return StepTask(fn, name=name, cache_policy=NO_CACHE)
