"""Structured logs: one JSON object per line, carrying the request id of its request."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from gunicorn.glogging import Logger

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message, requestId, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["requestId"] = g.request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send every log record to stderr as JSON at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)


class JsonGunicornLogger(Logger):  # type: ignore[misc]
    """Gunicorn's error and access logs in the same JSON format as the app's. The access log
    has a line for every request, or (`errors_only`) for responses with status 400 and above."""

    errors_only = False

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog or (self.errors_only and (resp.status_code or 0) < 400):
            return
        headers = {k.lower(): v for k, v in (resp.headers or [])}
        self.access_log.info(
            "request",
            extra={
                "requestId": headers.get("x-request-id", ""),
                "method": environ.get("REQUEST_METHOD", ""),
                "path": environ.get("PATH_INFO", ""),
                "status": resp.status_code,
                "durationMs": round(request_time.total_seconds() * 1000, 3),
                "bytes": getattr(resp, "sent", 0),
            },
        )


class ErrorsAccessLogger(JsonGunicornLogger):
    """An access log line only for responses with status 400 and above."""

    errors_only = True
