"""The one write path: normalize -> dedup -> classify -> create. All policy lives here."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.config import Config
from app.domain import (
    Classification,
    ObjectRef,
    Outcome,
    Result,
    Signal,
    SignalType,
    unique_id,
)
from app.service.classify import Classifier
from app.service.errors import ServiceError
from app.service.normalize import alert_signals, event_signal
from app.service.ports import (
    Admission,
    Observation,
    Recorded,
    RemediationRequests,
    ResourceHistory,
    SignalIdentity,
    SignalStore,
    StormResource,
    StormScope,
)
from app.service.resource import (
    Storm,
    affected_resource,
    new_name,
    remediation_request,
)
from app.service.workloads import WorkloadIdentity

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# Outcomes of one request's signals, counted by signal type: one metrics update per kind.
Observer = Callable[[Mapping[tuple[SignalType, Outcome], int]], None]


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


class IngestService:
    """Record signals: exactly one RemediationRequest per active fingerprint."""

    def __init__(
        self,
        *,
        store: SignalStore,
        remediation_requests: RemediationRequests,
        history: ResourceHistory,
        classifier: Classifier,
        config: Config,
        clock: Clock = utc_now,
        observe: Observer | None = None,
        observe_storm: Callable[[str], None] | None = None,
        observe_recurrence: Callable[[], None] | None = None,
        identity: WorkloadIdentity | None = None,
    ) -> None:
        self._identity = identity
        self._store = store
        self._storm_settings = config.storms
        self._rrs = remediation_requests
        self._history = history
        self._observe_recurrence = observe_recurrence or (lambda: None)
        self._classifier = classifier
        self._config = config
        self._clock = clock
        self._observe = observe or (lambda counts: None)
        self._observe_storm = observe_storm or (lambda storm_type: None)

    def alertmanager(
        self,
        webhook: Mapping[str, Any],
        raw_alerts: list[Any],
        admission: Admission | None = None,
    ) -> list[Result]:
        """Record every alert of a loaded Alertmanager webhook."""
        signals = alert_signals(
            webhook,
            raw_alerts,
            received_at=self._clock(),
            severity_aliases=self._config.severity_aliases,
            default_severity=self._config.default_severity,
        )
        return self.ingest(signals, admission)

    def kubernetes_event(
        self, event: Mapping[str, Any], raw: Any, admission: Admission | None = None
    ) -> list[Result]:
        """Record one loaded Kubernetes Event."""
        signal = event_signal(
            event,
            raw,
            received_at=self._clock(),
            critical_reasons=self._config.critical_event_reasons,
        )
        return self.ingest([signal], admission)

    def ingest(self, signals: Sequence[Signal], admission: Admission | None = None) -> list[Result]:
        """Record every signal of a request; raise Unavailable if they cannot all be recorded.

        The store records the whole request at once (one Redis call), taking the admission's
        request token in the same call (OverRateLimit, and nothing recorded, without one); only
        claimed fingerprints then go to Kubernetes, one by one. If one of those fails, every
        claim of the request that is not backed by a resource yet is given back before the
        error propagates, so the sender's retry claims them again."""
        started = time.perf_counter()
        if self._identity is not None:
            signals = self._identity.resolve(signals)
        now = self._clock()
        now_ms = _ms(now)
        plans: list[_Plan | None] = []
        observations: list[Observation] = []
        for signal in signals:
            if not signal.actionable:
                plans.append(None)
                continue
            planned = self._plan(signal)
            plans.append(planned)
            observations.append(planned.observation)
        recorded = iter(
            self._store.record(observations, now_ms=now_ms, admission=admission)
            if observations or admission
            else []
        )
        work = [
            (signal, plan, next(recorded) if plan else None)
            for signal, plan in zip(signals, plans, strict=True)
        ]
        results: list[Result] = []
        try:
            self._decide(work, results, now=now, now_ms=now_ms)
        finally:
            # On a failure, the signals decided before it (zip stops at the shorter).
            decided = zip(signals, results, strict=False)
            self._observe(Counter((s.signal_type, r.outcome) for s, r in decided))
        self._log(signals, results, started=started)
        return results

    def _decide(
        self,
        work: list[tuple[Signal, _Plan | None, Recorded | None]],
        results: list[Result],
        *,
        now: datetime,
        now_ms: int,
    ) -> None:
        """Append each signal's result; create the resources of claimed fingerprints."""
        for position, (signal, plan, done) in enumerate(work):
            if plan is None or done is None:
                result = Result(signal.fingerprint, Outcome.IGNORED, reason=signal.ignored)
            elif done.kind == "claimed" and plan.classification:
                try:
                    result = self._create(signal, plan, plan.classification, done, now=now)
                except ServiceError:
                    self._give_back(
                        [
                            p.observation
                            for _, p, d in work[position:]
                            if p and d and d.kind == "claimed"
                        ],
                        now_ms=now_ms,
                    )
                    raise
            else:
                result = Result(
                    signal.fingerprint, _OUTCOMES[done.kind], done.ref, done.occurrence_count
                )
            results.append(result)

    def _plan(self, signal: Signal) -> _Plan:
        scope = StormScope(signal.namespace, signal.name)
        if not signal.firing:
            return _Plan(Observation(signal.fingerprint, scope, firing=False))
        classification = self._classifier.classify(signal)
        # Phase decides: a record whose resource has ended answers nothing (the store starts
        # it anew), known here without an API call while the resource index follows the API.
        ended = self._history.ended_refs(
            signal.fingerprint, scope, namespace=classification.namespace
        )
        observation = Observation(
            signal.fingerprint,
            scope,
            firing=True,
            token=unique_id(),
            ref=ObjectRef(classification.namespace, new_name(signal.fingerprint)),
            resource=affected_resource(signal),
            ended=tuple(ref.name for ref in ended),
            signal=_identity_of(signal) if signal.workload is not None else None,
        )
        return _Plan(observation, classification)

    def _give_back(self, observations: list[Observation], *, now_ms: int) -> None:
        """Give claims back after a failure; one that cannot be expires after the claim TTL."""
        for observation in observations:
            try:
                self._store.give_back(observation, now_ms=now_ms)
            except ServiceError:
                log.warning(
                    "could not give a claim back; it expires after the claim TTL",
                    extra={"fingerprint": observation.fingerprint},
                )

    def _create(
        self,
        signal: Signal,
        plan: _Plan,
        classification: Classification,
        claim: Recorded,
        *,
        now: datetime,
    ) -> Result:
        """Create the resource of a claimed fingerprint: its scope's storm resource when it
        tipped the scope, else its own (or adopt the active one Kubernetes has)."""
        if claim.storm.kind == "tipped":
            return self._create_storm(signal, plan.observation, classification, claim, now=now)
        return self._create_or_adopt(signal, plan.observation, classification, claim, now=now)

    def _log(self, signals: Sequence[Signal], results: list[Result], *, started: float) -> None:
        """A line per signal that made or joined a resource (rare, and worth reading); the
        request's summary only at DEBUG (repeats are what the metrics count)."""
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        for signal, result in zip(signals, results, strict=True):
            if result.outcome in (Outcome.CREATED, Outcome.AGGREGATED):
                log.info(
                    "signal %s",
                    result.outcome.value,
                    extra={
                        "fingerprint": result.fingerprint,
                        "outcome": result.outcome.value,
                        "signalType": signal.signal_type.value,
                        "signalName": signal.name,
                        "resource": result.remediation_request.name
                        if result.remediation_request
                        else None,
                        "occurrenceCount": result.occurrence_count,
                        "durationMs": elapsed,
                    },
                )
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "signals recorded",
                extra={
                    "signals": len(results),
                    "outcomes": dict(Counter(result.outcome.value for result in results)),
                    "durationMs": elapsed,
                },
            )

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


@dataclass(frozen=True)
class _Plan:
    """A signal's observation, and for a firing one its classification."""

    observation: Observation
    classification: Classification | None = None


_OUTCOMES = {
    "duplicate": Outcome.DUPLICATE,
    "aggregated": Outcome.AGGREGATED,
    "resolved": Outcome.RESOLVED,
}


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


def _identity_of(signal: Signal) -> SignalIdentity:
    """What status.signals says of a signal: its name, type and the object it named."""
    target = signal.target
    return SignalIdentity(signal.name, signal.signal_type.value, target.kind, target.name)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
