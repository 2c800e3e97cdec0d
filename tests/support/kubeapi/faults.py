"""Deterministic fault injection: per-route errors, delays and dropped connections."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass(eq=False)
class Fault:
    """One injected fault; the first active fault matching a request applies to it."""

    method: str | None
    path: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = None
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

    def matches(self, method: str, path: str) -> bool:
        """Return whether this fault targets `method` on `path`."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

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

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault that applies to this request, counting the hit, or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path) and not fault.exhausted:
                    fault.hits += 1
                    if fault.exhausted:
                        self._faults.remove(fault)
                    return fault
        return None
