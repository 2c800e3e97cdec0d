"""The gateway's RemediationRequests in the API, as a reflector lists and watches them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import kubernetes.client as k8s
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from app.adapters.kube_calls import retry_after_header
from app.adapters.kubernetes import GROUP, PLURAL, VERSION
from app.adapters.reflector import Restart, WatchFailed
from app.domain import MANAGED_BY

SELECTOR = f"app.kubernetes.io/managed-by={MANAGED_BY}"
PAGE = 500


class RemediationRequestSource:
    """The gateway's RemediationRequests in the API: a paginated list and a raw watch."""

    def __init__(self, api: k8s.ApiClient, *, timeout: float) -> None:
        self._custom = k8s.CustomObjectsApi(api)
        self._timeout = timeout

    def list(self) -> PagedListing:
        """Return every managed RemediationRequest, fetched a page at a time as iterated."""
        return PagedListing(self._page)

    def _page(self, token: str | None) -> Any:
        return self._custom.list_cluster_custom_object(
            GROUP,
            VERSION,
            PLURAL,
            label_selector=SELECTOR,
            limit=PAGE,
            _continue=token,
            _request_timeout=self._timeout,
        )

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


class PagedListing:
    """A paginated list: one page in memory at a time; its resourceVersion once iterated."""

    def __init__(self, fetch: Callable[[str | None], Any]) -> None:
        self._fetch = fetch
        self.resource_version = ""

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        token: str | None = None
        with _failures("list"):
            while True:
                page = self._fetch(token)
                yield from page.get("items") or []
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    self.resource_version = str(page["metadata"]["resourceVersion"])
                    return


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
        raise WatchFailed(Restart.ERROR, f"{operation}: {type(exc).__name__}: {exc}"[:300]) from exc
