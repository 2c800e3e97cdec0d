"""Storm detection and aggregation against real Redis and the Kubernetes API test server."""

from __future__ import annotations

import time

import pytest

from tests.support.api import PROMETHEUS
from tests.support.payloads import alert, unique, webhook
from tests.support.redis_keys import keys
from tests.support.writers import flush_later


@pytest.fixture
def redis_server(any_topology_redis):
    """Run this suite on standalone Redis and on a 3-master Redis Cluster."""
    return any_topology_redis


PLURAL = "remediationrequests"


def _fire(client, namespace, alertname, pod):
    body = webhook(alert(alertname=alertname, namespace=namespace, pod=pod))
    return client.post(PROMETHEUS, json=body).get_json()["results"][0]


def _storms(kube_api, namespace):
    return [
        rr
        for rr in kube_api.objects(PLURAL, namespace=namespace)
        if rr["metadata"]["labels"].get("kubernaut.io/storm") == "true"
    ]


def test_the_sixth_distinct_pod_tips_a_pattern_storm_and_later_ones_are_aggregated(
    client, kube_api, make_namespace
):
    namespace = make_namespace()
    alertname = unique("PodDown")

    results = [_fire(client, namespace, alertname, f"pod-{i}") for i in range(10)]

    assert [r["status"] for r in results] == ["created"] * 6 + ["aggregated"] * 4
    (storm,) = _storms(kube_api, namespace)
    assert storm["metadata"]["name"] == results[5]["remediationRequest"]["name"]
    assert {r["remediationRequest"]["name"] for r in results[6:]} == {storm["metadata"]["name"]}
    assert storm["spec"]["isStorm"] is True
    assert storm["spec"]["stormType"] == "pattern"
    assert storm["spec"]["stormWindow"] == "120s"
    assert sorted(storm["spec"]["affectedResources"]) == sorted(
        f"{namespace}:Pod:pod-{i}" for i in range(6)
    )
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 6


def test_storm_aggregation_reaches_the_storm_resource_status(client, kube_api, make_namespace):
    namespace = make_namespace()
    alertname = unique("PodDown")
    for i in range(20):
        _fire(client, namespace, alertname, f"pod-{i}")

    assert flush_later(client, seconds=6) >= 1

    (storm,) = _storms(kube_api, namespace)
    aggregation = storm["status"]["stormAggregation"]
    assert aggregation["alertCount"] == 15
    assert len(aggregation["affectedResources"]) == 20
    assert aggregation["truncatedCount"] == 0


def test_a_repeat_of_an_aggregated_alert_is_a_duplicate_of_the_storm(
    client, kube_api, make_namespace
):
    namespace = make_namespace()
    alertname = unique("PodDown")
    results = [_fire(client, namespace, alertname, f"pod-{i}") for i in range(8)]
    repeat = _fire(client, namespace, alertname, "pod-7")
    assert repeat["status"] == "duplicate"
    assert repeat["remediationRequest"] == results[7]["remediationRequest"]
    assert len(_storms(kube_api, namespace)) == 1


def test_storms_are_scoped_by_namespace_and_never_merged(client, kube_api, make_namespace):
    first, second = make_namespace(), make_namespace()
    alertname = unique("PodDown")
    for i in range(8):
        _fire(client, first, alertname, f"pod-{i}")
        _fire(client, second, alertname, f"pod-{i}")
    assert len(_storms(kube_api, first)) == 1
    assert len(_storms(kube_api, second)) == 1
    assert len(kube_api.objects(PLURAL, namespace=first)) == 6


def test_a_flapping_alert_tips_a_rate_storm_for_new_resources(client, kube_api, make_namespace):
    namespace = make_namespace()
    alertname = unique("Flap")
    for _ in range(11):
        _fire(client, namespace, alertname, "pod-0")

    tipping = _fire(client, namespace, alertname, "pod-1")

    assert tipping["status"] == "created"
    (storm,) = _storms(kube_api, namespace)
    assert storm["spec"]["stormType"] == "rate"
    assert storm["spec"]["stormWindow"] == "60s"


def test_a_storm_ends_after_a_quiet_period_and_a_later_storm_gets_a_new_resource(
    make_client, kube_api, make_namespace, redis_server, key_prefix
):
    client = make_client(storm_pattern_window=0.3, storm_rate_window=0.3, storm_quiet_period=0.3)
    namespace = make_namespace()
    alertname = unique("PodDown")

    def fire_seven(prefix):
        # One webhook: its alerts share one moment, so a loaded machine cannot spread them
        # over more than the short window.
        alerts = [
            alert(alertname=alertname, namespace=namespace, pod=f"{prefix}-{i}") for i in range(7)
        ]
        return client.post(PROMETHEUS, json=webhook(*alerts)).get_json()["results"]

    fire_seven("a")
    deadline = time.monotonic() + 5
    while keys(redis_server, f"{key_prefix}storm:*") and time.monotonic() < deadline:
        time.sleep(0.02)

    later = fire_seven("b")

    assert [r["status"] for r in later] == ["created"] * 6 + ["aggregated"]
    assert len(_storms(kube_api, namespace)) == 2


def test_a_failed_storm_create_ends_the_storm_and_the_retry_tips_it_again(
    make_client, kube_api, make_namespace
):
    client = make_client(kubernetes_retry_budget=0.2)
    namespace = make_namespace()
    alertname = unique("PodDown")
    for i in range(5):
        _fire(client, namespace, alertname, f"pod-{i}")
    fault = kube_api.inject(method="POST", path=f"/namespaces/{namespace}/", status=500)
    body = webhook(alert(alertname=alertname, namespace=namespace, pod="pod-5"))
    assert client.post(PROMETHEUS, json=body).status_code == 503
    fault.remove()

    retried = client.post(PROMETHEUS, json=body)

    assert retried.status_code == 201
    assert len(_storms(kube_api, namespace)) == 1


def test_retries_of_a_failed_delivery_do_not_count_toward_a_rate_storm(
    make_client, kube_api, make_namespace
):
    client = make_client(kubernetes_retry_budget=0.1, breaker_min_calls=1000)
    namespace = make_namespace()
    alertname = unique("Retry")
    fault = kube_api.inject(method="POST", path=f"/namespaces/{namespace}/", status=500)
    body = webhook(alert(alertname=alertname, namespace=namespace, pod="pod-0"))
    for _ in range(12):
        assert client.post(PROMETHEUS, json=body).status_code == 503
    fault.remove()

    first = _fire(client, namespace, alertname, "pod-0")
    second = _fire(client, namespace, alertname, "pod-1")

    assert (first["status"], second["status"]) == ("created", "created")
    assert _storms(kube_api, namespace) == []
