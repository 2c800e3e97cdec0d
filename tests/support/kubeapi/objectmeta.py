"""Validate ObjectMeta names, labels and annotations with kube-apiserver's rules and wording."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .schema import FieldError

_SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_FMT = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_VALUE_FMT = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"

_SUBDOMAIN = re.compile(f"^{_SUBDOMAIN_FMT}$")
_LABEL = re.compile(f"^{_LABEL_FMT}$")
_QUALIFIED = re.compile(f"^{_QUALIFIED_FMT}$")
_VALUE = re.compile(f"^{_VALUE_FMT}$")

SUBDOMAIN_MAX = 253
LABEL_MAX = 63
ANNOTATIONS_MAX_BYTES = 256 * 1024

_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    f"for validation is '{_SUBDOMAIN_FMT}')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    f"used for validation is '{_LABEL_FMT}')"
)
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    f"validation is '{_QUALIFIED_FMT}')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    f"'my_value',  or '12345', regex used for validation is '{_VALUE_FMT}')"
)


def _too_long(limit: int) -> str:
    return f"must be no more than {limit} characters"


def subdomain_errors(value: str) -> list[str]:
    """Return why `value` is not a DNS-1123 subdomain (empty when it is one)."""
    errors = []
    if len(value) > SUBDOMAIN_MAX:
        errors.append(_too_long(SUBDOMAIN_MAX))
    if not _SUBDOMAIN.fullmatch(value):
        errors.append(_SUBDOMAIN_MSG)
    return errors


def dns_label_errors(value: str) -> list[str]:
    """Return why `value` is not a DNS-1123 label (empty when it is one)."""
    errors = []
    if len(value) > LABEL_MAX:
        errors.append(_too_long(LABEL_MAX))
    if not _LABEL.fullmatch(value):
        errors.append(_LABEL_MSG)
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """Return why `value` is not a qualified name such as `example.com/MyName`."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        prefix_errors: list[str] = []
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            prefix_errors = ["prefix part must be non-empty"]
        else:
            prefix_errors = [f"prefix part {m}" for m in subdomain_errors(prefix)]
    else:
        return [
            f"a qualified name {_QUALIFIED_MSG} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors = prefix_errors
    if not name:
        errors.append("name part must be non-empty")
        return errors
    if len(name) > LABEL_MAX:
        errors.append(f"name part {_too_long(LABEL_MAX)}")
    if not _QUALIFIED.fullmatch(name):
        errors.append(f"name part {_QUALIFIED_MSG}")
    return errors


def label_value_errors(value: str) -> list[str]:
    """Return why `value` is not a valid label value."""
    errors = []
    if len(value) > LABEL_MAX:
        errors.append(_too_long(LABEL_MAX))
    if not _VALUE.fullmatch(value):
        errors.append(_VALUE_MSG)
    return errors


def _invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", field, f"Invalid value: {json.dumps(value)}: {detail}")


def name_errors(metadata: Mapping[str, Any], *, dns_label: bool = False) -> list[FieldError]:
    """Return the errors of metadata.name (a subdomain, or a label for namespaces)."""
    name = metadata.get("name")
    if not name:
        return [
            FieldError(
                "FieldValueRequired",
                "metadata.name",
                "Required value: name or generateName is required",
            )
        ]
    check = dns_label_errors if dns_label else subdomain_errors
    return [_invalid("metadata.name", name, m) for m in check(name)]


def label_errors(labels: Mapping[str, str]) -> list[FieldError]:
    """Return the errors of metadata.labels keys and values."""
    errors = []
    for key, value in labels.items():
        errors += [_invalid("metadata.labels", key, m) for m in qualified_name_errors(key)]
        errors += [_invalid("metadata.labels", value, m) for m in label_value_errors(value)]
    return errors


def annotation_errors(annotations: Mapping[str, str]) -> list[FieldError]:
    """Return the errors of metadata.annotations keys and total size."""
    errors = []
    size = 0
    for key, value in annotations.items():
        # kube lower-cases annotation keys before checking them.
        errors += [
            _invalid("metadata.annotations", key, m) for m in qualified_name_errors(key.lower())
        ]
        size += len(key.encode()) + len(value.encode())
    if size > ANNOTATIONS_MAX_BYTES:
        errors.append(
            FieldError(
                "FieldValueTooLong",
                "metadata.annotations",
                f"Too long: must have at most {ANNOTATIONS_MAX_BYTES} bytes",
            )
        )
    return errors


def string_map(metadata: Mapping[str, Any], key: str) -> dict[str, str] | None:
    """Return metadata[key] when it is a map of strings (or absent), else None."""
    value = metadata.get(key)
    if value is None:
        return {}
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    return None
