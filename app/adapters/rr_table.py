"""What the resource index holds of each RemediationRequest, read from its object.

Per fingerprint: its active resources, and the ones that ended within the recurrence window
(newest first, at most MAX_ENDED), for recurrence and for "phase decides". Per storm scope
(namespace, signal name): its storm resources, active or ended, with the resources they list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain import TERMINAL_PHASES, ObjectRef
from app.service.ports import ActiveResource, EndedResource, SignalIdentity, StormResource

MAX_ENDED = 32


def parse_ms(value: Any) -> int:
    """Milliseconds since the epoch of an RFC 3339 time; 0 when it is not one."""
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(str(value)).timestamp() * 1000)
    except ValueError:
        return 0


def active_resource(item: Mapping[str, Any]) -> ActiveResource:
    """Read a resource's occurrences: the live status, else what it was created with."""
    live = (item.get("status") or {}).get("deduplication") or {}
    created = (item.get("spec") or {}).get("deduplication") or {}
    metadata = item.get("metadata") or {}
    return ActiveResource(
        ref=ObjectRef(metadata.get("namespace", ""), metadata.get("name", "")),
        occurrence_count=int(live.get("occurrenceCount") or created.get("occurrenceCount") or 1),
        first_seen_ms=parse_ms(live.get("firstSeenAt") or created.get("firstSeen") or ""),
    )


def ended_ms(item: Mapping[str, Any]) -> int | None:
    """When a resource ended, or None while it is active.

    Downstream's `status.completedAt` when it set one; else the last time the gateway saw its
    problem (`status.deduplication.lastSeenAt`, else `spec.deduplication.lastSeen`), else its
    creation: never later than the true end, so a recurrence window is never overstated.
    """
    status = item.get("status") or {}
    if str(status.get("overallPhase", "")).lower() not in TERMINAL_PHASES:
        return None
    seen = (status.get("deduplication") or {}).get("lastSeenAt")
    spec_seen = ((item.get("spec") or {}).get("deduplication") or {}).get("lastSeen")
    created = (item.get("metadata") or {}).get("creationTimestamp")
    for value in (status.get("completedAt"), seen, spec_seen, created):
        moment = parse_ms(value) if value else 0
        if moment:
            return moment
    return 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource of a fingerprint: what lookups answer, and no more."""

    ref: ObjectRef
    created_ms: int
    occurrence_count: int
    first_seen_ms: int
    ended_ms: int | None  # None while active
    signal: SignalIdentity | None = None  # the signal it was created for

    def active(self) -> ActiveResource:
        return ActiveResource(self.ref, self.occurrence_count, self.first_seen_ms)

    def ended(self) -> EndedResource:
        return EndedResource(self.ref, self.ended_ms or 0)


def read_entry(item: Mapping[str, Any]) -> tuple[str, Entry] | None:
    """(fingerprint, entry) of a resource of the gateway; None for a foreign one."""
    fingerprint = (item.get("spec") or {}).get("signalFingerprint")
    if not fingerprint:
        return None
    counted = active_resource(item)
    ended = ended_ms(item)
    entry = Entry(
        ref=counted.ref,
        created_ms=parse_ms((item.get("metadata") or {}).get("creationTimestamp", "")),
        occurrence_count=counted.occurrence_count,
        first_seen_ms=counted.first_seen_ms,
        ended_ms=ended,
        signal=read_signal(item) if ended is None else None,
    )
    return str(fingerprint), entry


def read_signal(item: Mapping[str, Any]) -> SignalIdentity | None:
    """The signal a resource was created for, from its spec."""
    spec = item.get("spec") or {}
    target = spec.get("targetResource") or {}
    name, kind = spec.get("signalName"), target.get("kind")
    if not isinstance(name, str) or not isinstance(kind, str):
        return None
    return SignalIdentity(name, str(spec.get("signalType", "")), kind, str(target.get("name", "")))


def read_storm(item: Mapping[str, Any]) -> tuple[tuple[str, str], StormResource] | None:
    """((scope namespace, signal name), storm) of a storm resource; None for any other."""
    spec = item.get("spec") or {}
    if not spec.get("isStorm"):
        return None
    metadata = item.get("metadata") or {}
    labels = metadata.get("labels") or {}
    scope = (labels.get("kubernaut.io/origin-namespace") or metadata.get("namespace", ""),
             str(spec.get("signalName", "")))  # fmt: skip
    figures = (item.get("status") or {}).get("stormAggregation") or {}
    listed = [*(spec.get("affectedResources") or []), *(figures.get("affectedResources") or [])]
    storm = StormResource(
        ref=ObjectRef(metadata.get("namespace", ""), metadata.get("name", "")),
        storm_type=str(spec.get("stormType", "")),
        alert_count=int(figures.get("alertCount") or spec.get("stormAlertCount") or 1),
        truncated=int(figures.get("truncatedCount") or 0),
        affected=tuple(dict.fromkeys(str(r) for r in listed)),
        updated_ms=parse_ms(figures.get("lastUpdated") or metadata.get("creationTimestamp", "")),
        ended_ms=ended_ms(item),
    )
    return scope, storm


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """Order entries newest first: active ones by creation, ended ones by their end."""
    return sorted(entries, key=lambda e: (e.ended_ms is None, e.ended_ms or e.created_ms),
                  reverse=True)  # fmt: skip


class Table:
    """Entries by fingerprint and storms by scope, with each resource's fingerprint by ref."""

    def __init__(self) -> None:
        # Nearly every fingerprint has one resource: a tuple costs less than a dict.
        self.entries: dict[str, tuple[Entry, ...]] = {}
        self.storms: dict[tuple[str, str], dict[ObjectRef, StormResource]] = {}
        self._fingerprints: dict[ObjectRef, str] = {}
        self._scopes: dict[ObjectRef, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self._fingerprints)

    def put(self, item: Mapping[str, Any], *, window_start_ms: int) -> None:
        """Hold what `item` says now (an ended resource only within the window)."""
        found = read_entry(item)
        if found is None:
            return
        fingerprint, entry = found
        self.remove(entry.ref)
        if entry.ended_ms is not None and entry.ended_ms < window_start_ms:
            return
        self.entries[fingerprint] = (*self.entries.get(fingerprint, ()), entry)
        self._fingerprints[entry.ref] = fingerprint
        storm = read_storm(item)
        if storm is not None:
            self.storms.setdefault(storm[0], {})[entry.ref] = storm[1]
            self._scopes[entry.ref] = storm[0]
        self._bound(fingerprint)

    def remove(self, ref: ObjectRef) -> None:
        """Forget one resource."""
        fingerprint = self._fingerprints.pop(ref, None)
        if fingerprint is None:
            return
        rest = tuple(e for e in self.entries.get(fingerprint, ()) if e.ref != ref)
        if rest:
            self.entries[fingerprint] = rest
        else:
            self.entries.pop(fingerprint, None)
        scope = self._scopes.pop(ref, None)
        if scope is not None:
            _drop(self.storms, scope, ref)

    def entry(self, ref: ObjectRef) -> Entry | None:
        """One resource's entry, if held."""
        fingerprint = self._fingerprints.get(ref)
        found = self.entries.get(fingerprint, ()) if fingerprint is not None else ()
        return next((e for e in found if e.ref == ref), None)

    def of(self, fingerprint: str) -> list[Entry]:
        """A fingerprint's resources, newest first."""
        return newest_first(self.entries.get(fingerprint, ()))

    def prune(self, *, window_start_ms: int) -> None:
        """Forget the resources that ended before the window."""
        stale = [
            entry.ref
            for found in self.entries.values()
            for entry in found
            if entry.ended_ms is not None and entry.ended_ms < window_start_ms
        ]
        for ref in stale:
            self.remove(ref)

    def _bound(self, fingerprint: str) -> None:
        ended = [e for e in self.of(fingerprint) if e.ended_ms is not None]
        for entry in ended[MAX_ENDED:]:
            self.remove(entry.ref)


def _drop(table: dict[Any, dict[ObjectRef, Any]], key: Any, ref: ObjectRef) -> None:
    by_ref = table.get(key)
    if by_ref is not None:
        by_ref.pop(ref, None)
        if not by_ref:
            del table[key]
