"""Load CustomResourceDefinitions from YAML files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .jsonpath import JsonPath, compile_path

# What kube-apiserver serves for a version without additionalPrinterColumns (ObjectMeta's doc).
AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


@dataclass(frozen=True)
class PrinterColumn:
    """One additionalPrinterColumns entry: a column of `kubectl get`."""

    name: str
    type: str
    path: JsonPath
    format: str = ""
    description: str = ""
    priority: int = 0


AGE_COLUMN = PrinterColumn(
    "Age", "date", compile_path(".metadata.creationTimestamp"), description=AGE_DESCRIPTION
)


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a custom resource."""

    name: str
    schema: Mapping[str, Any]
    status_subresource: bool
    storage: bool
    columns: tuple[PrinterColumn, ...] = (AGE_COLUMN,)


@dataclass(frozen=True)
class CustomResource:
    """The parts of a CRD the server needs to serve it."""

    group: str
    plural: str
    singular: str
    kind: str
    list_kind: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    namespaced: bool
    versions: tuple[CrdVersion, ...]

    @property
    def qualified(self) -> str:
        """Return `plural.group`, the name kube uses in error messages."""
        return f"{self.plural}.{self.group}"

    def api_version(self, version: str) -> str:
        """Return the apiVersion of its objects in `version`: `group/version`, or `version`
        alone in the core group."""
        return f"{self.group}/{version}" if self.group else version

    def version(self, name: str) -> CrdVersion | None:
        """Return the served version called `name`, if any."""
        return next((v for v in self.versions if v.name == name), None)

    @property
    def preferred(self) -> CrdVersion:
        """Return the storage version, which discovery advertises as preferred."""
        return next((v for v in self.versions if v.storage), self.versions[0])


def _columns(entry: Mapping[str, Any], source: Path) -> tuple[PrinterColumn, ...]:
    """Return a version's printer columns; only Age when it declares none, as kube does."""
    columns = []
    for column in entry.get("additionalPrinterColumns") or ():
        try:
            path = compile_path(column["jsonPath"])
            columns.append(
                PrinterColumn(
                    name=column["name"],
                    type=column["type"],
                    path=path,
                    format=column.get("format", ""),
                    description=column.get("description", ""),
                    priority=int(column.get("priority", 0)),
                )
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{source}: printer column {column!r}: {exc}") from exc
    return tuple(columns) or (AGE_COLUMN,)


def _parse(document: Mapping[str, Any], source: Path) -> CustomResource:
    spec = document.get("spec") or {}
    names = spec.get("names") or {}
    try:
        group, plural, kind = spec["group"], names["plural"], names["kind"]
    except KeyError as exc:
        raise ValueError(f"{source}: CRD lacks spec.group, names.plural or names.kind") from exc
    versions = []
    for entry in spec.get("versions") or ():
        if not entry.get("served", True):
            continue
        schema = ((entry.get("schema") or {}).get("openAPIV3Schema")) or {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
        }
        subresources = entry.get("subresources") or {}
        versions.append(
            CrdVersion(
                name=entry["name"],
                schema=schema,
                status_subresource="status" in subresources,
                storage=bool(entry.get("storage", False)),
                columns=_columns(entry, source),
            )
        )
    if not versions:
        raise ValueError(f"{source}: CRD {plural}.{group} serves no version")
    return CustomResource(
        group=group,
        plural=plural,
        singular=names.get("singular") or kind.lower(),
        kind=kind,
        list_kind=names.get("listKind") or f"{kind}List",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        versions=tuple(versions),
    )


def load_crds(paths: Sequence[Path]) -> list[CustomResource]:
    """Return every CRD found in the YAML files at `paths` (multi-document files allowed)."""
    resources: list[CustomResource] = []
    seen: set[str] = set()
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            documents = list(yaml.safe_load_all(handle))
        for document in documents:
            if not isinstance(document, Mapping):
                continue
            if document.get("kind") != "CustomResourceDefinition":
                continue
            resource = _parse(document, Path(path))
            # Objects are addressed by plural alone in the Python API, so plurals must be unique.
            if resource.plural in seen or resource.plural == "namespaces":
                raise ValueError(f"{path}: duplicate resource plural {resource.plural!r}")
            seen.add(resource.plural)
            resources.append(resource)
    return resources
