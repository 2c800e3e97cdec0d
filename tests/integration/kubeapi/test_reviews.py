"""TokenReview and SubjectAccessReview answered from the token table."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from kubernetes import client

from tests.support.kubeapi import KubeApiServer, TokenIdentity

ALERTMANAGER = TokenIdentity(
    username="system:serviceaccount:monitoring:alertmanager",
    uid="uid-am",
    groups=("system:serviceaccounts", "system:serviceaccounts:monitoring"),
    audiences=("kubernaut-gateway",),
    allowed=frozenset({("create", "remediation.kubernaut.io", "remediationrequests", "*")}),
)


@pytest.fixture
def authn(api_client: Any, server: KubeApiServer) -> Any:
    """Return an AuthenticationV1Api with the alertmanager token registered."""
    server.add_token("am-token", ALERTMANAGER)
    return client.AuthenticationV1Api(api_client)


@pytest.fixture
def authz(api_client: Any, server: KubeApiServer) -> Any:
    """Return an AuthorizationV1Api with the alertmanager token registered."""
    server.add_token("am-token", ALERTMANAGER)
    return client.AuthorizationV1Api(api_client)


def _review(authn: Any, token: str, audiences: list[str] | None = None) -> Any:
    spec = client.V1TokenReviewSpec(token=token, audiences=audiences)
    return authn.create_token_review(client.V1TokenReview(spec=spec)).status


def _access(authz: Any, user: str, verb: str, namespace: str) -> Any:
    attributes = client.V1ResourceAttributes(
        verb=verb,
        group="remediation.kubernaut.io",
        resource="remediationrequests",
        namespace=namespace,
    )
    spec = client.V1SubjectAccessReviewSpec(user=user, resource_attributes=attributes)
    review = client.V1SubjectAccessReview(spec=spec)
    return authz.create_subject_access_review(review).status


def test_a_known_token_authenticates_as_its_identity(authn: Any) -> None:
    status = _review(authn, "am-token")
    assert status.authenticated is True
    assert status.user.username == ALERTMANAGER.username
    assert status.user.uid == "uid-am"
    assert status.user.groups == list(ALERTMANAGER.groups)


def test_an_unknown_token_is_not_authenticated(authn: Any) -> None:
    status = _review(authn, "who-knows")
    assert status.authenticated is False
    assert status.error
    assert status.user is None


def test_requested_audiences_must_intersect_the_tokens(authn: Any) -> None:
    granted = _review(authn, "am-token", ["other", "kubernaut-gateway"])
    assert granted.authenticated is True
    assert granted.audiences == ["kubernaut-gateway"]
    refused = _review(authn, "am-token", ["other"])
    assert refused.authenticated is False
    assert "audience" in refused.error


def test_a_token_without_audiences_accepts_any_audience(authn: Any, server: KubeApiServer) -> None:
    server.add_token("any", TokenIdentity(username="anyone"))
    status = _review(authn, "any", ["whatever"])
    assert status.authenticated is True
    assert status.audiences == ["whatever"]


def test_an_empty_token_is_a_bad_request(server: KubeApiServer) -> None:
    # The client refuses to send this itself, so go around it.
    response = requests.post(
        f"{server.url}/apis/authentication.k8s.io/v1/tokenreviews",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


def test_a_matching_allowed_tuple_allows(authz: Any) -> None:
    status = _access(authz, ALERTMANAGER.username, "create", "team-a")
    assert status.allowed is True


def test_a_verb_outside_the_table_is_denied_with_a_reason(authz: Any) -> None:
    status = _access(authz, ALERTMANAGER.username, "delete", "team-a")
    assert status.allowed is False
    assert "cannot delete" in status.reason


def test_an_unknown_user_is_denied(authz: Any) -> None:
    assert _access(authz, "mallory", "create", "team-a").allowed is False


def test_wildcards_match_any_slot(authz: Any, server: KubeApiServer) -> None:
    server.add_token("admin", TokenIdentity(username="admin", allowed=frozenset({("*",) * 4})))
    assert _access(authz, "admin", "delete", "anywhere").allowed is True
