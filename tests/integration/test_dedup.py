"""Dedup against real Redis and the Kubernetes API test server (the source of truth)."""

from __future__ import annotations

import time

import pytest

from app.service.occurrences import RETRY_MS
from tests.support.api import PROMETHEUS
from tests.support.payloads import alert, unique, webhook
from tests.support.redis_keys import keys, wipe
from tests.support.writers import flush_later


@pytest.fixture
def redis_server(any_topology_redis):
    """Run this suite on standalone Redis and on a 3-master Redis Cluster."""
    return any_topology_redis


PLURAL = "remediationrequests"


def _one_alert(namespace):
    return webhook(alert(alertname=unique("A"), namespace=namespace, pod="p"))


def test_after_redis_loses_its_records_an_active_resource_is_not_created_twice(
    client, kube_api, make_namespace, redis_server, key_prefix
):
    namespace = make_namespace()
    body = _one_alert(namespace)
    first = client.post(PROMETHEUS, json=body).get_json()["results"][0]
    client.post(PROMETHEUS, json=body)
    wipe(redis_server, f"{key_prefix}*")

    again = client.post(PROMETHEUS, json=body)

    assert again.status_code == 202
    (result,) = again.get_json()["results"]
    assert result["status"] == "duplicate"
    assert result["remediationRequest"] == first["remediationRequest"]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1
    # Redis is re-seeded: the next repeat is answered from Redis alone.
    lists = kube_api.count(method="GET", path=f"/namespaces/{namespace}/{PLURAL}$")
    client.post(PROMETHEUS, json=body)
    assert kube_api.count(method="GET", path=f"/namespaces/{namespace}/{PLURAL}$") == lists


def test_a_terminal_resource_lets_a_new_one_be_created_after_expiry(
    make_client, kube_api, make_namespace, redis_server, key_prefix
):
    client = make_client(dedup_ttl=0.3)
    namespace = make_namespace()
    body = _one_alert(namespace)
    first = client.post(PROMETHEUS, json=body).get_json()["results"][0]
    kube_api.patch_status(
        PLURAL, namespace, first["remediationRequest"]["name"], {"overallPhase": "Completed"}
    )
    deadline = time.monotonic() + 5
    while keys(redis_server, f"{key_prefix}d:*") and time.monotonic() < deadline:
        time.sleep(0.02)

    again = client.post(PROMETHEUS, json=body)

    assert again.status_code == 201
    (result,) = again.get_json()["results"]
    assert result["status"] == "created"
    assert result["remediationRequest"]["name"] != first["remediationRequest"]["name"]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 2


def test_terminal_phases_are_matched_in_any_case(
    client, kube_api, make_namespace, redis_server, key_prefix
):
    namespace = make_namespace()
    body = _one_alert(namespace)
    first = client.post(PROMETHEUS, json=body).get_json()["results"][0]
    kube_api.patch_status(
        PLURAL, namespace, first["remediationRequest"]["name"], {"overallPhase": "timedout"}
    )
    wipe(redis_server, f"{key_prefix}*")
    assert client.post(PROMETHEUS, json=body).status_code == 201


def test_occurrences_reach_the_resource_status_in_one_write(client, kube_api, make_namespace):
    namespace = make_namespace()
    body = _one_alert(namespace)
    for _ in range(7):
        client.post(PROMETHEUS, json=body)
    writer = client.application.extensions["gateway"].occurrences
    patches = f"/namespaces/{namespace}/{PLURAL}/.*/status$"

    assert writer.flush() >= 1

    (rr,) = kube_api.objects(PLURAL, namespace=namespace)
    assert rr["status"]["deduplication"]["occurrenceCount"] == 7
    assert (
        rr["status"]["deduplication"]["firstSeenAt"] <= rr["status"]["deduplication"]["lastSeenAt"]
    )
    assert kube_api.count(method="PATCH", path=patches) == 1


def test_status_writes_of_one_resource_are_spaced_by_the_interval(
    make_client, kube_api, make_namespace
):
    client = make_client(status_interval=60.0)
    namespace = make_namespace()
    body = _one_alert(namespace)
    writer = client.application.extensions["gateway"].occurrences
    patches = f"/namespaces/{namespace}/{PLURAL}/.*/status$"
    for _ in range(5):
        client.post(PROMETHEUS, json=body)
        client.post(PROMETHEUS, json=body)
        writer.flush()
    assert kube_api.count(method="PATCH", path=patches) == 1


def test_a_failed_status_write_is_retried_later(client, kube_api, make_namespace):
    namespace = make_namespace()
    body = _one_alert(namespace)
    client.post(PROMETHEUS, json=body)
    client.post(PROMETHEUS, json=body)
    kube_api.inject(method="PATCH", path=f"/namespaces/{namespace}/", status=403)
    assert client.application.extensions["gateway"].occurrences.flush() == 0
    kube_api.clear_faults()

    assert flush_later(client, seconds=RETRY_MS / 1000 + 1) == 1

    (rr,) = kube_api.objects(PLURAL, namespace=namespace)
    assert rr["status"]["deduplication"]["occurrenceCount"] == 2
