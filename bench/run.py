"""`make bench`: the real server under load, next to a bare-Flask ceiling.

    .venv/bin/python -m bench.run [--quick | --smoke] [--out .bench/results.json]

Starts its own Redis, the Kubernetes API test server and `kubernaut-gateway serve` (the chart's
worker settings), drives every scenario with wrk (8 connections, 2 threads), prints one table
with the targets next to the figures (not asserted), writes every figure as JSON, and stops
everything it started, also on Ctrl-C or failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import redis

from app.adapters.redis_store import RedisSignalStore
from app.config import Config
from app.service.ports import StormScope
from bench import processes
from bench.load import (
    CONNECTIONS,
    THREADS,
    WrkResult,
    bench_alert,
    ensure_wrk,
    post_webhook,
    run_wrk,
)
from bench.processes import Server
from bench.redis_probe import (
    Monitor,
    all_written,
    command_calls,
    key_memory,
    record_sizes,
    used_memory,
)
from bench.report import render
from tests.support.kubeapi import KubeApiServer, RecordedRequest, TokenIdentity
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer
from tests.support.sandbox import NAMESPACES, chart_crds

PATH = "/api/v1/signals/prometheus"
DEFAULT_OUT = processes.ROOT / ".bench" / "results.json"
KEY_PREFIX = "kgw:"
_ALERTS_PER_WEBHOOK = 50
# How long the gateway may take to write the sample's counts (due at once, flushed each second).
ACTIVE_WRITE_TIMEOUT = 30.0
AUTH_NAMESPACE = "kubernaut-system"
AUTH_TOKEN = "bench-sender-token"  # noqa: S105 - a token of the local test server only
_CREATE = re.compile(r"/remediationrequests$")
_STATUS = re.compile(r"/remediationrequests/([^/]+)/status$")


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


MODES = {
    "full": Mode(
        "full", seconds=5.0, runs=5, rss_half=50_000, monitor_seconds=2.0, active_sample=500
    ),
    "quick": Mode(
        "quick", seconds=1.0, runs=1, rss_half=5_000, monitor_seconds=0.5, active_sample=100
    ),
    # A quarter second each: enough for wrk to complete requests even on a loaded machine
    # (a 50-alert request takes well under 100 ms), and no figure of it means anything.
    "smoke": Mode(
        "smoke", seconds=0.25, runs=1, rss_half=200, monitor_seconds=0.1, active_sample=50
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
    alerts: int, status: str = "firing", bearer: str = "-"
) -> Callable[[str], list[str]]:
    return lambda tag: [str(alerts), tag, status, bearer]


CEILING = Scenario("ceiling", "ceiling: bare Flask, 1 alert/req", "duplicate.lua", 1, _duplicate(1))
GATEWAY_SCENARIOS = [
    Scenario(
        "duplicate_1",
        "duplicate, 1 alert/req",
        "duplicate.lua",
        1,
        _duplicate(1),
        prime=_duplicate(1),
    ),
    Scenario(
        "duplicate_50",
        "duplicate, 50 alerts/req",
        "duplicate.lua",
        50,
        _duplicate(50),
        prime=_duplicate(50),
    ),
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
    Scenario(
        "resolved",
        "resolved",
        "duplicate.lua",
        1,
        _duplicate(1, status="resolved"),
        prime=_duplicate(1),
    ),
]
AUTH = Scenario(
    "auth_cached",
    "authenticated, cached review",
    "duplicate.lua",
    1,
    _duplicate(1, bearer=AUTH_TOKEN),
    prime=_duplicate(1, bearer=AUTH_TOKEN),
)


class BenchError(RuntimeError):
    """A scenario could not be measured (the server failed, or answered errors)."""


def kube_operation(request: RecordedRequest) -> str:
    """Name a Kubernetes API call by what it does, without object names."""
    path = request.path
    if path.endswith("/status"):
        return f"{request.method} remediationrequests/status"
    for kind in ("remediationrequests", "tokenreviews", "subjectaccessreviews"):
        if kind in path:
            return f"{request.method} {kind}"
    if re.search(r"/api/v1/namespaces/[^/]+$", path):
        return f"{request.method} namespace"
    return f"{request.method} {path}"


def created_name(call: RecordedRequest) -> str:
    """The name a create asked for (the gateway names its resources itself)."""
    try:
        return str(json.loads(call.body)["metadata"]["name"])
    except (ValueError, KeyError, TypeError):
        return ""


def carried_over(call: RecordedRequest, created: set[str]) -> bool:
    """A status write for a resource this run did not create: an earlier scenario's deferred
    occurrence count, written when it fell due."""
    match = _STATUS.search(call.path)
    return match is not None and match.group(1) not in created


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


class Bench:
    """Everything one bench run starts, and the figures it measures."""

    def __init__(self, mode: Mode, state: Path, stack: contextlib.ExitStack) -> None:
        self.mode = mode
        self.state = state
        self.stack = stack
        self.defaults = Config()
        self.redis_server = RedisServer(workdir=state / "redis").start()
        stack.callback(self.redis_server.stop)
        self.redis: redis.Redis = self.redis_server.client()
        self.kube = KubeApiServer(crd_paths=chart_crds()).start()
        stack.callback(self.kube.stop)
        for name, labels in NAMESPACES.items():
            self.kube.add_namespace(name, labels=labels)
        self.kube.add_token(
            AUTH_TOKEN,
            TokenIdentity(
                username="system:serviceaccount:monitoring:alertmanager-main",
                allowed=frozenset(
                    {("create", "remediation.kubernaut.io", "remediationrequests", AUTH_NAMESPACE)}
                ),
            ),
        )
        self.kubeconfig = self.kube.write_kubeconfig(state / "kubeconfig")
        self.ceiling_rps: float | None = None
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.figures: dict[str, Any] = {}

    # --- processes -------------------------------------------------------------------------

    def start(self, server: Server) -> Server:
        self.stack.callback(server.stop)
        return server.start()

    def gateway(self, name: str, **settings: str) -> Server:
        return processes.gateway(
            name,
            port=free_port(),
            state=self.state,
            redis_url=self.redis_server.url,
            kubeconfig=self.kubeconfig,
            **settings,
        )

    # --- measuring -------------------------------------------------------------------------

    def _wrk(self, server: Server, scenario: Scenario, tag: str, seconds: float) -> WrkResult:
        return run_wrk(server.url + PATH, scenario.script, scenario.args(tag), seconds=seconds)

    def _prime(self, server: Server, scenario: Scenario, tag: str) -> None:
        """Send the scenario's webhook once (1 connection, 1 request): what it creates repeats."""
        assert scenario.prime is not None
        result = run_wrk(
            server.url + PATH,
            scenario.script,
            scenario.prime(tag),
            seconds=30,
            threads=1,
            connections=1,
            limit_per_thread=1,
        )
        if result.failed or result.requests < 1:
            raise BenchError(f"{scenario.key}: priming failed {result.errors}\n{server.tail()}")

    def measure(
        self,
        server: Server,
        scenario: Scenario,
        *,
        backend: bool = True,
        after_runs: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Run the scenario `mode.runs` times; return its figures (medians) and every run's.

        `after_runs` is called after the measured runs, before the extra MONITOR run.
        """
        server.truncate_log()
        base_tag = f"{scenario.key.replace('_', '')}{uuid.uuid4().hex[:6]}"
        if scenario.prime is not None:
            self._prime(server, scenario, base_tag)
        runs: list[dict[str, Any]] = []
        for number_ in range(self.mode.runs):
            tag = f"{base_tag}r{number_}" if scenario.fresh_tag else base_tag
            redis_before = command_calls(self.redis) if backend else 0
            kube_before = len(self.kube.requests)
            result = self._wrk(server, scenario, tag, self.mode.seconds)
            redis_after = command_calls(self.redis) if backend else 0
            calls = self.kube.requests[kube_before:]
            if result.failed:
                raise BenchError(
                    f"{scenario.key}: {result.failed} failed requests {result.errors}\n"
                    f"{server.tail()}"
                )
            runs.append(
                self._run_figures(
                    scenario, result, redis_calls=redis_after - redis_before - 1, kube_calls=calls
                )
            )
        figures = self._summary(scenario, runs, backend=backend)
        if after_runs is not None:
            after_runs()
        if backend:
            figures["redis_round_trips_per_request"] = self._round_trips(server, scenario, base_tag)
        self.scenarios[scenario.key] = figures
        return figures

    def _run_figures(
        self,
        scenario: Scenario,
        result: WrkResult,
        *,
        redis_calls: int,
        kube_calls: list[RecordedRequest],
    ) -> dict[str, Any]:
        requests = max(result.requests, 1)
        created = {
            created_name(call)
            for call in kube_calls
            if call.method == "POST" and _CREATE.search(call.path) and call.status == 201
        }
        return {
            "requests": result.requests,
            "seconds": round(result.seconds, 3),
            "requests_per_s": result.requests_per_s,
            "alerts_per_s": result.requests_per_s * scenario.alerts_per_request,
            "p50_ms": result.percentile_ms("50"),
            "p90_ms": result.percentile_ms("90"),
            "p99_ms": result.percentile_ms("99"),
            "redis_calls_per_request": redis_calls / requests,
            "kube_calls": len(kube_calls),
            "kube_calls_by_operation": dict(Counter(kube_operation(c) for c in kube_calls)),
            "resources_created": len(created),
            "kube_calls_carried_over": sum(1 for call in kube_calls if carried_over(call, created)),
            "errors": result.errors,
        }

    def _summary(
        self, scenario: Scenario, runs: list[dict[str, Any]], *, backend: bool
    ) -> dict[str, Any]:
        def med(key: str) -> float:
            return median([float(run[key]) for run in runs])

        requests = sum(int(run["requests"]) for run in runs)
        kube_calls = sum(int(run["kube_calls"]) for run in runs)
        carried = sum(int(run["kube_calls_carried_over"]) for run in runs)
        created = sum(int(run["resources_created"]) for run in runs)
        operations: Counter[str] = Counter()
        for run in runs:
            operations.update(run["kube_calls_by_operation"])
        rps = med("requests_per_s")
        figures: dict[str, Any] = {
            "title": scenario.title,
            "alerts_per_request": scenario.alerts_per_request,
            "runs": runs,
            "requests": requests,
            "requests_per_s": rps,
            "alerts_per_s": med("alerts_per_s"),
            "p50_ms": med("p50_ms"),
            "p99_ms": med("p99_ms"),
            "ratio_to_ceiling": rps / self.ceiling_rps if self.ceiling_rps else None,
        }
        if backend:
            figures |= {
                "redis_calls_per_request": med("redis_calls_per_request"),
                "kube_calls": kube_calls,
                "kube_calls_per_request": kube_calls / max(requests, 1),
                "kube_calls_by_operation": dict(operations),
                "resources_created": created,
                # Calls this scenario made: not the earlier scenario's status writes. Namespace
                # reads are cached (classification.namespaceCacheSeconds) and shown apart.
                "kube_calls_carried_over": carried,
                "namespace_reads": operations["GET namespace"],
                "kube_calls_per_created_resource": (
                    (kube_calls - carried - operations["GET namespace"]) / created
                    if created
                    else None
                ),
            }
        return figures

    def _round_trips(self, server: Server, scenario: Scenario, base_tag: str) -> float:
        """Commands clients send per request (MONITOR, not Lua's), in a short extra run."""
        tag = f"{base_tag}m" if scenario.fresh_tag else base_tag
        monitor = Monitor("127.0.0.1", self.redis_server.port)
        try:
            result = self._wrk(server, scenario, tag, self.mode.monitor_seconds)
        finally:
            monitor.stop()
        return monitor.client_commands / max(result.requests, 1)

    # --- the scenarios ---------------------------------------------------------------------

    def run(self) -> None:
        ensure_wrk()
        log(f"bench ({self.mode.name}): starting the ceiling and the gateway")
        ceiling = self.start(
            processes.ceiling(
                port=free_port(),
                state=self.state,
                workers=self.defaults.workers,
                threads=self.defaults.threads,
            )
        )
        gateway = self.start(self.gateway("gateway"))
        # A smoke run's figures mean nothing: its later servers start now, not one by one.
        later = self._later_servers() if self.mode.name == "smoke" else None
        ceiling.wait_ready()
        gateway.wait_ready()

        log("bench: ceiling")
        self.ceiling_rps = self.measure(ceiling, CEILING, backend=False)["requests_per_s"]
        ceiling.stop()

        for scenario in GATEWAY_SCENARIOS:
            log(f"bench: {scenario.title}")
            if scenario.key == "new_fingerprint":
                self._new_fingerprints(gateway, scenario)
                self._active_records(gateway)
            else:
                self.measure(gateway, scenario)
        self._storm_figures()
        gateway.stop()

        log(f"bench: {AUTH.title}")
        # Not beside the fresh gateway of the RSS phase: its workers' resource indexes list
        # every resource the scenarios created when it starts, which would load the machine.
        auth = later[0] if later else self.start(self._auth_gateway())
        auth.wait_ready()
        self.measure(auth, AUTH)
        auth.stop()

        fresh = later[1] if later else self.start(self.gateway("gateway-rss"))
        fresh.wait_ready()
        self._rss(fresh)

    def _auth_gateway(self) -> Server:
        return self.gateway(
            "gateway-auth", GATEWAY_AUTH_MODE="kubernetes", GATEWAY_AUTH_NAMESPACE=AUTH_NAMESPACE
        )

    def _later_servers(self) -> tuple[Server, Server]:
        """Start the authenticating gateway and the fresh one of the RSS phase."""
        return self.start(self._auth_gateway()), self.start(self.gateway("gateway-rss"))

    def _new_fingerprints(self, gateway: Server, scenario: Scenario) -> None:
        """Measure the create path, and what each new fingerprint costs Redis."""
        scopes = f"{KEY_PREFIX}storm:*"
        memory_before = used_memory(self.redis)
        scope_bytes_before = key_memory(self.redis, scopes)
        memory_after = 0
        scope_bytes_after = 0

        def read_memory() -> None:
            # Before the extra MONITOR run, which adds fingerprints of its own.
            nonlocal memory_after, scope_bytes_after
            memory_after = used_memory(self.redis)
            scope_bytes_after = key_memory(self.redis, scopes)

        figures = self.measure(gateway, scenario, after_runs=read_memory)
        created = int(figures["resources_created"])
        if created:
            total = (memory_after - memory_before) / created
            scope = (scope_bytes_after - scope_bytes_before) / created
            self.figures |= {
                "new_fingerprints": created,
                "redis_bytes_per_fingerprint_total": total,
                "redis_bytes_per_fingerprint_scope_share": scope,
                "redis_bytes_per_fingerprint": total - scope,
            }
        self.figures["kube_calls_per_created_resource"] = figures["kube_calls_per_created_resource"]

    def _active_records(self, gateway: Server) -> None:
        """What a record grows by once its fingerprint is active: repeated, and its count
        written to its resource (MEMORY USAGE of a sample of fresh records, before and after).

        The create path's figure measures records as their first signal leaves them; an
        active fingerprint repeats (Alertmanager resends every firing alert), and its record
        then also holds its last status write (and, until the next one, when its count became
        unwritten). Its key, and the keyspace's entries for it, stay the same."""
        tag = f"mem{uuid.uuid4().hex[:6]}"
        webhooks = [
            [
                # 5 pods per scope, as the create path: no storm.
                bench_alert(f"BenchActive{tag}s{hook}x{scope}", "production", f"active-{pod}")
                for scope in range(_ALERTS_PER_WEBHOOK // 5)
                for pod in range(5)
            ]
            for hook in range(self.mode.active_sample // _ALERTS_PER_WEBHOOK)
        ]
        store = RedisSignalStore(
            self.redis,
            prefix=KEY_PREFIX,
            ttl=self.defaults.dedup_ttl,
            claim_ttl=self.defaults.claim_ttl,
        )

        def send_all(expected: str) -> list[str]:
            """Send every webhook; return the keys of its alerts' records."""
            keys = []
            for alerts in webhooks:
                results = post_webhook(gateway.url + PATH, alerts)
                if {result["status"] for result in results} != {expected}:
                    raise BenchError(f"active records: not every alert {expected}: {results}")
                keys += [
                    store.keys.record(
                        result["fingerprint"],
                        StormScope("production", alert["labels"]["alertname"]),
                    )
                    for alert, result in zip(alerts, results, strict=True)
                ]
            return keys

        keys = send_all("created")
        created = record_sizes(self.redis, keys)
        send_all("duplicate")
        deadline = time.monotonic() + ACTIVE_WRITE_TIMEOUT
        while not all_written(self.redis, keys):
            if time.monotonic() > deadline:
                raise BenchError("active records: their counts were not written in time")
            time.sleep(0.1)
        active = record_sizes(self.redis, keys)
        growth = statistics.fmean(active) - statistics.fmean(created)
        self.figures |= {
            "redis_record_memory_usage_created": statistics.fmean(created),
            "redis_record_memory_usage_active": statistics.fmean(active),
            "redis_record_growth_when_active": growth,
        }
        created_figure = self.figures.get("redis_bytes_per_fingerprint")
        if created_figure is not None:  # None if the create path created nothing (smoke)
            self.figures |= {
                "redis_bytes_per_fingerprint_created": created_figure,
                "redis_bytes_per_fingerprint": created_figure + growth,
            }

    def _storm_figures(self) -> None:
        storm = self.scenarios["storm"]
        runs = storm["runs"]
        self.figures |= {
            "storm_alerts_per_storm": median([float(run["requests"]) for run in runs]),
            "storm_resources_created_per_storm": median(
                [float(run["resources_created"]) for run in runs]
            ),
            "kube_calls_per_storm": median([float(run["kube_calls"]) for run in runs]),
            "storm_pattern_threshold": self.defaults.storms.pattern_threshold,
        }

    def _rss(self, server: Server) -> None:
        """Worker RSS of a fresh gateway after `2 * rss_half` duplicate-path requests, and its
        growth over the second half."""
        half = self.mode.rss_half
        log(f"bench: worker RSS over {2 * half:,} duplicate requests")
        scenario = GATEWAY_SCENARIOS[0]
        tag = f"rss{uuid.uuid4().hex[:6]}"
        self._prime(server, scenario, tag)
        served = 1
        samples: list[dict[str, Any]] = []
        for _ in range(2):
            result = run_wrk(
                server.url + PATH,
                scenario.script,
                scenario.args(tag),
                seconds=None,
                limit_per_thread=half // THREADS,
            )
            if result.failed:
                raise BenchError(f"rss: {result.failed} failed requests\n{server.tail()}")
            served += result.requests
            rss = {pid: processes.rss_kib(pid) for pid in server.worker_pids()}
            samples.append({"requests": served, "worker_rss_kib": rss})
        server.stop()
        first, last = samples
        growth = [
            (last["worker_rss_kib"][pid] - kib) / 1024
            for pid, kib in first["worker_rss_kib"].items()
            if pid in last["worker_rss_kib"]
        ]
        self.figures |= {
            "rss_samples": [
                {"requests": s["requests"], "worker_rss_kib": list(s["worker_rss_kib"].values())}
                for s in samples
            ],
            "worker_rss_mb": max(last["worker_rss_kib"].values()) / 1024,
            "worker_rss_growth_mb": max(growth) if growth else None,
            "rss_requests": [s["requests"] for s in samples],
            # Each worker's resource index holds every active resource the earlier scenarios
            # created: part of the RSS, growing with the cluster's resources, not with requests.
            "rss_indexed_resources": len(self.kube.objects("remediationrequests")),
        }


# --- the table and the JSON ------------------------------------------------------------------


def targets(scenarios: dict[str, dict[str, Any]], figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets next to the measured figures (printed, never asserted)."""
    dup1 = scenarios["duplicate_1"]
    threshold = int(figures["storm_pattern_threshold"])

    def target(
        figure: str, value: float | None, text: str, check: Callable[[float], bool]
    ) -> dict[str, Any]:
        return {
            "figure": figure,
            "value": value,
            "target": text,
            "met": None if value is None else check(value),
        }

    return [
        target(
            "duplicate_1.ratio_to_ceiling",
            dup1["ratio_to_ceiling"],
            ">= 50% of ceiling req/s",
            lambda v: v >= 0.5,
        ),
        target("duplicate_1.p99_ms", dup1["p99_ms"], "p99 <= 20 ms", lambda v: v <= 20),
        target(
            "duplicate_50.alerts_per_s",
            scenarios["duplicate_50"]["alerts_per_s"],
            ">= 20,000 alerts/s",
            lambda v: v >= 20_000,
        ),
        target(
            "kube_calls_per_created_resource",
            figures.get("kube_calls_per_created_resource"),
            "1 call per created resource",
            lambda v: v <= 1.0,
        ),
        target(
            "storm_resources_created_per_storm",
            figures.get("storm_resources_created_per_storm"),
            f"<= threshold+1 ({threshold + 1}) creates per storm",
            lambda v: v <= threshold + 1,
        ),
        target(
            "redis_bytes_per_fingerprint",
            figures.get("redis_bytes_per_fingerprint"),
            "<= 300 B per fingerprint",
            lambda v: v <= 300,
        ),
        target(
            "worker_rss_mb",
            figures.get("worker_rss_mb"),
            "<= 100 MB per worker",
            lambda v: v <= 100,
        ),
        target(
            "worker_rss_growth_mb",
            figures.get("worker_rss_growth_mb"),
            "growth <= 5 MB",
            lambda v: v <= 5,
        ),
    ]


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [ensure_wrk(), "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n", 1)[0]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk_version.strip(),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_interrupted: list[int] = []


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C reaches the whole process group: Redis and the servers may die first, so what
    # fails next is an interruption, not an error.
    _interrupted.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _workspace() -> Iterator[tuple[Path, contextlib.ExitStack]]:
    state = Path(tempfile.mkdtemp(prefix="kgw-bench-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, state, ignore_errors=True)
        yield state, stack


def bench(mode: Mode) -> dict[str, Any]:
    """Run every scenario in `mode`; return all figures (the JSON document)."""
    started = time.monotonic()
    with _workspace() as (state, stack):
        runner = Bench(mode, state, stack)
        runner.run()
        redis_version = runner.redis_server.client().info("server")["redis_version"]
        results: dict[str, Any] = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": mode.name,
            "machine": machine() | {"redis": redis_version},
            "settings": {
                "workers": runner.defaults.workers,
                "threads": runner.defaults.threads,
                "worker_class": "gthread",
                "wrk_connections": CONNECTIONS,
                "wrk_threads": THREADS,
                "seconds_per_run": mode.seconds,
                "runs_per_scenario": mode.runs,
                "rss_requests": 2 * mode.rss_half,
            },
            "scenarios": runner.scenarios,
            "figures": runner.figures,
        }
    results["targets"] = targets(results["scenarios"], results["figures"])
    results["seconds"] = round(time.monotonic() - started, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="1 s and one run per scenario")
    speed.add_argument(
        "--smoke", action="store_true", help="a few seconds in all: proves the harness runs"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    options = parser.parse_args(argv)
    mode = MODES["smoke" if options.smoke else "quick" if options.quick else "full"]
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        results = bench(mode)
    except BenchError as error:
        if _interrupted:
            log("bench: interrupted; everything it started is stopped")
            return 130
        log(f"bench: {error}")
        return 1
    except (KeyboardInterrupt, Exception):
        if _interrupted:
            log("bench: interrupted; everything it started is stopped")
            return 130
        raise
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    m = results["machine"]
    print(
        f"kubernaut-gateway bench ({mode.name}: {mode.seconds:g} s x {mode.runs} run(s), "
        f"wrk {THREADS} threads x {CONNECTIONS} connections; gunicorn "
        f"{results['settings']['workers']} workers x {results['settings']['threads']} threads) "
        f"on {m['nproc']} x {m['cpu_model']}, Python {m['python']}"
    )
    print(render(results))
    if mode.name != "full":
        print(
            f"({mode.name} mode: worker RSS after {2 * mode.rss_half:,} requests, "
            f"not 100,000; figures are indicative only)"
        )
    print(f"all figures: {options.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
