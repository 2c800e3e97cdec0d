"""Keep status.deduplication of RemediationRequests current without a write per occurrence."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from app.pacing import Backoff, QuietLog
from app.service.errors import ServiceError
from app.service.ports import (
    Flapping,
    OccurrenceQueue,
    Occurrences,
    RemediationRequests,
    ResourceHistory,
    SignalCount,
    StormAggregation,
)

log = logging.getLogger(__name__)
BATCH = 100
RETRY_MS = 5000
# How often a worker reads how many fingerprints flap (its gauge is the most recent reading).
COUNT_EVERY_MS = 15_000


class OccurrenceWriter:
    """Write due occurrence counts and storm figures; Redis hands each write to one worker."""

    def __init__(
        self,
        *,
        queue: OccurrenceQueue,
        remediation_requests: RemediationRequests,
        clock: Callable[[], datetime],
        period: float = 1.0,
        backoff: Backoff | None = None,
        observe_flapping: Callable[[bool], None] | None = None,
        observe_flapping_now: Callable[[int], None] | None = None,
        history: ResourceHistory | None = None,
    ) -> None:
        self._queue = queue
        self._rrs = remediation_requests
        self._clock = clock
        self._period = period
        self._backoff = backoff or Backoff()
        self._log = QuietLog(log)
        self._observe_flapping = observe_flapping or (lambda started: None)
        self._observe_flapping_now = observe_flapping_now or (lambda count: None)
        self._counted_ms = -COUNT_EVERY_MS
        self._history = history

    def flush(self, *, now: datetime | None = None) -> int:
        """Write every status that is due (now, or at `now`); return how many were written."""
        now_ms = int((now or self._clock()).timestamp() * 1000)
        if now_ms - self._counted_ms >= COUNT_EVERY_MS:
            self._counted_ms = now_ms
            self._observe_flapping_now(self._queue.flapping_now())
        written = 0
        for member in self._queue.due_occurrences(now_ms=now_ms, limit=BATCH):
            taken = self._queue.take_occurrences(member, now_ms=now_ms)
            if isinstance(taken, int):
                self._queue.requeue(member, now_ms=now_ms, due_ms=taken, failed=False)
            elif taken is not None:
                written += self._write(member, taken, now_ms=now_ms)
        return written

    def _write(
        self, member: str, figures: Occurrences | StormAggregation | Flapping, *, now_ms: int
    ) -> int:
        try:
            if isinstance(figures, StormAggregation):
                self._rrs.write_storm(figures)
            elif isinstance(figures, Flapping):
                self._rrs.write_flapping(figures)
            else:
                self._rrs.write_occurrences(self._with_signals(figures))
        except ServiceError as exc:
            self._log.warning("write", "status write failed, retrying later", error=str(exc))
            self._queue.requeue(member, now_ms=now_ms, due_ms=now_ms + RETRY_MS, failed=True)
            return 0
        self._written(member, figures, now_ms=now_ms)
        return 1

    def _with_signals(self, figures: Occurrences) -> Occurrences:
        """A resource of one signal (resource mode) lists it: the one it was created for."""
        if figures.signals or figures.more:
            return figures
        identity = self._history.signal_of(figures.ref) if self._history else None
        if identity is None:
            return figures
        only = SignalCount(identity, figures.count, figures.last_seen_ms)
        return dataclasses.replace(figures, signals=(only,))

    def _written(
        self, member: str, figures: Occurrences | StormAggregation | Flapping, *, now_ms: int
    ) -> None:
        """Do what a write leaves to do: note a flapping change (and check for its end
        then), or take a record again that has figures of its own after an ended one's."""
        if isinstance(figures, Flapping):
            now_flapping = self._queue.flapping_written(member, flapping=figures.flapping)
            self._observe_flapping(figures.flapping)
            self._observe_flapping_now(now_flapping)
            if figures.flapping:
                self._queue.requeue(member, now_ms=now_ms, due_ms=figures.stops_ms, failed=False)
        elif isinstance(figures, Occurrences) and figures.more:
            self._queue.requeue(member, now_ms=now_ms, due_ms=now_ms, failed=False)

    def run(self, stop: threading.Event) -> None:
        """Flush every period until `stop` is set; after a failure, back off (0.8 s doubling
        to 30 s, with jitter) and log at most once per 30 s; never dies of a failure."""
        delay = self._period
        while not stop.wait(delay):
            try:
                self.flush()
            except ServiceError as exc:
                self._log.warning("flush", "occurrence flush failed; backing off", error=str(exc))
            except Exception as exc:  # a bug must not stop the status writes for good
                self._log.warning("crash", "occurrence flush crashed; backing off", error=repr(exc))
            else:
                delay = self._period
                continue
            delay = max(self._period, self._backoff.next())
