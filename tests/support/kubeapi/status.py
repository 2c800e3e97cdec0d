"""Kubernetes Status objects and the exception that carries them through the server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The reasons kube-apiserver puts in a Status for each HTTP code (k8s.io/apimachinery StatusReason).
REASONS: Mapping[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    411: "BadRequest",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}

# Default messages, close to what kube-apiserver says for the same code.
MESSAGES: Mapping[int, str] = {
    400: "the server rejected our request for an unknown reason",
    401: "Unauthorized",
    403: "forbidden: the server does not allow access to the requested resource",
    404: "the server could not find the requested resource",
    405: "the server does not allow this method on the requested resource",
    409: "the server reported a conflict",
    422: "the server rejected our request due to an error in our request",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: an error on the server has prevented the request from "
    "succeeding",
    503: "the server is currently unable to handle the request",
    504: "the server was unable to return a response in the time allotted, but may still be "
    "processing the request",
}


def reason_for(code: int) -> str:
    """Return the Status reason kube-apiserver uses for an HTTP code."""
    if code in REASONS:
        return REASONS[code]
    return "InternalError" if code >= 500 else "Unknown"


def status_body(
    code: int,
    message: str | None = None,
    *,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a failure Status object."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message if message is not None else MESSAGES.get(code, reason_for(code)),
        "reason": reason if reason is not None else reason_for(code),
    }
    if details:
        body["details"] = dict(details)
    body["code"] = code
    return body


class ApiError(Exception):
    """An error answered to the client as a Status object."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.body = status_body(code, message, reason=reason, details=details)
        self.headers = dict(headers or {})
        super().__init__(self.body["message"])


def bad_request(message: str) -> ApiError:
    """Return a 400 BadRequest error."""
    return ApiError(400, message)


def not_found(resource: str, group: str, name: str) -> ApiError:
    """Return a 404 NotFound error for a named object, worded like kube."""
    qualified = f"{resource}.{group}" if group else resource
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return ApiError(404, f'{qualified} "{name}" not found', details=details)


def already_exists(resource: str, group: str, name: str) -> ApiError:
    """Return a 409 AlreadyExists error, worded like kube."""
    qualified = f"{resource}.{group}" if group else resource
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return ApiError(
        409, f'{qualified} "{name}" already exists', reason="AlreadyExists", details=details
    )


def conflict(resource: str, group: str, name: str, why: str) -> ApiError:
    """Return a 409 Conflict error for an update that lost a race."""
    qualified = f"{resource}.{group}" if group else resource
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified} "{name}": {why}',
        reason="Conflict",
        details=details,
    )


def invalid(kind: str, group: str, name: str, causes: Sequence[Mapping[str, str]]) -> ApiError:
    """Return a 422 Invalid error listing every cause, worded like kube."""
    qualified = f"{kind}.{group}" if group else kind
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details: dict[str, Any] = {"name": name, "kind": kind, "causes": [dict(c) for c in causes]}
    if group:
        details["group"] = group
    return ApiError(422, f'{qualified} "{name}" is invalid: {summary}', details=details)
