"""A fingerprint's history from label lookups while the resource index cannot answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.rr_lookups import RECENT_SECONDS, ResourceLookups
from app.domain import ObjectRef
from app.service.errors import KubernetesUnavailable
from app.service.ports import StormScope

FP = "e" * 64
NOW = 1_796_000_000.0
SCOPE = StormScope("ns", "Crash")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Lists:
    """Answers label lookups from a list of objects, counting them; fails while `down`."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items, self.calls, self.down = items, 0, False

    def list_labelled(self, namespace: str, selector: str) -> list[Mapping[str, Any]]:
        self.calls += 1
        if self.down:
            raise KubernetesUnavailable("kubernetes list: gave up: HTTP 500")
        return list(self.items)


def _rr(name: str, phase: str, seen: float) -> dict[str, Any]:
    stamp = f"2026-12-0{1 + int(seen // 86400) % 9}T00:00:00Z"
    return {
        "metadata": {"namespace": "ns", "name": name, "creationTimestamp": stamp},
        "spec": {"signalFingerprint": FP, "signalName": "Crash"},
        "status": {"overallPhase": phase, "completedAt": _iso(seen)} if phase else {},
    }


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat()


def test_without_an_index_the_history_comes_from_one_label_lookup_newest_first():
    lists = Lists([_rr("older", "Completed", NOW - 600), _rr("newer", "Failed", NOW - 60),
                   _rr("ancient", "Completed", NOW - 5 * 3600), _rr("live", "", NOW)])  # fmt: skip
    lookups = ResourceLookups(lists, index=None, window_seconds=4 * 3600, clock=Clock())

    history = lookups.history(FP, namespace="ns")

    assert history.active is not None
    assert history.active.ref == ObjectRef("ns", "live")
    assert [e.ref.name for e in history.ended] == ["newer", "older"]  # "ancient" is too old
    assert lists.calls == 1


def test_ended_resources_for_the_hot_path_are_looked_up_once_in_a_while_and_never_fail_it():
    clock = Clock()
    lists = Lists([_rr("done", "Completed", NOW - 60)])
    lookups = ResourceLookups(lists, index=None, window_seconds=3600, clock=clock)

    first = lookups.ended_refs(FP, SCOPE, namespace="ns")
    clock.now += RECENT_SECONDS / 2
    again = lookups.ended_refs(FP, SCOPE, namespace="ns")
    clock.now += RECENT_SECONDS
    lists.down = True
    unknown = lookups.ended_refs(FP, SCOPE, namespace="ns")

    assert first == again == (ObjectRef("ns", "done"),)
    assert unknown == ()
    assert lists.calls == 2
