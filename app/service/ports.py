"""What the service layer needs from the outside world; adapters implement these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.domain import ObjectRef


@dataclass(frozen=True)
class Claim:
    """The answer of the dedup store to one firing occurrence."""

    claimed: bool
    occurrence_count: int
    ref: ObjectRef | None = None
    first_seen_ms: int = 0


@dataclass(frozen=True)
class ActiveResource:
    """A RemediationRequest that still works on a fingerprint's problem."""

    ref: ObjectRef
    occurrence_count: int
    first_seen_ms: int


@dataclass(frozen=True)
class Occurrences:
    """What status.deduplication of one resource should say."""

    ref: ObjectRef
    count: int
    first_seen_ms: int
    last_seen_ms: int


class OccurrenceQueue(Protocol):
    """Status writes that are due, handed to one worker at a time (Redis in production)."""

    def due_occurrences(self, *, now_ms: int, limit: int) -> list[str]:
        """Pop fingerprints whose status write is due; each goes to exactly one caller."""

    def take_occurrences(
        self, member: str, *, now_ms: int
    ) -> Occurrences | StormAggregation | int | None:
        """Return what to write now for a queued member, the ms when it is due, or None."""

    def requeue(self, fingerprint: str, *, now_ms: int, due_ms: int, failed: bool) -> None:
        """Queue a status write again; after a failed write, mark the occurrences unwritten."""


@dataclass(frozen=True)
class StormScope:
    """Where storms are detected: one signal name in one namespace."""

    namespace: str
    signal_name: str


@dataclass(frozen=True)
class StormDecision:
    """What a new fingerprint is to its scope: alone, aggregated, or the one that tips it."""

    kind: str  # none | aggregated | tipped
    ref: ObjectRef | None = None
    storm_type: str = ""
    affected: tuple[str, ...] = ()


@dataclass(frozen=True)
class StormAggregation:
    """What status.stormAggregation of a storm resource should say."""

    ref: ObjectRef
    alert_count: int
    truncated: int
    updated_ms: int
    affected: tuple[str, ...]


class StormStore(Protocol):
    """Storm state per scope (Redis in production); nothing lives in a worker's memory."""

    def observe_storm(
        self,
        scope: StormScope,
        *,
        now_ms: int,
        new: bool,
        resource: str,
        token: str,
        ref: ObjectRef,
    ) -> StormDecision:
        """Count a signal in its scope; decide for a new fingerprint."""

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        """Mark the storm resource created, or end the storm if it could not be."""

    def forget_signal(self, scope: StormScope, *, now_ms: int, token: str) -> None:
        """Take back a signal that was not recorded, so a sender's retries count once."""


class DedupStore(Protocol):
    """Atomic per-fingerprint records (Redis in production)."""

    def record_firing(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> Claim:
        """Claim the fingerprint, or count a repeat of an existing record."""

    def confirm(
        self,
        fingerprint: str,
        *,
        now_ms: int,
        token: str,
        ref: ObjectRef,
        adopted: ActiveResource | None = None,
        aggregated: bool = False,
    ) -> int | None:
        """Back the claim by `ref` (adding an adopted resource's history); None if taken over."""

    def release(self, fingerprint: str, *, now_ms: int, token: str) -> None:
        """Give the claim up so that the next occurrence claims again."""

    def record_resolved(self, fingerprint: str, *, now_ms: int) -> Claim | None:
        """Remember that the problem resolved; None when there is no record."""

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""


class RemediationRequests(Protocol):
    """Writes RemediationRequests (the Kubernetes API in production)."""

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        """Create one RemediationRequest, retrying transient failures within the budget."""

    def find_active(self, fingerprint: str, *, namespace: str) -> ActiveResource | None:
        """Return the newest non-terminal RemediationRequest of a fingerprint, if any."""

    def write_occurrences(
        self, ref: ObjectRef, *, first_seen_ms: int, last_seen_ms: int, count: int
    ) -> None:
        """Write status.deduplication of one RemediationRequest."""

    def write_storm(self, aggregation: StormAggregation) -> None:
        """Write status.stormAggregation of one storm RemediationRequest."""


class NamespaceDirectory(Protocol):
    """Reads namespaces (the Kubernetes API in production)."""

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

    def ping(self) -> None:
        """Raise KubernetesUnavailable unless the API answers."""
