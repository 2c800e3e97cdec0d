"""Storms through the real gunicorn server: aggregation, scoping, and worker restarts."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.api import send_http
from tests.support.payloads import alert, unique, webhook

PLURAL = "remediationrequests"


@pytest.fixture(scope="module")
def gateway(start_gateway):
    """Status writes every second instead of every 5 s: the same path, sooner."""
    with start_gateway(GATEWAY_STATUS_INTERVAL="1") as started:
        yield started


def _burst(url, namespace, alertname, pods):
    def post(pod):
        body = webhook(alert(alertname=alertname, namespace=namespace, pod=pod))
        response = send_http(url, body)
        assert response.status_code in (201, 202), response.text
        return response.json()["results"][0]["status"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(post, pods))


def _storm_count(kube_api, namespace, *, expected, within=10.0):
    """Poll until the storm resource's alertCount is `expected`; return what it was."""
    deadline = time.monotonic() + within
    seen = None
    while time.monotonic() < deadline:
        storms = [
            rr for rr in kube_api.objects(PLURAL, namespace=namespace) if rr["spec"].get("isStorm")
        ]
        assert len(storms) <= 1
        if storms:
            seen = (storms[0].get("status") or {}).get("stormAggregation", {}).get("alertCount")
            if seen == expected:
                return seen
        time.sleep(0.1)
    return seen


def test_a_hundred_pods_give_five_resources_then_one_storm_counting_the_rest(
    gateway_url, kube_api, make_namespace
):
    namespace = make_namespace()
    statuses = _burst(gateway_url, namespace, unique("PodDown"), [f"p-{i}" for i in range(100)])

    assert statuses.count("created") == 6
    assert statuses.count("aggregated") == 94
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 6
    assert _storm_count(kube_api, namespace, expected=95) == 95


def test_the_same_burst_in_two_namespaces_storms_in_each(gateway_url, kube_api, make_namespace):
    first, second = make_namespace(), make_namespace()
    alertname = unique("PodDown")
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(
            pool.map(
                lambda ns: _burst(gateway_url, ns, alertname, [f"p-{i}" for i in range(50)]),
                [first, second],
            )
        )
    assert _storm_count(kube_api, first, expected=45) == 45
    assert _storm_count(kube_api, second, expected=45) == 45


def _workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _wait_for_new_workers(master: int, old: set[int], count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fresh = _workers(master) - old
        if len(fresh) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("gunicorn did not replace its workers")


def test_storm_state_and_counts_survive_killing_every_worker_mid_burst(
    gateway, gateway_url, kube_api, make_namespace
):
    namespace = make_namespace()
    alertname = unique("PodDown")
    repeat = webhook(alert(alertname=unique("Repeat"), namespace=namespace, pod="r"))
    for _ in range(3):
        send_http(gateway_url, repeat)
    first = _burst(gateway_url, namespace, alertname, [f"p-{i}" for i in range(30)])

    old = _workers(gateway.process.pid)
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    _wait_for_new_workers(gateway.process.pid, old, len(old))

    second = _burst(gateway_url, namespace, alertname, [f"p-{i}" for i in range(30, 60)])
    again = send_http(gateway_url, repeat).json()

    assert (first + second).count("created") == 6
    assert second.count("aggregated") == 30
    assert again["results"][0]["occurrenceCount"] == 4
    assert _storm_count(kube_api, namespace, expected=55) == 55
