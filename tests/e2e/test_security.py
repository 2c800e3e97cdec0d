"""Authentication, rate limiting and secrecy through the real gunicorn server (2 workers)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.support.api import PROMETHEUS, send_http
from tests.support.kubeapi import TokenIdentity
from tests.support.payloads import alert, unique, webhook

GRANT = ("create", "remediation.kubernaut.io", "remediationrequests", "kubernaut-system")


def _token(kube_api) -> str:
    token = f"tok-{uuid.uuid4().hex}"
    kube_api.add_token(
        token,
        TokenIdentity(
            username=unique("system:serviceaccount:monitoring:am"), allowed=frozenset({GRANT})
        ),
    )
    return token


def _alert(namespace: str, pod: str = "p") -> dict[str, Any]:
    return webhook(alert(alertname=unique("Sec"), namespace=namespace, pod=pod))


def test_a_hundred_concurrent_requests_with_a_new_token_cause_one_review_per_worker(
    start_gateway, kube_api, make_namespace
):
    namespace = make_namespace()
    with start_gateway(
        GATEWAY_AUTH_MODE="kubernetes", GATEWAY_AUTH_NAMESPACE="kubernaut-system"
    ) as gateway:
        token = _token(kube_api)
        before = (
            kube_api.count(path="/tokenreviews$"),
            kube_api.count(path="/subjectaccessreviews$"),
        )
        with ThreadPoolExecutor(max_workers=25) as pool:
            statuses = list(
                pool.map(
                    lambda i: (
                        send_http(gateway.url, _alert(namespace, f"p{i}"), token=token).status_code
                    ),
                    range(100),
                )
            )
        reviews = kube_api.count(path="/tokenreviews$") - before[0]
        accesses = kube_api.count(path="/subjectaccessreviews$") - before[1]

    assert set(statuses) <= {201, 202}
    assert 1 <= reviews <= 2
    assert 1 <= accesses <= 2


def test_the_rate_limit_is_shared_by_the_workers_and_per_identity(
    start_gateway, kube_api, make_namespace
):
    namespace = make_namespace()
    with start_gateway(
        GATEWAY_AUTH_MODE="kubernetes",
        GATEWAY_AUTH_NAMESPACE="kubernaut-system",
        GATEWAY_RATE_LIMIT="0.1",
        GATEWAY_RATE_LIMIT_BURST="5",
    ) as gateway:
        noisy, quiet = _token(kube_api), _token(kube_api)
        noisy_answers = [
            send_http(gateway.url, _alert(namespace, f"n{i}"), token=noisy) for i in range(12)
        ]
        quiet_answer = send_http(gateway.url, _alert(namespace, "q"), token=quiet)

    codes = [a.status_code for a in noisy_answers]
    # New connections land on both workers; one shared bucket lets exactly the burst through.
    assert codes.count(201) == 5
    assert codes[5:] == [429] * 7
    assert all(int(a.headers["Retry-After"]) >= 1 for a in noisy_answers[5:])
    assert quiet_answer.status_code == 201


def test_tokens_never_reach_the_logs(start_gateway, kube_api, make_namespace):
    namespace = make_namespace()
    with start_gateway(
        GATEWAY_AUTH_MODE="kubernetes",
        GATEWAY_AUTH_NAMESPACE="kubernaut-system",
        GATEWAY_LOG_LEVEL="DEBUG",
    ) as gateway:
        good = _token(kube_api)
        unknown = f"unknown-{uuid.uuid4().hex}"
        for token in (good, unknown, good):
            send_http(gateway.url, _alert(namespace), token=token)
        requests.post(
            f"{gateway.url}{PROMETHEUS}",
            data="{",
            timeout=10,
            headers={"Authorization": f"Bearer {unknown}", "Content-Type": "application/json"},
        )
    # The whole log, read once the server has stopped and flushed it.
    log = gateway.log.read_text()

    assert "request" in log
    assert good not in log
    assert unknown not in log
