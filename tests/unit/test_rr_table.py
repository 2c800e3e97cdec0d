"""What the resource index reads of each RemediationRequest, and how much of it it keeps."""

from __future__ import annotations

from typing import Any

from app.adapters.rr_table import MAX_ENDED, Table, ended_ms, parse_ms, read_storm
from app.domain import ObjectRef

FP = "f" * 64
T0 = "2026-12-06T10:00:00Z"


def _rr(
    name: str, *, phase: str = "", created: str = T0, status: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "ns", "name": name, "creationTimestamp": created},
        "spec": {"signalFingerprint": FP, "signalName": "Crash"},
        "status": {**({"overallPhase": phase} if phase else {}), **(status or {})},
    }


def test_an_active_resource_has_not_ended_and_an_ended_one_says_when_by_what_it_knows_best():
    assert ended_ms(_rr("a")) is None
    assert ended_ms(_rr("a", phase="Completed")) == parse_ms(T0)
    seen = {"deduplication": {"lastSeenAt": "2026-12-06T10:05:00Z"}}
    assert ended_ms(_rr("a", phase="failed", status=seen)) == parse_ms("2026-12-06T10:05:00Z")
    done = _rr("a", phase="TimedOut", status={"completedAt": "2026-12-06T10:09:00Z", **seen})
    assert ended_ms(done) == parse_ms("2026-12-06T10:09:00Z")


def test_the_table_keeps_ended_resources_within_the_window_and_at_most_a_bound_of_them():
    table = Table()
    start = parse_ms(T0)
    table.put(_rr("old", phase="Completed", created="2026-12-06T09:00:00Z"), window_start_ms=start)
    assert len(table) == 0  # ended before the window
    for i in range(MAX_ENDED + 5):
        table.put(_rr(f"rr-{i:02d}", phase="Completed", created=f"2026-12-06T11:{i:02d}:00Z"),
                  window_start_ms=start)  # fmt: skip
    table.put(_rr("active"), window_start_ms=start)

    held = table.of(FP)
    assert len(held) == MAX_ENDED + 1
    assert held[0].ref == ObjectRef("ns", "active")
    assert held[1].ref.name == f"rr-{MAX_ENDED + 4:02d}"  # ended ones newest first

    table.prune(window_start_ms=parse_ms("2026-12-06T11:30:00Z"))
    assert [e.ref.name for e in table.of(FP)][1:] == [f"rr-{i:02d}" for i in range(36, 29, -1)]


def test_a_storm_resource_is_read_with_its_scope_and_every_resource_it_lists():
    storm = _rr("storm", phase="", created=T0)
    storm["metadata"]["namespace"] = "kubernaut-system"
    storm["metadata"]["labels"] = {"kubernaut.io/origin-namespace": "gone"}
    storm["spec"].update(isStorm=True, stormType="pattern", affectedResources=["gone:Pod:a"])
    storm["status"]["stormAggregation"] = {
        "alertCount": 9,
        "affectedResources": ["gone:Pod:a", "gone:Pod:b"],
        "truncatedCount": 2,
        "lastUpdated": "2026-12-06T10:01:00Z",
    }

    scope, found = read_storm(storm) or (None, None)

    assert scope == ("gone", "Crash")
    assert found is not None
    assert (found.storm_type, found.alert_count, found.truncated) == ("pattern", 9, 2)
    assert found.affected == ("gone:Pod:a", "gone:Pod:b")
    assert found.ended_ms is None
    assert read_storm(_rr("plain")) is None
