"""The gateway's active RemediationRequests by fingerprint, kept current by a list and a watch.

What client-go's informers do for controllers: one paginated list of every resource the gateway
manages, then a watch from the list's resourceVersion, so that "has this fingerprint an active
resource?" is answered from memory instead of with an API call before each create. It is a
cache of Kubernetes, not state of its own: until the first list is in (or while the watch is
broken and the list is being redone) it answers "unknown" and the caller asks the API. Per
worker process, like the API client; memory is one small entry per active resource.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import kubernetes.client as k8s
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from app.adapters.kubernetes import (
    GROUP,
    PLURAL,
    VERSION,
    active_resource,
    parse_ms,
    retry_after_header,
)
from app.adapters.reflector import Reflector, Restart, Timing, WatchFailed
from app.domain import MANAGED_BY, TERMINAL_PHASES, ObjectRef
from app.pacing import Backoff
from app.service.ports import ActiveResource

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


class RemediationRequestSource:
    """The gateway's RemediationRequests in the API: a paginated list and a raw watch."""

    def __init__(self, api: k8s.ApiClient, *, timeout: float) -> None:
        self._custom = k8s.CustomObjectsApi(api)
        self._timeout = timeout

    def list(self) -> tuple[list[Mapping[str, Any]], str]:
        """Return every managed RemediationRequest and the list's resourceVersion."""
        objects: list[Mapping[str, Any]] = []
        token: str | None = None
        with _failures("list"):
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
                objects.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return objects, str(page["metadata"]["resourceVersion"])

    def watch(
        self, version: str, *, timeout: int, read_timeout: float
    ) -> Iterator[Mapping[str, Any]]:
        """Yield the events of one watch from `version`; a read silent past `read_timeout`
        fails as a stalled watch."""
        with _failures("watch"):
            response: Any = self._custom.list_cluster_custom_object(
                GROUP,
                VERSION,
                PLURAL,
                label_selector=SELECTOR,
                resource_version=version,
                watch=True,
                timeout_seconds=timeout,
                allow_watch_bookmarks=True,
                _preload_content=False,
                _request_timeout=(self._timeout, read_timeout),
            )
            try:
                for line in iter_resp_lines(response):
                    if line.strip():
                        yield json.loads(line)
            finally:
                response.release_conn()


@contextmanager
def _failures(operation: str) -> Iterator[None]:
    """Turn what the client raises into WatchFailed with a restart reason."""
    try:
        yield
    except ApiException as exc:
        reason = Restart.EXPIRED if exc.status == 410 else Restart.ERROR
        raise WatchFailed(
            reason, f"{operation}: HTTP {exc.status}", retry_after=retry_after_header(exc)
        ) from exc
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        raise WatchFailed(Restart.STALLED, f"{operation}: no answer in time") from exc
    except (urllib3.exceptions.HTTPError, OSError, ValueError, KeyError, TypeError) as exc:
        raise WatchFailed(Restart.ERROR, f"{operation}: {type(exc).__name__}") from exc


class ActiveIndex:
    """Non-terminal RemediationRequests of the gateway, by fingerprint: a reflector's store."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        timeout: float,
        timing: Timing | None = None,
        backoff: Backoff | None = None,
        on_sync: Callable[[bool], None] | None = None,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        self._source = RemediationRequestSource(api, timeout=timeout)
        self._timing = timing or Timing()
        self._backoff = backoff
        self._on_sync = on_sync or (lambda synced: None)
        self._on_restart = on_restart or (lambda reason: None)
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

    def __len__(self) -> int:
        """How many active resources the index holds."""
        return len(self._table)

    def run(self, stop: threading.Event) -> None:
        """Follow the API until `stop` (client-go's reflector semantics)."""
        reflector = Reflector(
            self._source,
            self,
            name="resource index",
            timing=self._timing,
            backoff=self._backoff,
            on_restart=self._on_restart,
        )
        reflector.run(stop)

    def replace(self, objects: Iterable[Mapping[str, Any]], version: str) -> None:
        """Replace the table with a list's objects."""
        table = _Table()
        for obj in objects:
            found = _entry(obj)
            if found is not None:
                table.put(*found)
        with self._lock:
            self._table = table
            self._seen = None
            self._saw({"metadata": {"resourceVersion": version}})

    def apply(self, kind: str, obj: Mapping[str, Any]) -> None:
        """Apply one watch event."""
        with self._lock:
            self._saw(obj)
            if kind == "DELETED":
                self._table.remove(_key(obj))
            elif kind in ("ADDED", "MODIFIED"):
                found = _entry(obj)
                if found is None:
                    self._table.remove(_key(obj))
                else:
                    self._table.put(*found)

    def set_synced(self, synced: bool) -> None:
        """Say whether lookups may be answered from the table."""
        if synced != self._synced:
            self._synced = synced
            self._on_sync(synced)

    def _saw(self, obj: Mapping[str, Any]) -> None:
        """Note an object's resourceVersion as seen (call with the lock held)."""
        version = _version(obj)
        if version is not None and (self._seen is None or version > self._seen):
            self._seen = version


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
