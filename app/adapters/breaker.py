"""A circuit breaker: stop calling a failing dependency for a while, then probe it."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from app.domain import BreakerSettings

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
# Run a callable after a delay (in seconds), on another thread.
Schedule = Callable[[float, Callable[[], None]], None]


def _timer(delay: float, action: Callable[[], None]) -> None:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()


class CircuitBreaker:
    """Closed: calls flow and are counted. Open: calls fail fast. Half-open: a few probes."""

    def __init__(
        self,
        settings: BreakerSettings,
        *,
        clock: Callable[[], float],
        on_change: Callable[[str], None] | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._on_change = on_change or (lambda state: None)
        self._schedule = schedule or _timer
        self._calls: deque[tuple[float, bool]] = deque()
        self._state = CLOSED
        self._opened_at = 0.0
        self._probes_out = 0
        self._probes_ok = 0
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """Return closed, open or half-open (an open breaker past its cool-down is half-open)."""
        with self._lock:
            self._cool_down_passed()
            return self._state

    def allow(self) -> bool:
        """Tell whether a call may be made now; a half-open breaker lets a few probes through."""
        with self._lock:
            self._cool_down_passed()
            if self._state == CLOSED:
                return True
            if self._state == HALF_OPEN and self._probes_out < self._settings.probes:
                self._probes_out += 1
                return True
            return False

    def record(self, *, success: bool) -> None:
        """Count the outcome of an allowed call."""
        with self._lock:
            if self._state == HALF_OPEN:
                self._probes_out = max(0, self._probes_out - 1)
                if not success:
                    self._set(OPEN)
                    return
                self._probes_ok += 1
                if self._probes_ok >= self._settings.probes:
                    self._calls.clear()
                    self._set(CLOSED)
                return
            if self._state == OPEN:
                return
            now = self._clock()
            self._calls.append((now, success))
            while self._calls and self._calls[0][0] < now - self._settings.window:
                self._calls.popleft()
            failures = sum(1 for _, ok in self._calls if not ok)
            total = len(self._calls)
            if (
                total >= self._settings.min_calls
                and failures / total >= self._settings.failure_ratio
            ):
                self._set(OPEN)

    def _cool_down_passed(self) -> None:
        """Turn an open breaker half-open once its cool-down has passed."""
        if self._state == OPEN and self._clock() - self._opened_at >= self._settings.cool_down:
            self._set(HALF_OPEN)

    def _refresh(self) -> None:
        """Move on by time alone: an idle breaker past its cool-down says half-open."""
        with self._lock:
            self._cool_down_passed()

    def _set(self, state: str) -> None:
        """Enter `state`, restart what it counts, and report the change."""
        if state == OPEN:
            self._opened_at = self._clock()
            self._schedule(self._settings.cool_down, self._refresh)
        if state == HALF_OPEN:
            self._probes_out = 0
            self._probes_ok = 0
        self._state = state
        self._on_change(state)
