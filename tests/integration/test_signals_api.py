"""The signal endpoints against real Redis and the Kubernetes API test server."""

from __future__ import annotations

import base64
import json

import pytest

from app import create_app
from tests.support.api import EVENTS, PROMETHEUS
from tests.support.metrics import sample, write_worker_counter
from tests.support.payloads import (
    alert,
    core_event,
    events_v1_event,
    exporter_event,
    unique,
    webhook,
)
from tests.support.redis_keys import keys

PLURAL = "remediationrequests"


def _pods_webhook(namespace, alertname, pods, status="firing"):
    return webhook(
        *(alert(alertname=alertname, namespace=namespace, pod=pod, status=status) for pod in pods)
    )


def test_three_firing_alerts_create_three_valid_remediation_requests(
    client, kube_api, make_namespace
):
    namespace = make_namespace("prod", environment="production")
    body = _pods_webhook(namespace, unique("PodCrash"), ["api-1", "api-2", "api-3"])

    response = client.post(PROMETHEUS, json=body)

    assert response.status_code == 201
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3
    assert [r["occurrenceCount"] for r in results] == [1, 1, 1]
    created = kube_api.objects(PLURAL, namespace=namespace)
    assert sorted(rr["spec"]["targetResource"]["name"] for rr in created) == [
        "api-1",
        "api-2",
        "api-3",
    ]
    by_name = {rr["metadata"]["name"]: rr for rr in created}
    for result in results:
        rr = by_name[result["remediationRequest"]["name"]]
        assert rr["spec"]["signalFingerprint"] == result["fingerprint"]
        assert (
            rr["metadata"]["labels"]["kubernaut.io/signal-fingerprint"]
            == (result["fingerprint"][:63])
        )
        assert rr["spec"]["priority"] == "P0"
        assert rr["spec"]["environment"] == "production"
        assert rr["spec"]["deduplication"]["occurrenceCount"] == 1
        payload = json.loads(base64.b64decode(rr["spec"]["originalPayload"]))
        assert payload["labels"]["pod"] == rr["spec"]["targetResource"]["name"]


def test_the_same_webhook_again_is_three_duplicates_and_no_new_resource(
    client, kube_api, make_namespace
):
    namespace = make_namespace()
    body = _pods_webhook(namespace, unique("PodCrash"), ["a", "b", "c"])
    first = client.post(PROMETHEUS, json=body).get_json()["results"]

    again = client.post(PROMETHEUS, json=body)

    assert again.status_code == 202
    results = again.get_json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 3
    assert [r["occurrenceCount"] for r in results] == [2, 2, 2]
    assert [r["remediationRequest"] for r in results] == [r["remediationRequest"] for r in first]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 3


def test_a_resolved_alert_creates_nothing(client, kube_api, make_namespace):
    namespace = make_namespace()
    body = _pods_webhook(namespace, unique("DiskFull"), ["db-0"], status="resolved")

    response = client.post(PROMETHEUS, json=body)

    assert response.status_code == 202
    assert response.get_json()["results"][0]["status"] == "resolved"
    assert kube_api.objects(PLURAL, namespace=namespace) == []


def test_a_resolved_alert_reports_the_resource_of_its_problem(client, make_namespace):
    namespace = make_namespace()
    alertname = unique("DiskFull")
    created = client.post(PROMETHEUS, json=_pods_webhook(namespace, alertname, ["db-0"]))
    resolved = client.post(
        PROMETHEUS, json=_pods_webhook(namespace, alertname, ["db-0"], status="resolved")
    )
    (result,) = resolved.get_json()["results"]
    assert result["status"] == "resolved"
    assert result["remediationRequest"] == created.get_json()["results"][0]["remediationRequest"]


@pytest.mark.parametrize("builder", [core_event, events_v1_event, exporter_event])
def test_a_warning_event_of_each_shape_creates_one_resource(
    builder, client, kube_api, make_namespace
):
    namespace = make_namespace()
    response = client.post(EVENTS, json=builder(reason="OOMKilled", namespace=namespace, name="p"))
    assert response.status_code == 201
    (rr,) = kube_api.objects(PLURAL, namespace=namespace)
    assert rr["spec"]["signalType"] == "kubernetes-event"
    assert rr["spec"]["severity"] == "critical"
    assert rr["spec"]["targetResource"] == {"kind": "Pod", "name": "p", "namespace": namespace}


def test_a_normal_event_is_ignored(client, kube_api, make_namespace):
    namespace = make_namespace()
    event = core_event(reason="Pulled", namespace=namespace, name="p", type_="Normal")
    response = client.post(EVENTS, json=event)
    assert response.status_code == 202
    (result,) = response.get_json()["results"]
    assert (result["status"], result["reason"]) == ("ignored", "normal-event")
    assert kube_api.objects(PLURAL, namespace=namespace) == []


def test_a_signal_for_a_missing_namespace_lands_in_the_fallback_namespace(
    make_client, kube_api, make_namespace
):
    fallback = make_namespace("fallback")
    client = make_client(fallback_namespace=fallback)
    missing = unique("gone")
    response = client.post(PROMETHEUS, json=_pods_webhook(missing, unique("A"), ["p"]))
    assert response.status_code == 201
    (rr,) = kube_api.objects(PLURAL, namespace=fallback)
    assert rr["metadata"]["labels"]["kubernaut.io/origin-namespace"] == missing
    assert rr["spec"]["environment"] == "unknown"
    assert rr["spec"]["priority"] == "P1"


def _nothing_recorded(redis_server, key_prefix, kube_api, namespace):
    assert keys(redis_server, f"{key_prefix}*") == []
    assert kube_api.objects(PLURAL, namespace=namespace) == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda body: body.pop("alerts"), "alerts"),
        (lambda body: body["alerts"][1]["labels"].pop("alertname"), "alerts.1.labels"),
        (lambda body: body["alerts"][0].update(labels="pod=x"), "alerts.0.labels"),
        (lambda body: body["alerts"][1].update(status="pending"), "alerts.1.status"),
        (lambda body: body.update(version=4), "version"),
        (lambda body: body["alerts"][0].update(startsAt="yesterday"), "alerts.0.startsAt"),
    ],
)
def test_a_schema_violation_is_400_with_field_errors_and_nothing_recorded(
    mutate, field, client, redis_server, key_prefix, kube_api, make_namespace
):
    namespace = make_namespace()
    body = _pods_webhook(namespace, unique("A"), ["good", "bad"])
    mutate(body)

    response = client.post(PROMETHEUS, json=body)

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400
    assert field in problem["errors"]
    assert problem["requestId"] == response.headers["X-Request-ID"]
    _nothing_recorded(redis_server, key_prefix, kube_api, namespace)


def test_malformed_json_is_400_and_says_where(client):
    response = client.post(
        PROMETHEUS, data='{"version": "4", "alerts": [', content_type=("application/json")
    )
    assert response.status_code == 400
    assert "line 1" in response.get_json()["detail"]


def test_an_event_without_an_object_is_400(client):
    response = client.post(EVENTS, json={"type": "Warning", "reason": "BackOff"})
    assert response.status_code == 400
    assert "involvedObject" in response.get_json()["errors"]


def test_an_oversized_body_is_413(make_client):
    client = make_client(max_body_bytes=1024)
    response = client.post(PROMETHEUS, data="x" * 2048, content_type="application/json")
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_a_form_encoded_body_is_415_with_a_hint(client):
    response = client.post(PROMETHEUS, data={"version": "4"})
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.get_json()["detail"]


def test_vendor_json_media_types_are_accepted(client, make_namespace):
    namespace = make_namespace()
    body = json.dumps(_pods_webhook(namespace, unique("A"), ["p"]))
    response = client.post(PROMETHEUS, data=body, content_type="application/vnd.am+json")
    assert response.status_code == 201


def test_get_on_a_signal_path_is_405(client):
    response = client.get(PROMETHEUS)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.get_json()["status"] == 405


def test_throttled_creates_are_retried_after_retry_after(client, kube_api, make_namespace):
    namespace = make_namespace()
    path = f"/namespaces/{namespace}/{PLURAL}$"
    kube_api.inject(method="POST", path=path, status=429, retry_after=1, times=2)

    response = client.post(PROMETHEUS, json=_pods_webhook(namespace, unique("A"), ["p"]))

    assert response.status_code == 201
    assert kube_api.count(method="POST", path=path) == 3
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_an_api_failing_past_the_budget_is_503_and_the_claim_is_released(
    make_client, kube_api, make_namespace
):
    # The breaker is out of the way here: this test is about the retry budget alone.
    client = make_client(kubernetes_retry_budget=0.5, breaker_min_calls=1000)
    namespace = make_namespace()
    path = f"/namespaces/{namespace}/{PLURAL}$"
    body = _pods_webhook(namespace, unique("A"), ["p"])
    fault = kube_api.inject(method="POST", path=path, status=500)

    failed = client.post(PROMETHEUS, json=body)

    assert failed.status_code == 503
    assert int(failed.headers["Retry-After"]) > 0
    assert failed.get_json()["detail"].startswith("The signal could not be durably recorded")
    assert kube_api.objects(PLURAL, namespace=namespace) == []
    fault.remove()
    recovered = client.post(PROMETHEUS, json=body)
    assert recovered.status_code == 201
    assert recovered.get_json()["results"][0]["occurrenceCount"] == 1
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_a_dropped_connection_is_retried_without_a_second_resource(
    client, kube_api, make_namespace
):
    namespace = make_namespace()
    path = f"/namespaces/{namespace}/{PLURAL}$"
    kube_api.inject(method="POST", path=path, drop=True, times=1)
    response = client.post(PROMETHEUS, json=_pods_webhook(namespace, unique("A"), ["p"]))
    assert response.status_code == 201
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_request_ids_are_echoed_or_assigned(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(hostile.headers["X-Request-ID"]) == 32


def test_readiness_reports_a_dead_redis(make_client):
    client = make_client(redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "redis" in response.get_json()["detail"]
    assert "Retry-After" in response.headers


def test_readiness_is_ok_with_redis_and_kubernetes_up(client):
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_redis_down_is_503_and_nothing_is_created(make_client, kube_api, make_namespace):
    client = make_client(redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2)
    namespace = make_namespace()
    response = client.post(PROMETHEUS, json=_pods_webhook(namespace, unique("A"), ["p"]))
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert kube_api.objects(PLURAL, namespace=namespace) == []


def test_metrics_count_signals_by_source_and_outcome(client, make_namespace):
    namespace = make_namespace()
    body = _pods_webhook(namespace, unique("A"), ["p1", "p2"])
    client.post(PROMETHEUS, json=body)
    client.post(PROMETHEUS, json=body)
    client.post(PROMETHEUS, json={"version": "4"})
    text = client.get("/metrics").get_data(as_text=True)
    received = "gateway_signals_received_total"
    assert sample(text, received, source="prometheus", outcome="created") == 2
    assert sample(text, received, source="prometheus", outcome="duplicate") == 2
    assert sample(text, received, source="prometheus", outcome="rejected") == 1
    assert sample(text, "gateway_remediation_requests_created_total") == 2
    assert "gateway_http_request_duration_seconds_bucket" in text


def test_http_metrics_count_by_rule_and_bound_the_method_label(client):
    client.post(PROMETHEUS, json={"version": "4"})
    client.open(PROMETHEUS, method="BREW")
    client.get(f"/no/such/{unique('path')}")

    text = client.get("/metrics").get_data(as_text=True)

    duration = "gateway_http_request_duration_seconds_count"
    assert sample(text, duration, method="POST", url_rule=PROMETHEUS, status="400") == 1
    assert sample(text, "gateway_http_request_total", method="other", status="405") == 1
    # An unknown path counts under no rule; neither it nor the method is ever a label value.
    assert sample(text, duration, method="GET", url_rule="None", status="404") == 1
    assert "BREW" not in text
    assert "/no/such" not in text


def test_metrics_under_gunicorn_sum_the_workers_files_also_while_a_worker_starts(
    gateway_config, tmp_path
):
    received = "gateway_signals_received_total"
    write_worker_counter(tmp_path, 101, received, 3, source="prometheus", outcome="created")
    write_worker_counter(tmp_path, 102, received, 4, source="prometheus", outcome="created")
    (tmp_path / "counter_103.db").touch()  # a worker being started: created, not sized yet
    client = create_app(gateway_config, metrics_dir=str(tmp_path)).test_client()

    response = client.get("/metrics")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert sample(text, received, source="prometheus", outcome="created") == 7


def test_openapi_describes_both_signal_endpoints(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/signals/prometheus", "/api/v1/signals/kubernetes-event"} <= set(spec["paths"])
