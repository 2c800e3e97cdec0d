"""The reflector lists, watches and backs off the way client-go's does (fake API, fake clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from app.adapters.reflector import Listing, Reflector, Restart, Timing, WatchFailed
from app.metrics import INDEX_RESTART_REASONS
from app.pacing import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stop(threading.Event):
    """Stops after `waits` backoff waits; each wait moves the fake clock on."""

    def __init__(self, clock: Clock, waits: int) -> None:
        super().__init__()
        self.clock, self.left = clock, waits
        self.waited: list[float | None] = []

    until: float = float("inf")

    def wait(self, timeout: float | None = None) -> bool:
        self.waited.append(timeout)
        self.clock.now += timeout or 0
        self.left -= 1
        if self.left <= 0 or self.clock.now >= self.until:
            self.set()
        return self.is_set()


class Listed:
    """An empty list at resourceVersion 10."""

    resource_version = "10"

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return iter(())


class FakeApi:
    """Answers lists and watches from scripts; a watch is a list of events or an exception."""

    def __init__(self, clock: Clock, watches: list[Any], lists: list[Any] | None = None):
        self.clock, self.watches, self.lists = clock, watches, lists or []
        self.calls: list[str] = []
        self.timeouts: list[int] = []

    def list(self) -> Listed:
        self.calls.append("list")
        outcome = self.lists.pop(0) if self.lists else None
        if isinstance(outcome, Exception):
            raise outcome
        return Listed()

    def watch(self, version: str, *, timeout: int, read_timeout: float) -> Iterator[Any]:
        self.calls.append(f"watch@{version}")
        self.timeouts.append(timeout)
        outcome = self.watches.pop(0) if self.watches else []
        if isinstance(outcome, Exception):
            raise outcome
        for event in outcome:
            self.clock.now += 5  # events arrive over a while
            yield event


class Memory:
    def __init__(self) -> None:
        self.synced: list[bool] = []
        self.applied: list[str] = []

    def replace(self, listing: Listing) -> None:
        list(listing)
        self.applied.append(f"replace@{listing.resource_version}")

    def apply(self, kind: str, obj: Mapping[str, Any]) -> None:
        self.applied.append(kind)

    def set_synced(self, synced: bool) -> None:
        self.synced.append(synced)


def _event(kind: str, version: str, **obj: Any) -> dict[str, Any]:
    return {"type": kind, "object": {"metadata": {"resourceVersion": version}, **obj}}


def _run(api: FakeApi, clock: Clock, *, waits: int) -> tuple[Memory, Stop, list[str]]:
    memory, stop = Memory(), Stop(clock, waits)
    restarts: list[str] = []
    reflector = Reflector(
        api,
        memory,
        name="test",
        timing=Timing(watch_seconds=10, margin=2),
        on_restart=restarts.append,
        clock=clock,
        rand=lambda: 0.0,
    )
    reflector.run(stop)
    return memory, stop, restarts


def test_backoff_starts_at_0_8_s_doubles_and_jitters_up_to_twice_each_step_never_past_30_s():
    clock = Clock()
    steady = Backoff(clock=clock, rand=lambda: 0.0)
    assert [steady.next() for _ in range(8)] == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    jittered = Backoff(clock=clock, rand=lambda: 1.0)
    assert [jittered.next() for _ in range(7)] == [1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]


@pytest.mark.parametrize("jitter", [0.0, 0.5, 1.0])
def test_a_watch_failing_for_a_minute_costs_at_most_twenty_requests(jitter):
    clock = Clock()
    api = FakeApi(clock, watches=[[] for _ in range(100)])
    memory, stop = Memory(), Stop(clock, waits=100)
    stop.until = clock.now + 60
    Reflector(api, memory, name="t", clock=clock, rand=lambda: jitter).run(stop)
    requests_in_a_minute = len(api.calls)
    assert 8 <= requests_in_a_minute <= 20


def test_backoff_starts_again_after_two_quiet_minutes():
    clock = Clock()
    backoff = Backoff(clock=clock, rand=lambda: 0.0)
    assert [backoff.next() for _ in range(3)] == [0.8, 1.6, 3.2]
    clock.now += 119
    assert backoff.next() == 6.4
    clock.now += 121
    assert backoff.next() == 0.8


def test_a_watch_that_ends_at_once_with_no_event_is_an_error_that_backs_off_then_relists():
    clock = Clock()
    api = FakeApi(clock, watches=[[], [], []])

    memory, stop, restarts = _run(api, clock, waits=3)

    assert restarts == [Restart.SHORT_WATCH] * 3
    assert stop.waited == [0.8, 1.6, 3.2]
    assert api.calls == ["list", "watch@10"] * 3
    # After the first failure a list alone is not trusted: never synced again here.
    assert memory.synced == [True] + [False] * 5


def test_a_410_error_event_relists_after_the_backoff_and_other_errors_count_as_errors():
    clock = Clock()
    gone = _event("ERROR", "", code=410, message="too old resource version")
    broken = _event("ERROR", "", code=500, message="internal error")
    api = FakeApi(clock, watches=[[_event("ADDED", "11"), gone], [broken]])

    memory, _, restarts = _run(api, clock, waits=2)

    assert restarts == [Restart.EXPIRED, Restart.ERROR]
    assert api.calls == ["list", "watch@10", "list", "watch@10"]
    assert memory.applied == ["replace@10", "ADDED", "replace@10"]


def test_a_watch_that_ends_after_its_events_is_resumed_from_its_last_version_without_a_list():
    clock = Clock()
    api = FakeApi(
        clock,
        watches=[[_event("ADDED", "11"), _event("BOOKMARK", "15")], [_event("MODIFIED", "16")], []],
    )

    memory, _, restarts = _run(api, clock, waits=1)

    assert api.calls == ["list", "watch@10", "watch@15", "watch@16"]
    assert memory.applied == ["replace@10", "ADDED", "BOOKMARK", "MODIFIED"]
    assert memory.synced == [True, False]  # synced until the short watch at the end
    assert restarts == [Restart.SHORT_WATCH]


def test_a_stalled_watch_and_a_throttled_list_back_off_at_least_as_long_as_asked():
    clock = Clock()
    stalled = WatchFailed(Restart.STALLED, "watch: no answer in time")
    throttled = WatchFailed(Restart.ERROR, "list: HTTP 429", retry_after=7.0)
    api = FakeApi(clock, watches=[stalled], lists=[None, throttled])

    memory, stop, restarts = _run(api, clock, waits=2)

    assert restarts == [Restart.STALLED, Restart.ERROR]
    assert stop.waited == [0.8, 7.0]
    assert memory.synced == [True, False, False]  # the failed list never said synced


def test_restarts_are_logged_at_most_once_per_reason_every_thirty_seconds(caplog):
    clock = Clock()
    api = FakeApi(clock, watches=[[] for _ in range(12)])

    with caplog.at_level(logging.WARNING, logger="app.adapters.reflector"):
        _, stop, restarts = _run(api, clock, waits=12)

    assert len(restarts) == 12
    # Restarts at 0, 0.8, 2.4, 5.6, 12, 24.8 s are one line; from then on waits are 30 s.
    assert stop.waited[5:] == [25.6] + [30.0] * 6
    repeats = [getattr(record, "repeats", None) for record in caplog.records]
    assert repeats == [0, 5, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("reason", list(Restart))
def test_every_restart_reason_is_a_label_the_metrics_know(reason):
    assert reason.value in INDEX_RESTART_REASONS
    assert len(INDEX_RESTART_REASONS) == len(Restart)


def test_after_a_failure_a_short_probe_watch_must_show_life_before_the_index_says_synced():
    clock = Clock()
    stalled = WatchFailed(Restart.STALLED, "watch: no answer in time")
    api = FakeApi(clock, watches=[stalled, [_event("BOOKMARK", "12")], []])

    memory, _, restarts = _run(api, clock, waits=2)

    assert restarts == [Restart.STALLED, Restart.SHORT_WATCH]
    # Normal watch (10-20 s), then the probe (5 s) after the failure, then normal again.
    assert api.timeouts == [10, 5, 10]
    # synced: the first list; the failure; the relist, not trusted; the probe's bookmark.
    assert memory.synced == [True, False, False, True, False]
