"""The webhook schema's cost per alert: validators run where there are some, and only there."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError, fields

from app.api.schemas import AlertmanagerWebhookSchema


def _webhook(*statuses: str) -> dict[str, Any]:
    alerts = [
        {"status": status, "labels": {"alertname": f"A{i}"}, "startsAt": "2026-11-24T10:00:00Z"}
        for i, status in enumerate(statuses)
    ]
    return {"version": "4", "alerts": alerts}


@pytest.fixture
def combined(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Record every `And` marshmallow builds to run a field's validators."""
    built: list[tuple[Any, ...]] = []
    # What Field._validate builds (marshmallow.fields imports it from marshmallow.validate).
    original = fields.And  # type: ignore[attr-defined]

    def counting(*validators: Any) -> Any:
        built.append(validators)
        return original(*validators)

    monkeypatch.setattr(fields, "And", counting)
    return built


def test_only_fields_with_validators_run_them(combined: list[tuple[Any, ...]]):
    loaded = AlertmanagerWebhookSchema().load(_webhook("firing", "resolved", "firing"))

    assert [a["status"] for a in loaded["alerts"]] == ["firing", "resolved", "firing"]
    # version, alerts, and each alert's status; not labels, annotations, startsAt or the alert.
    assert len(combined) == 2 + 3
    assert all(combined)


def test_a_field_with_validators_still_rejects(combined: list[tuple[Any, ...]]):
    with pytest.raises(ValidationError) as caught:
        AlertmanagerWebhookSchema().load(_webhook("firing", "bogus"))

    assert caught.value.messages == {
        "alerts": {1: {"status": ["Must be one of: firing, resolved."]}}
    }
