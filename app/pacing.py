"""Pacing for loops that retry: exponential backoff with jitter, and logs that do not flood."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any


class Backoff:
    """client-go's exponential backoff manager (NewExponentialBackoffManager): 0.8 s doubling,
    each wait jittered up to twice its step, back to the start after 2 quiet minutes.

    Unlike client-go, which jitters after capping (its longest wait is [30, 60) s), the cap
    applies to the jittered wait: no wait is longer than 30 s, so a recovered API is noticed
    within 30 s.
    """

    def __init__(
        self,
        *,
        initial: float = 0.8,
        cap: float = 30.0,
        factor: float = 2.0,
        jitter: float = 1.0,
        reset_after: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._initial, self._cap, self._factor = initial, cap, factor
        self._jitter, self._reset_after = jitter, reset_after
        self._clock, self._rand = clock, rand
        self._step = initial
        self._last: float | None = None

    def next(self) -> float:
        """Return how long to wait now, and step on."""
        now = self._clock()
        if self._last is None or now - self._last > self._reset_after:
            self._step = self._initial
        self._last = now
        step = self._step
        self._step = min(self._step * self._factor, self._cap)
        return min(self._cap, step + self._rand() * self._jitter * step)


class QuietLog:
    """At most one warning per reason per `every` seconds, counting the ones left out."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def warning(self, reason: str, message: str, **extra: Any) -> None:
        """Log `message` unless this reason was logged within the last `every` seconds."""
        now = self._clock()
        last = self._last.get(reason)
        if last is not None and now - last < self._every:
            self._left_out[reason] = self._left_out.get(reason, 0) + 1
            return
        self._last[reason] = now
        repeats = self._left_out.pop(reason, 0)
        self._logger.warning(message, extra={"reason": reason, "repeats": repeats, **extra})
