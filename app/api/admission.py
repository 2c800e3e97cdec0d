"""A worker's memory of the callers that are out of request tokens, and until when."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_CALLERS = 10_000


class LimitMemory:
    """Callers this worker was told have no request token, and until when one is free.

    While that wait lasts, Redis would answer the same (a bucket refills only with time, and
    other workers' requests only lengthen the wait), so the caller's requests are refused
    before their body is read, without a Redis call. At most `size` callers are held; the one
    remembered first goes first.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, size: int = MAX_CALLERS
    ) -> None:
        self._clock = clock
        self._size = size
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return how many callers are held."""
        return len(self._until)

    def wait(self, caller: str) -> float:
        """Return the seconds until `caller` has a token again, as far as this worker knows."""
        until = self._until.get(caller)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left > 0:
            return left
        with self._lock:
            if self._until.get(caller) == until:
                del self._until[caller]
        return 0.0

    def remember(self, caller: str, wait: float) -> None:
        """Remember that `caller` has no token for `wait` seconds from now."""
        with self._lock:
            self._until.pop(caller, None)
            while len(self._until) >= self._size:
                del self._until[next(iter(self._until))]
            self._until[caller] = self._clock() + wait
