"""The one write path: normalize -> dedup -> classify -> create. All policy lives here."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.config import Config
from app.domain import Classification, ObjectRef, Outcome, Result, Signal
from app.service.classify import Classifier
from app.service.errors import GatewayError
from app.service.normalize import alert_signals, event_signal
from app.service.ports import (
    Claim,
    DedupStore,
    RemediationRequests,
    StormDecision,
    StormScope,
    StormStore,
)
from app.service.resource import Storm, affected_resource, new_name, remediation_request

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Observer = Callable[[Signal, Outcome], None]


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


class IngestService:
    """Record signals: exactly one RemediationRequest per active fingerprint."""

    def __init__(
        self,
        *,
        store: DedupStore,
        storms: StormStore,
        remediation_requests: RemediationRequests,
        classifier: Classifier,
        config: Config,
        clock: Clock = utc_now,
        observe: Observer | None = None,
        observe_storm: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._storms = storms
        self._storm_settings = config.storms
        self._rrs = remediation_requests
        self._classifier = classifier
        self._config = config
        self._clock = clock
        self._observe = observe or (lambda signal, outcome: None)
        self._observe_storm = observe_storm or (lambda storm_type: None)

    def alertmanager(self, webhook: Mapping[str, Any], raw_alerts: list[Any]) -> list[Result]:
        """Record every alert of a loaded Alertmanager webhook."""
        signals = alert_signals(
            webhook,
            raw_alerts,
            received_at=self._clock(),
            severity_aliases=self._config.severity_aliases,
            default_severity=self._config.default_severity,
        )
        return self.ingest(signals)

    def kubernetes_event(self, event: Mapping[str, Any], raw: Any) -> list[Result]:
        """Record one loaded Kubernetes Event."""
        signal = event_signal(
            event,
            raw,
            received_at=self._clock(),
            critical_reasons=self._config.critical_event_reasons,
        )
        return self.ingest([signal])

    def ingest(self, signals: Sequence[Signal]) -> list[Result]:
        """Record every signal in order; raise Unavailable if one cannot be recorded."""
        results = []
        for signal in signals:
            started = time.perf_counter()
            result = self._ingest_one(signal)
            self._observe(signal, result.outcome)
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
                    "durationMs": round((time.perf_counter() - started) * 1000, 3),
                },
            )
            results.append(result)
        return results

    def _ingest_one(self, signal: Signal) -> Result:
        if not signal.actionable:
            return Result(signal.fingerprint, Outcome.IGNORED)
        now = self._clock()
        if not signal.firing:
            record = self._store.record_resolved(signal.fingerprint, now_ms=_ms(now))
            return Result(
                signal.fingerprint,
                Outcome.RESOLVED,
                record.ref if record else None,
                record.occurrence_count if record else None,
            )
        return self._record_firing(signal, now)

    def _record_firing(self, signal: Signal, now: datetime) -> Result:
        classification = self._classifier.classify(signal)
        token = uuid.uuid4().hex
        name = new_name(signal.fingerprint)
        claim = self._store.record_firing(
            signal.fingerprint,
            now_ms=_ms(now),
            token=token,
            ref=ObjectRef(classification.namespace, name),
        )
        storm = self._storms.observe_storm(
            StormScope(signal.namespace, signal.name),
            now_ms=_ms(now),
            new=claim.claimed,
            resource=affected_resource(signal),
            token=token,
            ref=ObjectRef(classification.namespace, name),
        )
        if not claim.claimed:
            return Result(signal.fingerprint, Outcome.DUPLICATE, claim.ref, claim.occurrence_count)
        try:
            if storm.kind == "aggregated" and storm.ref:
                self._store.confirm(
                    signal.fingerprint,
                    now_ms=_ms(now),
                    token=token,
                    ref=storm.ref,
                    aggregated=True,
                )
                return Result(
                    signal.fingerprint, Outcome.AGGREGATED, storm.ref, claim.occurrence_count
                )
            if storm.kind == "tipped":
                return self._create_storm(
                    signal, classification, claim, storm, name=name, token=token
                )
            return self._create_or_adopt(signal, classification, claim, name=name, token=token)
        except GatewayError:
            self._store.release(signal.fingerprint, now_ms=_ms(now), token=token)
            self._storms.forget_signal(
                StormScope(signal.namespace, signal.name), now_ms=_ms(now), token=token
            )
            raise

    def _create_storm(
        self,
        signal: Signal,
        classification: Classification,
        claim: Claim,
        storm: StormDecision,
        *,
        name: str,
        token: str,
    ) -> Result:
        """Create the storm resource of the scope this signal tipped into a storm."""
        now = self._clock()
        scope = StormScope(signal.namespace, signal.name)
        window = self._storm_settings.window(storm.storm_type)
        body = _body(
            signal,
            classification,
            claim,
            name=name,
            now=now,
            storm=Storm(storm.storm_type, window, storm.affected),
        )
        try:
            ref = self._rrs.create(body)
        except GatewayError:
            self._storms.settle_storm(scope, token=token, created=False)
            raise
        self._storms.settle_storm(scope, token=token, created=True)
        self._observe_storm(storm.storm_type)
        self._store.confirm(signal.fingerprint, now_ms=_ms(now), token=token, ref=ref)
        log.info("storm detected", extra={"stormType": storm.storm_type, "resource": ref.name})
        return Result(signal.fingerprint, Outcome.CREATED, ref, claim.occurrence_count)

    def _create_or_adopt(
        self,
        signal: Signal,
        classification: Classification,
        claim: Claim,
        *,
        name: str,
        token: str,
    ) -> Result:
        """Adopt the fingerprint's active resource if Kubernetes has one, else create one."""
        now = self._clock()
        active = self._rrs.find_active(signal.fingerprint, namespace=classification.namespace)
        if active:
            ref, outcome = active.ref, Outcome.DUPLICATE
        else:
            body = _body(signal, classification, claim, name=name, now=now)
            ref, outcome = self._rrs.create(body), Outcome.CREATED
        count = self._store.confirm(
            signal.fingerprint, now_ms=_ms(now), token=token, ref=ref, adopted=active
        )
        if count is None:
            log.warning(
                "dedup claim was taken over while creating; a second resource may exist",
                extra={"fingerprint": signal.fingerprint, "resource": ref.name},
            )
        # The creator's own occurrence is the claim's; an adoption continues the resource's count.
        mine = count if active and count else claim.occurrence_count
        return Result(signal.fingerprint, outcome, ref, mine)


def _body(
    signal: Signal,
    classification: Classification,
    claim: Claim,
    *,
    name: str,
    now: datetime,
    storm: Storm | None = None,
) -> dict[str, Any]:
    return remediation_request(
        signal,
        classification,
        name=name,
        received_at=now,
        first_seen=datetime.fromtimestamp(claim.first_seen_ms / 1000, UTC),
        occurrence_count=claim.occurrence_count,
        storm=storm,
    )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
