"""Problem Details (RFC 7807) for every error the API returns, rendered in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from app.service.errors import AuthError, Forbidden, MissingPermission, Unavailable

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://kubernaut.io/problems/"
log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error answered to the client as problem+json."""

    status = 400
    title = "Bad Request"
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


class ValidationProblem(ApiProblem):
    slug = "validation-error"
    title = "Invalid signal"


class MalformedJson(ApiProblem):
    slug = "malformed-json"
    title = "Malformed JSON"


class UnsupportedMediaType(ApiProblem):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported Media Type"


class PayloadTooLarge(ApiProblem):
    status = 413
    slug = "payload-too-large"
    title = "Payload Too Large"


class RateLimited(ApiProblem):
    status = 429
    slug = "rate-limited"
    title = "Too Many Requests"


class ServiceUnavailable(ApiProblem):
    status = 503
    slug = "unavailable"
    title = "Service Unavailable"


def problem(
    status: int,
    *,
    title: str,
    slug: str,
    detail: str,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return a problem+json response carrying the request id."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "requestId": g.get("request_id", ""),
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _api_problem(exc: ApiProblem) -> Response:
    return problem(
        exc.status,
        title=exc.title,
        slug=exc.slug,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


def _unavailable(exc: Unavailable) -> Response:
    log.warning("signal not recorded: %s", exc, extra={"dependency": exc.dependency})
    retry_after = str(current_app.config["GATEWAY"].retry_after)
    detail = f"The signal could not be durably recorded ({exc.dependency}); retry later."
    if isinstance(exc, MissingPermission):
        detail = (
            f"The signal could not be recorded: the gateway's service account may not "
            f"{exc.permission}, which identity.mode workload needs; retry later."
        )
    return problem(
        503,
        title="Service Unavailable",
        slug="unavailable",
        detail=detail,
        headers={"Retry-After": retry_after},
    )


def _auth(exc: AuthError) -> Response:
    if isinstance(exc, Forbidden):
        return problem(403, title="Forbidden", slug="forbidden", detail=str(exc))
    return problem(
        401,
        title="Unauthorized",
        slug="unauthorized",
        detail=f"{exc}; send 'Authorization: Bearer <service account token>'.",
        headers={"WWW-Authenticate": 'Bearer realm="kubernaut-gateway"'},
    )


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    allowed = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if allowed else {}
    if status == 413:
        detail = f"The body exceeds {current_app.config['GATEWAY'].max_body_bytes} bytes."
    elif status >= 500:
        detail = "The server could not complete the request."
    else:
        detail = exc.description or exc.name
    return problem(
        status,
        title=exc.name,
        slug=exc.name.lower().replace(" ", "-"),
        detail=detail,
        headers=headers,
    )


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return problem(
        500,
        title="Internal Server Error",
        slug="internal",
        detail="The server could not complete the request.",
    )


def register(app: Flask) -> None:
    """Render every error of `app` as problem+json."""
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(Unavailable, _unavailable)
    app.register_error_handler(AuthError, _auth)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
