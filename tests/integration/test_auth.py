"""Bearer-token authentication and authorization through the Kubernetes API test server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import send
from tests.support.kubeapi import TokenIdentity
from tests.support.payloads import alert, unique, webhook

ACCESS_NAMESPACE = "kubernaut-system"


@pytest.fixture
def auth_client(make_client):
    return make_client(auth_mode="kubernetes", auth_namespace=ACCESS_NAMESPACE)


def _token(kube_api, *, allowed: bool) -> str:
    token = f"token-{uuid.uuid4().hex}"
    grant = ("create", "remediation.kubernaut.io", "remediationrequests", ACCESS_NAMESPACE)
    kube_api.add_token(
        token,
        TokenIdentity(
            username=f"system:serviceaccount:monitoring:{unique('am')}",
            groups=("system:serviceaccounts",),
            allowed=frozenset({grant}) if allowed else frozenset(),
        ),
    )
    return token


def _alert(namespace: str) -> dict[str, Any]:
    return webhook(alert(alertname=unique("A"), namespace=namespace, pod="p"))


def test_a_valid_token_with_permission_is_accepted(auth_client, kube_api, make_namespace):
    response = send(auth_client, _alert(make_namespace()), token=_token(kube_api, allowed=True))
    assert response.status_code == 201


def test_no_header_is_401_with_a_bearer_challenge(auth_client, make_namespace):
    response = send(auth_client, _alert(make_namespace()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["status"] == 401


def test_an_unknown_token_is_401_and_never_echoed(auth_client, make_namespace):
    token = f"secret-{uuid.uuid4().hex}"
    response = send(auth_client, _alert(make_namespace()), token=token)
    assert response.status_code == 401
    assert token not in response.get_data(as_text=True)


def test_a_valid_token_without_permission_is_403(auth_client, kube_api, make_namespace):
    response = send(auth_client, _alert(make_namespace()), token=_token(kube_api, allowed=False))
    assert response.status_code == 403


def test_the_kubernetes_api_down_during_review_is_503_not_401(
    auth_client, kube_api, make_namespace
):
    namespace = make_namespace()
    token = _token(kube_api, allowed=True)
    kube_api.inject(method="POST", path="/tokenreviews$", status=500)
    response = send(auth_client, _alert(namespace), token=token)
    assert response.status_code == 503
    assert "Retry-After" in response.headers


def test_decisions_are_cached_by_token(auth_client, kube_api, make_namespace):
    namespace = make_namespace()
    token = _token(kube_api, allowed=True)
    before = kube_api.count(method="POST", path="/tokenreviews$")
    for _ in range(5):
        assert send(auth_client, _alert(namespace), token=token).status_code in (201, 202)
    assert kube_api.count(method="POST", path="/tokenreviews$") - before == 1


def test_health_and_metrics_need_no_token(auth_client):
    assert auth_client.get("/healthz").status_code == 200
    assert auth_client.get("/metrics").status_code == 200
