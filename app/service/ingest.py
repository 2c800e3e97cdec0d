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
from app.service.creation import Creation, identity_of
from app.service.errors import ServiceError
from app.service.normalize import alert_signals, event_signal
from app.service.ports import (
    Admission,
    Observation,
    Recorded,
    RemediationRequests,
    ResourceHistory,
    SignalStore,
    StormScope,
)
from app.service.resource import (
    affected_resource,
    new_name,
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
        self._history = history
        self._classifier = classifier
        self._config = config
        self._clock = clock
        self._observe = observe or (lambda counts: None)
        self._creation = Creation(
            store=store,
            remediation_requests=remediation_requests,
            history=history,
            storms=config.storms,
            observe_storm=observe_storm or (lambda storm_type: None),
            observe_recurrence=observe_recurrence or (lambda: None),
        )

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
                    result = self._creation.create(
                        signal, plan.observation, plan.classification, done, now=now
                    )
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
            signal=identity_of(signal) if signal.workload is not None else None,
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


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
