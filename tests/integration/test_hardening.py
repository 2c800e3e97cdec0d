"""Hostile or careless input is refused clearly, and responses carry security headers."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.support.api import PROMETHEUS
from tests.support.payloads import alert, unique, webhook


def test_every_response_carries_security_headers(client):
    for response in (client.get("/healthz"), client.post(PROMETHEUS, data="x")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_timestamp_far_in_the_future_is_400(client, make_namespace):
    body = webhook(alert(alertname=unique("A"), namespace=make_namespace(), pod="p"))
    body["alerts"][0]["startsAt"] = "2999-01-01T00:00:00Z"
    response = client.post(PROMETHEUS, json=body)
    assert response.status_code == 400
    assert "alerts.0.startsAt" in response.get_json()["errors"]


def test_deeply_nested_json_is_400_not_a_crash(client):
    nested: object = "x"
    for _ in range(200):
        nested = {"n": nested}
    body = {
        "version": "4",
        "alerts": [{"status": "firing", "labels": {"alertname": "A"}}],
        "extra": nested,
    }
    response = client.post(PROMETHEUS, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.get_json()["detail"]


def test_too_many_alerts_in_one_webhook_is_400(client):
    body = {"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "A"}}] * 1001}
    response = client.post(PROMETHEUS, json=body)
    assert response.status_code == 400
    assert "alerts" in response.get_json()["errors"]


def test_huge_label_values_are_bounded_before_they_reach_kubernetes(
    client, kube_api, make_namespace
):
    namespace = make_namespace()
    body = webhook(
        alert(alertname=unique("A"), namespace=namespace, pod="p" * 300, description="d" * 100_000)
    )
    response = client.post(PROMETHEUS, json=body)
    assert response.status_code == 201
    (rr,) = kube_api.objects("remediationrequests", namespace=namespace)
    assert len(rr["spec"]["signalLabels"]["description"]) == 1024
    assert len(rr["spec"]["targetResource"]["name"]) == 253


def test_a_caller_over_its_rate_gets_429_and_another_caller_does_not(make_client, make_namespace):
    client = make_client(rate_limit=1.0, rate_limit_burst=3)
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("A"), namespace=namespace, pod="p"))
    answers = [
        client.post(PROMETHEUS, json=body, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        for _ in range(5)
    ]
    other = client.post(PROMETHEUS, json=body, environ_base={"REMOTE_ADDR": "10.0.0.2"})

    assert [a.status_code for a in answers[:3]] == [201, 202, 202]
    limited = answers[3]
    assert limited.status_code == 429
    assert limited.content_type == "application/problem+json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    assert other.status_code == 202
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_a_slow_token_review_is_503_within_the_timeout(make_client, kube_api, make_namespace):
    client = make_client(auth_mode="kubernetes", kubernetes_timeout=0.5)
    kube_api.inject(method="POST", path="/tokenreviews$", delay=3.0)
    body = webhook(alert(alertname=unique("A"), namespace=make_namespace(), pod="p"))
    started = time.monotonic()
    response = client.post(PROMETHEUS, json=body, headers={"Authorization": "Bearer slow"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 0.5 + 1.0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "ready"),
    [
        (None, b"{}", "application/json", 200),
        (None, b'{"major": 1, "unknownField": []}', "application/json", 200),
        (None, b"<html><body>502 Bad Gateway</body></html>", "text/html", 503),
        (None, b"not json", "application/json", 503),
        (500, None, "application/json", 503),
    ],
)
def test_readiness_is_200_or_503_whatever_version_answers_and_never_a_traceback(
    make_client, kube_api, caplog, status, body, content_type, ready
):
    kube_api.inject(path="^/version/?$", status=status, body=body, content_type=content_type)
    with caplog.at_level(logging.WARNING):
        answer = make_client().get("/readyz")
    assert answer.status_code == ready
    if ready == 503:
        assert "kubernetes" in answer.get_json()["detail"]
    assert not [record for record in caplog.records if record.exc_info]
