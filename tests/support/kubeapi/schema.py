"""Validate and prune objects against a CRD's structural openAPIV3Schema, like kube-apiserver."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Fields kube-apiserver never prunes at the root of a custom resource: ObjectMeta handles them.
ROOT_KEPT = frozenset({"apiVersion", "kind", "metadata"})

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class FieldError:
    """One validation failure, shaped like a kube StatusCause."""

    reason: str
    field: str
    message: str

    def as_cause(self) -> dict[str, str]:
        """Return the StatusCause JSON for this error."""
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


# Checked in order: bool before int because bool is a subclass of int.
_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def type_name(value: Any) -> str:
    """Return the OpenAPI type name of a decoded JSON value."""
    if value is None:
        return "null"
    for python_type, name in _TYPE_NAMES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def show(value: Any) -> str:
    """Render a value the way kube quotes it in field error messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def child_path(path: str, key: str) -> str:
    """Return the dotted path of a property below `path`."""
    return f"{path}.{key}" if path else key


def _is_type(value: Any, expected: str) -> bool:
    actual = type_name(value)
    if expected == "number":
        return actual in ("integer", "number")
    if expected == "integer":
        # JSON has one number type; an integral float such as 3.0 decodes to an integer in Go.
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == expected


def _same_value(left: Any, right: Any) -> bool:
    # Python's True == 1; JSON enums must compare by type as well as value.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return bool(left == right)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def is_rfc3339(text: str) -> bool:
    """Return whether `text` is an RFC 3339 date-time."""
    match = _RFC3339.match(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        dt.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60


def is_date(text: str) -> bool:
    """Return whether `text` is an RFC 3339 full-date."""
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_base64(text: str) -> bool:
    """Return whether `text` is standard, padded base64."""
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


_FORMATS: Mapping[str, Callable[[str], bool]] = {
    "date-time": is_rfc3339,
    "date": is_date,
    "byte": is_base64,
    "uuid": lambda text: _UUID.match(text) is not None,
}


def _format_ok(fmt: str, value: str) -> bool:
    # kube knows more formats; the ones not listed here are accepted as plain strings.
    check = _FORMATS.get(fmt)
    return check is None or check(value)


class _Validator:
    """Collect every error of one value against one schema."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, reason: str, path: str, message: str) -> None:
        self.errors.append(FieldError(reason, path, message))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        where = path or "body"
        self.add(
            "FieldValueInvalid",
            path,
            f"Invalid value: {show(value)}: {where} in body {detail}",
        )

    def type_error(self, path: str, value: Any, expected: str) -> None:
        actual = type_name(value)
        where = path or "body"
        self.add(
            "FieldValueTypeInvalid",
            path,
            f'Invalid value: "{actual}": {where} in body must be of type {expected}: "{actual}"',
        )

    def check(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        if value is None:
            if not schema.get("nullable", False):
                expected = schema.get("type")
                if expected:
                    self.type_error(path, value, expected)
            return
        if schema.get("x-kubernetes-int-or-string"):
            if not (_is_type(value, "integer") or isinstance(value, str)):
                self.type_error(path, value, "int-or-string")
                return
        elif "type" in schema and not _is_type(value, schema["type"]):
            self.type_error(path, value, schema["type"])
            return
        self._check_enum(schema, value, path)
        if isinstance(value, str):
            self._check_string(schema, value, path)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._check_number(schema, value, path)
        elif isinstance(value, list):
            self._check_array(schema, value, path)
        elif isinstance(value, dict):
            self._check_object(schema, value, path)
        self._check_combinators(schema, value, path)

    def _check_enum(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        enum = schema.get("enum")
        if enum is None or any(_same_value(value, e) for e in enum):
            return
        supported = ", ".join(show(e) for e in enum)
        self.add(
            "FieldValueNotSupported",
            path,
            f"Unsupported value: {show(value)}: supported values: {supported}",
        )

    def _check_string(self, schema: Mapping[str, Any], value: str, path: str) -> None:
        max_length = schema.get("maxLength")
        if max_length is not None and len(value) > max_length:
            self.add("FieldValueTooLong", path, f"Too long: may not be longer than {max_length}")
        min_length = schema.get("minLength")
        if min_length is not None and len(value) < min_length:
            self.invalid(path, value, f"should be at least {min_length} chars long")
        pattern = schema.get("pattern")
        if pattern is not None:
            compiled = _compiled(pattern)
            if compiled is not None and compiled.search(value) is None:
                self.invalid(path, value, f"should match '{pattern}'")
        fmt = schema.get("format")
        if fmt and not _format_ok(fmt, value):
            self.add(
                "FieldValueInvalid",
                path,
                f"Invalid value: {show(value)}: {path or 'body'} in body must be of type "
                f"{fmt}: {show(value)}",
            )

    def _check_number(self, schema: Mapping[str, Any], value: float, path: str) -> None:
        minimum = schema.get("minimum")
        if minimum is not None:
            if schema.get("exclusiveMinimum") and value <= minimum:
                self.invalid(path, value, f"should be greater than {show(minimum)}")
            elif value < minimum:
                self.invalid(path, value, f"should be greater than or equal to {show(minimum)}")
        maximum = schema.get("maximum")
        if maximum is not None:
            if schema.get("exclusiveMaximum") and value >= maximum:
                self.invalid(path, value, f"should be less than {show(maximum)}")
            elif value > maximum:
                self.invalid(path, value, f"should be less than or equal to {show(maximum)}")
        multiple = schema.get("multipleOf")
        if multiple and (value / multiple) != int(value / multiple):
            self.invalid(path, value, f"should be a multiple of {show(multiple)}")

    def _check_array(self, schema: Mapping[str, Any], value: list[Any], path: str) -> None:
        self._check_size(schema, value, path, bounds=("maxItems", "minItems"), noun="items")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                self.check(items, item, f"{path}[{index}]")

    def _check_size(
        self,
        schema: Mapping[str, Any],
        value: list[Any] | dict[str, Any],
        path: str,
        *,
        bounds: tuple[str, str],
        noun: str,
    ) -> None:
        """maxItems/minItems or maxProperties/minProperties, worded as kube-apiserver words
        them (its "Too many" says items for both)."""
        most, least = (schema.get(bound) for bound in bounds)
        if most is not None and len(value) > most:
            self.add(
                "FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {most} items"
            )
        if least is not None and len(value) < least:
            self.invalid(path, value, f"should have at least {least} {noun}")

    def _check_object(self, schema: Mapping[str, Any], value: dict[str, Any], path: str) -> None:
        for name in schema.get("required", ()):
            if name not in value:
                self.add("FieldValueRequired", child_path(path, name), "Required value")
        bounds = ("maxProperties", "minProperties")
        self._check_size(schema, value, path, bounds=bounds, noun="properties")
        properties: Mapping[str, Any] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                self.check(properties[key], item, child_path(path, key))
            elif isinstance(additional, Mapping):
                self.check(additional, item, f"{path}[{key}]")

    def _check_combinators(self, schema: Mapping[str, Any], value: Any, path: str) -> None:
        for sub in schema.get("allOf", ()):
            self.check(sub, value, path)
        any_of = schema.get("anyOf")
        if any_of and not any(_passes(sub, value, path) for sub in any_of):
            self.add(
                "FieldValueInvalid",
                path,
                f"Invalid value: {show(value)}: {path or 'body'} in body must validate at "
                "least one schema (anyOf)",
            )
        one_of = schema.get("oneOf")
        if one_of and sum(_passes(sub, value, path) for sub in one_of) != 1:
            self.add(
                "FieldValueInvalid",
                path,
                f"Invalid value: {show(value)}: {path or 'body'} in body must validate one "
                "and only one schema (oneOf)",
            )
        negated = schema.get("not")
        if isinstance(negated, Mapping) and _passes(negated, value, path):
            self.add(
                "FieldValueInvalid",
                path,
                f"Invalid value: {show(value)}: {path or 'body'} in body must not validate "
                "the schema (not)",
            )


def _passes(schema: Mapping[str, Any], value: Any, path: str) -> bool:
    validator = _Validator()
    validator.check(schema, value, path)
    return not validator.errors


def validate(schema: Mapping[str, Any], value: Any) -> list[FieldError]:
    """Return every error of `value` against `schema`, ordered by field path."""
    validator = _Validator()
    if isinstance(value, dict) and value.get("metadata") is not None:
        # ObjectMeta is validated by the server's own rules, not by the CRD schema.
        value = {k: v for k, v in value.items() if k != "metadata"}
    validator.check(schema, value, "")
    return sorted(validator.errors, key=lambda e: e.field)


def _prunes_object(schema: Mapping[str, Any]) -> bool:
    return (
        schema.get("type") == "object"
        or "properties" in schema
        or "additionalProperties" in schema
        or bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    )


def _prune(schema: Mapping[str, Any], value: Any, *, root: bool) -> Any:
    if isinstance(value, dict) and _prunes_object(schema):
        properties: Mapping[str, Any] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        keep_unknown = additional is True or bool(
            schema.get("x-kubernetes-preserve-unknown-fields")
        )
        pruned: dict[str, Any] = {}
        for key, item in value.items():
            if root and key in ROOT_KEPT:
                pruned[key] = copy.deepcopy(item)
            elif key in properties:
                pruned[key] = _prune(properties[key], item, root=False)
            elif isinstance(additional, Mapping):
                pruned[key] = _prune(additional, item, root=False)
            elif keep_unknown:
                pruned[key] = copy.deepcopy(item)
            # Anything else is an unknown field: kube drops it silently.
        return pruned
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return [_prune(items, item, root=False) for item in value]
    return copy.deepcopy(value)


def prune(schema: Mapping[str, Any], value: Any) -> Any:
    """Return a copy of `value` with the fields `schema` does not specify removed."""
    return _prune(schema, value, root=True)
