"""What the service layer needs from the outside world; adapters implement these."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.domain import ObjectRef, ResourceRef


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
class EndedResource:
    """A RemediationRequest of a fingerprint that reached a terminal phase, and when."""

    ref: ObjectRef
    ended_ms: int


@dataclass(frozen=True)
class History:
    """What Kubernetes holds for a fingerprint: its newest active resource, if any, and its
    resources that ended within the recurrence window, newest first."""

    active: ActiveResource | None = None
    ended: tuple[EndedResource, ...] = ()


@dataclass(frozen=True)
class StormResource:
    """A storm RemediationRequest as Kubernetes holds it."""

    ref: ObjectRef
    storm_type: str
    alert_count: int
    truncated: int
    affected: tuple[str, ...]
    updated_ms: int
    ended_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SignalIdentity:
    """Which signal joined a resource: its name, type and the object it named."""

    name: str
    signal_type: str
    target_kind: str
    target_name: str


@dataclass(frozen=True)
class SignalCount:
    """One distinct signal of a resource, as status.signals lists it."""

    identity: SignalIdentity
    count: int
    last_seen_ms: int


@dataclass(frozen=True)
class Occurrences:
    """What status.deduplication (and status.signals) of one resource should say."""

    ref: ObjectRef
    count: int
    first_seen_ms: int
    last_seen_ms: int
    # The figures of an ended resource, and its record has figures of its own to write next.
    more: bool = False
    # Every distinct signal the record counted (identity.mode workload), and how many more
    # there were than it lists; none: the resource has one signal, its own (resource mode).
    signals: tuple[SignalCount, ...] = ()
    signals_truncated: int = 0


@dataclass(frozen=True)
class Flapping:
    """That a fingerprint's alert started flapping, or stopped: what its resource says."""

    ref: ObjectRef
    flapping: bool
    transitions: int
    since_ms: int
    # When it stops flapping if nothing changes (while flapping), or when it stopped.
    stops_ms: int


class OccurrenceQueue(Protocol):
    """Status writes that are due, handed to one worker at a time (Redis in production)."""

    def due_occurrences(self, *, now_ms: int, limit: int) -> list[str]:
        """Pop fingerprints whose status write is due; each goes to exactly one caller."""

    def take_occurrences(
        self, member: str, *, now_ms: int
    ) -> Occurrences | StormAggregation | Flapping | int | None:
        """Return what to write now for a queued member, the ms when it is due, or None."""

    def flapping_written(self, member: str, *, flapping: bool) -> int:
        """Note that a flapping start (or stop) of a queued member was written; return how
        many fingerprints flap now."""

    def flapping_now(self) -> int:
        """Return how many fingerprints flap now."""

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


NO_REF = ObjectRef("", "")


@dataclass(frozen=True)
class Observation:
    """One signal of a request, as the store records it."""

    fingerprint: str
    scope: StormScope
    firing: bool
    # For a firing signal: the claim token and the resource a claimer will create.
    token: str = ""
    ref: ObjectRef = NO_REF
    # The signal's resource as namespace:Kind:name (what pattern storms count).
    resource: str = ""
    # Names of resources its record may point at that have ended: a record pointing at one
    # answers nothing, and the signal is a new fingerprint.
    ended: tuple[str, ...] = ()
    # identity.mode workload: the signal, counted among its record's distinct signals.
    signal: SignalIdentity | None = None


@dataclass(frozen=True)
class Recorded:
    """What the store made of one observation."""

    kind: str  # claimed | duplicate | aggregated | resolved
    occurrence_count: int | None = None
    # claimed: the resource to create; duplicate: the record's; aggregated: the storm's;
    # resolved: the created resource, if any.
    ref: ObjectRef | None = None
    first_seen_ms: int = 0
    storm: StormDecision = StormDecision("none")


@dataclass(frozen=True)
class Admission:
    """A request token to take from the caller's bucket before anything of its request is
    recorded (rate limiting: `rate` tokens per second, at most `burst` at once)."""

    caller: str
    rate: float
    burst: int


class SignalStore(Protocol):
    """Dedup records and storm state (Redis in production); nothing in a worker's memory."""

    def record(
        self,
        observations: Sequence[Observation],
        *,
        now_ms: int,
        admission: Admission | None = None,
    ) -> list[Recorded]:
        """Record a request's signals at once, or raise StoreUnavailable having kept none of
        its claims. With an admission, its token is taken first, in the same call; without
        one, OverRateLimit is raised and nothing is recorded (no observations: the token only).
        """

    def confirm(
        self,
        observation: Observation,
        *,
        now_ms: int,
        ref: ObjectRef,
        adopted: ActiveResource | None = None,
    ) -> int | None:
        """Back the claim by `ref` (adding an adopted resource's history); None if taken over."""

    def give_back(self, observation: Observation, *, now_ms: int) -> None:
        """Release the claim and take the signal out of its scope's rate window, so that the
        sender's retry claims again and counts once."""

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        """Mark the storm resource created, or end the storm if it could not be."""

    def join_storm(
        self, observation: Observation, storm: StormResource, *, now_ms: int
    ) -> int | None:
        """Aggregate a claimed signal into a storm Kubernetes holds and the store lost,
        restoring the scope's storm from it; return the record's count, or None if the
        claim was taken over."""

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""


class RemediationRequests(Protocol):
    """Writes RemediationRequests (the Kubernetes API in production)."""

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        """Create one RemediationRequest, retrying transient failures within the budget."""

    def write_occurrences(self, occurrences: Occurrences) -> None:
        """Write status.deduplication (and status.signals, when it lists them) of one
        RemediationRequest."""

    def write_storm(self, aggregation: StormAggregation) -> None:
        """Write status.stormAggregation of one storm RemediationRequest."""

    def write_flapping(self, flapping: Flapping) -> None:
        """Label a RemediationRequest flapping (or not) and write its status.flapping."""


class ResourceHistory(Protocol):
    """What Kubernetes holds for a fingerprint or a storm scope (the resource index, else
    label lookups, in production)."""

    def history(self, fingerprint: str, *, namespace: str) -> History:
        """Return the fingerprint's newest active resource and those ended in the window."""

    def ended_refs(
        self, fingerprint: str, scope: StormScope, *, namespace: str
    ) -> tuple[ObjectRef, ...]:
        """Return resources the fingerprint's record may point at that have ended (cheap:
        from memory or a recent lookup; nothing when the API cannot tell)."""

    def storm(self, scope: StormScope, resource: str, *, namespace: str) -> StormResource | None:
        """Return the scope's newest active storm resource that lists `resource`, if any."""

    def signal_of(self, ref: ObjectRef) -> SignalIdentity | None:
        """Return the signal a resource was created for, if it is known from memory."""


@dataclass(frozen=True)
class Ownership:
    """What the API says of one object: whether it exists, and the controller it names."""

    exists: bool
    controller: ResourceRef | None = None


class Owners(Protocol):
    """Reads objects' controller references (the Kubernetes API in production)."""

    def ownership(self, ref: ResourceRef) -> Ownership:
        """Return whether a Pod, ReplicaSet or Job exists and its controller; raise
        KubernetesUnavailable (MissingPermission when the API answers 403)."""


class NamespaceDirectory(Protocol):
    """Reads namespaces (the Kubernetes API in production)."""

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

    def ping(self) -> None:
        """Raise KubernetesUnavailable unless the API answers."""


class RequestTokens(Protocol):
    """Rate-limit buckets per caller (Redis in production)."""

    def take_token(self, caller: str, *, now_ms: int, rate: float, burst: int) -> float:
        """Take one request token; return 0, or the seconds until one is free."""


class Authenticator(Protocol):
    """Decides who a bearer token belongs to and whether it may send signals."""

    def authorize(self, token: str) -> str:
        """Return the caller's user name; raise Unauthenticated, Forbidden or Unavailable."""


class BackgroundLoop(Protocol):
    """Work a worker process runs beside its requests until it stops."""

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set."""
