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

    def take_occurrences(self, fingerprint: str, *, now_ms: int) -> Occurrences | int | None:
        """Return occurrences to write now, the ms when they will be due, or None."""

    def requeue(self, fingerprint: str, *, now_ms: int, due_ms: int, failed: bool) -> None:
        """Queue a status write again; after a failed write, mark the occurrences unwritten."""


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


class NamespaceDirectory(Protocol):
    """Reads namespaces (the Kubernetes API in production)."""

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

    def ping(self) -> None:
        """Raise KubernetesUnavailable unless the API answers."""
