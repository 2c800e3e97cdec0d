from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry

from app.adapters.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from app.domain import BreakerSettings
from app.metrics import Metrics

SETTINGS = BreakerSettings(failure_ratio=0.5, min_calls=4, window=30, cool_down=10, probes=2)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _calls(breaker: CircuitBreaker, *outcomes: bool) -> None:
    for ok in outcomes:
        assert breaker.allow()
        breaker.record(success=ok)


def test_the_breaker_stays_closed_below_the_minimum_number_of_calls(clock):
    breaker = CircuitBreaker(SETTINGS, clock=clock)
    _calls(breaker, False, False, False)
    assert breaker.state == CLOSED


def test_the_breaker_opens_at_the_failure_ratio_and_fails_fast(clock):
    changes: list[str] = []
    breaker = CircuitBreaker(SETTINGS, clock=clock, on_change=changes.append)
    _calls(breaker, True, False, True, False)
    assert breaker.state == OPEN
    assert not breaker.allow()
    assert changes == [OPEN]


def test_old_calls_leave_the_window(clock):
    breaker = CircuitBreaker(SETTINGS, clock=clock)
    _calls(breaker, False, False, False)
    clock.now += 31
    _calls(breaker, True, True, False)
    assert breaker.state == CLOSED


def test_after_the_cool_down_a_few_probes_close_it_again(clock):
    breaker = CircuitBreaker(SETTINGS, clock=clock)
    _calls(breaker, False, False, False, False)
    clock.now += 10
    assert breaker.state == HALF_OPEN
    assert breaker.allow()
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record(success=True)
    breaker.record(success=True)
    assert breaker.state == CLOSED


def test_a_failed_probe_opens_it_for_another_cool_down(clock):
    breaker = CircuitBreaker(SETTINGS, clock=clock)
    _calls(breaker, False, False, False, False)
    clock.now += 10
    assert breaker.allow()
    breaker.record(success=False)
    assert breaker.state == OPEN
    clock.now += 9
    assert not breaker.allow()


def test_an_idle_breaker_says_half_open_when_its_cool_down_ends_without_a_call(clock):
    changes: list[str] = []
    scheduled: list[tuple[float, Callable[[], None]]] = []
    breaker = CircuitBreaker(
        SETTINGS,
        clock=clock,
        on_change=changes.append,
        schedule=lambda delay, action: scheduled.append((delay, action)),
    )
    _calls(breaker, False, False, False, False)
    assert [delay for delay, _ in scheduled] == [SETTINGS.cool_down]

    clock.now += SETTINGS.cool_down
    scheduled[0][1]()  # the timer fires; nobody calls the breaker

    assert changes == [OPEN, HALF_OPEN]


def test_the_gauge_reads_one_only_while_the_breaker_fails_calls_fast():
    metrics = Metrics(CollectorRegistry())
    for state, shown in ((OPEN, 1), (HALF_OPEN, 0), (OPEN, 1), (CLOSED, 0)):
        metrics.observe_breaker(state)
        assert metrics.registry.get_sample_value("gateway_circuit_breaker_open") == shown
