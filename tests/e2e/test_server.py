"""The production server (`kubernaut-gateway serve`) over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import Gateway, GatewayFactory
from tests.support.api import PROMETHEUS, send_http
from tests.support.metrics import sample
from tests.support.payloads import alert, unique, webhook


@pytest.fixture(scope="module")
def gateway(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    """This module's gateway, measured by coverage: these tests are about the server itself."""
    with start_gateway(traced=True) as started:
        yield started


def test_an_oversized_body_is_413_before_the_body_is_sent(gateway_url):
    address = urlsplit(gateway_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as conn:
        conn.sendall(
            b"POST /api/v1/signals/prometheus HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
        )
        # Not one byte of the 10 MiB body was sent: the answer can only come from the header.
        answer = conn.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert "application/problem+json" in answer


def test_metrics_are_summed_over_all_workers(gateway_url, make_namespace):
    namespace = make_namespace()
    before = requests.get(f"{gateway_url}/metrics", timeout=5).text
    session_count = 12
    for i in range(session_count):
        # A new connection per request spreads requests over both workers.
        body = webhook(alert(alertname=unique("A"), namespace=namespace, pod=f"p{i}"))
        response = send_http(gateway_url, body)
        assert response.status_code == 201
    after = requests.get(f"{gateway_url}/metrics", timeout=5).text
    name = "gateway_signals_received_total"
    created = sample(after, name, source="prometheus", outcome="created") - sample(
        before, name, source="prometheus", outcome="created"
    )
    assert created == session_count


def test_a_webhook_through_gunicorn_creates_then_deduplicates(gateway_url, make_namespace):
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("A"), namespace=namespace, pod="p"))
    first = send_http(gateway_url, body)
    second = requests.post(
        f"{gateway_url}{PROMETHEUS}",
        data=json.dumps(body),
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert (first.status_code, second.status_code) == (201, 202)
    assert second.json()["results"][0]["occurrenceCount"] == 2


def test_an_invalid_configuration_stops_start_up_naming_every_problem():
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env={
            "GATEWAY_WORKERS": "none",
            "GATEWAY_AUTH_MODE": "maybe",
            "GATEWAY_DEDUP_TTL": "-5",
            "PATH": "/usr/bin",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "GATEWAY_WORKERS" in result.stderr
    assert "GATEWAY_AUTH_MODE" in result.stderr
    assert "GATEWAY_DEDUP_TTL" in result.stderr
    assert result.stderr.count("kubernaut-gateway: invalid configuration") == 1


def test_a_redis_url_only_the_client_can_refuse_stops_start_up_too():
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env={"REDIS_URL": "redis://127.0.0.1:1/0?retry_on_error=Bogus", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr
    assert "retry_on_error" in result.stderr
