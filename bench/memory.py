"""What the gateway holds: Redis memory per active fingerprint, and its workers' RSS."""

from __future__ import annotations

import statistics
import uuid
from typing import Any, NamedTuple

from redis import Redis

from app.adapters.redis_keys import KeyLayout
from app.service.ports import StormScope
from bench import processes
from bench.load import bench_alert, post_webhook, run_wrk
from bench.measure import BenchError, Measurer
from bench.processes import Server
from bench.redis_probe import all_written, key_memory, record_sizes, used_memory
from bench.scenarios import GATEWAY_SCENARIOS, PATH, Mode, Scenario
from tests.support.waiting import eventually

KEY_PREFIX = "kgw:"  # the gateway's default
_ALERTS_PER_WEBHOOK = 50
# How long the gateway may take to write the sample's counts (due at once, flushed each second).
ACTIVE_WRITE_TIMEOUT = 30.0

Webhooks = list[list[dict[str, Any]]]


def created_records(measurer: Measurer, gateway: Server, scenario: Scenario) -> dict[str, Any]:
    """Measure the create path, and what each new fingerprint costs Redis: `used_memory`'s
    growth over the runs per resource created, less the storm-scope keys' share."""
    redis = measurer.stack.redis
    scopes = f"{KEY_PREFIX}storm:*"
    before = (used_memory(redis), key_memory(redis, scopes))
    after: list[int] = []

    def read_memory() -> None:
        # Before the extra MONITOR run, which adds fingerprints of its own.
        after.extend([used_memory(redis), key_memory(redis, scopes)])

    measured = measurer.measure(gateway, scenario, after_runs=read_memory)
    figures: dict[str, Any] = {}
    if created := int(measured["resources_created"]):
        total = (after[0] - before[0]) / created
        scope = (after[1] - before[1]) / created
        figures = {
            "new_fingerprints": created,
            "redis_bytes_per_fingerprint_total": total,
            "redis_bytes_per_fingerprint_scope_share": scope,
            "redis_bytes_per_fingerprint": total - scope,
        }
    return figures | {
        "kube_calls_per_created_resource": measured["kube_calls_per_created_resource"]
    }


def active_records(
    measurer: Measurer, gateway: Server, *, created_bytes: float | None
) -> dict[str, Any]:
    """What a record grows by once its fingerprint is active: repeated, and its count
    written to its resource (MEMORY USAGE of a sample of fresh records, before and after),
    added to the create path's `created_bytes` per fingerprint.

    The create path measures records as their first signal leaves them; an active fingerprint
    repeats (Alertmanager resends every firing alert), and its record then also holds its last
    status write (and, until the next one, when its count became unwritten). Its key, and the
    keyspace's entries for it, stay the same."""
    redis = measurer.stack.redis
    webhooks = _sample(measurer.mode.active_sample)
    keys = _send_all(gateway, webhooks, expected="created")
    created = statistics.fmean(record_sizes(redis, keys))
    _send_all(gateway, webhooks, expected="duplicate")
    _wait_written(redis, keys)
    active = statistics.fmean(record_sizes(redis, keys))
    figures = {
        "redis_record_memory_usage_created": created,
        "redis_record_memory_usage_active": active,
        "redis_record_growth_when_active": active - created,
    }
    if created_bytes is None:  # the create path created nothing (smoke)
        return figures
    return figures | {
        "redis_bytes_per_fingerprint_created": created_bytes,
        "redis_bytes_per_fingerprint": created_bytes + active - created,
    }


def _sample(fingerprints: int) -> Webhooks:
    """Webhooks of 50 fresh fingerprints each, 5 pods per scope as the create path: no storm."""
    tag = f"mem{uuid.uuid4().hex[:6]}"
    return [
        [
            bench_alert(f"BenchActive{tag}s{hook}x{scope}", "production", f"active-{pod}")
            for scope in range(_ALERTS_PER_WEBHOOK // 5)
            for pod in range(5)
        ]
        for hook in range(fingerprints // _ALERTS_PER_WEBHOOK)
    ]


def _wait_written(redis: Redis, keys: list[str]) -> None:
    """Wait until the gateway has written every record's count to its resource."""
    eventually(
        lambda: all_written(redis, keys),
        within=ACTIVE_WRITE_TIMEOUT,
        what="active records: their counts written",
        error=BenchError,
    )


def _send_all(gateway: Server, webhooks: Webhooks, *, expected: str) -> list[str]:
    """Send every webhook; return the keys of its alerts' records."""
    layout = KeyLayout(KEY_PREFIX)
    keys = []
    for alerts in webhooks:
        results = post_webhook(gateway.url + PATH, alerts)
        if {result["status"] for result in results} != {expected}:
            raise BenchError(f"active records: not every alert {expected}: {results}")
        keys += [
            layout.record(
                result["fingerprint"], StormScope("production", alert["labels"]["alertname"])
            )
            for alert, result in zip(alerts, results, strict=True)
        ]
    return keys


class _RssSample(NamedTuple):
    served: int  # requests served so far, the priming one included
    worker_rss_kib: dict[int, int]  # by worker pid


def worker_rss(measurer: Measurer, server: Server) -> dict[str, Any]:
    """Worker RSS of a fresh gateway after `2 * rss_half` duplicate-path requests, and its
    growth over the second half; the server is stopped after."""
    scenario = GATEWAY_SCENARIOS[0]
    tag = f"rss{uuid.uuid4().hex[:6]}"
    half = measurer.mode.rss_half
    measurer.prime(server, scenario, tag)
    mode = measurer.mode
    first = _rss_sample(server, scenario, tag, mode, served=1, requests=half)
    last = _rss_sample(server, scenario, tag, mode, served=first.served, requests=half)
    server.stop()
    rss, before = last.worker_rss_kib, first.worker_rss_kib
    growth = [(rss[pid] - kib) / 1024 for pid, kib in before.items() if pid in rss]
    return {
        "rss_samples": [
            {"requests": s.served, "worker_rss_kib": list(s.worker_rss_kib.values())}
            for s in (first, last)
        ],
        "worker_rss_mb": max(rss.values()) / 1024,
        "worker_rss_growth_mb": max(growth) if growth else None,
        "rss_requests": [first.served, last.served],
        # Each worker's resource index holds every active resource the earlier scenarios
        # created: part of the RSS, growing with the cluster's resources, not with requests.
        "rss_indexed_resources": len(measurer.stack.kube.objects("remediationrequests")),
    }


def _rss_sample(
    server: Server, scenario: Scenario, tag: str, mode: Mode, *, served: int, requests: int
) -> _RssSample:
    """Send about `requests` more requests; return the count served and each worker's RSS."""
    result = run_wrk(
        server.url + PATH,
        scenario.script,
        scenario.args(tag),
        seconds=None,
        threads=mode.wrk_threads,
        connections=mode.wrk_connections,
        limit_per_thread=requests // mode.wrk_threads,
    )
    if result.failed:
        raise BenchError(f"rss: {result.failed} failed requests\n{server.tail()}")
    rss = {pid: processes.rss_kib(pid) for pid in server.worker_pids()}
    return _RssSample(served + result.requests, rss)
