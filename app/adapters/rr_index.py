"""The gateway's RemediationRequests by fingerprint and by storm scope, kept current by a list
and a watch (a reflector: app.adapters.reflector).

What client-go's informers do for controllers: "has this fingerprint an active resource?",
"which of its resources ended lately?" and "is this scope storming?" are answered from memory
instead of with an API call. It is a cache of Kubernetes, not state of its own: while it does
not follow the API it answers UNKNOWN and the caller asks the API. Per worker process, like
the API client; one small entry per resource, ended ones only within the recurrence window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import kubernetes.client as k8s

from app.adapters.reflector import Listing, Reflector, Timing
from app.adapters.rr_source import RemediationRequestSource
from app.adapters.rr_table import Table
from app.domain import ObjectRef
from app.pacing import Backoff
from app.service.ports import History, SignalIdentity, StormResource, StormScope

PRUNE_EVERY = 256


class Unknown:
    """The index cannot answer: ask the API."""


UNKNOWN = Unknown()


class ResourceIndex:
    """The gateway's RemediationRequests, active and lately ended: a reflector's store."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        timeout: float,
        window_seconds: float = 14400.0,
        timing: Timing | None = None,
        backoff: Backoff | None = None,
        on_sync: Callable[[bool], None] | None = None,
        on_restart: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = RemediationRequestSource(api, timeout=timeout)
        self._window_ms = int(window_seconds * 1000)
        self._timing = timing or Timing()
        self._backoff = backoff
        self._on_sync = on_sync or (lambda synced: None)
        self._on_restart = on_restart or (lambda reason: None)
        self._clock = clock
        self._lock = threading.Lock()
        self._table = Table()
        self._synced = False
        self._applied = 0
        # The newest resourceVersion the list and the watch have shown (None: not a number).
        self._seen: int | None = None

    @property
    def synced(self) -> bool:
        """True while the index follows the API (after a list, with its watch running)."""
        return self._synced

    def __len__(self) -> int:
        """How many resources the index holds."""
        return len(self._table)

    def history(self, fingerprint: str) -> History | Unknown:
        """A fingerprint's newest active resource and its resources ended within the window."""
        with self._lock:
            if not self._synced:
                return UNKNOWN
            entries = self._table.of(fingerprint)
        start = self._window_start()
        active = next((e.active() for e in entries if e.ended_ms is None), None)
        ended = tuple(e.ended() for e in entries if e.ended_ms is not None and e.ended_ms >= start)
        return History(active, ended)

    def ended_refs(self, fingerprint: str, scope: StormScope) -> tuple[ObjectRef, ...] | Unknown:
        """Resources a fingerprint's record may point at that have ended: its own, and its
        scope's storm resources. On the path of every firing signal: no sorting, no copy."""
        if not self._synced:
            return UNKNOWN
        own = self._table.entries.get(fingerprint, ())
        storms = self._table.storms.get((scope.namespace, scope.signal_name))
        if not storms and not any(e.ended_ms is not None for e in own):
            return ()
        with self._lock:
            ended = [e.ref for e in own if e.ended_ms is not None]
            if storms:
                ended += [ref for ref, s in list(storms.items()) if s.ended_ms is not None]
        return tuple(ended)

    def storm(self, scope: StormScope, resource: str) -> StormResource | Unknown | None:
        """The scope's newest active storm resource that lists `resource`, if any."""
        with self._lock:
            if not self._synced:
                return UNKNOWN
            storms = list(self._table.storms.get((scope.namespace, scope.signal_name), {}).values())
        listing = [s for s in storms if s.ended_ms is None and resource in s.affected]
        return max(listing, key=lambda s: s.updated_ms, default=None)

    def signal_of(self, ref: ObjectRef) -> SignalIdentity | None:
        """The signal an active resource was created for, if the index holds it."""
        with self._lock:
            entry = self._table.entry(ref)
        return None if entry is None else entry.signal

    def created(self, obj: Mapping[str, Any]) -> None:
        """Hold a resource this process has just created, before its watch event arrives.

        What client-go's mutation cache does for a controller's own writes: a Redis miss for
        its fingerprint moments later (Redis lost the record) is answered from memory too,
        instead of creating a second resource. Only an object newer than anything the list and
        the watch have shown is taken: once the watch has passed its version, the watch's own
        account of it (a later change, its deletion) stands.
        """
        version = _version(obj)
        if version is None:
            return
        with self._lock:
            if self._synced and self._seen is not None and version > self._seen:
                self._table.put(obj, window_start_ms=self._window_start())

    def run(self, stop: threading.Event) -> None:
        """Follow the API until `stop` (client-go's reflector semantics)."""
        reflector = Reflector(
            self._source,
            self,
            name="resource index",
            timing=self._timing,
            backoff=self._backoff,
            on_restart=self._on_restart,
        )
        reflector.run(stop)

    def replace(self, listing: Listing) -> None:
        """Replace the table with a list's objects, read a page at a time."""
        table = Table()
        start = self._window_start()
        for obj in listing:
            table.put(obj, window_start_ms=start)
        with self._lock:
            self._table = table
            self._seen = None
            self._saw({"metadata": {"resourceVersion": listing.resource_version}})

    def apply(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Apply one watch event; now and then forget what ended before the window."""
        with self._lock:
            self._saw(obj)
            if kind == "DELETED":
                self._table.remove(_ref(obj))
            elif kind in ("ADDED", "MODIFIED"):
                self._table.put(obj, window_start_ms=self._window_start())
            self._applied += 1
            if self._applied % PRUNE_EVERY == 0:
                self._table.prune(window_start_ms=self._window_start())

    def set_synced(self, synced: bool) -> None:
        """Say whether lookups may be answered from the table."""
        if synced != self._synced:
            self._synced = synced
            self._on_sync(synced)

    def _window_start(self) -> int:
        return int(self._clock() * 1000) - self._window_ms

    def _saw(self, obj: Mapping[str, Any]) -> None:
        """Note an object's resourceVersion as seen (call with the lock held)."""
        version = _version(obj)
        if version is not None and (self._seen is None or version > self._seen):
            self._seen = version


def _version(obj: Mapping[str, Any]) -> int | None:
    """An object's (or a list's) resourceVersion as a number; None if it is not one (it is
    opaque by contract; kube-apiserver's are etcd revisions)."""
    version: Any = (obj.get("metadata") or {}).get("resourceVersion")
    try:
        return int(version)
    except (TypeError, ValueError):
        return None


def _ref(obj: Mapping[str, Any]) -> ObjectRef:
    metadata = obj.get("metadata") or {}
    return ObjectRef(metadata.get("namespace", ""), metadata.get("name", ""))
