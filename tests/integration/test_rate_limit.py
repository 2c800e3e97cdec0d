"""Rate limiting per caller: the request token is taken by the request's own record call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import EVENTS, PROMETHEUS, send
from tests.support.payloads import alert, unique, webhook
from tests.support.redis_cluster import RedisClusterServer
from tests.support.redis_keys import command_calls
from tests.support.redis_server import RedisServer


@pytest.fixture
def limited_client(make_client, any_topology_redis: RedisServer | RedisClusterServer) -> Any:
    """A client whose callers may send one request, then one per 100 s; on both topologies
    (in a Cluster, the token is a call of its own)."""
    return make_client(redis_url=any_topology_redis.url, rate_limit=0.01, rate_limit_burst=1)


def test_a_signal_request_is_one_redis_call_with_the_rate_limit_on(
    make_client, make_namespace, own_redis
):
    client = make_client(redis_url=own_redis.url, rate_limit=1000.0, rate_limit_burst=1000)
    namespace = make_namespace()
    body = webhook(
        *(alert(alertname=unique("A"), namespace=namespace, pod=f"p{i}") for i in range(3))
    )
    assert send(client, body, caller="10.0.1.1").status_code == 201  # loads the scripts
    before = command_calls(own_redis)["evalsha"]
    answers = [send(client, body, caller="10.0.1.1").status_code for _ in range(4)]

    assert answers == [202] * 4
    assert command_calls(own_redis)["evalsha"] - before == 4


def test_a_request_over_the_rate_records_nothing(limited_client, make_namespace, kube_api):
    client = limited_client
    namespace = make_namespace()
    first = webhook(alert(alertname=unique("A"), namespace=namespace, pod="p"))
    second = webhook(alert(alertname=unique("B"), namespace=namespace, pod="p"))

    assert send(client, first, caller="10.0.2.1").status_code == 201
    limited = send(client, second, caller="10.0.2.1")
    assert limited.status_code == 429
    assert limited.content_type == "application/problem+json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 100
    assert len(kube_api.objects("remediationrequests", namespace=namespace)) == 1

    # Another caller sends the refused webhook: it is new to the gateway, counted once.
    accepted = send(client, second, caller="10.0.2.2")
    assert accepted.status_code == 201
    assert accepted.get_json()["results"][0]["occurrenceCount"] == 1


def test_an_event_over_the_rate_gets_429(limited_client, make_namespace):
    client = limited_client
    event = {
        "type": "Warning",
        "reason": unique("BackOff"),
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": make_namespace()},
    }
    sent = [
        client.post(EVENTS, json=event, environ_base={"REMOTE_ADDR": "10.0.3.1"}).status_code
        for _ in range(2)
    ]
    assert sent == [201, 429]


def test_a_caller_refused_once_is_refused_again_without_a_redis_call(
    make_client, make_namespace, own_redis
):
    client = make_client(redis_url=own_redis.url, rate_limit=0.01, rate_limit_burst=1)
    body = webhook(alert(alertname=unique("A"), namespace=make_namespace(), pod="p"))
    assert send(client, body, caller="10.0.4.1").status_code == 201
    assert send(client, body, caller="10.0.4.1").status_code == 429
    before = command_calls(own_redis)["evalsha"]

    again = send(client, body, caller="10.0.4.1")
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) >= 1
    assert command_calls(own_redis)["evalsha"] == before
    assert send(client, body, caller="10.0.4.2").status_code == 202  # another caller is not held


def test_a_rejected_body_takes_a_token_and_over_the_rate_is_429(limited_client):
    client = limited_client

    def send_broken() -> Any:
        return client.post(
            PROMETHEUS,
            data="{",
            content_type="application/json",
            environ_base={"REMOTE_ADDR": "10.0.5.1"},
        )

    assert send_broken().status_code == 400
    over = send_broken()
    assert over.status_code == 429
    assert "Retry-After" in over.headers


def test_a_rejected_body_is_answered_as_such_while_redis_is_down(
    make_client, make_namespace, own_redis
):
    client = make_client(redis_url=own_redis.url, rate_limit=1000.0, rate_limit_burst=1000)
    own_redis.stop()
    broken = client.post(
        PROMETHEUS, data="{", content_type="application/json", environ_base={"REMOTE_ADDR": "x"}
    )
    assert broken.status_code == 400
    assert "not valid JSON" in json.loads(broken.data)["detail"]

    body = webhook(alert(alertname=unique("A"), namespace=make_namespace(), pod="p"))
    down = send(client, body, caller="10.0.6.1")
    assert down.status_code == 503
    assert "Retry-After" in down.headers
