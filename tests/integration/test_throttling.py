"""Kubernetes API throttling (priority and fairness answering 429) is absorbed, not failed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.api import PROMETHEUS
from tests.support.kubeapi import KubeApiServer
from tests.support.payloads import alert, unique, webhook
from tests.support.sandbox import chart_crds

PLURAL = "remediationrequests"


@pytest.fixture
def busy_api(tmp_path) -> Iterator[tuple[KubeApiServer, str]]:
    """An API server that admits two requests at a time and answers 429 beyond that."""
    with KubeApiServer(crd_paths=chart_crds(), max_in_flight=2) as server:
        server.add_namespace("busy")
        yield server, str(server.write_kubeconfig(tmp_path / "kubeconfig"))


def test_creates_beyond_the_in_flight_limit_are_retried_until_all_succeed(make_client, busy_api):
    server, kubeconfig = busy_api
    server.inject(method="POST", path=f"/{PLURAL}$", delay=0.1)
    bodies = [
        webhook(alert(alertname=unique("Busy"), namespace="busy", pod="p")) for _ in range(10)
    ]

    # Ten senders, each its own app (as ten gateway workers): built before the threads start,
    # because CPython 3.11's ast module (Flask compiles its URL rules) is not thread-safe.
    clients = [make_client(kubeconfig=kubeconfig, kubernetes_retry_budget=8.0) for _ in bodies]

    def deliver(client, body):
        return client.post(PROMETHEUS, json=body).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(deliver, clients, bodies))

    assert statuses == [201] * 10
    assert server.count(status=429) > 0
    assert len(server.objects(PLURAL, namespace="busy")) == 10
