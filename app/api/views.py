"""HTTP <-> service translation: load with a schema, call the service, map the outcome."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from app.api.admission import LimitMemory
from app.api.errors import (
    ApiProblem,
    MalformedJson,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    ValidationProblem,
    problem,
)
from app.api.openapi import OPENAPI
from app.api.schemas import AlertmanagerWebhookSchema, KubernetesEventSchema
from app.domain import Outcome, Result
from app.service.errors import Forbidden, OverRateLimit, Unauthenticated, Unavailable
from app.service.ports import Admission
from app.service.services import Services

bp = Blueprint("api", __name__)
MAX_DEPTH = 32
_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")
_WEBHOOK = AlertmanagerWebhookSchema()
_EVENT = KubernetesEventSchema()


def services() -> Services:
    """Return the services wired for this app."""
    services: Services = current_app.extensions["gateway"]
    return services


def limits() -> LimitMemory:
    """Return this worker's memory of the callers that are out of request tokens."""
    memory: LimitMemory = current_app.extensions["limits"]
    return memory


_SIGNAL_ENDPOINTS = frozenset({"api.prometheus_webhook", "api.kubernetes_event"})


@bp.before_request
def admit() -> None:
    """Authenticate, then admit signal requests, before anything else is read.

    A caller this worker knows to be out of request tokens is refused here. Any other's
    token is taken with its request's record, in the same Redis call (g.admission); a request
    refused before it is recorded takes one on its own (_load)."""
    if request.endpoint not in _SIGNAL_ENDPOINTS:
        return
    caller = _authenticate()
    config = current_app.config["GATEWAY"]
    if not config.rate_limit:
        return
    wait = limits().wait(caller)
    if wait:
        raise _rate_limited(caller, wait)
    g.admission = Admission(caller, config.rate_limit, config.rate_limit_burst)


def _rate_limited(caller: str, wait: float) -> RateLimited:
    """Count a refused request, remember the caller's wait, and return its 429."""
    services().metrics.observe_rate_limited()
    limits().remember(caller, wait)
    rate = current_app.config["GATEWAY"].rate_limit
    return RateLimited(
        f"Over {rate:g} requests per second; retry later.",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def _take_token(admission: Admission) -> None:
    """Take the token of a request that is refused before it is recorded: over its rate,
    the caller is told so (429) rather than what is wrong with the request. Redis trouble
    leaves the request's own answer (it is final either way)."""
    try:
        wait = services().tokens.take_token(
            admission.caller,
            now_ms=int(time.time() * 1000),
            rate=admission.rate,
            burst=admission.burst,
        )
    except Unavailable:
        return
    if wait:
        raise _rate_limited(admission.caller, wait)


def _authenticate() -> str:
    """Return who is calling: the authenticated user, or the client address without auth."""
    auth = services().auth
    if auth is None:
        return f"addr:{request.remote_addr}"
    metrics = services().metrics
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("a bearer token is required")
        user = auth.authorize(token.strip())
    except Forbidden:
        metrics.observe_auth("forbidden")
        raise
    except Unauthenticated:
        metrics.observe_auth("unauthenticated")
        raise
    except Unavailable:
        metrics.observe_auth("error")
        raise
    metrics.observe_auth("allowed")
    return f"user:{user}"


@bp.post("/api/v1/signals/prometheus")
def prometheus_webhook() -> tuple[Response, int]:
    admission: Admission | None = g.get("admission")
    body = _load(_WEBHOOK, source="prometheus", admission=admission)
    return _recorded(
        lambda: services().ingest.alertmanager(body.loaded, body.raw["alerts"], admission)
    )


@bp.post("/api/v1/signals/kubernetes-event")
def kubernetes_event() -> tuple[Response, int]:
    admission: Admission | None = g.get("admission")
    body = _load(_EVENT, source="kubernetes-event", admission=admission)
    return _recorded(lambda: services().ingest.kubernetes_event(body.loaded, body.raw, admission))


def _recorded(record: Callable[[], list[Result]]) -> tuple[Response, int]:
    """Answer with what `record` recorded; 429 when the caller had no request token."""
    try:
        return _answer(record())
    except OverRateLimit as exc:
        raise _rate_limited(exc.caller, exc.wait) from None


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    problems = services().readiness.problems()
    if not problems:
        return jsonify(status="ready")
    return problem(
        503,
        title="Not Ready",
        slug="not-ready",
        detail="; ".join(problems),
        headers={"Retry-After": str(current_app.config["GATEWAY"].retry_after)},
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(OPENAPI)


class _Body:
    def __init__(self, raw: Mapping[str, Any], loaded: dict[str, Any]) -> None:
        self.raw = raw
        self.loaded = loaded


def _load(schema: Schema, *, source: str, admission: Admission | None) -> _Body:
    try:
        raw = _read_json()
        if not isinstance(raw, dict):
            raise ValidationProblem(
                "The body must be a JSON object.", errors={"_schema": ["must be an object"]}
            )
        try:
            return _Body(raw, schema.load(raw))
        except ValidationError as exc:
            raise ValidationProblem(
                "The body does not match the schema; nothing was recorded.",
                errors=_flatten(exc.messages),
            ) from exc
    except ApiProblem:
        if admission:
            _take_token(admission)
        services().metrics.observe_rejected(source)
        raise


def _read_json() -> Any:
    """Check size and media type before reading, then parse."""
    limit = current_app.config["GATEWAY"].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
    if not _JSON_TYPE.fullmatch(request.mimetype or ""):
        raise UnsupportedMediaType(
            f"Expected application/json, got {request.mimetype or 'no Content-Type'!r}. "
            "curl -d sends form encoding: add -H 'Content-Type: application/json'."
        )
    data = request.get_data(cache=False)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise MalformedJson(f"The body is not valid JSON: {_json_error(exc)}") from exc
    if not _shallow(body):
        raise ValidationProblem(
            f"The body nests deeper than {MAX_DEPTH} levels.",
            errors={"_schema": [f"nesting deeper than {MAX_DEPTH}"]},
        )
    return body


def _shallow(value: Any) -> bool:
    """Tell whether JSON nests at most MAX_DEPTH deep (checked without recursion)."""
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return True
    return False


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "cannot decode"


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"alerts.0.labels": [...]}."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _answer(results: list[Result]) -> tuple[Response, int]:
    created = any(r.outcome is Outcome.CREATED for r in results)
    body = {"requestId": g.request_id, "results": [_result(r) for r in results]}
    return jsonify(body), 201 if created else 202


def _result(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {"fingerprint": result.fingerprint, "status": result.outcome.value}
    if result.remediation_request:
        out["remediationRequest"] = {
            "namespace": result.remediation_request.namespace,
            "name": result.remediation_request.name,
        }
    if result.occurrence_count is not None:
        out["occurrenceCount"] = result.occurrence_count
    if result.reason is not None:
        out["reason"] = result.reason.value
    return out
