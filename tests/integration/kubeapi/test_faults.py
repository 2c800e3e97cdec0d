"""Fault injection, the in-flight limit and the request log."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from kubernetes.client.exceptions import ApiException

from tests.support.kubeapi import KubeApiServer, RecordedRequest

from .helpers import (
    CRD_PATH,
    GROUP,
    NAMESPACE,
    PLURAL,
    VERSION,
    create_rr,
    header,
    rr_body,
    status_of,
)

COLLECTION = rf"/namespaces/{NAMESPACE}/{PLURAL}$"
DEADLINE_SECONDS = 5.0


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.005)


def _get(custom: Any, name: str) -> dict[str, Any]:
    got: dict[str, Any] = custom.get_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, name
    )
    return got


def test_429_with_retry_after_twice_then_success(custom: Any, server: KubeApiServer) -> None:
    fault = server.inject(method="POST", path=COLLECTION, status=429, retry_after=1, times=2)
    refusals: list[ApiException] = []
    created = None
    for _ in range(5):
        try:
            created = create_rr(custom, rr_body("rr-1"))
            break
        except ApiException as error:
            refusals.append(error)
    assert created is not None
    assert [e.status for e in refusals] == [429, 429]
    assert all(header(e, "Retry-After") == "1" for e in refusals)
    status = status_of(refusals[0])
    assert status["reason"] == "TooManyRequests"
    assert status["details"]["retryAfterSeconds"] == 1
    assert fault.hits == 2
    assert server.count(method="POST", path=COLLECTION, status=429) == 2
    assert server.count(method="POST", path=COLLECTION, status=201) == 1


def test_500_is_an_internal_error_status(custom: Any, server: KubeApiServer) -> None:
    server.inject(method="GET", path=r"/rr-1$", status=500)
    with pytest.raises(ApiException) as caught:
        _get(custom, "rr-1")
    assert caught.value.status == 500
    assert status_of(caught.value)["reason"] == "InternalError"


@pytest.mark.parametrize(
    ("code", "reason"),
    [(503, "ServiceUnavailable"), (504, "Timeout"), (409, "Conflict"), (403, "Forbidden")],
)
def test_injected_statuses_carry_kube_reasons(
    server: KubeApiServer, code: int, reason: str
) -> None:
    server.inject(path="^/api/v1/namespaces$", status=code)
    response = requests.get(f"{server.url}/api/v1/namespaces", timeout=5)
    assert response.status_code == code
    assert response.json()["reason"] == reason
    assert response.json()["code"] == code
    assert "Retry-After" not in response.headers


def test_a_fault_only_matches_its_method(custom: Any, server: KubeApiServer) -> None:
    server.inject(method="DELETE", status=500)
    create_rr(custom, rr_body("rr-1"))
    assert _get(custom, "rr-1")["metadata"]["name"] == "rr-1"
    assert server.count(status=500) == 0


def test_a_delay_slows_the_request_then_serves_it(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    fault = server.inject(method="GET", path=r"/rr-1$", delay=0.2, times=1)
    started = time.monotonic()
    assert _get(custom, "rr-1")["metadata"]["name"] == "rr-1"
    assert time.monotonic() - started >= 0.2
    assert fault.hits == 1
    started = time.monotonic()
    _get(custom, "rr-1")
    assert time.monotonic() - started < 0.2


def test_a_dropped_post_raises_a_connection_error(custom: Any, server: KubeApiServer) -> None:
    server.inject(method="POST", path=COLLECTION, drop=True)
    with pytest.raises((urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError)):
        create_rr(custom, rr_body("rr-1"))
    assert server.objects(PLURAL) == []
    assert server.count(method="POST", status=0) >= 1


def test_a_dropped_get_is_retried_by_urllib3(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    server.inject(method="GET", path=r"/rr-1$", drop=True, times=1)
    assert _get(custom, "rr-1")["metadata"]["name"] == "rr-1"
    statuses = [r.status for r in server.requests if r.method == "GET"]
    assert statuses == [0, 200]


def test_a_dropped_raw_request_gets_no_response(server: KubeApiServer) -> None:
    server.inject(path="^/version$", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/version", timeout=5)
    assert requests.get(f"{server.url}/version", timeout=5).status_code == 200


def test_times_limits_a_fault_and_remove_ends_it(server: KubeApiServer) -> None:
    once = server.inject(path="^/version$", status=503, times=1)
    codes = [requests.get(f"{server.url}/version", timeout=5).status_code for _ in range(2)]
    assert codes == [503, 200]
    assert once.hits == 1
    forever = server.inject(path="^/version$", status=500)
    codes = [requests.get(f"{server.url}/version", timeout=5).status_code for _ in range(3)]
    assert codes == [500, 500, 500]
    forever.remove()
    assert requests.get(f"{server.url}/version", timeout=5).status_code == 200
    assert forever.hits == 3


def test_clear_faults_removes_every_fault(server: KubeApiServer) -> None:
    server.inject(path="^/version$", status=500)
    server.inject(path="^/healthz$", status=500)
    server.clear_faults()
    assert requests.get(f"{server.url}/version", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_the_first_matching_fault_applies(server: KubeApiServer) -> None:
    first = server.inject(path="^/version$", status=503, times=1)
    second = server.inject(path="^/version", status=500, times=1)
    codes = [requests.get(f"{server.url}/version", timeout=5).status_code for _ in range(3)]
    assert codes == [503, 500, 200]
    assert (first.hits, second.hits) == (1, 1)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[KubeApiServer]:
    """Serve an API server that admits at most two requests at once."""
    with KubeApiServer(crd_paths=[CRD_PATH], max_in_flight=2) as api_server:
        api_server.add_namespace(NAMESPACE)
        yield api_server


def test_too_many_requests_in_flight_are_refused_with_429(limited: KubeApiServer) -> None:
    url = f"{limited.url}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    # A long delay holds the first two requests until the fault is removed.
    hold = limited.inject(method="GET", path=COLLECTION, delay=30)
    answers: list[int] = []

    def slow_list() -> None:
        answers.append(requests.get(url, timeout=10).status_code)

    threads = [threading.Thread(target=slow_list) for _ in range(2)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: hold.hits == 2)

    refused = requests.post(url, json=rr_body("rr-1"), timeout=5)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["reason"] == "TooManyRequests"
    assert refused.json()["message"] == "Too many requests, please try again later."
    # Version, health and discovery are exempt, as with API Priority and Fairness.
    assert requests.get(f"{limited.url}/version", timeout=5).status_code == 200
    assert requests.get(f"{limited.url}/apis/{GROUP}/{VERSION}", timeout=5).status_code == 200

    hold.remove()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS)
    assert answers == [200, 200]
    assert requests.post(url, json=rr_body("rr-1"), timeout=5).status_code == 201
    assert limited.count(status=429) == 1


def test_the_request_log_records_method_path_query_status_and_body(
    custom: Any, server: KubeApiServer
) -> None:
    server.clear_requests()
    create_rr(custom, rr_body("rr-1"))
    custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, label_selector="a=b")
    post, get = server.requests
    assert isinstance(post, RecordedRequest)
    assert (post.method, post.status) == ("POST", 201)
    assert post.path == f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    assert json.loads(post.body)["metadata"]["name"] == "rr-1"
    assert (get.method, get.status, get.body) == ("GET", 200, b"")
    assert get.query == "labelSelector=a%3Db"
    assert server.count(method="get") == 1
    assert server.count(path="/remediationrequests$") == 2
    server.clear_requests()
    assert server.requests == []
