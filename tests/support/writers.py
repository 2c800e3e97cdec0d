"""Run the status writer of an app as if some time had passed (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from app.service.services import Services


def flush_later(client: FlaskClient, *, seconds: float) -> int:
    """Flush the app's due status writes with a clock `seconds` ahead; return the count."""
    services: Services = client.application.extensions["gateway"]
    return services.occurrences.flush(now=datetime.now(UTC) + timedelta(seconds=seconds))
