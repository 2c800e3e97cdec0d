#!/usr/bin/env python3
"""Hold each Kubernetes API fault mode against a real gateway and report what it cost.

    .venv/bin/python scripts/kube_faults.py [--hold 60] [--watch-timeout 10]

For every fault mode of the API test server (tests/support/kubeapi/faults.py) at once, each
against a server, a Redis prefix and a `kubernaut-gateway serve` (2 workers) of its own: wait
until both workers' resource indexes follow the API, complete a resource's problem and inject
the fault on the cluster-wide list/watch path, hold it, then clear it. Reported per mode: the
list and watch requests per worker per minute while it held, how many workers saw a failure,
the share of their `gateway_resource_index_synced` readings that were 0 from each one's first
failure on (a stalled watch is a failure only once it is found out), whether the next firing of the
completed problem (after Redis lost its keys) created a new resource, and how long the indexes
took to follow the API again. The tests assert each of these on a short hold; this is the
long one the acceptance asks for, run by hand.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import Server, gateway
from tests.support.kubeapi import KubeApiServer
from tests.support.kubeapi.faults import LIST_WATCH_FAULTS as FAULTS
from tests.support.metrics import worker_gauges
from tests.support.payloads import alert, unique, webhook
from tests.support.processes import free_port
from tests.support.redis_keys import wipe
from tests.support.redis_server import RedisServer
from tests.support.sandbox import chart_crds

COLLECTION = "/apis/remediation.kubernaut.io/v1alpha1/remediationrequests"
WORKERS = 2


@dataclass
class Report:
    mode: str
    per_worker_minute: float
    workers_failed: int
    unsynced_share: float
    new_resource_after_flush: bool
    resync_seconds: float


def hold(mode: str, *, redis: RedisServer, state: Path, seconds: float, timeout: int) -> Report:
    """Run one fault mode from start to end; return what it cost."""
    name = "mode" + str(list(FAULTS).index(mode))
    with KubeApiServer(crd_paths=chart_crds()) as kube:
        kube.add_namespace("production")
        server = gateway(
            name,
            port=free_port(),
            state=state,
            redis_url=redis.url,
            kubeconfig=kube.write_kubeconfig(state / f"{name}.kubeconfig"),
            GATEWAY_REDIS_KEY_PREFIX=f"{name}:",
            GATEWAY_WATCH_TIMEOUT=str(timeout),
        ).start()
        try:
            server.wait_ready()
            return Fault(mode, kube, server, redis=redis, prefix=f"{name}:").hold(seconds)
        finally:
            server.stop()


class Fault:
    """One fault mode held against one gateway."""

    def __init__(
        self, mode: str, kube: KubeApiServer, server: Server, *, redis: RedisServer, prefix: str
    ) -> None:
        self.mode, self.kube, self.server = mode, kube, server
        self.redis, self.prefix = redis, prefix
        self.metrics = Path(server.env["PROMETHEUS_MULTIPROC_DIR"])
        self.body = webhook(alert(alertname=unique("Fault"), namespace="production", pod="p"))

    def synced(self) -> dict[int, float]:
        """Each worker's `gateway_resource_index_synced`, by pid."""
        pids = self.server.worker_pids()
        return worker_gauges(self.metrics, "gateway_resource_index_synced", pids)

    def fire(self) -> dict[str, Any]:
        url = f"{self.server.url}/api/v1/signals/prometheus"
        result: dict[str, Any] = requests.post(url, json=self.body, timeout=30).json()["results"][0]
        return result

    def inject(self) -> None:
        fault = FAULTS[self.mode]
        self.kube.inject(method="GET", path=f"^{COLLECTION}$", **fault)
        if not fault["watches"]:  # a list fault bites on the next relist: force one per worker
            self.kube.inject(
                method="GET", path=f"^{COLLECTION}$", watches=True, watch_mode="gone", times=WORKERS
            )
        self.kube.end_watches()

    def decide(self, first: dict[str, Any]) -> bool:
        """Complete the problem's resource, lose Redis, fire again: a new resource?"""
        ref = first["remediationRequest"]
        done = {"overallPhase": "Completed"}
        self.kube.patch_status("remediationrequests", ref["namespace"], ref["name"], done)
        wipe(self.redis, f"{self.prefix}*")
        again = self.fire()
        return bool(again["status"] == "created")

    def hold(self, seconds: float) -> Report:
        """Inject, hold (sampling each worker's gauge from its first 0 on), decide near the
        end, clear, resync."""
        first = self.fire()
        before = self.kube.count(method="GET", path=f"^{COLLECTION}$")
        self.inject()
        started, decided, created = time.monotonic(), False, False
        samples: dict[int, list[float]] = {}  # a worker's readings since it first read 0
        while (elapsed := time.monotonic() - started) < seconds:
            for pid, value in self.synced().items():
                if value == 0.0 or pid in samples:
                    samples.setdefault(pid, []).append(value)
            if elapsed > seconds - 5 and not decided:
                created, decided = self.decide(first), True
            time.sleep(0.5)
        made = self.kube.count(method="GET", path=f"^{COLLECTION}$") - before
        self.kube.clear_faults()
        cleared = time.monotonic()
        while min(self.synced().values()) < 1 and time.monotonic() - cleared < 120:
            time.sleep(0.2)
        readings = [value for worker in samples.values() for value in worker]
        return Report(
            mode=self.mode,
            per_worker_minute=made / WORKERS / (seconds / 60),
            workers_failed=len(samples),
            unsynced_share=readings.count(0.0) / len(readings) if readings else 0.0,
            new_resource_after_flush=decided and created,
            resync_seconds=time.monotonic() - cleared,
        )


def main(argv: list[str] | None = None) -> int:
    """Hold every fault mode at once; print one line per mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=60.0, help="seconds each fault holds")
    parser.add_argument("--watch-timeout", type=int, default=10, help="GATEWAY_WATCH_TIMEOUT")
    args = parser.parse_args(argv)
    state = Path(tempfile.mkdtemp(prefix="kube-faults-"))
    with RedisServer(workdir=state / "redis") as redis, ThreadPoolExecutor(len(FAULTS)) as pool:
        reports = list(
            pool.map(
                lambda mode: hold(
                    mode, redis=redis, state=state, seconds=args.hold, timeout=args.watch_timeout
                ),
                FAULTS,
            )
        )
    header = ("mode", "list+watch/worker/min", "failed", "synced 0", "new after", "resync s")
    print(f"{header[0]:28} {header[1]:>22} {header[2]:>7} {header[3]:>9} {header[4]:>10} "
          f"{header[5]:>9}")  # fmt: skip
    for r in reports:
        created = "yes" if r.new_resource_after_flush else "NO"
        print(f"{r.mode:28} {r.per_worker_minute:22.1f} {r.workers_failed:>4}/{WORKERS} "
              f"{r.unsynced_share:9.0%} {created:>10} {r.resync_seconds:9.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
