"""Observability of the real server: metrics summed over workers, JSON logs with request ids."""

from __future__ import annotations

import json

import requests

from tests.support.api import PROMETHEUS, send_http
from tests.support.metrics import sample
from tests.support.payloads import alert, unique, webhook

RECEIVED = "gateway_signals_received_total"
OUTCOMES = ("created", "duplicate", "aggregated", "resolved", "ignored", "rejected")


def test_every_scrape_sums_all_workers_even_after_they_are_recycled(start_gateway, make_namespace):
    namespace = make_namespace()
    alertname = unique("Count")
    with start_gateway(traced=True, GATEWAY_MAX_REQUESTS="20") as gateway:
        for i in range(60):
            status = "resolved" if i % 10 == 9 else "firing"
            body = webhook(
                alert(alertname=alertname, namespace=namespace, pod=f"p{i % 4}", status=status)
            )
            assert send_http(gateway.url, body).status_code in (201, 202)
        scrapes = [requests.get(f"{gateway.url}/metrics", timeout=10).text for _ in range(5)]
        pids = gateway.log.read_text().count("Booting worker")

    assert pids > 2, "workers were not recycled"
    for text in scrapes:
        by_outcome = {o: sample(text, RECEIVED, source="prometheus", outcome=o) for o in OUTCOMES}
        assert sum(by_outcome.values()) == 60
        assert by_outcome["resolved"] == 6
        assert by_outcome["created"] == 4
        assert by_outcome["duplicate"] == 50


def test_every_log_line_is_json_and_request_lines_carry_their_request_id(
    start_gateway, make_namespace
):
    namespace = make_namespace()
    sent = set()
    # Access lines for every request (the default, errors only, is tested on the logger).
    with start_gateway(traced=True, GATEWAY_ACCESS_LOG="all") as gateway:
        for i in range(10):
            request_id = f"req-{unique('log')}"
            sent.add(request_id)
            body = webhook(alert(alertname=unique("Log"), namespace=namespace, pod=f"p{i}"))
            send_http(gateway.url, body, headers={"X-Request-ID": request_id})
            # A repeat is a duplicate: an access line, but no signal line.
            send_http(gateway.url, body, headers={"X-Request-ID": request_id})
        send_http(gateway.url, {"version": "4"}, headers={"X-Request-ID": "req-bad"})
    # Read once the server has stopped: an access line is written after its response is sent.
    lines = gateway.log.read_text().splitlines()

    entries = [json.loads(line) for line in lines]
    signals = [e for e in entries if "fingerprint" in e]
    accesses = [e for e in entries if e.get("logger") == "gunicorn.access"]
    assert len(signals) == 10
    assert {e["requestId"] for e in signals} == sent
    assert all(e["outcome"] == "created" and e["durationMs"] >= 0 for e in signals)
    logged = [e["requestId"] for e in accesses if e["path"] == PROMETHEUS]
    assert sorted(logged) == sorted([*sent, *sent, "req-bad"])
