"""The test server's watches can misbehave as real ones do behind proxies, and its answers
can be odd: each fault mode, seen from a plain HTTP client."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support.kubeapi import KubeApiServer

from .helpers import GROUP, PLURAL, VERSION

COLLECTION = f"/apis/{GROUP}/{VERSION}/{PLURAL}"


def _watch(server: KubeApiServer, *, read_timeout: float = 5.0) -> requests.Response:
    return requests.get(
        f"{server.url}{COLLECTION}",
        params={"watch": "true", "timeoutSeconds": "30"},
        stream=True,
        timeout=(2, read_timeout),
    )


def test_a_watch_that_ends_at_once_answers_200_and_no_event(server: KubeApiServer) -> None:
    server.inject(path=COLLECTION, watches=True, watch_mode="end")
    started = time.monotonic()
    with _watch(server) as response:
        body = response.content
    assert response.status_code == 200
    assert body == b""
    assert time.monotonic() - started < 1


def test_a_stalled_watch_sends_nothing_until_the_fault_goes(server: KubeApiServer) -> None:
    fault = server.inject(path=COLLECTION, watches=True, watch_mode="stall")
    with _watch(server, read_timeout=0.5) as response:
        assert response.status_code == 200
        with pytest.raises(requests.ConnectionError):  # the read times out
            next(response.iter_lines())
    fault.remove()
    with _watch(server, read_timeout=5) as response:
        assert response.status_code == 200  # a watch after it is a real one again


def test_a_gone_watch_sends_one_error_event_with_a_410_expired_status(
    server: KubeApiServer,
) -> None:
    server.inject(path=COLLECTION, watches=True, watch_mode="gone")
    with _watch(server) as response:
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert response.status_code == 200
    assert [event["type"] for event in events] == ["ERROR"]
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")


def test_a_dropped_watch_closes_the_connection_without_ending_the_stream(
    server: KubeApiServer,
) -> None:
    server.inject(path=COLLECTION, watches=True, watch_mode="drop")
    with _watch(server) as response:
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            response.content  # noqa: B018 - reading the body is the test


def test_a_list_fault_leaves_watches_alone_and_a_watch_fault_leaves_lists_alone(
    server: KubeApiServer,
) -> None:
    server.inject(path=COLLECTION, watches=False, status=429, retry_after=3)
    listed = requests.get(f"{server.url}{COLLECTION}", timeout=5)
    with _watch(server) as watched:
        assert watched.status_code == 200
    assert (listed.status_code, listed.headers["Retry-After"]) == (429, "3")
    server.clear_faults()
    server.inject(path=COLLECTION, watches=True, status=500)
    assert requests.get(f"{server.url}{COLLECTION}", timeout=5).status_code == 200
    with _watch(server) as watched:
        assert watched.status_code == 500


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{}", "application/json"), (b"<html>bad gateway</html>", "text/html")],
)
def test_version_can_answer_an_odd_body_with_200(
    server: KubeApiServer, body: bytes, content_type: str
) -> None:
    server.inject(path="^/version$", body=body, content_type=content_type)
    answer = requests.get(f"{server.url}/version", timeout=5)
    assert (answer.status_code, answer.content) == (200, body)
    assert answer.headers["Content-Type"] == content_type
