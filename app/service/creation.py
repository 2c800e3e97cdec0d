"""Back a claimed fingerprint by a RemediationRequest: create it, adopt the active one
Kubernetes has, or join the storm Kubernetes holds for its scope (Redis lost it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.domain import Classification, ObjectRef, Outcome, Result, Signal, StormSettings
from app.service.errors import ServiceError
from app.service.ports import (
    Observation,
    Recorded,
    RemediationRequests,
    ResourceHistory,
    SignalIdentity,
    SignalStore,
    StormResource,
)
from app.service.resource import Storm, remediation_request

log = logging.getLogger(__name__)


class Creation:
    """Where a claimed fingerprint's resource comes from: exactly one per active problem."""

    def __init__(
        self,
        *,
        store: SignalStore,
        remediation_requests: RemediationRequests,
        history: ResourceHistory,
        storms: StormSettings,
        observe_storm: Callable[[str], None],
        observe_recurrence: Callable[[], None],
    ) -> None:
        self._store = store
        self._rrs = remediation_requests
        self._history = history
        self._storm_settings = storms
        self._observe_storm = observe_storm
        self._observe_recurrence = observe_recurrence

    def create(
        self,
        signal: Signal,
        claimed: Observation,
        classification: Classification,
        claim: Recorded,
        *,
        now: datetime,
    ) -> Result:
        """Create the resource of a claimed fingerprint: its scope's storm resource when it
        tipped the scope, else its own (or adopt the active one Kubernetes has)."""
        held = _Held(signal, claimed, classification, claim, now)
        if claim.storm.kind == "tipped":
            return self._create_storm(held)
        return self._create_or_adopt(held)

    def _create_storm(self, held: _Held) -> Result:
        """Create the storm resource of the scope this signal tipped into a storm."""
        claimed, storm = held.claimed, held.claim.storm
        window = self._storm_settings.window(storm.storm_type)
        body = held.body(storm=Storm(storm.storm_type, window, storm.affected))
        try:
            ref = self._rrs.create(body)
        except ServiceError:
            self._store.settle_storm(claimed.scope, token=claimed.token, created=False)
            raise
        self._store.settle_storm(claimed.scope, token=claimed.token, created=True)
        self._observe_storm(storm.storm_type)
        self._store.confirm(claimed, now_ms=held.now_ms, ref=ref)
        log.info("storm detected", extra={"stormType": storm.storm_type, "resource": ref.name})
        return held.result(Outcome.CREATED, ref, held.claim.occurrence_count)

    def _create_or_adopt(self, held: _Held) -> Result:
        """Adopt the fingerprint's active resource if Kubernetes has one; join its scope's
        storm if Kubernetes has one that lists it (Redis lost it); else create one, naming
        the fingerprint's resources that ended lately (recurrence)."""
        claimed, fingerprint = held.claimed, held.signal.fingerprint
        namespace = held.classification.namespace
        history = self._history.history(fingerprint, namespace=namespace)
        active = history.active
        if not active:
            storm = self._history.storm(claimed.scope, claimed.resource, namespace=namespace)
            if storm is not None:
                return self._join_storm(held, storm)
        if active:
            ref, outcome = active.ref, Outcome.DUPLICATE
        else:
            ended = [e.ref.name for e in history.ended]
            ref, outcome = self._rrs.create(held.body(ended=ended)), Outcome.CREATED
            if ended:
                self._observe_recurrence()
        count = self._store.confirm(claimed, now_ms=held.now_ms, ref=ref, adopted=active)
        if count is None:
            log.warning(
                "dedup claim was taken over while creating; a second resource may exist",
                extra={"fingerprint": fingerprint, "resource": ref.name},
            )
        # The creator's own occurrence is the claim's; an adoption continues the resource's count.
        mine = count if active and count else held.claim.occurrence_count
        return held.result(outcome, ref, mine)

    def _join_storm(self, held: _Held, storm: StormResource) -> Result:
        """Aggregate a signal into its scope's storm as Kubernetes holds it."""
        count = self._store.join_storm(held.claimed, storm, now_ms=held.now_ms)
        log.info(
            "signal joined a storm Redis had lost",
            extra={"fingerprint": held.signal.fingerprint, "resource": storm.ref.name},
        )
        return held.result(Outcome.AGGREGATED, storm.ref, count or held.claim.occurrence_count)


@dataclass(frozen=True)
class _Held:
    """A claimed signal on its way to a resource: what it is, what Redis said, when."""

    signal: Signal
    claimed: Observation
    classification: Classification
    claim: Recorded
    now: datetime

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def body(self, *, storm: Storm | None = None, ended: Sequence[str] = ()) -> dict[str, Any]:
        """The RemediationRequest to create for it (named as its claim names it)."""
        return remediation_request(
            self.signal,
            self.classification,
            name=self.claimed.ref.name,
            received_at=self.now,
            first_seen=datetime.fromtimestamp(self.claim.first_seen_ms / 1000, UTC),
            occurrence_count=self.claim.occurrence_count or 1,
            storm=storm,
            ended=ended,
        )

    def result(self, outcome: Outcome, ref: ObjectRef, count: int | None) -> Result:
        return Result(self.signal.fingerprint, outcome, ref, count)


def identity_of(signal: Signal) -> SignalIdentity:
    """What status.signals says of a signal: its name, type and the object it named."""
    target = signal.target
    return SignalIdentity(signal.name, signal.signal_type.value, target.kind, target.name)
