"""Waiting for something to happen: poll with a deadline, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None],
    *,
    within: float,
    what: str | Callable[[], str],
    every: float = 0.1,
    error: type[Exception] = AssertionError,
) -> T:
    """Poll `probe` until it returns something truthy; after `within` seconds raise `error`
    naming `what` (a callable is asked then, to say what is still missing)."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"not within {within:g}s: {what() if callable(what) else what}")
        time.sleep(every)


def hold_for(seconds: float) -> None:
    """Let `seconds` pass: for tests whose subject is what happens over a while (a fault held,
    a steady state), not for waiting on something to happen."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))
