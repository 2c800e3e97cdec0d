"""Operations through the real gunicorn server (2 workers): metrics, logs, shutdown, breaker."""

from __future__ import annotations

import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from bench.processes import child_pids
from tests.support.metrics import per_worker_gauge, sample
from tests.support.payloads import alert, unique, webhook

PROMETHEUS = "/api/v1/signals/prometheus"
PLURAL = "remediationrequests"
RECEIVED = "gateway_signals_received_total"
OUTCOMES = ("created", "duplicate", "aggregated", "resolved", "ignored", "rejected")


def _post(url, body, **kwargs):
    # A new connection per request spreads requests over the workers.
    return requests.post(f"{url}{PROMETHEUS}", json=body, timeout=30, **kwargs)


def test_every_scrape_sums_all_workers_even_after_they_are_recycled(start_gateway, make_namespace):
    namespace = make_namespace()
    alertname = unique("Count")
    with start_gateway(traced=True, GATEWAY_MAX_REQUESTS="40") as gateway:
        for i in range(100):
            status = "resolved" if i % 10 == 9 else "firing"
            body = webhook(
                alert(alertname=alertname, namespace=namespace, pod=f"p{i % 4}", status=status)
            )
            assert _post(gateway.url, body).status_code in (201, 202)
        scrapes = [requests.get(f"{gateway.url}/metrics", timeout=10).text for _ in range(5)]
        pids = gateway.log.read_text().count("Booting worker")

    assert pids > 2, "workers were not recycled"
    for text in scrapes:
        by_outcome = {o: sample(text, RECEIVED, source="prometheus", outcome=o) for o in OUTCOMES}
        assert sum(by_outcome.values()) == 100
        assert by_outcome["resolved"] == 10
        assert by_outcome["created"] == 4
        assert by_outcome["duplicate"] == 86


@pytest.mark.parametrize("access", ["all", "errors"])
def test_every_log_line_is_json_and_request_lines_carry_their_request_id(
    start_gateway, make_namespace, access
):
    namespace = make_namespace()
    sent = set()
    with start_gateway(traced=True, GATEWAY_ACCESS_LOG=access) as gateway:
        for i in range(10):
            request_id = f"req-{unique('log')}"
            sent.add(request_id)
            body = webhook(alert(alertname=unique("Log"), namespace=namespace, pod=f"p{i}"))
            _post(gateway.url, body, headers={"X-Request-ID": request_id})
            # A repeat is a duplicate: no signal line, and an access line only for `all`.
            _post(gateway.url, body, headers={"X-Request-ID": request_id})
        _post(gateway.url, {"version": "4"}, headers={"X-Request-ID": "req-bad"})
    # Read once the server has stopped: an access line is written after its response is sent.
    lines = gateway.log.read_text().splitlines()

    entries = [json.loads(line) for line in lines]
    signals = [e for e in entries if "fingerprint" in e]
    accesses = [e for e in entries if e.get("logger") == "gunicorn.access"]
    assert len(signals) == 10
    assert {e["requestId"] for e in signals} == sent
    assert all(e["outcome"] == "created" and e["durationMs"] >= 0 for e in signals)
    logged = [e["requestId"] for e in accesses if e["path"] == PROMETHEUS]
    if access == "all":
        assert sorted(logged) == sorted([*sent, *sent, "req-bad"])
    else:
        assert logged == ["req-bad"]


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
                response = _post(gateway.url, body)
                answers.append((response.status_code, response.json()["results"][0]))
            except requests.RequestException:
                answers.append((0, {}))

        def watch_readiness() -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    readiness.append(requests.get(f"{gateway.url}/readyz", timeout=1).status_code)
                except requests.RequestException:
                    readiness.append("closed")
                    return
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


def _fast_503(url, namespace, alertname, i):
    started = time.monotonic()
    body = _body(namespace, alertname, f"p{i}")
    status = _post(url, body).status_code
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
            states = per_worker_gauge(metrics_dir, "gateway_circuit_breaker_open", pids)
            return all(value == 1 for value in states.values())

        # Requests from several clients at once reach both workers; each worker's breaker opens
        # once it has seen the threshold of failed calls.
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            while not all_open() and time.monotonic() < deadline:
                pods = [f"p{sent + n}" for n in range(8)]
                sent += len(pods)
                list(
                    pool.map(lambda pod: _post(gateway.url, _body(namespace, alertname, pod)), pods)
                )
        assert all_open(), "the breaker did not open on both workers"
        calls_before = kube_api.count(path=creates)
        assert all(_fast_503(gateway.url, namespace, alertname, 1000 + n) for n in range(10))
        assert kube_api.count(path=creates) == calls_before
        metrics = requests.get(f"{gateway.url}/metrics", timeout=5).text
        assert sample(metrics, "gateway_circuit_breaker_open") == 1
        ready = requests.get(f"{gateway.url}/readyz", timeout=5)

        fault.remove()
        # A worker's breaker moves on when a request reaches it: keep sending until ten in a row
        # succeed and no worker reports an open breaker any more.
        deadline = time.monotonic() + 15
        recovered, closed = 0, ""
        while time.monotonic() < deadline:
            body = webhook(alert(alertname=unique("After"), namespace=namespace, pod="p"))
            recovered = recovered + 1 if _post(gateway.url, body).status_code == 201 else 0
            if recovered >= 10:
                closed = requests.get(f"{gateway.url}/metrics", timeout=5).text
                if sample(closed, "gateway_circuit_breaker_open") == 0:
                    break
            time.sleep(0.05)

    assert ready.status_code == 503
    assert "circuit breaker" in ready.json()["detail"]
    assert recovered >= 10
    assert sample(closed, "gateway_circuit_breaker_open") == 0
