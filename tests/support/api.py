"""One client for the gateway's API in tests: its paths, and a request through Flask or HTTP."""

from __future__ import annotations

from typing import Any

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PROMETHEUS = "/api/v1/signals/prometheus"
EVENTS = "/api/v1/signals/kubernetes-event"


def _headers(token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    return {**(extra or {}), **({"Authorization": f"Bearer {token}"} if token else {})}


def send(
    client: FlaskClient,
    body: Any,
    *,
    path: str = PROMETHEUS,
    token: str | None = None,
    caller: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> TestResponse:
    """POST a signal body to an app's test client, as `caller` (a client address) if given."""
    if caller:
        kwargs["environ_base"] = {"REMOTE_ADDR": caller}
    return client.post(path, json=body, headers=_headers(token, headers), **kwargs)


def send_http(
    url: str,
    body: Any,
    *,
    path: str = PROMETHEUS,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> requests.Response:
    """POST a signal body to a running gateway, on a new connection (spread over workers)."""
    return requests.post(
        f"{url}{path}", json=body, headers=_headers(token, headers), timeout=timeout
    )
