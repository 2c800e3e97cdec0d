"""Fakes at the service layer's ports, for unit tests of the service."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from app.domain import ObjectRef, ResourceRef
from app.service.errors import KubernetesUnavailable, OverRateLimit, ServiceError
from app.service.ports import (
    ActiveResource,
    Admission,
    EndedResource,
    Flapping,
    History,
    Observation,
    Occurrences,
    Ownership,
    Recorded,
    SignalIdentity,
    StormAggregation,
    StormResource,
    StormScope,
)


class FakeStore:
    """An in-memory SignalStore with the claim semantics of the Lua script, and no storms."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.calls = 0
        # Request tokens left per caller (no refill); a caller not listed has plenty.
        self.tokens: dict[str, int] = {}

    def record(
        self,
        observations: Sequence[Observation],
        *,
        now_ms: int,
        admission: Admission | None = None,
    ) -> list[Recorded]:
        self.calls += 1
        if admission:
            left = self.tokens.get(admission.caller, admission.burst)
            if left < 1:
                raise OverRateLimit(admission.caller, 1 / admission.rate)
            self.tokens[admission.caller] = left - 1
        return [self._one(observation, now_ms) for observation in observations]

    def _one(self, observation: Observation, now_ms: int) -> Recorded:
        fingerprint = observation.fingerprint
        if not observation.firing:
            found = self.records.get(fingerprint)
            if found is None:
                return Recorded("resolved")
            found["resolved"] = now_ms
            created = found.get("state") == "created"
            return Recorded(
                "resolved", found["count"], found["ref"] if created else None, found["first"]
            )
        record = self.records.setdefault(fingerprint, {"count": 0, "first": now_ms})
        if record.get("state") == "created" and record["ref"].name in observation.ended:
            record.clear()  # its resource ended: the record starts anew
            record.update(count=0, first=now_ms)
        record["count"] += 1
        if record.get("state") in ("pending", "created"):
            return Recorded("duplicate", record["count"], record["ref"], record["first"])
        record.update(state="pending", token=observation.token, ref=observation.ref)
        return Recorded("claimed", record["count"], observation.ref, record["first"])

    def confirm(
        self,
        observation: Observation,
        *,
        now_ms: int,
        ref: ObjectRef,
        adopted: ActiveResource | None = None,
    ) -> int | None:
        record = self.records[observation.fingerprint]
        if record.get("token") != observation.token:
            return None
        if adopted:
            record["count"] += adopted.occurrence_count
            record["first"] = adopted.first_seen_ms
        record.update(state="created", ref=ref, token=None)
        return int(record["count"])

    def give_back(self, observation: Observation, *, now_ms: int) -> None:
        record = self.records[observation.fingerprint]
        if record.get("token") == observation.token:
            record["count"] -= 1
            record.update(state="released", token=None)
            if record["count"] == 0:
                del self.records[observation.fingerprint]

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        return None

    def join_storm(
        self, observation: Observation, storm: StormResource, *, now_ms: int
    ) -> int | None:
        record = self.records[observation.fingerprint]
        record.update(state="aggregated", ref=storm.ref, token=None)
        return int(record["count"])

    def ping(self) -> None:
        return None


class FakeKubernetes:
    """Namespaces from a table; creates are recorded, or fail while `failing` is set; what
    Kubernetes holds of a fingerprint (its active and ended resources) and of a storm scope
    from tables."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.namespaces = dict(namespaces or {})
        self.created: list[Mapping[str, Any]] = []
        self.lookups: list[str] = []
        self.failing = False
        # Creates fail once this many have succeeded (None: no limit).
        self.creates_before_failing: int | None = None
        self.active: dict[str, ActiveResource] = {}
        self.ended: dict[str, list[EndedResource]] = {}
        self.storms: dict[StormScope, StormResource] = {}
        self.statuses: list[tuple[ObjectRef, int]] = []
        self.flapping: list[Flapping] = []

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        limit = self.creates_before_failing
        if self.failing or (limit is not None and len(self.created) >= limit):
            raise KubernetesUnavailable("kubernetes create: gave up: HTTP 500")
        self.created.append(body)
        return ObjectRef(body["metadata"]["namespace"], body["metadata"]["name"])

    def history(self, fingerprint: str, *, namespace: str) -> History:
        return History(self.active.get(fingerprint), tuple(self.ended.get(fingerprint, ())))

    def ended_refs(
        self, fingerprint: str, scope: StormScope, *, namespace: str
    ) -> tuple[ObjectRef, ...]:
        return tuple(ended.ref for ended in self.ended.get(fingerprint, ()))

    def storm(self, scope: StormScope, resource: str, *, namespace: str) -> StormResource | None:
        found = self.storms.get(scope)
        return found if found is not None and resource in found.affected else None

    def signal_of(self, ref: ObjectRef) -> SignalIdentity | None:
        return None

    def write_flapping(self, flapping: Flapping) -> None:
        self.flapping.append(flapping)

    def write_occurrences(self, occurrences: Occurrences) -> None:
        if self.failing:
            raise KubernetesUnavailable("kubernetes patch_status: gave up: HTTP 500")
        self.statuses.append((occurrences.ref, occurrences.count))

    def write_storm(self, aggregation: StormAggregation) -> None:
        self.statuses.append((aggregation.ref, aggregation.alert_count))

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        self.lookups.append(name)
        return self.namespaces.get(name)

    def ping(self) -> None:
        return None


class FakeOwners:
    """Objects' controllers from a table; counts lookups, can fail, or hold them until told."""

    def __init__(self, controllers: Mapping[ResourceRef, ResourceRef | None] | None = None) -> None:
        # Every object that exists, with its controller (None: it has none).
        self.controllers = dict(controllers or {})
        self.lookups: list[ResourceRef] = []
        self.failing: ServiceError | None = None
        self.gate: threading.Event | None = None

    def ownership(self, ref: ResourceRef) -> Ownership:
        self.lookups.append(ref)
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.failing is not None:
            raise self.failing
        if ref not in self.controllers:
            return Ownership(exists=False)
        return Ownership(exists=True, controller=self.controllers[ref])
