"""What Kubernetes holds for a fingerprint or a storm scope: from the resource index while it
follows the API, else from label lookups (the ResourceHistory port)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from app.adapters.rr_index import ResourceIndex, Unknown
from app.adapters.rr_table import newest_first, read_entry, read_storm
from app.domain import ObjectRef
from app.pacing import QuietLog
from app.service.errors import KubernetesUnavailable
from app.service.ports import History, SignalIdentity, StormResource, StormScope

log = logging.getLogger(__name__)
# How long a label lookup made for the hot path answers again (only while the index does not
# follow the API): at most one list per fingerprint per worker in that time.
RECENT_SECONDS = 5.0
MAX_RECENT = 10_000


class LabelledLists(Protocol):
    """Lists RemediationRequests by label (KubernetesApi)."""

    def list_labelled(self, namespace: str, selector: str) -> list[Mapping[str, Any]]:
        """Return the RemediationRequests of a namespace that match a label selector."""


class ResourceLookups:
    """A fingerprint's history and a scope's storm, from memory or from the API."""

    def __init__(
        self,
        kube: LabelledLists,
        *,
        index: ResourceIndex | None,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kube = kube
        self._index = index
        self._window_ms = int(window_seconds * 1000)
        self._clock = clock
        self._recent: dict[str, tuple[float, tuple[ObjectRef, ...]]] = {}
        self._lock = threading.Lock()
        self._log = QuietLog(log)

    def history(self, fingerprint: str, *, namespace: str) -> History:
        """Return the fingerprint's newest active resource and those ended in the window."""
        if self._index is not None:
            known = self._index.history(fingerprint)
            if not isinstance(known, Unknown):
                return known
        items = self._kube.list_labelled(namespace, _fingerprint_selector(fingerprint))
        entries = [
            entry
            for found in map(read_entry, items)
            if found is not None and found[0] == fingerprint
            for entry in [found[1]]
        ]
        start = self._now_ms() - self._window_ms
        ordered = newest_first(entries)
        active = next((e.active() for e in ordered if e.ended_ms is None), None)
        ended = tuple(e.ended() for e in ordered if e.ended_ms is not None and e.ended_ms >= start)
        return History(active, ended)

    def ended_refs(
        self, fingerprint: str, scope: StormScope, *, namespace: str
    ) -> tuple[ObjectRef, ...]:
        """Return resources a record may point at that have ended: from memory, else from a
        recent label lookup; nothing when the API cannot tell (the record's answer stands)."""
        if self._index is not None:
            known = self._index.ended_refs(fingerprint, scope)
            if not isinstance(known, Unknown):
                return known
        now = self._clock()
        with self._lock:
            cached = self._recent.get(fingerprint)
        if cached is not None and now - cached[0] < RECENT_SECONDS:
            return cached[1]
        try:
            refs = tuple(e.ref for e in self.history(fingerprint, namespace=namespace).ended)
        except KubernetesUnavailable as exc:
            self._log.warning("ended", "cannot tell whether a resource ended", error=str(exc))
            return ()
        with self._lock:
            if len(self._recent) >= MAX_RECENT:
                self._recent.clear()
            self._recent[fingerprint] = (now, refs)
        return refs

    def storm(self, scope: StormScope, resource: str, *, namespace: str) -> StormResource | None:
        """Return the scope's newest active storm resource that lists `resource`, if any."""
        if self._index is not None:
            known = self._index.storm(scope, resource)
            if not isinstance(known, Unknown):
                return known
        items = self._kube.list_labelled(namespace, "kubernaut.io/storm=true")
        storms = [found[1] for found in map(_storm, items) if found and found[0] == scope]
        listing = [s for s in storms if s.ended_ms is None and resource in s.affected]
        return max(listing, key=lambda s: s.updated_ms, default=None)

    def signal_of(self, ref: ObjectRef) -> SignalIdentity | None:
        """Return the signal a resource was created for, if the index holds it."""
        return self._index.signal_of(ref) if self._index is not None else None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _storm(item: Mapping[str, Any]) -> tuple[StormScope, StormResource] | None:
    found = read_storm(item)
    return None if found is None else (StormScope(*found[0]), found[1])


def _fingerprint_selector(fingerprint: str) -> str:
    return f"kubernaut.io/signal-fingerprint={fingerprint[:63]}"
