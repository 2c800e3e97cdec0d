"""Exactly one RemediationRequest per problem under concurrent deliveries to several workers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from app.adapters.redis_keys import short_id, storm_tag
from app.service.ports import StormScope
from tests.support import workloads
from tests.support.api import PROMETHEUS, send_http
from tests.support.metrics import sample
from tests.support.payloads import alert, unique, webhook
from tests.support.waiting import eventually

PLURAL = "remediationrequests"


def _deliver(url, bodies):
    def post(body):
        response = send_http(url, body)
        return response.status_code, response.json()["results"][0]

    with ThreadPoolExecutor(max_workers=50) as pool:
        return list(pool.map(post, bodies))


def test_fifty_concurrent_identical_deliveries_create_exactly_one_resource(
    gateway_url, kube_api, make_namespace
):
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Burst"), namespace=namespace, pod="p"))

    answers = _deliver(gateway_url, [body] * 50)

    assert {status for status, _ in answers} <= {201, 202}
    assert [status for status, _ in answers].count(201) == 1
    assert sorted(result["occurrenceCount"] for _, result in answers) == list(range(1, 51))
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_fifty_concurrent_signals_about_ten_pods_of_one_deployment_create_one_resource(
    start_gateway, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api", replicas=10)
    name = unique("KubePodCrashLooping")
    bodies = [
        webhook(alert(alertname=name, namespace=namespace, pod=made.pods[i % 10]))
        for i in range(50)
    ]

    with start_gateway(GATEWAY_IDENTITY_MODE="workload") as gateway:
        answers = _deliver(gateway.url, bodies)

    assert [status for status, _ in answers].count(201) == 1
    assert sorted(result["occurrenceCount"] for _, result in answers) == list(range(1, 51))
    (rr,) = kube_api.objects(PLURAL, namespace=namespace)
    assert rr["spec"]["targetResource"]["name"] == "api"
    # Each worker looks each pod up once, and their ReplicaSet: single-flight, then cached.
    assert kube_api.count(method="GET", path=f"/namespaces/{namespace}/(pods|replicasets)/") <= 22


def test_two_hundred_deliveries_over_twenty_fingerprints_create_twenty_resources(
    gateway_url, kube_api, make_namespace
):
    namespace = make_namespace()
    # Twenty signal names: twenty storm scopes, none of which reaches a storm threshold.
    alertnames = [unique("Spread") for _ in range(20)]
    bodies = [
        webhook(alert(alertname=alertnames[i % 20], namespace=namespace, pod="p"))
        for i in range(200)
    ]

    answers = _deliver(gateway_url, bodies)

    assert {status for status, _ in answers} <= {201, 202}
    created = kube_api.objects(PLURAL, namespace=namespace)
    assert len(created) == 20
    assert len({rr["spec"]["signalFingerprint"] for rr in created}) == 20


def test_occurrences_reach_the_resource_status_within_ten_seconds(
    gateway_url, kube_api, make_namespace
):
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Seven"), namespace=namespace, pod="p"))
    for _ in range(7):
        send_http(gateway_url, body)
    sent = time.monotonic()

    count = None
    while time.monotonic() - sent < 10:
        (rr,) = kube_api.objects(PLURAL, namespace=namespace)
        count = (rr.get("status") or {}).get("deduplication", {}).get("occurrenceCount")
        if count == 7:
            break
        time.sleep(0.1)
    assert count == 7


def test_a_new_problem_costs_one_kubernetes_call_even_after_redis_lost_its_record(
    gateway_url, kube_api, standalone_redis, make_namespace
):
    namespace = make_namespace()
    alertname = unique("Indexed")
    body = webhook(alert(alertname=alertname, namespace=namespace, pod="p"))
    rr_path = f"/namespaces/{namespace}/{PLURAL}"
    redis = standalone_redis.client()

    def calls(method):
        return [r for r in kube_api.requests if r.method == method and r.path.endswith(rr_path)]

    def synced():
        text = requests.get(f"{gateway_url}/metrics", timeout=5).text
        return sample(text, "gateway_resource_index_synced") == 1

    # Both workers list and watch at start; the gauge is the least of the workers'.
    eventually(synced, within=20, what="every worker's resource index follows the API")
    # One keep-alive connection: both requests reach the worker that creates the resource,
    # which holds its own create at once. The other worker learns of it from its watch, a few
    # milliseconds later (a Redis loss inside that window would make a second resource).
    with requests.Session() as sender:
        first = sender.post(f"{gateway_url}{PROMETHEUS}", json=body, timeout=30)
        assert first.status_code == 201
        assert (len(calls("POST")), len(calls("GET"))) == (1, 0)

        # Redis forgets the fingerprint: the index, not a lookup, finds the active resource.
        fingerprint = first.json()["results"][0]["fingerprint"]
        record = f"*d:{{{storm_tag(StormScope(namespace, alertname))}}}{short_id(fingerprint)}"
        (key,) = redis.scan_iter(match=record, count=10_000)  # whatever the gateway's prefix
        assert redis.delete(key)
        again = sender.post(f"{gateway_url}{PROMETHEUS}", json=body, timeout=30)

    result = again.json()["results"][0]
    assert (again.status_code, result["status"]) == (202, "duplicate")
    assert result["remediationRequest"] == first.json()["results"][0]["remediationRequest"]
    assert (len(calls("POST")), len(calls("GET"))) == (1, 0)
