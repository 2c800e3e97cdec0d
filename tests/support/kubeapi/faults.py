"""Deterministic fault injection: per-route errors, delays, dropped connections, odd bodies,
and the ways real watches misbehave (what proxies and API gateways in front of kube-apiserver
do to them, and kube-apiserver's own 410s).

Watch modes (`watch_mode`, for watch requests):
- ``end``: 200, then the stream ends at once with no event;
- ``stall``: 200 and headers, then nothing, whatever timeoutSeconds says, until the fault is
  removed or the server stops;
- ``gone``: 200, then an ERROR event carrying a 410 Expired Status, then the end;
- ``drop``: 200 and headers, then the connection is closed without ending the stream.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

WATCH_MODES = frozenset({"end", "stall", "gone", "drop"})

# The ways a list/watch loop meets trouble, by name: `inject` arguments for the collection's
# route (a watch fault bites its watches, a list fault its lists).
LIST_WATCH_FAULTS: dict[str, dict[str, Any]] = {
    "watch ends at once": {"watches": True, "watch_mode": "end"},
    "watch stalls": {"watches": True, "watch_mode": "stall"},
    "watch gets 410 mid-stream": {"watches": True, "watch_mode": "gone"},
    "watch connection dropped": {"watches": True, "watch_mode": "drop"},
    "list throttled (429)": {"watches": False, "status": 429, "retry_after": 1},
    "list fails (500)": {"watches": False, "status": 500},
}


@dataclass(eq=False)
class Fault:
    """One injected fault; the first active fault matching a request applies to it.

    `watches`: None matches every request; True only watches (watch=true); False only the
    rest, e.g. the lists of a list-and-watch client. `body` answers 200 with these bytes as
    `content_type` (a proxy's HTML page, a malformed document).
    """

    method: str | None
    path: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = None
    watches: bool | None = None
    watch_mode: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)
    _owner: FaultSet | None = field(default=None, repr=False)
    _released: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)

    def hold(self) -> None:
        """Sleep `delay` seconds, or less if the fault is removed meanwhile."""
        if self.delay:
            self._released.wait(self.delay)

    def matches(self, method: str, path: str, *, watch: bool = False) -> bool:
        """Return whether this fault targets `method` on `path` (a watch or not)."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.watches is not None and self.watches != watch:
            return False
        return self._pattern.search(path) is not None

    def released(self, timeout: float | None = None) -> bool:
        """Wait until the fault is removed (at most `timeout` s); tell whether it was."""
        return self._released.wait(timeout)

    @property
    def exhausted(self) -> bool:
        """Return whether the fault has applied `times` times already."""
        return self.times is not None and self.hits >= self.times

    def remove(self) -> None:
        """Stop applying this fault and release the requests its delay is holding."""
        if self._owner is not None:
            self._owner.remove(self)
        self._released.set()


class FaultSet:
    """The active faults, in injection order, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Activate `fault` after the ones already injected."""
        if fault.status is not None and not 100 <= fault.status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {fault.status}")
        if fault.delay < 0:
            raise ValueError("delay must not be negative")
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be at least 1 (None means until removed)")
        if fault.watch_mode is not None and fault.watch_mode not in WATCH_MODES:
            raise ValueError(f"watch_mode must be one of {sorted(WATCH_MODES)}")
        with self._lock:
            fault._owner = self
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        """Deactivate `fault` (no-op when it is no longer active)."""
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        """Deactivate every fault, releasing requests held by their delays."""
        with self._lock:
            faults, self._faults = self._faults, []
        for fault in faults:
            fault.remove()

    def take(self, method: str, path: str, *, watch: bool = False) -> Fault | None:
        """Return the fault that applies to this request, counting the hit, or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, watch=watch) and not fault.exhausted:
                    fault.hits += 1
                    if fault.exhausted:
                        self._faults.remove(fault)
                    return fault
        return None
