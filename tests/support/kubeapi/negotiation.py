"""Decide from the Accept header whether a client wants a Table, as kube-apiserver does.

kubectl asks `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;
g=meta.k8s.io,application/json`; the first clause the server can serve wins. A clause without
`as=` is the object itself: every other client (the Python client sends `application/json`)
gets what it always got.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .status import ApiError, bad_request

GROUP = "meta.k8s.io"
_VERSIONS = frozenset({"v1", "v1beta1"})
_INCLUDE = ("", "None", "Metadata", "Object")
_JSON = ("application/json", "application/*", "*/*")
# What kube-apiserver answers when no clause of Accept can be served for a custom resource.
_NOT_ACCEPTABLE = "only the following media types are accepted: application/json, application/yaml"


@dataclass(frozen=True)
class TableRequest:
    """A Table asked for: its meta.k8s.io version and what each row carries as `object`."""

    version: str
    include_object: str


def _clauses(accept: str) -> list[tuple[str, dict[str, str]]]:
    """Split Accept into (media type, parameters), best first by q as goautoneg sorts them."""
    clauses = []
    for raw in accept.split(","):
        media, *parameters = (part.strip() for part in raw.split(";"))
        pairs = dict(p.split("=", 1) for p in parameters if "=" in p)
        clauses.append((-_quality(pairs.pop("q", "1")), media.lower(), pairs))
    clauses.sort(key=lambda clause: clause[0])
    return [(media, pairs) for _, media, pairs in clauses if media]


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def negotiate(accept: str, params: Mapping[str, str]) -> TableRequest | None:
    """Return the Table the client asked for, or None for the plain object; 406 or 400 else."""
    if not accept.strip():
        return None
    for media, pairs in _clauses(accept):
        if "as" not in pairs:
            return None
        table = pairs["as"] == "Table" and pairs.get("g") == GROUP
        if table and pairs.get("v") in _VERSIONS and media in _JSON:
            return TableRequest(pairs["v"], _include_object(params))
    raise ApiError(406, _NOT_ACCEPTABLE)


def _include_object(params: Mapping[str, str]) -> str:
    include = params.get("includeObject", "")
    if include not in _INCLUDE:
        raise bad_request(
            f"Unable to convert to Table as requested: includeObject: Invalid value: "
            f"\"{include}\": must be 'Metadata', 'Object', 'None', or empty"
        )
    return include
