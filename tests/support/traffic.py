"""Real traffic for a gateway with authentication on: every kind of request its dashboard shows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests

from tests.support.kubeapi import TokenIdentity
from tests.support.payloads import alert, core_event, unique, webhook

PROMETHEUS = "/api/v1/signals/prometheus"
EVENTS = "/api/v1/signals/kubernetes-event"


@dataclass(frozen=True)
class Callers:
    """Bearer tokens of four callers, each its own identity (and so its own rate limit)."""

    sender: str
    noisy: str
    forbidden: str
    alertmanager: str

    @classmethod
    def register(cls, kube_api: Any, *, namespace: str) -> Callers:
        """Add the tokens to the API test server; all but `forbidden` may send in `namespace`."""
        grant = ("create", "remediation.kubernaut.io", "remediationrequests", namespace)
        tokens = {}
        for role in ("sender", "noisy", "forbidden", "alertmanager"):
            tokens[role] = f"tok-{uuid.uuid4().hex}"
            allowed = frozenset() if role == "forbidden" else frozenset({grant})
            user = unique(f"system:serviceaccount:e2e:{role}")
            kube_api.add_token(tokens[role], TokenIdentity(username=user, allowed=allowed))
        return cls(**tokens)


def _post(url: str, path: str, body: Any, *, token: str | None, expect: int) -> int:
    """POST a JSON body (a str is sent as it is); fail unless answered `expect` (0: any)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, str) else json.dumps(body)
    answer = requests.post(f"{url}{path}", data=data, headers=headers, timeout=30)
    assert expect in (0, answer.status_code), f"{path}: {answer.status_code} {answer.text}"
    return answer.status_code


def send_traffic(
    url: str, *, callers: Callers, kube_api: Any, between: Callable[[], object]
) -> None:
    """Create, repeat, resolve, storm, retry, reject, refuse and rate-limit, in namespaces of
    its own. `between` runs after a first create and repeat: a scrape then sees the series of
    the common answers before the rest, so that their rates count the rest."""
    namespace, failing = unique("traffic"), unique("traffic-retry")
    for name in (namespace, failing):
        kube_api.add_namespace(name)
    post, token = partial(_post, url), callers.sender
    crashing = [
        alert(alertname=unique("Crash"), namespace=namespace, pod=f"api-{i}") for i in (1, 2)
    ]
    post(PROMETHEUS, webhook(crashing[0]), token=token, expect=201)
    post(PROMETHEUS, webhook(crashing[0]), token=token, expect=202)
    between()
    post(PROMETHEUS, webhook(*crashing), token=token, expect=201)
    post(PROMETHEUS, webhook(*crashing), token=token, expect=202)
    post(PROMETHEUS, webhook({**crashing[0], "status": "resolved"}), token=token, expect=202)
    storm = unique("PodDown")
    pods = [alert(alertname=storm, namespace=namespace, pod=f"p-{i}") for i in range(8)]
    post(PROMETHEUS, webhook(*pods), token=token, expect=201)
    for type_, code in (("Warning", 201), ("Normal", 202)):
        event = core_event(reason="OOMKilled", namespace=namespace, name="worker-0", type_=type_)
        post(EVENTS, event, token=token, expect=code)
    # The first create in `failing` is answered 500: the gateway retries it.
    kube_api.inject(
        method="POST", path=rf"/namespaces/{failing}/remediationrequests$", status=500, times=1
    )
    once = webhook(alert(alertname=unique("Retried"), namespace=failing, pod="p"))
    post(PROMETHEUS, once, token=token, expect=201)
    post(PROMETHEUS, "{", token=token, expect=400)
    post(PROMETHEUS, once, token=None, expect=401)
    post(PROMETHEUS, once, token=callers.forbidden, expect=403)
    codes = [post(PROMETHEUS, once, token=callers.noisy, expect=0) for _ in range(60)]
    assert 429 in codes, codes
