"""Marshmallow schemas for the two signal bodies; unknown fields are accepted and ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    missing,
    validate,
    validates_schema,
)

MAX_NAME = 253
MAX_ALERTS = 1000
MAX_ENTRIES = 256
MAX_OWNERS = 32
# Clocks disagree a little; a timestamp further ahead than this is a broken sender.
MAX_CLOCK_SKEW = timedelta(hours=1)


class _Unvalidated:
    """For fields without validators: marshmallow 4 combines a field's validators into a new
    `And` on every value it checks, none or not (a webhook's 1000 alerts make 5000 of them)."""

    validators: list[Any]

    def _validate(self, value: Any) -> None:
        if self.validators:
            super()._validate(value)  # type: ignore[misc]


class Timestamp(_Unvalidated, fields.AwareDateTime):
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


NOT_TEXT = "Not valid Unicode text."
NOT_A_STRING = "Not a valid string."


class Text(_Unvalidated, fields.String):
    """A string that is valid Unicode text (no lone surrogates from \\ud800-style escapes)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise ValidationError(NOT_TEXT) from exc
        return text


class _Lenient(Schema):
    """Ignore fields added by newer Alertmanager or exporter versions."""

    class Meta:
        unknown = EXCLUDE


class Labels(_Unvalidated, fields.Field[dict[str, str]]):
    """A map of text to text, at most MAX_ENTRIES entries, checked in one pass (an alert
    carries two of them): the messages and error paths of `Dict(keys=Text(), values=Text())`."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "invalid": "Not a valid mapping type.",
        "too_long": f"Longer than maximum length {MAX_ENTRIES}.",
    }

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        if len(value) > MAX_ENTRIES:
            raise self.make_error("too_long")
        try:
            if all(type(item) is str for item in value.values()):
                # JSON keys are always strings; one encode finds any lone surrogate.
                "".join(value).encode()
                "".join(value.values()).encode()
                return value
        except UnicodeEncodeError:
            pass
        raise ValidationError(_label_errors(value))


def _label_errors(value: dict[Any, Any]) -> dict[Any, dict[str, list[str]]]:
    errors: dict[Any, dict[str, list[str]]] = {}
    for key, item in value.items():
        problems: dict[str, list[str]] = {}
        if not _is_text(key):
            problems["key"] = [NOT_TEXT]
        if not isinstance(item, str):
            problems["value"] = [NOT_A_STRING]
        elif not _is_text(item):
            problems["value"] = [NOT_TEXT]
        if problems:
            errors[key] = problems
    return errors


def _is_text(value: Any) -> bool:
    try:
        value.encode()
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def _labels(**kwargs: Any) -> Labels:
    return Labels(**kwargs)


class AlertSchema(_Lenient):
    """One alert: the fields the gateway reads (endsAt and generatorURL are not)."""

    status = Text(required=True, validate=validate.OneOf(["firing", "resolved"]))
    labels = _labels(required=True)
    annotations = _labels(load_default=dict)
    startsAt = Timestamp(load_default=None)
    # Alertmanager's id of the label set: names an alert that names no resource.
    fingerprint = Text(load_default="")

    @validates_schema
    def _has_alertname(self, data: dict[str, Any], **_: Any) -> None:
        self.check_alertname(data)

    @staticmethod
    def check_alertname(data: dict[str, Any]) -> None:
        """labels.alertname: present, not blank, at most MAX_NAME characters."""
        name = data.get("labels", {}).get("alertname", "")
        if not name.strip():
            raise ValidationError("labels.alertname is required", "labels")
        if len(name) > MAX_NAME:
            raise ValidationError(f"labels.alertname is longer than {MAX_NAME}", "labels")


class Alert(_Unvalidated, fields.Field[dict[str, Any]]):
    """One alert, checked by AlertSchema's own fields without a schema load per alert (a
    webhook carries up to 1000): the same messages and error paths, several times faster."""

    _FIELDS = AlertSchema().load_fields

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError({"_schema": ["Invalid input type."]})
        loaded: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field in self._FIELDS.items():
            try:
                loaded[name] = field.deserialize(value.get(name, missing), name, value)
            except ValidationError as exc:
                errors[name] = exc.messages
        if not errors:
            try:
                AlertSchema.check_alertname(loaded)
            except ValidationError as exc:
                errors[exc.field_name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class AlertmanagerWebhookSchema(_Lenient):
    """Alertmanager's webhook notification, version 4: the fields the gateway reads. Like
    unknown fields, the others (groupKey, commonLabels, ...) are not checked; the alerts' raw
    JSON, all of it, goes into originalPayload."""

    version = Text(required=True, validate=validate.Equal("4"))
    receiver = Text(load_default="")
    alerts = fields.List(Alert(), required=True, validate=validate.Length(min=1, max=MAX_ALERTS))


class StrictBoolean(fields.Boolean):
    """JSON true or false, nothing else (marshmallow's Boolean also takes "yes", 1, ...)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if type(value) is not bool:
            raise self.make_error("invalid", input=value)
        return value


class OwnerReferenceSchema(_Lenient):
    """One of kubernetes-event-exporter's involvedObject.ownerReferences."""

    apiVersion = Text(load_default="")
    kind = Text(required=True, validate=validate.Length(min=1, max=63))
    name = Text(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    uid = Text(load_default="")
    controller = StrictBoolean(load_default=False)


class ObjectReferenceSchema(_Lenient):
    kind = Text(required=True, validate=validate.Length(min=1, max=63))
    name = Text(load_default="", validate=validate.Length(max=MAX_NAME))
    namespace = Text(load_default="", validate=validate.Length(max=63))
    apiVersion = Text(load_default="")
    uid = Text(load_default="")
    labels = _labels(load_default=dict)
    annotations = _labels(load_default=dict)
    ownerReferences = fields.List(
        fields.Nested(OwnerReferenceSchema),
        load_default=list,
        validate=validate.Length(max=MAX_OWNERS),
    )


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
