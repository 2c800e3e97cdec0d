"""The resource index against an API whose watches and lists misbehave: it backs off, never
says it follows the API while it does not, and decides with label lookups meanwhile.

Every fault mode runs at once, each against a test server and an index of its own, with a
fast backoff (0.1 s doubling to 1 s) so that the test takes seconds; the backoff's real
schedule, and what it costs per minute, is tests/unit/test_reflector.py's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from app.adapters.breaker import CircuitBreaker
from app.adapters.kubernetes import GROUP, PLURAL, VERSION, KubernetesApi, api_client
from app.adapters.reflector import Timing
from app.adapters.rr_index import ResourceIndex
from app.adapters.rr_lookups import ResourceLookups
from app.config import Config
from app.domain import MANAGED_BY
from app.pacing import Backoff
from tests.integration.kubeapi.helpers import create_rr, rr_body, valid_spec
from tests.support.index import active
from tests.support.kubeapi import KubeApiServer
from tests.support.kubeapi.faults import LIST_WATCH_FAULTS as FAULTS
from tests.support.sandbox import chart_crds
from tests.support.waiting import eventually, hold_for

NAMESPACE = "team-a"
CLUSTER_LIST = f"^/apis/{GROUP}/{VERSION}/{PLURAL}$"
HOLD_SECONDS = 3.0
TIMING = Timing(watch_seconds=1, margin=0.5, probe_seconds=1, short_watch=0.3)
FINGERPRINT = "c" * 64
LABELS = {
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "kubernaut.io/signal-fingerprint": FINGERPRINT[:63],
}


@dataclass
class Watched:
    """One test server, an index following it, and what the index said."""

    server: KubeApiServer
    index: ResourceIndex
    api: KubernetesApi
    lookups: ResourceLookups
    custom: Any
    synced: list[tuple[float, bool]] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)

    def watches_and_lists(self) -> int:
        return sum(1 for r in self.server.requests if r.method == "GET" and _cluster(r.path))


def _cluster(path: str) -> bool:
    return path == f"/apis/{GROUP}/{VERSION}/{PLURAL}"


@contextmanager
def watched(tmp_path: Path) -> Iterator[Watched]:
    """Start a server and an index on it (fast backoff); stop both at the end."""
    with KubeApiServer(crd_paths=chart_crds()) as server:
        server.add_namespace(NAMESPACE)
        client = api_client(kubeconfig=str(server.write_kubeconfig(tmp_path / "kubeconfig")))
        synced: list[tuple[float, bool]] = []
        restarts: list[str] = []
        index = ResourceIndex(
            client,
            timeout=2.0,
            timing=TIMING,
            backoff=Backoff(initial=0.1, cap=1.0, rand=lambda: 0.0),
            on_sync=lambda now: synced.append((time.monotonic(), now)),
            on_restart=restarts.append,
        )
        breaker = CircuitBreaker(Config().breaker, clock=time.monotonic)
        kube = KubernetesApi(client, timeout=2.0, retry_budget=1.0, breaker=breaker, index=index)
        custom = k8s.CustomObjectsApi(client)
        lookups = ResourceLookups(kube, index=index, window_seconds=3600)
        seen = Watched(server, index, kube, lookups, custom, synced=synced, restarts=restarts)
        stop = threading.Event()
        thread = threading.Thread(target=index.run, args=(stop,), daemon=True)
        thread.start()
        try:
            eventually(lambda: index.synced, within=10, what="the index lists")
            yield seen
        finally:
            stop.set()
            server.clear_faults()
            server.end_watches()
            thread.join(timeout=10)
            client.close()


REASONS = {
    "watch ends at once": "short-watch",
    "watch stalls": "stalled",
    "watch gets 410 mid-stream": "expired",
    "watch connection dropped": "error",
    "list throttled (429)": "error",
    "list fails (500)": "error",
}


@dataclass
class Outcome:
    restarts: list[str]
    synced_after_first_failure: list[bool]
    requests_during_fault: int
    lookup_saw_completion: bool
    resynced_after_fault: bool


def _hold(seen: Watched, fault: dict[str, Any]) -> Outcome:
    """Hold a fault; complete a resource meanwhile; clear the fault; report what happened."""
    name = "rr-held"
    spec = valid_spec(signalFingerprint=FINGERPRINT)
    create_rr(seen.custom, rr_body(name, labels=LABELS, spec=spec), namespace=NAMESPACE)
    eventually(
        lambda: active(seen.index, FINGERPRINT), within=5, what="the index holds the resource"
    )
    before = seen.watches_and_lists()
    seen.server.inject(method="GET", path=CLUSTER_LIST, **fault)
    if not fault["watches"]:  # a list fault bites on the next relist: force one with a 410
        seen.server.inject(
            method="GET", path=CLUSTER_LIST, watches=True, watch_mode="gone", times=1
        )
    seen.server.end_watches()
    eventually(lambda: seen.restarts, within=HOLD_SECONDS + 3, what="a restart")
    failed_at = time.monotonic()
    seen.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, NAMESPACE, PLURAL, name, {"status": {"overallPhase": "Completed"}}
    )
    hold_for(HOLD_SECONDS)
    completed_seen = seen.lookups.history(FINGERPRINT, namespace=NAMESPACE).active is None
    requests = seen.watches_and_lists() - before
    synced_meanwhile = [synced for at, synced in seen.synced if at >= failed_at]
    restarts = list(seen.restarts)
    seen.server.clear_faults()
    resynced = bool(eventually(lambda: seen.index.synced, within=5, what="resync"))
    return Outcome(
        restarts=restarts,
        synced_after_first_failure=synced_meanwhile,
        requests_during_fault=requests,
        lookup_saw_completion=completed_seen,
        resynced_after_fault=resynced,
    )


def _healthy(seen: Watched) -> Healthy:
    """Leave a healthy index alone for a while; report its requests."""
    hold_for(3)
    requests = [r for r in seen.server.requests if r.method == "GET" and _cluster(r.path)]
    watches = sum(1 for r in requests if "watch=true" in r.query)
    return Healthy(lists=len(requests) - watches, watches=watches, restarts=list(seen.restarts))


@dataclass
class Healthy:
    lists: int
    watches: int
    restarts: list[str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every fault mode and the healthy case at once, each on servers of its own."""

    modes = [*FAULTS, "healthy"]
    # Made here: the factory is not meant for several threads at once.
    directories = {mode: tmp_path_factory.mktemp("faults") for mode in modes}

    def run(mode: str) -> Outcome | Healthy:
        with watched(directories[mode]) as seen:
            return _healthy(seen) if mode == "healthy" else _hold(seen, FAULTS[mode])

    with ThreadPoolExecutor(max_workers=len(modes)) as pool:
        return dict(zip(modes, pool.map(run, modes), strict=True))


@pytest.mark.parametrize("mode", list(FAULTS))
def test_under_each_fault_the_index_restarts_for_its_reason_and_never_says_synced(
    outcomes: dict[str, Any], mode: str
) -> None:
    outcome = outcomes[mode]
    assert outcome.restarts, "no restart"
    assert set(outcome.restarts) <= {REASONS[mode], "expired"}
    assert REASONS[mode] in outcome.restarts
    assert True not in outcome.synced_after_first_failure


@pytest.mark.parametrize("mode", list(FAULTS))
def test_under_each_fault_relists_follow_the_backoff_not_a_hot_loop(
    outcomes: dict[str, Any], mode: str
) -> None:
    # Waits of 0.1, 0.2, 0.4, 0.8 then 1 s: about 8 attempts (2 requests each) over the few
    # seconds a fault is in place. A loop without backoff makes hundreds.
    assert outcomes[mode].requests_during_fault <= 20


@pytest.mark.parametrize("mode", list(FAULTS))
def test_under_each_fault_a_resource_completed_meanwhile_is_seen_by_the_label_lookup(
    outcomes: dict[str, Any], mode: str
) -> None:
    assert outcomes[mode].lookup_saw_completion


@pytest.mark.parametrize("mode", list(FAULTS))
def test_after_each_fault_the_index_follows_the_api_again(
    outcomes: dict[str, Any], mode: str
) -> None:
    assert outcomes[mode].resynced_after_fault


def test_a_healthy_index_watches_once_per_watch_timeout_and_lists_once(
    outcomes: dict[str, Any],
) -> None:
    healthy = outcomes["healthy"]
    assert healthy.lists == 1
    # Watch timeouts of 1-2 s over about 3 s: two or three watches, never more than one a second.
    assert 2 <= healthy.watches <= 4
    assert healthy.restarts == []
