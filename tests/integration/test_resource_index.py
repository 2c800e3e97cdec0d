"""The resource index: the gateway's active RemediationRequests from a list and a watch, so that
a create is one API call; until it follows the API, creates look the fingerprint up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s

from app.adapters.breaker import CircuitBreaker
from app.adapters.kubernetes import GROUP, PLURAL, VERSION, KubernetesApi, api_client
from app.adapters.reflector import Timing
from app.adapters.rr_index import UNKNOWN, ResourceIndex
from app.adapters.rr_lookups import ResourceLookups
from app.config import Config
from app.domain import MANAGED_BY, ObjectRef
from tests.support.index import active
from tests.support.kubeapi import KubeApiServer
from tests.support.sandbox import chart_crds
from tests.support.waiting import eventually

NAMESPACE = "team-a"


@dataclass
class Setup:
    server: KubeApiServer
    custom: Any
    index: ResourceIndex
    gateway: KubernetesApi
    lookups: ResourceLookups
    stop: threading.Event
    thread: threading.Thread

    def start(self) -> None:
        self.thread.start()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """A server of this test alone (it is reset and its watches ended), and an index on it."""
    with KubeApiServer(crd_paths=chart_crds()) as server:
        server.add_namespace(NAMESPACE)
        api = api_client(kubeconfig=str(server.write_kubeconfig(tmp_path / "kubeconfig")))
        index = ResourceIndex(
            api, timeout=2.0, timing=Timing(watch_seconds=30, margin=2.0, probe_seconds=1)
        )
        gateway = KubernetesApi(
            api,
            timeout=2.0,
            retry_budget=1.0,
            breaker=CircuitBreaker(Config().breaker, clock=time.monotonic),
            index=index,
        )
        lookups = ResourceLookups(gateway, index=index, window_seconds=3600)
        stop = threading.Event()
        thread = threading.Thread(target=index.run, args=(stop,), daemon=True)
        yield Setup(server, k8s.CustomObjectsApi(api), index, gateway, lookups, stop, thread)
        stop.set()
        server.end_watches()
        if thread.ident is not None:
            thread.join(timeout=10)
            assert not thread.is_alive()
        api.close()


def _create(setup: Setup, name: str, fingerprint: str, *, managed: bool = True) -> None:
    labels = {
        "app.kubernetes.io/managed-by": MANAGED_BY if managed else "someone-else",
        "kubernaut.io/signal-fingerprint": fingerprint[:63],
    }
    spec = {
        "signalFingerprint": fingerprint,
        "signalName": "PodCrash",
        "severity": "critical",
        "environment": "production",
        "priority": "P0",
        "signalType": "prometheus-alert",
        "signalSource": "alertmanager",
        "targetType": "kubernetes",
        "targetResource": {"kind": "Pod", "name": "p", "namespace": NAMESPACE},
        "firingTime": "2026-11-24T10:00:00Z",
        "receivedTime": "2026-11-24T10:00:00Z",
        "deduplication": {
            "firstSeen": "2026-11-24T10:00:00Z",
            "lastSeen": "2026-11-24T10:00:00Z",
            "occurrenceCount": 3,
        },
    }
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RemediationRequest",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }
    setup.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)


def _phase(setup: Setup, name: str, phase: str) -> None:
    setup.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, NAMESPACE, PLURAL, name, {"status": {"overallPhase": phase}}
    )


def _lists(server: KubeApiServer) -> int:
    """Label lookups (a list by fingerprint in one namespace): what the index saves."""
    return sum(
        1
        for r in server.requests
        if r.method == "GET" and r.path.endswith(f"/namespaces/{NAMESPACE}/{PLURAL}")
    )


FP_A = "a" * 64
FP_B = "b" * 64


def test_an_unsynced_index_cannot_tell_and_the_gateway_looks_up(setup: Setup) -> None:
    _create(setup, "rr-a", FP_A)
    assert active(setup.index, FP_A) is UNKNOWN
    found = setup.lookups.history(FP_A, namespace=NAMESPACE).active
    assert found is not None
    assert (found.ref, found.occurrence_count) == (ObjectRef(NAMESPACE, "rr-a"), 3)
    assert _lists(setup.server) == 1


def test_a_synced_index_answers_without_an_api_call_and_follows_every_change(
    setup: Setup,
) -> None:
    _create(setup, "rr-a", FP_A)
    _create(setup, "rr-foreign", FP_B, managed=False)
    setup.start()
    eventually(lambda: setup.index.synced, within=10, what="the index lists")
    setup.server.clear_requests()

    found = setup.lookups.history(FP_A, namespace=NAMESPACE).active
    assert found is not None
    assert found.ref == ObjectRef(NAMESPACE, "rr-a")
    assert found.occurrence_count == 3
    # Not the gateway's: not in the index.
    assert setup.lookups.history(FP_B, namespace=NAMESPACE).active is None

    _create(setup, "rr-b", FP_B)
    eventually(lambda: active(setup.index, FP_B), within=10, what="a create reaches the index")
    _phase(setup, "rr-a", "Completed")
    eventually(
        lambda: active(setup.index, FP_A) is None, within=10, what="a terminal phase drops it"
    )
    setup.custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-b")
    eventually(lambda: active(setup.index, FP_B) is None, within=10, what="a delete drops it")

    assert _lists(setup.server) == 0


def test_an_ended_watch_is_resumed_and_a_gone_version_is_listed_again(setup: Setup) -> None:
    setup.start()
    eventually(lambda: setup.index.synced, within=10, what="the index lists")
    setup.server.end_watches()
    _create(setup, "rr-a", FP_A)
    eventually(lambda: active(setup.index, FP_A), within=10, what="the resumed watch sees it")

    setup.server.reset()  # the watch's version is gone: 410, then a fresh list
    setup.server.add_namespace(NAMESPACE)
    eventually(lambda: active(setup.index, FP_A) is None, within=10, what="the relist forgets")
    _create(setup, "rr-b", FP_B)
    eventually(lambda: active(setup.index, FP_B), within=10, what="the new watch sees it")
