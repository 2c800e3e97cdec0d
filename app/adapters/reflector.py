"""List, then watch, the way client-go's reflector does, with its backoff and its errors.

A list fills the store and the watch that follows it keeps it current. The store follows the
API (synced) from a completed list until the first error of that watch. After any error (a
failed list or watch, a watch that ends within a second having delivered nothing, a 410, a
watch silent past its timeout plus a margin) the reflector backs off exponentially with
jitter (app.pacing.Backoff) and only then lists again.

After a failure, a completed list is not enough: a watch that is accepted and then says
nothing (a stalled proxy) looks healthy until its timeout. The first watch after a failure is
therefore a short probe, and the store says synced again only once a watch has shown it is
alive (an event, a bookmark, or a clean end at its timeout).
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.pacing import Backoff, QuietLog

log = logging.getLogger(__name__)
Event = Mapping[str, Any]


class Restart(enum.StrEnum):
    """Why a reflector lists again: the label values of its restarts metric."""

    SHORT_WATCH = "short-watch"
    EXPIRED = "expired"
    ERROR = "error"
    STALLED = "stalled"


class WatchFailed(Exception):
    """A list or watch failed; `reason` says how, `retry_after` is the server's wish."""

    def __init__(self, reason: Restart, detail: str, *, retry_after: float | None = None):
        super().__init__(detail)
        self.reason = reason
        self.retry_after = retry_after


class Listing(Protocol):
    """A list's objects, fetched page by page as they are iterated (never all held at once),
    and its resourceVersion once they all were; iterating raises WatchFailed."""

    resource_version: str

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        """Yield every object."""


class ListWatch(Protocol):
    """The API side of a reflector."""

    def list(self) -> Listing:
        """Return every object, to be iterated."""

    def watch(self, version: str, *, timeout: int, read_timeout: float) -> Iterator[Event]:
        """Yield the watch's events from `version`; raise WatchFailed."""


class Store(Protocol):
    """The memory side of a reflector."""

    def replace(self, listing: Listing) -> None:
        """Replace everything with a list's objects (iterating it)."""

    def apply(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Apply one ADDED, MODIFIED, DELETED or BOOKMARK event."""

    def set_synced(self, synced: bool) -> None:
        """Say whether the store follows the API."""


@dataclass(frozen=True)
class Timing:
    """How long watches last and how long a silent one is waited for."""

    watch_seconds: int = 300
    margin: float = 30.0
    # The timeout of the first watch after a failure: how soon a recovered API is trusted.
    probe_seconds: int = 5
    # A watch that ends sooner than this having delivered nothing is an error (client-go: 1 s).
    short_watch: float = 1.0


class Reflector:
    """Keep a store current from a list and a watch; back off after every error."""

    def __init__(
        self,
        source: ListWatch,
        store: Store,
        *,
        name: str,
        timing: Timing | None = None,
        backoff: Backoff | None = None,
        on_restart: Callable[[Restart], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._source, self._store, self._name = source, store, name
        self._timing = timing or Timing()
        self._backoff = backoff or Backoff(clock=clock, rand=rand)
        self._on_restart = on_restart or (lambda reason: None)
        self._clock, self._rand = clock, rand
        self._log = QuietLog(log, clock=clock)
        # False from a failure until a watch shows it is alive: lists alone are not trusted.
        self._proven = True

    def run(self, stop: threading.Event) -> None:
        """List and watch until `stop`; after a failure, back off, then list again."""
        while not stop.is_set():
            try:
                self._list_and_watch(stop)
            except WatchFailed as failure:
                self._restarted(failure)
                delay = max(self._backoff.next(), failure.retry_after or 0.0)
                stop.wait(delay)

    def _restarted(self, failure: WatchFailed) -> None:
        self._proven = False
        self._store.set_synced(False)
        self._on_restart(failure.reason)
        self._log.warning(
            failure.reason,
            f"{self._name}: list or watch failed ({failure.reason}); backing off, then relisting",
            error=str(failure)[:300],
        )

    def _list_and_watch(self, stop: threading.Event) -> None:
        listing = self._source.list()
        self._store.replace(listing)
        version = listing.resource_version
        self._store.set_synced(self._proven)
        while not stop.is_set():
            version = self._watch(version, stop)

    def _watch(self, version: str, stop: threading.Event) -> str:
        """Follow one watch to its end; return the newest version it showed."""
        if self._proven:
            timeout = int(self._timing.watch_seconds * (1.0 + self._rand()))
        else:
            timeout = min(self._timing.probe_seconds, self._timing.watch_seconds)
        started = self._clock()
        events = 0
        stream = self._source.watch(
            version, timeout=timeout, read_timeout=timeout + self._timing.margin
        )
        for event in stream:
            events += 1
            version = self._follow(event, version)
            self._alive()
            if stop.is_set():
                return version
        if events == 0 and self._clock() - started < self._timing.short_watch:
            raise WatchFailed(Restart.SHORT_WATCH, "the watch ended at once, with no event")
        self._alive()
        return version

    def _alive(self) -> None:
        """The watch delivered, or ended cleanly: the store follows the API again."""
        if not self._proven:
            self._proven = True
            self._store.set_synced(True)

    def _follow(self, event: Event, version: str) -> str:
        kind, obj = str(event.get("type")), event.get("object") or {}
        if kind == "ERROR":
            code = obj.get("code")
            reason = Restart.EXPIRED if code == 410 else Restart.ERROR
            raise WatchFailed(reason, f"ERROR event {code}: {obj.get('message', '')}"[:300])
        self._store.apply(kind, obj)
        found = (obj.get("metadata") or {}).get("resourceVersion")
        return str(found) if found else version
