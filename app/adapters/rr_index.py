"""The gateway's active RemediationRequests by fingerprint, kept current by a list and a watch.

What client-go's informers do for controllers: one paginated list of every resource the gateway
manages, then a watch from the list's resourceVersion, so that "has this fingerprint an active
resource?" is answered from memory instead of with an API call before each create. It is a
cache of Kubernetes, not state of its own: until the first list is in (or while the watch is
broken and the list is being redone) it answers "unknown" and the caller asks the API. Per
worker process, like the API client; memory is one small entry per active resource.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import kubernetes.client as k8s
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from app.adapters.kubernetes import (
    GROUP,
    PLURAL,
    VERSION,
    active_resource,
    parse_ms,
)
from app.domain import MANAGED_BY, TERMINAL_PHASES, ObjectRef
from app.service.ports import ActiveResource

log = logging.getLogger(__name__)
SELECTOR = f"app.kubernetes.io/managed-by={MANAGED_BY}"
PAGE = 500


class Unknown:
    """The index cannot answer: ask the API."""


UNKNOWN = Unknown()


@dataclass(frozen=True, slots=True)
class _Entry:
    """One active resource: what a lookup answers, and no more (memory is per resource)."""

    key: str  # "namespace/name"
    created_ms: int
    occurrence_count: int
    first_seen_ms: int

    def resource(self) -> ActiveResource:
        namespace, name = self.key.split("/", 1)
        return ActiveResource(
            ref=ObjectRef(namespace, name),
            occurrence_count=self.occurrence_count,
            first_seen_ms=self.first_seen_ms,
        )


class _Table:
    """Entries by fingerprint (nearly always one), and each resource's fingerprint by key."""

    def __init__(self) -> None:
        self.fingerprints: dict[str, str] = {}
        self.entries: dict[str, _Entry | tuple[_Entry, ...]] = {}

    def __len__(self) -> int:
        return len(self.fingerprints)

    def put(self, fingerprint: str, entry: _Entry) -> None:
        self.remove(entry.key)
        self.fingerprints[entry.key] = fingerprint
        existing = self.entries.get(fingerprint)
        self.entries[fingerprint] = entry if existing is None else (*_many(existing), entry)

    def remove(self, key: str) -> None:
        fingerprint = self.fingerprints.pop(key, None)
        if fingerprint is None:
            return
        rest = tuple(e for e in _many(self.entries.get(fingerprint)) if e.key != key)
        if not rest:
            self.entries.pop(fingerprint, None)
        else:
            self.entries[fingerprint] = rest[0] if len(rest) == 1 else rest

    def newest(self, fingerprint: str) -> _Entry | None:
        found = self.entries.get(fingerprint)
        if found is None or isinstance(found, _Entry):
            return found
        return max(found, key=lambda entry: entry.created_ms)


def _many(found: _Entry | tuple[_Entry, ...] | None) -> tuple[_Entry, ...]:
    if found is None:
        return ()
    return (found,) if isinstance(found, _Entry) else found


class _Expired(Exception):
    """The watch's resourceVersion is gone (410): list again."""


class ActiveIndex:
    """Non-terminal RemediationRequests of the gateway, by fingerprint."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        timeout: float,
        watch_seconds: int = 300,
        retry_seconds: float = 1.0,
        on_sync: Callable[[bool], None] | None = None,
    ) -> None:
        self._custom = k8s.CustomObjectsApi(api)
        self._timeout = timeout
        self._watch_seconds = watch_seconds
        self._retry_seconds = retry_seconds
        self._on_sync = on_sync or (lambda synced: None)
        self._lock = threading.Lock()
        self._table = _Table()
        self._synced = False
        # The newest resourceVersion the list and the watch have shown (None: not a number).
        self._seen: int | None = None

    @property
    def synced(self) -> bool:
        """True while the index follows the API (after a list, with its watch running)."""
        return self._synced

    def lookup(self, fingerprint: str) -> ActiveResource | Unknown | None:
        """The newest active resource of a fingerprint, None, or UNKNOWN when not synced."""
        with self._lock:
            if not self._synced:
                return UNKNOWN
            newest = self._table.newest(fingerprint)
        return None if newest is None else newest.resource()

    def created(self, obj: Mapping[str, Any]) -> None:
        """Hold a resource this process has just created, before its watch event arrives.

        What client-go's mutation cache does for a controller's own writes: a Redis miss for
        its fingerprint moments later (Redis lost the record) is answered from memory too,
        instead of creating a second resource. Only an object newer than anything the list and
        the watch have shown is taken: once the watch has passed its version, the watch's own
        account of it (a later change, its deletion) stands. Other workers learn of it from
        their watches, within milliseconds.
        """
        found = _entry(obj)
        version = _version(obj)
        if found is None or version is None:
            return
        with self._lock:
            if self._synced and self._seen is not None and version > self._seen:
                self._table.put(*found)

    def _saw(self, obj: Mapping[str, Any]) -> None:
        """Note an object's resourceVersion as seen (call with the lock held)."""
        version = _version(obj)
        if version is not None and (self._seen is None or version > self._seen):
            self._seen = version

    def __len__(self) -> int:
        """How many active resources the index holds."""
        return len(self._table)

    def run(self, stop: threading.Event) -> None:
        """List, then watch, until `stop`; list again after a 410, retry after errors."""
        while not stop.is_set():
            try:
                version = self._list()
                while not stop.is_set():
                    version = self._watch(version, stop)
            except _Expired:
                log.info("resource index: watch expired, listing again")
                self._set_synced(False)
                continue
            except Exception as exc:
                log.warning(
                    "resource index: list or watch failed; creates look up the API meanwhile",
                    extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
                )
                self._set_synced(False)
            stop.wait(self._retry_seconds)

    def _set_synced(self, synced: bool) -> None:
        if synced != self._synced:
            self._synced = synced
            self._on_sync(synced)

    def _list(self) -> str:
        table = _Table()
        token: str | None = None
        while True:
            page: Any = self._custom.list_cluster_custom_object(
                GROUP,
                VERSION,
                PLURAL,
                label_selector=SELECTOR,
                limit=PAGE,
                _continue=token,
                _request_timeout=self._timeout,
            )
            for obj in page.get("items", []):
                found = _entry(obj)
                if found is not None:
                    table.put(*found)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                break
        with self._lock:
            self._table = table
            self._seen = None
            self._saw(page)
        self._set_synced(True)
        return str(page["metadata"]["resourceVersion"])

    def _watch(self, version: str, stop: threading.Event) -> str:
        """Follow changes from `version` until the server ends the watch; return the last
        version seen."""
        watcher = watch.Watch()
        try:
            for event in watcher.stream(
                self._custom.list_cluster_custom_object,
                GROUP,
                VERSION,
                PLURAL,
                label_selector=SELECTOR,
                resource_version=version,
                timeout_seconds=self._watch_seconds,
                allow_watch_bookmarks=True,
                _request_timeout=(self._timeout, self._watch_seconds + 30),
            ):
                obj = event["raw_object"]
                version = str(obj.get("metadata", {}).get("resourceVersion") or version)
                if event["type"] in ("ADDED", "MODIFIED"):
                    self._put(obj)
                elif event["type"] == "DELETED":
                    self._drop(obj)
                else:  # BOOKMARK: no change, a newer version
                    with self._lock:
                        self._saw(obj)
                if stop.is_set():
                    break
        except ApiException as exc:
            if exc.status == 410:
                raise _Expired from exc
            raise
        finally:
            watcher.stop()
        return version

    def _put(self, obj: Mapping[str, Any]) -> None:
        found = _entry(obj)
        with self._lock:
            self._saw(obj)
            if found is None:
                self._table.remove(_key(obj))
            else:
                self._table.put(*found)

    def _drop(self, obj: Mapping[str, Any]) -> None:
        with self._lock:
            self._saw(obj)
            self._table.remove(_key(obj))


def _version(obj: Mapping[str, Any]) -> int | None:
    """An object's (or a list's) resourceVersion as a number; None if it is not one (it is
    opaque by contract; kube-apiserver's are etcd revisions)."""
    version: Any = (obj.get("metadata") or {}).get("resourceVersion")
    try:
        return int(version)
    except (TypeError, ValueError):
        return None


def _key(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _entry(obj: Mapping[str, Any]) -> tuple[str, _Entry] | None:
    """(fingerprint, entry) of a non-terminal resource; None for a terminal or foreign one."""
    fingerprint = (obj.get("spec") or {}).get("signalFingerprint")
    phase = str((obj.get("status") or {}).get("overallPhase", "")).lower()
    if not fingerprint or phase in TERMINAL_PHASES:
        return None
    metadata = obj.get("metadata") or {}
    active = active_resource(obj)
    entry = _Entry(
        key=_key(obj),
        created_ms=parse_ms(metadata.get("creationTimestamp", "")),
        occurrence_count=active.occurrence_count,
        first_seen_ms=active.first_seen_ms,
    )
    return str(fingerprint), entry
