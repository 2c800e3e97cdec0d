"""Apply JSON merge patches (RFC 7386) and JSON patches (RFC 6902)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


class PatchError(ValueError):
    """A patch that cannot be applied to the document."""


def merge_patch(target: Any, patch: Any) -> Any:
    """Return `target` with the RFC 7386 merge `patch` applied (inputs are not modified)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result: dict[str, Any] = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"invalid JSON pointer {pointer!r}: must start with '/'")
    return [_unescape(t) for t in pointer[1:].split("/")]


def _index(container: list[Any], segment: str, *, for_insert: bool) -> int:
    if segment == "-" and for_insert:
        return len(container)
    if not segment.isdigit() or (len(segment) > 1 and segment.startswith("0")):
        raise PatchError(f"invalid array index {segment!r}")
    index = int(segment)
    limit = len(container) if for_insert else len(container) - 1
    if index > limit:
        raise PatchError(f"array index {index} out of bounds")
    return index


def _parent(document: Any, segments: list[str]) -> Any:
    node = document
    for segment in segments[:-1]:
        if isinstance(node, dict):
            if segment not in node:
                raise PatchError(f"path segment {segment!r} does not exist")
            node = node[segment]
        elif isinstance(node, list):
            node = node[_index(node, segment, for_insert=False)]
        else:
            raise PatchError(f"cannot traverse into a scalar at {segment!r}")
    return node


def _get(document: Any, pointer: str) -> Any:
    segments = _split(pointer)
    if not segments:
        return document
    parent = _parent(document, segments)
    last = segments[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path {pointer!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, for_insert=False)]
    raise PatchError(f"path {pointer!r} does not exist")


def _add(document: Any, pointer: str, value: Any) -> Any:
    segments = _split(pointer)
    if not segments:
        return value
    parent = _parent(document, segments)
    last = segments[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, for_insert=True), value)
    else:
        raise PatchError(f"cannot add at {pointer!r}")
    return document


def _remove(document: Any, pointer: str) -> Any:
    segments = _split(pointer)
    if not segments:
        raise PatchError("cannot remove the whole document")
    parent = _parent(document, segments)
    last = segments[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"unable to remove nonexistent key {last!r}")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(parent, last, for_insert=False)]
    else:
        raise PatchError(f"cannot remove at {pointer!r}")
    return document


def _operation(document: Any, op: Mapping[str, Any]) -> Any:
    kind = op.get("op")
    path = op.get("path")
    if not isinstance(path, str):
        raise PatchError(f"operation {kind!r} lacks a string 'path'")
    if kind in ("add", "replace", "test") and "value" not in op:
        raise PatchError(f"operation {kind!r} lacks 'value'")
    if kind == "add":
        return _add(document, path, copy.deepcopy(op["value"]))
    if kind == "remove":
        return _remove(document, path)
    if kind == "replace":
        _get(document, path)  # replace requires the target to exist
        return _add(_remove(document, path), path, copy.deepcopy(op["value"]))
    if kind == "test":
        if _get(document, path) != op["value"]:
            raise PatchError(f"testing value {path} failed")
        return document
    if kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise PatchError(f"operation {kind!r} lacks a string 'from'")
        value = copy.deepcopy(_get(document, source))
        if kind == "move":
            document = _remove(document, source)
        return _add(document, path, value)
    raise PatchError(f"unexpected operation {kind!r}")


def json_patch(document: Any, operations: Sequence[Any]) -> Any:
    """Return `document` with the RFC 6902 `operations` applied (the input is not modified)."""
    result = copy.deepcopy(document)
    for op in operations:
        if not isinstance(op, Mapping):
            raise PatchError("each JSON patch operation must be an object")
        result = _operation(result, op)
    return result
