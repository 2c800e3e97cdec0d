"""kubernaut-gateway: alerts and Warning Events in, one RemediationRequest per problem out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from app.config import Config
from app.domain import unique_id

if TYPE_CHECKING:
    from app.service.services import Services

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(
    config: Config, services: Services | None = None, *, metrics_dir: str | None = None
) -> Flask:
    """Build the WSGI app; `services` replaces the real wiring in tests.

    `metrics_dir` is where gunicorn's workers write their metric values (multiprocess mode);
    without it /metrics shows this process alone.
    """
    from app import bootstrap
    from app.api import errors
    from app.api.admission import LimitMemory
    from app.api.views import bp
    from app.metrics import instrument

    app = Flask(__name__)
    app.config["GATEWAY"] = config
    # Werkzeug enforces this while streaming bodies without a Content-Length.
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    wired = services or bootstrap.build(config)
    app.extensions["gateway"] = wired
    app.extensions["limits"] = LimitMemory()
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    errors.register(app)
    app.register_blueprint(bp)
    instrument(app, wired.metrics, directory=metrics_dir)
    return app


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else unique_id()


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.update(SECURITY_HEADERS)
    return response
