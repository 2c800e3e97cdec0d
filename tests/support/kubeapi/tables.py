"""Render custom objects as server-side Tables (meta.k8s.io), as kube-apiserver does for CRDs.

The columns come from the CRD's additionalPrinterColumns, after `Name`; see negotiation.py for
when a client gets a Table instead of the objects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .crd import PrinterColumn
from .jsonpath import as_text
from .negotiation import GROUP, TableRequest

_NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace. Is required when creating resources, "
    "although some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "priority": 0,
}
# Go's time.RFC3339 layout, which also takes fractions of a second (up to nanoseconds).
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def column_definitions(columns: Sequence[PrinterColumn]) -> list[dict[str, Any]]:
    """Return the Table's columnDefinitions: Name, then the CRD's columns."""
    return [dict(_NAME_COLUMN)] + [
        {
            "name": column.name,
            "type": column.type,
            "format": column.format,
            "description": column.description
            or f"Custom resource definition column (in JSONPath format): {column.path.text}",
            "priority": column.priority,
        }
        for column in columns
    ]


def table(
    objects: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[PrinterColumn],
    request: TableRequest,
    metadata: Mapping[str, Any],
    headers: bool = True,
) -> dict[str, Any]:
    """Return a Table of `objects`, one row each, with the list metadata given."""
    now = dt.datetime.now(dt.UTC)
    return {
        "kind": "Table",
        "apiVersion": f"{GROUP}/{request.version}",
        "metadata": dict(metadata),
        "columnDefinitions": column_definitions(columns) if headers else None,
        "rows": [
            {"cells": cells(obj, columns, now=now), "object": _row_object(obj, request)}
            for obj in objects
        ],
    }


def watch_tables(
    events: Iterable[dict[str, Any]], *, columns: Sequence[PrinterColumn], request: TableRequest
) -> Iterator[dict[str, Any]]:
    """Turn watch events into one-row Tables; only the first carries the column definitions."""
    headers = True
    for event in events:
        obj = event["object"]
        if event["type"] == "ERROR":
            yield event
            continue
        metadata = {"resourceVersion": obj["metadata"]["resourceVersion"]}
        one = table([obj], columns=columns, request=request, metadata=metadata, headers=headers)
        headers = False
        yield {"type": event["type"], "object": one}


def _row_object(obj: Mapping[str, Any], request: TableRequest) -> Any:
    if request.include_object == "Object":
        return obj
    if request.include_object == "None":
        return None
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"{GROUP}/{request.version}",
        "metadata": obj["metadata"],
    }


def cells(
    obj: Mapping[str, Any], columns: Sequence[PrinterColumn], *, now: dt.datetime
) -> list[Any]:
    """Return a row's cells: the name, then each column's value, None where its path finds none."""
    row: list[Any] = [obj["metadata"]["name"]]
    for column in columns:
        found = column.path.find(obj)
        if not found or found[0] is None:
            row.append(None)
        elif column.type == "string":
            row.append(as_text(found[0]))
        else:
            row.append(_typed(column.type, found[0], now=now))
    return row


def _typed(kind: str, value: Any, *, now: dt.datetime) -> Any:
    """Convert a value to its column's type; None when it is not of that type."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer" and number:
        return int(value)
    if kind == "number" and number:
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        moment = _parse_time(value)
        return "<invalid>" if moment is None else human_duration((now - moment).total_seconds())
    return None


def _parse_time(text: str) -> dt.datetime | None:
    """Parse an RFC 3339 timestamp as metav1.Time does; None when it is not one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = dt.datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    return moment + dt.timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))


def human_duration(seconds: float) -> str:
    """Format an age the way kube does (apimachinery's duration.HumanDuration)."""
    whole = int(seconds)
    if whole < 0:
        # Up to a second in the future is clock skew: "now".
        return "<invalid>" if whole < -1 else "0s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    choices = (
        (whole < 120, f"{whole}s"),
        (minutes < 10, _two(minutes, "m", whole % 60, "s")),
        (minutes < 180, f"{minutes}m"),
        (hours < 8, _two(hours, "h", minutes % 60, "m")),
        (hours < 48, f"{hours}h"),
        (hours < 24 * 8, _two(days, "d", hours % 24, "h")),
        (hours < 24 * 365 * 2, f"{days}d"),
        (hours < 24 * 365 * 8, _two(days // 365, "y", days % 365, "d")),
    )
    return next((text for applies, text in choices if applies), f"{days // 365}y")


def _two(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"
