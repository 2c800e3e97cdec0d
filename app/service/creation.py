"""Back a claimed fingerprint by a RemediationRequest: create it, adopt the active one
Kubernetes has, or join the storm Kubernetes holds for its scope (Redis lost it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from app.domain import Classification, Outcome, Result, Signal, StormSettings
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
        if claim.storm.kind == "tipped":
            return self._create_storm(signal, claimed, classification, claim, now=now)
        return self._create_or_adopt(signal, claimed, classification, claim, now=now)

    def _create_storm(
        self,
        signal: Signal,
        claimed: Observation,
        classification: Classification,
        claim: Recorded,
        *,
        now: datetime,
    ) -> Result:
        """Create the storm resource of the scope this signal tipped into a storm."""
        storm = claim.storm
        window = self._storm_settings.window(storm.storm_type)
        body = _body(
            signal,
            classification,
            claim,
            name=claimed.ref.name,
            now=now,
            storm=Storm(storm.storm_type, window, storm.affected),
        )
        try:
            ref = self._rrs.create(body)
        except ServiceError:
            self._store.settle_storm(claimed.scope, token=claimed.token, created=False)
            raise
        self._store.settle_storm(claimed.scope, token=claimed.token, created=True)
        self._observe_storm(storm.storm_type)
        self._store.confirm(claimed, now_ms=_ms(now), ref=ref)
        log.info("storm detected", extra={"stormType": storm.storm_type, "resource": ref.name})
        return Result(signal.fingerprint, Outcome.CREATED, ref, claim.occurrence_count)

    def _create_or_adopt(
        self,
        signal: Signal,
        claimed: Observation,
        classification: Classification,
        claim: Recorded,
        *,
        now: datetime,
    ) -> Result:
        """Adopt the fingerprint's active resource if Kubernetes has one; join its scope's
        storm if Kubernetes has one that lists it (Redis lost it); else create one, naming
        the fingerprint's resources that ended lately (recurrence)."""
        namespace = classification.namespace
        history = self._history.history(signal.fingerprint, namespace=namespace)
        active = history.active
        if not active:
            storm = self._history.storm(claimed.scope, claimed.resource, namespace=namespace)
            if storm is not None:
                return self._join_storm(signal, claimed, storm, claim, now=now)
        if active:
            ref, outcome = active.ref, Outcome.DUPLICATE
        else:
            ended = [e.ref.name for e in history.ended]
            body = _body(signal, classification, claim, name=claimed.ref.name, now=now, ended=ended)
            ref, outcome = self._rrs.create(body), Outcome.CREATED
            if ended:
                self._observe_recurrence()
        count = self._store.confirm(claimed, now_ms=_ms(now), ref=ref, adopted=active)
        if count is None:
            log.warning(
                "dedup claim was taken over while creating; a second resource may exist",
                extra={"fingerprint": signal.fingerprint, "resource": ref.name},
            )
        # The creator's own occurrence is the claim's; an adoption continues the resource's count.
        mine = count if active and count else claim.occurrence_count
        return Result(signal.fingerprint, outcome, ref, mine)

    def _join_storm(
        self,
        signal: Signal,
        claimed: Observation,
        storm: StormResource,
        claim: Recorded,
        *,
        now: datetime,
    ) -> Result:
        """Aggregate a signal into its scope's storm as Kubernetes holds it."""
        count = self._store.join_storm(claimed, storm, now_ms=_ms(now))
        log.info(
            "signal joined a storm Redis had lost",
            extra={"fingerprint": signal.fingerprint, "resource": storm.ref.name},
        )
        return Result(
            signal.fingerprint, Outcome.AGGREGATED, storm.ref, count or claim.occurrence_count
        )


def _body(
    signal: Signal,
    classification: Classification,
    claim: Recorded,
    *,
    name: str,
    now: datetime,
    storm: Storm | None = None,
    ended: Sequence[str] = (),
) -> dict[str, Any]:
    return remediation_request(
        signal,
        classification,
        name=name,
        received_at=now,
        first_seen=datetime.fromtimestamp(claim.first_seen_ms / 1000, UTC),
        occurrence_count=claim.occurrence_count or 1,
        storm=storm,
        ended=ended,
    )


def identity_of(signal: Signal) -> SignalIdentity:
    """What status.signals says of a signal: its name, type and the object it named."""
    target = signal.target
    return SignalIdentity(signal.name, signal.signal_type.value, target.kind, target.name)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
