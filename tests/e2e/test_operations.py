"""Operations through the real gunicorn server (2 workers): shutdown, circuit breaker."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.processes import child_pids
from tests.support.api import send_http
from tests.support.metrics import sample, worker_gauges
from tests.support.payloads import alert, unique, webhook
from tests.support.waiting import eventually

PLURAL = "remediationrequests"


def test_sigterm_during_a_burst_loses_no_accepted_signal_and_exits_zero(
    start_gateway, kube_api, make_namespace
):
    namespace = make_namespace()
    alertname = unique("Term")
    readiness: list[int | str] = []
    answers: list[tuple[int, dict[str, Any]]] = []
    with start_gateway(
        traced=True, GATEWAY_DRAIN_SECONDS="1", GATEWAY_GRACEFUL_TIMEOUT="10"
    ) as gateway:

        def deliver(i: int) -> None:
            body = webhook(alert(alertname=alertname, namespace=namespace, pod=f"p{i}"))
            try:
                response = send_http(gateway.url, body)
                answers.append((response.status_code, response.json()["results"][0]))
            except requests.RequestException:
                answers.append((0, {}))

        def watch_readiness() -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    response = requests.get(f"{gateway.url}/readyz", timeout=1)
                except requests.RequestException:
                    readiness.append("closed")
                    return
                if "X-Request-ID" not in response.headers:
                    # Another test's server took the freed port: the gateway's listener closed.
                    readiness.append("closed")
                    return
                readiness.append(response.status_code)
                time.sleep(0.02)

        with ThreadPoolExecutor(max_workers=10) as pool:
            futures = [pool.submit(deliver, i) for i in range(50)]
            while len(answers) < 10:
                time.sleep(0.005)
            stopping = time.monotonic()
            gateway.process.send_signal(signal.SIGTERM)
            watcher = threading.Thread(target=watch_readiness)
            watcher.start()
            for future in futures:
                future.result()
            exit_code = gateway.process.wait(timeout=15)
            stopped_in = time.monotonic() - stopping
            watcher.join()

    assert exit_code == 0
    assert stopped_in < 10 + 2
    # /readyz answered 503 while the listener still took connections, then the listener closed.
    assert readiness[-1] == "closed"
    assert 503 in readiness[:-1]
    names = {rr["metadata"]["name"] for rr in kube_api.objects(PLURAL, namespace=namespace)}
    accepted = [result for status, result in answers if status in (201, 202)]
    assert accepted, "no request was accepted"
    assert {r["remediationRequest"]["name"] for r in accepted if r["status"] == "created"} <= names


def _body(namespace, alertname, pod):
    return webhook(alert(alertname=alertname, namespace=namespace, pod=pod))


def all_closed_by_time(metrics_dir: Path, pids: list[int]) -> bool:
    """Tell whether every worker's breaker gauge reads 0."""
    states = worker_gauges(metrics_dir, "gateway_circuit_breaker_open", pids)
    return set(states.values()) == {0}


def _fast_503(url, namespace, alertname, i):
    started = time.monotonic()
    body = _body(namespace, alertname, f"p{i}")
    status = send_http(url, body).status_code
    # Fast: well under the 1 s retry budget a call to the failing API would spend.
    return status == 503 and time.monotonic() - started < 0.3


def test_the_breaker_opens_fails_fast_then_closes_when_the_api_recovers(
    start_gateway, kube_api, make_namespace
):
    namespace = make_namespace()
    alertname = unique("Breaker")
    creates = f"/namespaces/{namespace}/{PLURAL}$"
    with start_gateway(
        GATEWAY_KUBERNETES_RETRY_BUDGET="1",
        GATEWAY_BREAKER_MIN_CALLS="4",
        # Long enough for the answers below to come before a worker probes again (a probe
        # would reach the failing API); the recovery waits for it.
        GATEWAY_BREAKER_COOL_DOWN="5",
    ) as gateway:
        fault = kube_api.inject(method="POST", path=creates, status=500)
        metrics_dir = gateway.log.parent / "metrics"
        deadline = time.monotonic() + 15
        while len(pids := child_pids(gateway.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pids) == 2

        def all_open() -> bool:
            states = worker_gauges(metrics_dir, "gateway_circuit_breaker_open", pids)
            return all(value == 1 for value in states.values())

        # Requests from several clients at once reach both workers; each worker's breaker opens
        # once it has seen the threshold of failed calls.
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            while not all_open() and time.monotonic() < deadline:
                pods = [f"p{sent + n}" for n in range(8)]
                sent += len(pods)
                list(
                    pool.map(
                        lambda pod: send_http(gateway.url, _body(namespace, alertname, pod)), pods
                    )
                )
        assert all_open(), "the breaker did not open on both workers"
        calls_before = kube_api.count(path=creates)
        assert all(_fast_503(gateway.url, namespace, alertname, 1000 + n) for n in range(10))
        assert kube_api.count(path=creates) == calls_before
        metrics = requests.get(f"{gateway.url}/metrics", timeout=5).text
        assert sample(metrics, "gateway_circuit_breaker_open") == 1
        ready = requests.get(f"{gateway.url}/readyz", timeout=5)

        # Idle workers: their gauges follow the breaker by time, back to 0 after the cool-down.
        eventually(
            lambda: all_closed_by_time(metrics_dir, pids),
            within=10,
            what="every idle worker's breaker gauge back at 0",
            every=0.05,
        )
        idle_after_cool_down = worker_gauges(metrics_dir, "gateway_circuit_breaker_open", pids)

        fault.remove()
        # A worker's breaker moves on when a request reaches it: keep sending until ten in a row
        # succeed and no worker reports an open breaker any more.
        deadline = time.monotonic() + 15
        recovered, closed = 0, ""
        while time.monotonic() < deadline:
            body = webhook(alert(alertname=unique("After"), namespace=namespace, pod="p"))
            recovered = recovered + 1 if send_http(gateway.url, body).status_code == 201 else 0
            if recovered >= 10:
                closed = requests.get(f"{gateway.url}/metrics", timeout=5).text
                if sample(closed, "gateway_circuit_breaker_open") == 0:
                    break
            time.sleep(0.05)

    assert ready.status_code == 503
    assert "circuit breaker" in ready.json()["detail"]
    assert set(idle_after_cool_down.values()) == {0}
    assert recovered >= 10
    assert sample(closed, "gateway_circuit_breaker_open") == 0
