"""Marshmallow schemas for the two signal bodies; unknown fields are accepted and ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

MAX_NAME = 253
MAX_ALERTS = 1000
MAX_ENTRIES = 256
# Clocks disagree a little; a timestamp further ahead than this is a broken sender.
MAX_CLOCK_SKEW = timedelta(hours=1)


class Timestamp(fields.AwareDateTime):
    """An RFC 3339 timestamp with a time zone, not far in the future."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Timestamp is out of range.") from exc
        if in_utc - datetime.now(UTC) > MAX_CLOCK_SKEW:
            raise ValidationError("Timestamp is more than an hour in the future.")
        return in_utc


class Text(fields.String):
    """A string that is valid Unicode text (no lone surrogates from \\ud800-style escapes)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise ValidationError("Not valid Unicode text.") from exc
        return text


class _Lenient(Schema):
    """Ignore fields added by newer Alertmanager or exporter versions."""

    class Meta:
        unknown = EXCLUDE


def _labels(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=Text(),
        values=Text(),
        validate=validate.Length(max=MAX_ENTRIES),
        **kwargs,
    )


class AlertSchema(_Lenient):
    status = Text(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = _labels(required=True)
    annotations = _labels(load_default=dict)
    startsAt = Timestamp(load_default=None)
    endsAt = Timestamp(load_default=None)
    generatorURL = Text(load_default="")
    fingerprint = Text(load_default="")

    @validates_schema
    def _has_alertname(self, data: dict[str, Any], **_: Any) -> None:
        name = data.get("labels", {}).get("alertname", "")
        if not name.strip():
            raise ValidationError("labels.alertname is required", "labels")
        if len(name) > MAX_NAME:
            raise ValidationError(f"labels.alertname is longer than {MAX_NAME}", "labels")


class AlertmanagerWebhookSchema(_Lenient):
    """Alertmanager's webhook notification, version 4."""

    version = Text(required=True, validate=validate.Equal("4"))
    status = Text(load_default="firing")
    receiver = Text(load_default="")
    groupKey = Text(load_default="")
    truncatedAlerts = fields.Integer(load_default=0, strict=True)
    groupLabels = _labels(load_default=dict)
    commonLabels = _labels(load_default=dict)
    commonAnnotations = _labels(load_default=dict)
    externalURL = Text(load_default="")
    alerts = fields.List(
        fields.Nested(AlertSchema), required=True, validate=validate.Length(min=1, max=MAX_ALERTS)
    )


class ObjectReferenceSchema(_Lenient):
    kind = Text(required=True, validate=validate.Length(min=1, max=63))
    name = Text(load_default="", validate=validate.Length(max=MAX_NAME))
    namespace = Text(load_default="", validate=validate.Length(max=63))
    apiVersion = Text(load_default="")
    uid = Text(load_default="")
    labels = _labels(load_default=dict)
    annotations = _labels(load_default=dict)


class EventSourceSchema(_Lenient):
    component = Text(load_default="")
    host = Text(load_default="")


class EventSeriesSchema(_Lenient):
    count = fields.Integer(load_default=None, strict=True)
    lastObservedTime = Timestamp(load_default=None)


class EventMetadataSchema(_Lenient):
    name = Text(load_default="")
    namespace = Text(load_default="")


class KubernetesEventSchema(_Lenient):
    """A core/v1 Event, an events.k8s.io/v1 Event, or kubernetes-event-exporter's body."""

    apiVersion = Text(load_default="v1")
    kind = Text(load_default="Event")
    metadata = fields.Nested(
        EventMetadataSchema, load_default=lambda: {"name": "", "namespace": ""}
    )
    type = Text(required=True, validate=validate.OneOf(["Warning", "Normal"]))
    reason = Text(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    involvedObject = fields.Nested(ObjectReferenceSchema, load_default=None)
    regarding = fields.Nested(ObjectReferenceSchema, load_default=None)
    message = Text(load_default="")
    note = Text(load_default="")
    count = fields.Integer(load_default=None, strict=True)
    firstTimestamp = Timestamp(load_default=None)
    lastTimestamp = Timestamp(load_default=None)
    eventTime = Timestamp(load_default=None)
    series = fields.Nested(EventSeriesSchema, load_default=None)
    source = fields.Nested(EventSourceSchema, load_default=None)
    reportingComponent = Text(load_default="")
    reportingController = Text(load_default="")
    clusterName = Text(load_default="")

    @validates_schema
    def _names_an_object(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("involvedObject") is None and data.get("regarding") is None:
            raise ValidationError(
                "one of involvedObject (core/v1) or regarding (events.k8s.io/v1) is required",
                "involvedObject",
            )
