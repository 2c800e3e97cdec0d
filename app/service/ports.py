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


class DedupStore(Protocol):
    """Atomic per-fingerprint records (Redis in production)."""

    def record_firing(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> Claim:
        """Claim the fingerprint, or count a repeat of an existing record."""

    def confirm(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> bool:
        """Mark the claim as backed by `ref`; False when another holder took it over."""

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


class NamespaceDirectory(Protocol):
    """Reads namespaces (the Kubernetes API in production)."""

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

    def ping(self) -> None:
        """Raise KubernetesUnavailable unless the API answers."""
