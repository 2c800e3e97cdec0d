"""What the bench sends: its modes, each scenario's wrk script and arguments, and the targets
its figures are read against (printed, never asserted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PATH = "/api/v1/signals/prometheus"
AUTH_NAMESPACE = "kubernaut-system"
AUTH_TOKEN = "bench-sender-token"  # noqa: S105 - a token of the local test server only


@dataclass(frozen=True)
class Mode:
    """How long and how often: the full bench, --quick, or the test suite's --smoke."""

    name: str
    seconds: float
    runs: int
    rss_half: int
    monitor_seconds: float
    # Fingerprints whose records are measured once active (a multiple of 50).
    active_sample: int
    # Worker processes of every server (None: the gateway's default, as the chart runs it).
    workers: int | None = None
    # wrk's threads and connections per run.
    wrk_threads: int = 2
    wrk_connections: int = 8


MODES = {
    "full": Mode(
        "full", seconds=5.0, runs=5, rss_half=50_000, monitor_seconds=2.0, active_sample=500
    ),
    "quick": Mode(
        "quick", seconds=1.0, runs=1, rss_half=5_000, monitor_seconds=0.5, active_sample=100
    ),
    # A quarter second each: enough for wrk to complete requests even on a loaded machine
    # (a 50-alert request takes well under 100 ms), and no figure of it means anything.
    # One worker per server (it starts five servers at once, each worker an interpreter) and
    # one wrk thread with two connections: every path runs, without filling both cores.
    "smoke": Mode(
        "smoke",
        seconds=0.25,
        runs=1,
        rss_half=200,
        monitor_seconds=0.1,
        active_sample=50,
        workers=1,
        wrk_threads=1,
        wrk_connections=2,
    ),
}


@dataclass(frozen=True)
class Scenario:
    """One load shape: a wrk script, its arguments by run tag, and how it is primed."""

    key: str
    title: str
    script: str
    alerts_per_request: int
    args: Callable[[str], list[str]]
    # New-fingerprint and storm runs need fresh fingerprints: a new tag per run.
    fresh_tag: bool = False
    # Duplicate-path runs first send their webhook once, so that every measured alert repeats.
    prime: Callable[[str], list[str]] | None = None


def _duplicate(
    alerts: int, *, status: str = "firing", bearer: str = "-"
) -> Callable[[str], list[str]]:
    """duplicate.lua's arguments for a run tag: alerts per webhook, tag, status, bearer."""
    return lambda tag: [str(alerts), tag, status, bearer]


def _repeated(
    key: str, title: str, alerts: int, *, status: str = "firing", bearer: str = "-"
) -> Scenario:
    """A duplicate-path scenario: its webhook is sent once (firing), then repeated."""
    args = _duplicate(alerts, status=status, bearer=bearer)
    return Scenario(
        key, title, "duplicate.lua", alerts, args, prime=_duplicate(alerts, bearer=bearer)
    )


CEILING = Scenario("ceiling", "ceiling: bare Flask, 1 alert/req", "duplicate.lua", 1, _duplicate(1))
GATEWAY_SCENARIOS = [
    _repeated("duplicate_1", "duplicate, 1 alert/req", 1),
    _repeated("duplicate_50", "duplicate, 50 alerts/req", 50),
    Scenario(
        "new_fingerprint",
        "new fingerprint (creates)",
        "new_fingerprint.lua",
        1,
        lambda tag: [tag, "5"],
        fresh_tag=True,
    ),
    Scenario(
        "storm", "storm: 1 scope, new pods", "storm.lua", 1, lambda tag: [tag], fresh_tag=True
    ),
    _repeated("resolved", "resolved", 1, status="resolved"),
]
AUTH = _repeated("auth_cached", "authenticated, cached review", 1, bearer=AUTH_TOKEN)
# identity.mode workload: signals about the pods of a few Deployments (bench/stack.py seeds them).
WORKLOAD_DEPLOYMENTS = 4
WORKLOAD_PODS = 25
WORKLOAD = Scenario(
    "workload",
    f"workload: {WORKLOAD_DEPLOYMENTS * WORKLOAD_PODS} pods, {WORKLOAD_DEPLOYMENTS} Deployments",
    "workload.lua",
    1,
    lambda tag: [tag, str(WORKLOAD_DEPLOYMENTS), str(WORKLOAD_PODS)],
    fresh_tag=True,
)


@dataclass(frozen=True)
class Target:
    """A figure's target: `figure` names a figure, or a scenario's as `<scenario>.<figure>`."""

    figure: str
    text: str
    met: Callable[[float], bool]


def _targets(storm_threshold: int) -> list[Target]:
    """The issue's targets; a storm creates at most its threshold's resources, then its own."""
    most_creates = storm_threshold + 1
    return [
        Target("duplicate_1.ratio_to_ceiling", ">= 50% of ceiling req/s", lambda v: v >= 0.5),
        Target("duplicate_1.p99_ms", "p99 <= 20 ms", lambda v: v <= 20),
        Target("duplicate_50.alerts_per_s", ">= 20,000 alerts/s", lambda v: v >= 20_000),
        Target("kube_calls_per_created_resource", "1 call per created resource", lambda v: v <= 1),
        Target(
            "storm_resources_created_per_storm",
            f"<= threshold+1 ({most_creates}) creates per storm",
            lambda v: v <= most_creates,
        ),
        Target("workload_resources_per_workload", "1 resource per workload", lambda v: v == 1),
        Target("redis_bytes_per_fingerprint", "<= 300 B per fingerprint", lambda v: v <= 300),
        Target("worker_rss_mb", "<= 100 MB per worker", lambda v: v <= 100),
        Target("worker_rss_growth_mb", "growth <= 5 MB", lambda v: v <= 5),
    ]


def targets(scenarios: dict[str, dict[str, Any]], figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets next to the measured figures (printed, never asserted)."""

    def value(figure: str) -> float | None:
        scenario, dot, name = figure.partition(".")
        found: float | None = scenarios[scenario][name] if dot else figures.get(figure)
        return found

    return [
        {
            "figure": target.figure,
            "value": (measured := value(target.figure)),
            "target": target.text,
            "met": None if measured is None else target.met(measured),
        }
        for target in _targets(int(figures["storm_pattern_threshold"]))
    ]
