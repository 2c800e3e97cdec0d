"""Answer TokenReviews and SubjectAccessReviews from the server's token table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import TokenIdentity
from .status import bad_request, invalid

AUTHN_GROUP = "authentication.k8s.io"
AUTHZ_GROUP = "authorization.k8s.io"


def _spec(body: Any, kind: str, group: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"the body of the request must be a {kind} object")
    api_version = body.get("apiVersion")
    if api_version and api_version != f"{group}/v1":
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({group}/v1)"
        )
    if body.get("kind") and body["kind"] != kind:
        raise bad_request(f"the kind in the data ({body['kind']}) does not match {kind}")
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def token_review(tokens: Mapping[str, TokenIdentity], body: Any) -> dict[str, Any]:
    """Return the answered TokenReview for a request body."""
    spec = _spec(body, "TokenReview", AUTHN_GROUP)
    token = spec.get("token")
    if not token or not isinstance(token, str):
        raise bad_request("token is required for TokenReview in authentication")
    wanted = [a for a in spec.get("audiences") or () if isinstance(a, str)]
    identity = tokens.get(token)
    status: dict[str, Any]
    if identity is None:
        status = {"authenticated": False, "error": "[invalid bearer token, token lookup failed]"}
    else:
        audiences = list(identity.audiences)
        if wanted:
            audiences = [a for a in wanted if not identity.audiences or a in identity.audiences]
        if wanted and not audiences:
            status = {
                "authenticated": False,
                "error": "[invalid bearer token, token audiences "
                f"{list(identity.audiences)} is invalid for the target audiences {wanted}]",
            }
        else:
            user: dict[str, Any] = {"username": identity.username, "groups": list(identity.groups)}
            if identity.uid:
                user["uid"] = identity.uid
            status = {"authenticated": True, "user": user, "audiences": audiences}
    return {
        "kind": "TokenReview",
        "apiVersion": f"{AUTHN_GROUP}/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": status,
    }


def _slot_matches(rule: str, value: str) -> bool:
    return rule in ("*", value)


def subject_access_review(tokens: Mapping[str, TokenIdentity], body: Any) -> dict[str, Any]:
    """Return the answered SubjectAccessReview for a request body."""
    spec = _spec(body, "SubjectAccessReview", AUTHZ_GROUP)
    user = spec.get("user") or ""
    if not user and not spec.get("groups"):
        raise invalid(
            "SubjectAccessReview",
            AUTHZ_GROUP,
            "",
            [
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "": at least one of user or group must be specified',
                    "field": "spec.user",
                }
            ],
        )
    attributes = spec.get("resourceAttributes")
    status: dict[str, Any]
    if not isinstance(attributes, dict):
        status = {"allowed": False, "reason": "only resourceAttributes are in the token table"}
    else:
        verb = str(attributes.get("verb") or "")
        group = str(attributes.get("group") or "")
        resource = str(attributes.get("resource") or "")
        namespace = str(attributes.get("namespace") or "")
        request = (verb, group, resource, namespace)
        allowed = any(
            all(_slot_matches(rule, value) for rule, value in zip(tuple_, request, strict=True))
            for identity in tokens.values()
            if identity.username == user
            for tuple_ in identity.allowed
        )
        if allowed:
            status = {"allowed": True, "reason": "allowed by the sandbox token table"}
        else:
            where = f' in namespace "{namespace}"' if namespace else " at the cluster scope"
            status = {
                "allowed": False,
                "reason": f'user "{user}" cannot {verb} resource "{resource}" in API group '
                f'"{group}"{where}',
            }
    return {
        "kind": "SubjectAccessReview",
        "apiVersion": f"{AUTHZ_GROUP}/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": status,
    }
