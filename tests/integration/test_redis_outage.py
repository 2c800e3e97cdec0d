"""Redis outages: 503 with Retry-After, nothing created without a claim, automatic recovery."""

from __future__ import annotations

from tests.support.api import PROMETHEUS
from tests.support.payloads import alert, unique, webhook

PLURAL = "remediationrequests"


def test_redis_stopped_mid_run_is_503_and_recovery_creates_exactly_the_missing(
    make_client, own_redis, kube_api, make_namespace
):
    client = make_client(redis_url=own_redis.url, redis_timeout=0.3)
    namespace = make_namespace()
    alertname = unique("A")
    before = webhook(alert(alertname=alertname, namespace=namespace, pod="before"))
    during = webhook(
        alert(alertname=alertname, namespace=namespace, pod="before"),
        alert(alertname=alertname, namespace=namespace, pod="during"),
    )
    assert client.post(PROMETHEUS, json=before).status_code == 201

    own_redis.kill()
    failed = client.post(PROMETHEUS, json=during)
    not_ready = client.get("/readyz")

    assert failed.status_code == 503
    assert int(failed.headers["Retry-After"]) > 0
    assert not_ready.status_code == 503
    assert "redis" in not_ready.get_json()["detail"]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1

    own_redis.start()
    retried = client.post(PROMETHEUS, json=during)

    assert retried.status_code == 201
    assert [r["status"] for r in retried.get_json()["results"]] == ["duplicate", "created"]
    assert sorted(
        rr["spec"]["targetResource"]["name"] for rr in kube_api.objects(PLURAL, namespace=namespace)
    ) == ["before", "during"]
    assert client.get("/readyz").status_code == 200
