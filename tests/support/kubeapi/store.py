"""Hold namespaces and custom objects and apply kube-apiserver's write semantics to them."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .crd import CrdVersion, CustomResource
from .model import TokenIdentity
from .objectmeta import annotation_errors, label_errors, name_errors, string_map
from .patches import PatchError, json_patch, merge_patch
from .schema import FieldError, prune, validate
from .selectors import FieldSelector, LabelSelector
from .status import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
)

NAMESPACES = "namespaces"
# A fresh kube cluster always has these; clients default to "default".
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

# ObjectMeta fields a client may set; kube owns all the others.
_USER_METADATA = (
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
)
_GENERATED_SUFFIX = string.ascii_lowercase + string.digits
MERGE_PATCH = "merge"
JSON_PATCH = "json"
_STALE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def now_rfc3339() -> str:
    """Return the current UTC time as kube writes timestamps (seconds, `Z`)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Entry:
    seq: int
    obj: dict[str, Any]


@dataclass(frozen=True)
class _Event:
    """One change of a custom object, for watches. `obj` is never mutated once committed."""

    rv: int
    plural: str
    namespace: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: dict[str, Any]


# Changes kept for watches; a watch from an older resourceVersion gets 410 Gone (relist).
MAX_EVENTS = 10_000
# How often a waiting watch looks at its deadline and at the server stopping.
_WATCH_TICK = 0.5


@dataclass(frozen=True)
class ListOptions:
    """The query parameters of a list request."""

    labels: LabelSelector
    fields: FieldSelector
    limit: int
    after: tuple[str, str] | None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListOptions:
        """Parse labelSelector, fieldSelector, limit and continue; 400 when malformed."""
        try:
            limit = int(query.get("limit") or 0)
        except ValueError as exc:
            raise bad_request(f"invalid limit: {query.get('limit')!r}") from exc
        return cls(
            labels=LabelSelector.parse(query.get("labelSelector")),
            fields=FieldSelector.parse(query.get("fieldSelector")),
            limit=max(limit, 0),
            after=_decode_continue(query.get("continue")),
        )


def _decode_continue(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        namespace, name = json.loads(base64.urlsafe_b64decode(padded))
        return str(namespace), str(name)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from exc


def _encode_continue(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _compact(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))[:200]


def _check_type(body: Any, api_version: str, kind: str, *, strict: bool) -> dict[str, Any]:
    """Return `body` as an object of the expected apiVersion/kind, or raise 400."""
    if not isinstance(body, dict):
        raise bad_request(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml"
        )
    got_kind, got_version = body.get("kind"), body.get("apiVersion")
    # Custom resources must name their kind; built-in types default it from the URL.
    if strict and not got_kind:
        raise bad_request(f"Object 'Kind' is missing in '{_compact(body)}'")
    if strict and not got_version:
        raise bad_request(f"Object 'apiVersion' is missing in '{_compact(body)}'")
    if got_version and got_version != api_version:
        raise bad_request(
            f"the API version in the data ({got_version}) does not match the expected API "
            f"version ({api_version})"
        )
    if got_kind and got_kind != kind:
        raise bad_request(
            f"the kind in the data ({got_kind}) does not match the expected kind ({kind})"
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise bad_request("metadata must be an object")
    return body


def _meta_errors(metadata: Mapping[str, Any], *, dns_label: bool = False) -> list[FieldError]:
    labels = string_map(metadata, "labels")
    annotations = string_map(metadata, "annotations")
    if labels is None or annotations is None:
        raise bad_request("metadata.labels and metadata.annotations must be maps of strings")
    return (
        name_errors(metadata, dns_label=dns_label)
        + label_errors(labels)
        + annotation_errors(annotations)
    )


def _user_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: copy.deepcopy(metadata[k]) for k in _USER_METADATA if k in metadata}
    # kube omits empty maps and lists from ObjectMeta (omitempty).
    return {k: v for k, v in kept.items() if v not in ({}, [], None, "")}


def _body_of(obj: Mapping[str, Any], *, with_status: bool) -> dict[str, Any]:
    skipped = {"apiVersion", "kind", "metadata"} | (set() if with_status else {"status"})
    return {k: v for k, v in obj.items() if k not in skipped}


class Store:
    """Namespaces, custom objects and the token table, behind one lock."""

    def __init__(self, resources: Sequence[CustomResource]) -> None:
        self._lock = threading.RLock()
        self.resources: dict[str, CustomResource] = {r.plural: r for r in resources}
        self._rv = 0
        self._seq = 0
        self._namespaces: dict[str, _Entry] = {}
        self._objects: dict[str, dict[tuple[str, str], _Entry]] = {}
        self._tokens: dict[str, TokenIdentity] = {}
        self._changed = threading.Condition(self._lock)
        self._events: deque[_Event] = deque()
        self._horizon = 0  # changes up to this resourceVersion are forgotten
        self.reset()

    def reset(self) -> None:
        """Return to a fresh cluster: only the default namespaces, no objects, no tokens."""
        with self._lock:
            self._namespaces = {}
            self._objects = {plural: {} for plural in self.resources}
            self._tokens = {}
            for name in DEFAULT_NAMESPACES:
                self.add_namespace(name)
            # Watches from before the reset cannot follow it: they get 410 Gone and relist.
            self._events.clear()
            self._horizon = self._rv
            self._changed.notify_all()

    # --- bookkeeping -----------------------------------------------------------------------

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _emit(self, plural: str, kind: str, obj: dict[str, Any]) -> None:
        """Record a change (under the lock) and wake the watches."""
        rv = int(obj["metadata"]["resourceVersion"])
        namespace = obj["metadata"].get("namespace", "")
        self._events.append(_Event(rv, plural, namespace, kind, obj))
        if len(self._events) > MAX_EVENTS:
            self._horizon = self._events.popleft().rv
        self._changed.notify_all()

    def _system_metadata(self) -> dict[str, Any]:
        return {
            "uid": str(uuid.uuid4()),
            "resourceVersion": self._next_rv(),
            "creationTimestamp": now_rfc3339(),
        }

    def _table(self, plural: str) -> dict[tuple[str, str], _Entry]:
        if plural not in self._objects:
            raise KeyError(f"unknown resource {plural!r}; known: {sorted(self.resources)}")
        return self._objects[plural]

    # --- tokens ----------------------------------------------------------------------------

    def add_token(self, token: str, identity: TokenIdentity) -> None:
        """Make `token` authenticate as `identity` in TokenReviews."""
        with self._lock:
            self._tokens[token] = identity

    def tokens(self) -> dict[str, TokenIdentity]:
        """Return a snapshot of the token table."""
        with self._lock:
            return dict(self._tokens)

    # --- namespaces ------------------------------------------------------------------------

    def add_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Create namespace `name`, or replace its labels when it exists."""
        wanted = dict(labels or {})
        metadata: dict[str, Any] = {"name": name, "labels": wanted}
        errors = _meta_errors(metadata, dns_label=True)
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
        with self._lock:
            existing = self._namespaces.get(name)
            if existing is not None:
                existing.obj["metadata"]["labels"] = {**wanted, NAMESPACE_NAME_LABEL: name}
                existing.obj["metadata"]["resourceVersion"] = self._next_rv()
                return copy.deepcopy(existing.obj)
            return self._put_namespace(metadata)

    def _put_namespace(self, metadata: dict[str, Any]) -> dict[str, Any]:
        name = metadata["name"]
        meta = _user_metadata(metadata)
        meta.pop("namespace", None)
        meta["labels"] = {**meta.get("labels", {}), NAMESPACE_NAME_LABEL: name}
        meta.update(self._system_metadata())
        obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        self._namespaces[name] = _Entry(self._next_seq(), obj)
        return copy.deepcopy(obj)

    def create_namespace(self, body: Any) -> dict[str, Any]:
        """Create a namespace from a POST body."""
        body = _check_type(body, "v1", "Namespace", strict=False)
        metadata = dict(body.get("metadata") or {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = self._generated_name(metadata["generateName"])
        errors = _meta_errors(metadata, dns_label=True)
        if errors:
            raise invalid("Namespace", "", str(metadata.get("name", "")), _causes(errors))
        with self._lock:
            if metadata["name"] in self._namespaces:
                raise already_exists(NAMESPACES, "", metadata["name"])
            return self._put_namespace(metadata)

    def get_namespace(self, name: str) -> dict[str, Any]:
        """Return namespace `name`, or raise 404."""
        with self._lock:
            entry = self._namespaces.get(name)
            if entry is None:
                raise not_found(NAMESPACES, "", name)
            return copy.deepcopy(entry.obj)

    def list_namespaces(self, options: ListOptions) -> dict[str, Any]:
        """Return a NamespaceList."""
        with self._lock:
            entries = {("", name): e for name, e in self._namespaces.items()}
            return self._page(entries, options, "v1", "NamespaceList")

    def delete_namespace(self, name: str) -> dict[str, Any]:
        """Delete namespace `name` and everything in it; return it as Terminating."""
        with self._lock:
            entry = self._namespaces.pop(name, None)
            if entry is None:
                raise not_found(NAMESPACES, "", name)
            for plural, table in self._objects.items():
                for key in [k for k in table if k[0] == name]:
                    gone = copy.deepcopy(table.pop(key).obj)
                    gone["metadata"]["resourceVersion"] = self._next_rv()
                    self._emit(plural, "DELETED", gone)
            obj = copy.deepcopy(entry.obj)
            obj["metadata"]["deletionTimestamp"] = now_rfc3339()
            obj["metadata"]["resourceVersion"] = self._next_rv()
            obj["status"] = {"phase": "Terminating"}
            return obj

    # --- custom objects --------------------------------------------------------------------

    def _generated_name(self, prefix: str) -> str:
        # kube trims the prefix so that the generated name stays within 63 characters.
        suffix = "".join(secrets.choice(_GENERATED_SUFFIX) for _ in range(5))
        return prefix[:58] + suffix

    def _entry(self, res: CustomResource, namespace: str, name: str) -> _Entry:
        entry = self._table(res.plural).get((namespace, name))
        if entry is None:
            raise not_found(res.plural, res.group, name)
        return entry

    @staticmethod
    def _out(obj: Mapping[str, Any], api_version: str) -> dict[str, Any]:
        out = copy.deepcopy(dict(obj))
        out["apiVersion"] = api_version
        return out

    def _check_namespace(
        self, res: CustomResource, body: Mapping[str, Any], namespace: str
    ) -> None:
        given = (body.get("metadata") or {}).get("namespace")
        if res.namespaced and given not in (None, "", namespace):
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )

    def _validate(self, res: CustomResource, ver: CrdVersion, obj: Mapping[str, Any]) -> None:
        errors = _meta_errors(obj["metadata"]) + validate(ver.schema, obj)
        if errors:
            name = str(obj["metadata"].get("name") or "")
            raise invalid(res.kind, res.group, name, _causes(errors))

    def create(
        self, res: CustomResource, ver: CrdVersion, namespace: str, body: Any
    ) -> dict[str, Any]:
        """Create a custom object from a POST body; return it."""
        api_version = res.api_version(ver.name)
        body = _check_type(body, api_version, res.kind, strict=True)
        self._check_namespace(res, body, namespace)
        metadata = body.get("metadata") or {}
        if metadata.get("resourceVersion"):
            raise bad_request("resourceVersion should not be set on objects to be created")
        obj: dict[str, Any] = prune(ver.schema, body)
        meta = _user_metadata(metadata)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generated_name(meta["generateName"])
        obj["metadata"] = meta
        if ver.status_subresource:
            # With a status subresource, kube ignores status on create.
            obj.pop("status", None)
        self._validate(res, ver, obj)
        with self._lock:
            if res.namespaced and namespace not in self._namespaces:
                raise not_found(NAMESPACES, "", namespace)
            table = self._table(res.plural)
            key = (namespace if res.namespaced else "", meta["name"])
            if key in table:
                raise already_exists(res.plural, res.group, meta["name"])
            if res.namespaced:
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
            meta.update(self._system_metadata())
            meta["generation"] = 1
            table[key] = _Entry(self._next_seq(), obj)
            self._emit(res.plural, "ADDED", obj)
            return self._out(obj, api_version)

    def get(
        self, res: CustomResource, ver: CrdVersion, namespace: str, name: str
    ) -> dict[str, Any]:
        """Return one custom object, or raise 404."""
        with self._lock:
            return self._out(self._entry(res, namespace, name).obj, res.api_version(ver.name))

    def list_objects(
        self, res: CustomResource, ver: CrdVersion, namespace: str | None, options: ListOptions
    ) -> dict[str, Any]:
        """Return a list of custom objects, in one namespace or across all of them."""
        with self._lock:
            table = self._table(res.plural)
            entries = {k: e for k, e in table.items() if namespace is None or k[0] == namespace}
            return self._page(entries, options, res.api_version(ver.name), res.list_kind)

    def _page(
        self,
        entries: Mapping[tuple[str, str], _Entry],
        options: ListOptions,
        api_version: str,
        list_kind: str,
    ) -> dict[str, Any]:
        # etcd returns keys in order, so kube lists are sorted by namespace then name.
        keys = sorted(
            k
            for k, e in entries.items()
            if options.labels.matches(e.obj["metadata"].get("labels"))
            and options.fields.matches(e.obj)
            and (options.after is None or k > options.after)
        )
        metadata: dict[str, Any] = {"resourceVersion": str(self._rv)}
        if options.limit and len(keys) > options.limit:
            remaining = len(keys) - options.limit
            keys = keys[: options.limit]
            metadata["continue"] = _encode_continue(keys[-1])
            metadata["remainingItemCount"] = remaining
        return {
            "apiVersion": api_version,
            "kind": list_kind,
            "metadata": metadata,
            "items": [self._out(entries[k].obj, api_version) for k in keys],
        }

    def update(
        self,
        res: CustomResource,
        ver: CrdVersion,
        namespace: str,
        name: str,
        body: Any,
        *,
        status: bool,
    ) -> dict[str, Any]:
        """Replace an object (PUT), or only its status when `status` is set."""
        api_version = res.api_version(ver.name)
        body = _check_type(body, api_version, res.kind, strict=True)
        self._check_name(res, body, namespace, name)
        with self._lock:
            entry = self._entry(res, namespace, name)
            return self._commit(res, ver, entry, prune(ver.schema, body), status=status)

    def patch(
        self,
        res: CustomResource,
        ver: CrdVersion,
        namespace: str,
        name: str,
        *,
        patch_type: str,
        patch: Any,
        status: bool,
    ) -> dict[str, Any]:
        """Apply a merge patch or JSON patch to an object, or only to its status."""
        api_version = res.api_version(ver.name)
        if patch_type == JSON_PATCH and not isinstance(patch, list):
            raise bad_request("a JSON patch must be a list of operations")
        if patch_type == MERGE_PATCH and not isinstance(patch, dict):
            raise bad_request("a merge patch must be a JSON object")
        with self._lock:
            entry = self._entry(res, namespace, name)
            current = self._out(entry.obj, api_version)
            try:
                if patch_type == JSON_PATCH:
                    patched = json_patch(current, patch)
                else:
                    patched = merge_patch(current, patch)
            except PatchError as exc:
                raise ApiError(
                    422, f"the server rejected our request due to an error in our request: {exc}"
                ) from exc
            patched = _check_type(patched, api_version, res.kind, strict=True)
            self._check_name(res, patched, namespace, name)
            return self._commit(res, ver, entry, prune(ver.schema, patched), status=status)

    def _check_name(
        self, res: CustomResource, body: Mapping[str, Any], namespace: str, name: str
    ) -> None:
        given = (body.get("metadata") or {}).get("name")
        if given != name:
            raise bad_request(
                f"the name of the object ({given}) does not match the name on the URL ({name})"
            )
        self._check_namespace(res, body, namespace)

    def _commit(
        self,
        res: CustomResource,
        ver: CrdVersion,
        entry: _Entry,
        incoming: dict[str, Any],
        *,
        status: bool,
    ) -> dict[str, Any]:
        old = entry.obj
        old_meta = old["metadata"]
        wanted_rv = (incoming.get("metadata") or {}).get("resourceVersion")
        if wanted_rv and wanted_rv != old_meta["resourceVersion"]:
            raise conflict(res.plural, res.group, old_meta["name"], _STALE)
        if status:
            # The status subresource changes .status and nothing else.
            new = copy.deepcopy(old)
            new.pop("status", None)
            if "status" in incoming:
                new["status"] = incoming["status"]
        else:
            new = {k: v for k, v in incoming.items() if k != "metadata"}
            meta = _user_metadata(incoming.get("metadata") or {})
            for key in ("name", "namespace", "generateName"):
                meta.pop(key, None)
            new["metadata"] = {**_system_part(old_meta), **meta}
            if ver.status_subresource:
                # The main resource cannot change .status when the subresource exists.
                new.pop("status", None)
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
        new["apiVersion"] = res.api_version(ver.name)
        new["kind"] = res.kind
        self._validate(res, ver, new)
        if _without_version(new) == _without_version(old):
            # kube does not write (nor bump resourceVersion) when nothing changed.
            return self._out(old, new["apiVersion"])
        with_status = not ver.status_subresource
        if _body_of(new, with_status=with_status) != _body_of(old, with_status=with_status):
            new["metadata"]["generation"] = int(old_meta.get("generation", 1)) + 1
        new["metadata"]["resourceVersion"] = self._next_rv()
        entry.obj = new
        self._emit(res.plural, "MODIFIED", new)
        return self._out(new, new["apiVersion"])

    def delete(
        self,
        res: CustomResource,
        ver: CrdVersion,
        namespace: str,
        name: str,
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Delete an object, honouring DeleteOptions preconditions; return the object."""
        preconditions = options.get("preconditions") or {}
        with self._lock:
            entry = self._entry(res, namespace, name)
            meta = entry.obj["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = preconditions.get(field)
                if wanted and wanted != meta[field]:
                    raise conflict(
                        res.plural,
                        res.group,
                        name,
                        f"Precondition failed: {label} in precondition: {wanted}, "
                        f"{label} in object meta: {meta[field]}",
                    )
            del self._table(res.plural)[(namespace, name)]
            gone = copy.deepcopy(entry.obj)
            gone["metadata"]["resourceVersion"] = self._next_rv()
            self._emit(res.plural, "DELETED", gone)
            return self._out(entry.obj, res.api_version(ver.name))

    def watch(
        self,
        res: CustomResource,
        ver: CrdVersion,
        namespace: str | None,
        options: ListOptions,
        *,
        resource_version: str,
        timeout: float,
        stopping: threading.Event,
    ) -> Iterator[dict[str, Any]]:
        """Yield watch events (ADDED, MODIFIED, DELETED, or ERROR 410 when the start or the
        position is older than the kept changes) until `timeout` or `stopping`.

        Without a resourceVersion (or "0") the watch starts with an ADDED event per current
        object, as kube's does."""
        api_version = res.api_version(ver.name)

        def matches(event_namespace: str, obj: Mapping[str, Any]) -> bool:
            return (
                (namespace is None or event_namespace == namespace)
                and options.labels.matches(obj["metadata"].get("labels"))
                and options.fields.matches(obj)
            )

        with self._lock:
            if resource_version in ("", "0"):
                position = self._rv
                current = [
                    {"type": "ADDED", "object": self._out(e.obj, api_version)}
                    for (ns, _), e in sorted(self._table(res.plural).items())
                    if matches(ns, e.obj)
                ]
            else:
                position = int(resource_version)
                current = []
        yield from current
        deadline = time.monotonic() + timeout
        while not stopping.is_set():
            with self._changed:
                if position < self._horizon:
                    yield _gone(position)
                    return
                fresh = [e for e in self._events if e.rv > position]
                if not fresh:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._changed.wait(min(remaining, _WATCH_TICK))
                    continue
                position = fresh[-1].rv
                out = [
                    {"type": e.type, "object": self._out(e.obj, api_version)}
                    for e in fresh
                    if e.plural == res.plural and matches(e.namespace, e.obj)
                ]
            yield from out

    # --- direct access for tests -----------------------------------------------------------

    def objects(self, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Return copies of every object of `plural` (optionally in one namespace), oldest first."""
        with self._lock:
            entries: Iterable[tuple[tuple[str, str], _Entry]]
            if plural == NAMESPACES:
                entries = (((("", n)), e) for n, e in self._namespaces.items())
            else:
                entries = self._table(plural).items()
            chosen = [e for k, e in entries if namespace is None or k[0] == namespace]
            return [copy.deepcopy(e.obj) for e in sorted(chosen, key=lambda e: e.seq)]

    def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Return a copy of one object, or None."""
        with self._lock:
            if plural == NAMESPACES:
                entry = self._namespaces.get(name)
            else:
                entry = self._table(plural).get((namespace, name))
            return None if entry is None else copy.deepcopy(entry.obj)

    def patch_status(
        self, plural: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        """Merge `status` into an object's status without validation, and tell the watches
        as any change does; KeyError when missing."""
        with self._lock:
            entry = self._table(plural).get((namespace, name))
            if entry is None:
                raise KeyError(f"{plural} {namespace}/{name} does not exist")
            new = copy.deepcopy(entry.obj)
            new["status"] = merge_patch(new.get("status") or {}, dict(status))
            new["metadata"]["resourceVersion"] = self._next_rv()
            entry.obj = new
            self._emit(plural, "MODIFIED", new)


def _system_part(metadata: Mapping[str, Any]) -> dict[str, Any]:
    user = set(_USER_METADATA) - {"name", "namespace"}
    return {k: copy.deepcopy(v) for k, v in metadata.items() if k not in user}


def _without_version(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return {**{k: v for k, v in obj.items() if k != "apiVersion"}, "metadata": meta}


def _causes(errors: Sequence[FieldError]) -> list[dict[str, str]]:
    return [e.as_cause() for e in errors]


def _gone(position: int) -> dict[str, Any]:
    return {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"too old resource version: {position}",
            "reason": "Expired",
            "code": 410,
        },
    }
