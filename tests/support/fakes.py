"""Fakes at the service layer's ports, for unit tests of the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain import ObjectRef
from app.service.errors import KubernetesUnavailable
from app.service.ports import (
    ActiveResource,
    Claim,
    StormAggregation,
    StormDecision,
    StormScope,
)


class FakeStore:
    """An in-memory DedupStore with the same claim semantics as the Lua scripts."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def record_firing(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> Claim:
        record = self.records.setdefault(fingerprint, {"count": 0, "first": now_ms})
        record["count"] += 1
        if record.get("state") in ("pending", "created"):
            return Claim(False, record["count"], record["ref"], record["first"])
        record.update(state="pending", token=token, ref=ref)
        return Claim(True, record["count"], ref, record["first"])

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
        record = self.records[fingerprint]
        if record.get("token") != token:
            return None
        if adopted:
            record["count"] += adopted.occurrence_count
            record["first"] = adopted.first_seen_ms
        record.update(state="created", ref=ref, token=None)
        return int(record["count"])

    def release(self, fingerprint: str, *, now_ms: int, token: str) -> None:
        record = self.records[fingerprint]
        if record.get("token") == token:
            record["count"] -= 1
            record.update(state="released", token=None)
            if record["count"] == 0:
                del self.records[fingerprint]

    def record_resolved(self, fingerprint: str, *, now_ms: int) -> Claim | None:
        record = self.records.get(fingerprint)
        if record is None:
            return None
        record["resolved"] = now_ms
        return Claim(False, record["count"], record["ref"], record["first"])

    def ping(self) -> None:
        return None


class NoStorms:
    """A StormStore whose scopes never storm."""

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
        return StormDecision("none")

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        return None

    def forget_signal(self, scope: StormScope, *, now_ms: int, token: str) -> None:
        return None


class FakeKubernetes:
    """Namespaces from a table; creates are recorded, or fail while `failing` is set."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.namespaces = dict(namespaces or {})
        self.created: list[Mapping[str, Any]] = []
        self.lookups: list[str] = []
        self.failing = False
        self.active: dict[str, ActiveResource] = {}
        self.statuses: list[tuple[ObjectRef, int]] = []

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        if self.failing:
            raise KubernetesUnavailable("kubernetes create: gave up: HTTP 500")
        self.created.append(body)
        return ObjectRef(body["metadata"]["namespace"], body["metadata"]["name"])

    def find_active(self, fingerprint: str, *, namespace: str) -> ActiveResource | None:
        return self.active.get(fingerprint)

    def write_occurrences(
        self, ref: ObjectRef, *, first_seen_ms: int, last_seen_ms: int, count: int
    ) -> None:
        if self.failing:
            raise KubernetesUnavailable("kubernetes patch_status: gave up: HTTP 500")
        self.statuses.append((ref, count))

    def write_storm(self, aggregation: StormAggregation) -> None:
        self.statuses.append((aggregation.ref, aggregation.alert_count))

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        self.lookups.append(name)
        return self.namespaces.get(name)

    def ping(self) -> None:
        return None
