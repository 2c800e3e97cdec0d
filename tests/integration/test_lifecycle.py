"""A problem's life after its RemediationRequest: a finished resource absorbs nothing, a
flapping alert is labelled, a problem that comes back names its earlier resources, and a storm
outlives Redis losing its state. Real Redis (standalone and Cluster), the API test server, and
each worker's resource index following it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import PROMETHEUS
from tests.support.payloads import alert, unique, webhook
from tests.support.redis_keys import wipe
from tests.support.waiting import eventually
from tests.support.writers import flush_later

PLURAL = "remediationrequests"


@pytest.fixture
def redis_server(any_topology_redis):
    """Run this suite on standalone Redis and on a 3-master Redis Cluster."""
    return any_topology_redis


def _fire(client: FlaskClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = client.post(PROMETHEUS, json=body)
    return answer.status_code, answer.get_json()["results"][0]


def _end(kube_api, client: FlaskClient, result: dict[str, Any], phase: str) -> None:
    """Set a resource's phase as downstream would, and wait until the index has seen it."""
    ref = result["remediationRequest"]
    kube_api.patch_status(PLURAL, ref["namespace"], ref["name"], {"overallPhase": phase})
    index = client.application.extensions["gateway"].index

    def seen() -> bool:
        found = index.history(result["fingerprint"])
        return any(ended.ref.name == ref["name"] for ended in found.ended)

    eventually(seen, within=10, what=f"the index sees {ref['name']} {phase}")


def _resources(kube_api, namespace: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = kube_api.objects(PLURAL, namespace=namespace)
    return found


@pytest.mark.parametrize("phase", ["Completed", "failed", "TIMEDOUT", "Skipped", "cancelled"])
def test_a_finished_resource_absorbs_nothing_the_next_firing_creates_a_new_one(
    indexed, kube_api, make_namespace, phase
):
    client = indexed()
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod="p"))
    _, first = _fire(client, body)
    _fire(client, body)  # a second occurrence, not yet written to Kubernetes
    _end(kube_api, client, first, phase)

    status, again = _fire(client, body)

    assert (status, again["status"], again["occurrenceCount"]) == (201, "created", 1)
    assert again["remediationRequest"]["name"] != first["remediationRequest"]["name"]
    assert len(_resources(kube_api, namespace)) == 2
    flush_later(client, seconds=10)
    finished = kube_api.get_object(PLURAL, namespace, first["remediationRequest"]["name"])
    assert finished["status"]["deduplication"]["occurrenceCount"] == 2  # its own, no more


def test_fifty_concurrent_firings_after_completion_make_exactly_one_new_resource(
    indexed, kube_api, make_namespace
):
    client = indexed()
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod="p"))
    _, first = _fire(client, body)
    _end(kube_api, client, first, "Completed")
    app = client.application

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _fire(app.test_client(), body), range(50)))

    assert sorted(status for status, _ in answers) == [201] + [202] * 49
    names = {result["remediationRequest"]["name"] for _, result in answers}
    assert len(names) == 1
    assert len(_resources(kube_api, namespace)) == 2


def test_an_alert_that_fires_and_resolves_seven_times_is_labelled_flapping_until_it_is_quiet(
    indexed, kube_api, make_namespace
):
    client = indexed(flapping_window=60.0)
    namespace = make_namespace()
    alertname = unique("Flap")
    firing = webhook(alert(alertname=alertname, namespace=namespace, pod="p"))
    resolved = webhook(alert(alertname=alertname, namespace=namespace, pod="p", status="resolved"))
    for _ in range(7):
        _, result = _fire(client, firing)
        _fire(client, resolved)
    name = result["remediationRequest"]["name"]

    flush_later(client, seconds=1)
    flapping = kube_api.get_object(PLURAL, namespace, name)
    flush_later(client, seconds=61)
    quiet = kube_api.get_object(PLURAL, namespace, name)

    assert len(_resources(kube_api, namespace)) == 1
    assert flapping["metadata"]["labels"]["kubernaut.io/flapping"] == "true"
    assert flapping["status"]["flapping"]["transitions"] >= 6
    assert "since" in flapping["status"]["flapping"]
    assert "kubernaut.io/flapping" not in quiet["metadata"]["labels"]
    assert quiet["status"]["flapping"]["stoppedAt"] > quiet["status"]["flapping"]["since"]


def test_a_steady_alert_repeated_seven_times_is_not_flapping(indexed, kube_api, make_namespace):
    client = indexed()
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Steady"), namespace=namespace, pod="p"))
    for _ in range(7):
        _, result = _fire(client, body)

    flush_later(client, seconds=10)

    steady = kube_api.get_object(PLURAL, namespace, result["remediationRequest"]["name"])
    assert "kubernaut.io/flapping" not in steady["metadata"]["labels"]
    assert "flapping" not in steady["status"]
    assert steady["status"]["deduplication"]["occurrenceCount"] == 7


def test_a_problem_that_comes_back_names_its_earlier_resources_even_after_redis_lost_all(
    indexed, kube_api, make_namespace, redis_server, key_prefix
):
    client = indexed()
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Back"), namespace=namespace, pod="p"))
    _, first = _fire(client, body)
    _end(kube_api, client, first, "Completed")
    _, second = _fire(client, body)
    _end(kube_api, client, second, "Failed")
    wipe(redis_server, f"{key_prefix}*")

    _, third = _fire(client, body)

    names = [r["remediationRequest"]["name"] for r in (first, second, third)]
    second_rr = kube_api.get_object(PLURAL, namespace, names[1])
    third_rr = kube_api.get_object(PLURAL, namespace, names[2])
    assert second_rr["spec"]["recurrence"] == {"count": 1, "previous": [names[0]]}
    assert second_rr["metadata"]["labels"]["kubernaut.io/recurring"] == "true"
    assert third_rr["spec"]["recurrence"] == {"count": 2, "previous": [names[1], names[0]]}
    first_rr = kube_api.get_object(PLURAL, namespace, names[0])
    assert "recurrence" not in first_rr["spec"]


@pytest.mark.parametrize("following", [True, False], ids=["index", "label lookups"])
def test_a_storm_survives_redis_losing_everything_without_a_second_resource(
    indexed, make_client, kube_api, make_namespace, redis_server, key_prefix, following
):
    client = indexed() if following else make_client()
    namespace = make_namespace()
    alertname = unique("Storm")
    pods = [alert(alertname=alertname, namespace=namespace, pod=f"p{i}") for i in range(8)]
    results = client.post(PROMETHEUS, json=webhook(*pods)).get_json()["results"]
    assert [r["status"] for r in results][5:] == ["created", "aggregated", "aggregated"]
    storm = results[5]["remediationRequest"]
    flush_later(client, seconds=10)  # the storm's figures reach Kubernetes
    wipe(redis_server, f"{key_prefix}*")

    repeat = client.post(PROMETHEUS, json=webhook(pods[6])).get_json()["results"][0]
    again = client.post(PROMETHEUS, json=webhook(pods[7])).get_json()["results"][0]
    newcomer = alert(alertname=alertname, namespace=namespace, pod="p9")
    new = client.post(PROMETHEUS, json=webhook(newcomer)).get_json()["results"][0]

    assert (repeat["status"], repeat["remediationRequest"]) == ("aggregated", storm)
    assert (again["status"], again["remediationRequest"]) == ("aggregated", storm)
    assert (new["status"], new["remediationRequest"]) == ("aggregated", storm)
    assert len(_resources(kube_api, namespace)) == 6  # five alone, and the storm's
