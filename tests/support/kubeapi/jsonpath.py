"""Evaluate the simple JSONPaths of CRD printer columns, as client-go's jsonpath does for them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# One step: `.field`, `[3]`, `['key']` or `["key"]`. kube accepts more (filters, wildcards),
# which no CRD served here uses; they are refused when the CRD is loaded, not misread later.
_STEP = re.compile(r"\.([^.\[\]'\"]+)|\[(-?\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


@dataclass(frozen=True)
class JsonPath:
    """A compiled path: the keys (str) and list indices (int) to follow from the object."""

    text: str
    steps: tuple[str | int, ...]

    def find(self, document: Any) -> list[Any]:
        """Return [value] at the path, or [] when any step is missing (AllowMissingKeys)."""
        current = document
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(current, list) or not -len(current) <= step < len(current):
                    return []
            elif not isinstance(current, dict) or step not in current:
                return []
            current = current[step]
        return [current]


def compile_path(text: str) -> JsonPath:
    """Parse a printer column's jsonPath; ValueError when it is not a simple path."""
    if not text.startswith("."):
        raise ValueError(f"jsonPath {text!r} must be a simple json path starting with .")
    steps: list[str | int] = []
    position = 0 if text != "." else 1
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise ValueError(f"jsonPath {text!r}: only .field, [index] and ['key'] are served")
        field, index, single, double = match.groups()
        steps.append(int(index) if index is not None else _first(field, single, double))
        position = match.end()
    return JsonPath(text, tuple(steps))


def _first(*candidates: str | None) -> str:
    return next(c for c in candidates if c is not None)


def as_text(value: Any) -> str:
    """Print a found value as jsonpath prints it: strings raw, maps and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return json.dumps(value)
