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
        if moment - datetime.now(UTC) > MAX_CLOCK_SKEW:
            raise ValidationError("Timestamp is more than an hour in the future.")
        return moment


class _Lenient(Schema):
    """Ignore fields added by newer Alertmanager or exporter versions."""

    class Meta:
        unknown = EXCLUDE


def _labels(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        validate=validate.Length(max=MAX_ENTRIES),
        **kwargs,
    )


class AlertSchema(_Lenient):
    status = fields.String(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = _labels(required=True)
    annotations = _labels(load_default=dict)
    startsAt = Timestamp(load_default=None)
    endsAt = Timestamp(load_default=None)
    generatorURL = fields.String(load_default="")
    fingerprint = fields.String(load_default="")

    @validates_schema
    def _has_alertname(self, data: dict[str, Any], **_: Any) -> None:
        name = data.get("labels", {}).get("alertname", "")
        if not name.strip():
            raise ValidationError("labels.alertname is required", "labels")
        if len(name) > MAX_NAME:
            raise ValidationError(f"labels.alertname is longer than {MAX_NAME}", "labels")


class AlertmanagerWebhookSchema(_Lenient):
    """Alertmanager's webhook notification, version 4."""

    version = fields.String(required=True, validate=validate.Equal("4"))
    status = fields.String(load_default="firing")
    receiver = fields.String(load_default="")
    groupKey = fields.String(load_default="")
    truncatedAlerts = fields.Integer(load_default=0, strict=True)
    groupLabels = _labels(load_default=dict)
    commonLabels = _labels(load_default=dict)
    commonAnnotations = _labels(load_default=dict)
    externalURL = fields.String(load_default="")
    alerts = fields.List(
        fields.Nested(AlertSchema), required=True, validate=validate.Length(min=1, max=MAX_ALERTS)
    )


class ObjectReferenceSchema(_Lenient):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=63))
    name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    namespace = fields.String(load_default="", validate=validate.Length(max=63))
    apiVersion = fields.String(load_default="")
    uid = fields.String(load_default="")
    labels = _labels(load_default=dict)
    annotations = _labels(load_default=dict)


class EventSourceSchema(_Lenient):
    component = fields.String(load_default="")
    host = fields.String(load_default="")


class EventSeriesSchema(_Lenient):
    count = fields.Integer(load_default=None, strict=True)
    lastObservedTime = Timestamp(load_default=None)


class EventMetadataSchema(_Lenient):
    name = fields.String(load_default="")
    namespace = fields.String(load_default="")


class KubernetesEventSchema(_Lenient):
    """A core/v1 Event, an events.k8s.io/v1 Event, or kubernetes-event-exporter's body."""

    apiVersion = fields.String(load_default="v1")
    kind = fields.String(load_default="Event")
    metadata = fields.Nested(EventMetadataSchema, load_default=dict)
    type = fields.String(required=True, validate=validate.OneOf(["Warning", "Normal"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    involvedObject = fields.Nested(ObjectReferenceSchema, load_default=None)
    regarding = fields.Nested(ObjectReferenceSchema, load_default=None)
    message = fields.String(load_default="")
    note = fields.String(load_default="")
    count = fields.Integer(load_default=None, strict=True)
    firstTimestamp = Timestamp(load_default=None)
    lastTimestamp = Timestamp(load_default=None)
    eventTime = Timestamp(load_default=None)
    series = fields.Nested(EventSeriesSchema, load_default=None)
    source = fields.Nested(EventSourceSchema, load_default=None)
    reportingComponent = fields.String(load_default="")
    reportingController = fields.String(load_default="")
    clusterName = fields.String(load_default="")

    @validates_schema
    def _names_an_object(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("involvedObject") is None and data.get("regarding") is None:
            raise ValidationError(
                "one of involvedObject (core/v1) or regarding (events.k8s.io/v1) is required",
                "involvedObject",
            )
