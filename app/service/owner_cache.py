"""Objects' controllers, cached per worker: one lookup per object at a time, shared by every
thread that asks meanwhile (single-flight), kept for a TTL, in a bounded table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain import ResourceRef
from app.service.errors import KubernetesUnavailable, ServiceError
from app.service.ports import Owners, Ownership

MAX_ENTRIES = 10_000


@dataclass
class _Flight:
    """One lookup in progress: the threads that ask meanwhile wait for its answer."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: Ownership | None = None
    error: BaseException | None = None


class OwnerCache:
    """Ownership by object; a missing object is remembered for `missing_ttl` only (a pod
    that is about to exist, or a name a StatefulSet reuses)."""

    def __init__(
        self,
        owners: Owners,
        *,
        ttl: float,
        missing_ttl: float,
        clock: Callable[[], float],
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._owners = owners
        self._ttl = ttl
        self._missing_ttl = missing_ttl
        self._clock = clock
        self._max = max_entries
        self._entries: dict[ResourceRef, tuple[float, Ownership]] = {}
        self._flights: dict[ResourceRef, _Flight] = {}
        self._lock = threading.Lock()

    def ownership(self, ref: ResourceRef) -> tuple[Ownership, bool]:
        """Return an object's ownership, and whether this call looked it up (False: cached,
        or another thread's lookup); raise what that lookup raised."""
        with self._lock:
            cached = self._entries.get(ref)
            if cached is not None and cached[0] > self._clock():
                return cached[1], False
            flight = self._flights.get(ref)
            leading = flight is None
            if flight is None:
                flight = self._flights[ref] = _Flight()
        if not leading:
            return self._follow(flight), False
        try:
            flight.answer = self._owners.ownership(ref)
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[ref]
                if flight.answer is not None:
                    self._keep(ref, flight.answer)
            flight.done.set()
        return flight.answer, True

    @staticmethod
    def _follow(flight: _Flight) -> Ownership:
        """Wait for another thread's lookup (bounded by its timeout and retry budget)."""
        flight.done.wait()
        if flight.answer is not None:
            return flight.answer
        if isinstance(flight.error, ServiceError):
            raise flight.error
        raise KubernetesUnavailable("kubernetes: the owner lookup failed")

    def _keep(self, ref: ResourceRef, answer: Ownership) -> None:
        """Cache an answer (under the lock); when full, drop the expired ones, else the oldest
        tenth (object names come from senders: never let them grow the table)."""
        now = self._clock()
        if len(self._entries) >= self._max:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self._max:
                oldest = list(self._entries)[: max(1, self._max // 10)]
                for key in oldest:
                    del self._entries[key]
        self._entries.pop(ref, None)
        ttl = self._ttl if answer.exists else self._missing_ttl
        self._entries[ref] = (now + ttl, answer)
