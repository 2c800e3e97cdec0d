"""Dispatch a parsed HTTP request to discovery, namespaces, custom objects or reviews."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import yaml

from . import auth, discovery, tables
from .crd import CrdVersion, CustomResource
from .negotiation import negotiate
from .status import ApiError, bad_request
from .store import JSON_PATCH, MERGE_PATCH, ListOptions, Store

JSON = "application/json"

# PATCH content types and how each is applied; kube itself refuses strategic merge for CRs,
# but clients send it for dict bodies, so it is treated as a merge patch here.
_PATCH_TYPES = {
    "application/merge-patch+json": MERGE_PATCH,
    "application/strategic-merge-patch+json": MERGE_PATCH,
    "application/json-patch+json": JSON_PATCH,
}
_HEALTH = frozenset({"/healthz", "/livez", "/readyz"})


@dataclass
class Response:
    """An HTTP answer: status, body and extra headers."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    # A watch: JSON lines sent chunked as they come, instead of `body`.
    stream: Iterator[bytes] | None = None

    @classmethod
    def json(cls, status: int, document: Any, headers: Mapping[str, str] | None = None) -> Response:
        """Build a JSON response."""
        return cls(status, json.dumps(document).encode(), JSON, dict(headers or {}))

    @classmethod
    def error(cls, error: ApiError) -> Response:
        """Build the Status response of an ApiError."""
        return cls.json(error.code, error.body, error.headers)


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request the routes look at."""

    method: str
    path: str
    query: str
    content_type: str
    body: bytes
    accept: str = ""

    @property
    def params(self) -> dict[str, str]:
        """Return the query parameters (last value wins)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def document(self) -> Any:
        """Decode the JSON (or YAML) body, or raise 400."""
        if not self.body.strip():
            raise bad_request("the body of the request was empty")
        try:
            if "yaml" in self.content_type:
                return yaml.safe_load(self.body)
            return json.loads(self.body)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc


def _method_not_allowed() -> ApiError:
    return ApiError(405, "the server does not allow this method on the requested resource")


def _not_found() -> ApiError:
    return ApiError(404, "the server could not find the requested resource")


class Router:
    """Map requests onto the store, kube-apiserver style."""

    def __init__(
        self, store: Store, resources: Sequence[CustomResource], address: Callable[[], str]
    ) -> None:
        self.store = store
        # Set when the server stops (or ends its watches): open watch streams end.
        self.stopping = threading.Event()
        self.resources = list(resources)
        self._by_group = {(r.group, r.plural): r for r in resources}
        self._address = address

    def handle(self, request: Request) -> Response:
        """Answer one request; every failure becomes a Status response."""
        try:
            return self._dispatch(request)
        except ApiError as error:
            return Response.error(error)

    def _dispatch(self, request: Request) -> Response:
        if request.path in _HEALTH:
            self._allow(request, "GET")
            return Response(200, b"ok", "text/plain; charset=utf-8")
        segments = [unquote(s) for s in request.path.split("/") if s]
        if segments == ["version"]:
            self._allow(request, "GET")
            return Response.json(200, discovery.KUBE_VERSION)
        if segments[:1] == ["api"]:
            return self._core(request, segments[1:])
        if segments[:1] == ["apis"]:
            return self._apis(request, segments[1:])
        raise _not_found()

    @staticmethod
    def _allow(request: Request, *methods: str) -> None:
        if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
            raise _method_not_allowed()

    # --- core group ------------------------------------------------------------------------

    def _core(self, request: Request, rest: list[str]) -> Response:
        if not rest:
            self._allow(request, "GET")
            return Response.json(200, discovery.api_versions(self._address()))
        if rest == ["v1"]:
            self._allow(request, "GET")
            return Response.json(200, discovery.core_resources(self.resources))
        if rest[:2] == ["v1", "namespaces"] and len(rest) <= 3:
            return self._namespaces(request, rest[2:])
        if len(rest) >= 2 and rest[0] == "v1":
            return self._served(request, "", "v1", rest[1:])
        raise _not_found()

    def _namespaces(self, request: Request, rest: list[str]) -> Response:
        """Answer /api/v1/namespaces (list, create) and /api/v1/namespaces/{name}."""
        if not rest:
            self._allow(request, "GET", "POST")
            if request.method == "POST":
                return Response.json(201, self.store.create_namespace(request.document()))
            return Response.json(
                200, self.store.list_namespaces(ListOptions.from_query(request.params))
            )
        self._allow(request, "GET", "DELETE")
        if request.method == "DELETE":
            return Response.json(200, self.store.delete_namespace(rest[0]))
        return Response.json(200, self.store.get_namespace(rest[0]))

    # --- named groups ----------------------------------------------------------------------

    def _apis(self, request: Request, rest: list[str]) -> Response:
        if len(rest) <= 2:
            self._allow(request, "GET")
            return Response.json(200, self._discovery(rest))
        group, version, *path = rest
        if path == ["tokenreviews"] and (group, version) == (auth.AUTHN_GROUP, "v1"):
            self._allow(request, "POST")
            return Response.json(201, auth.token_review(self.store.tokens(), request.document()))
        if path == ["subjectaccessreviews"] and (group, version) == (auth.AUTHZ_GROUP, "v1"):
            self._allow(request, "POST")
            reviewed = auth.subject_access_review(self.store.tokens(), request.document())
            return Response.json(201, reviewed)
        return self._served(request, group, version, path)

    def _served(self, request: Request, group: str, version: str, path: list[str]) -> Response:
        """Route a request for a served kind (a CRD's or a built-in one) to its objects."""
        namespace: str | None = None
        if len(path) >= 3 and path[0] == "namespaces":
            namespace, path = path[1], path[2:]
        resource = self._by_group.get((group, path[0]))
        served = resource.version(version) if resource else None
        if resource is None or served is None:
            raise _not_found()
        if namespace is not None and not resource.namespaced:
            raise _not_found()
        if resource.namespaced and namespace is None:
            # Only the cross-namespace list exists without a namespace in the path.
            if len(path) != 1:
                raise _not_found()
            self._allow(request, "GET")
            return self._list(request, resource, served, None)
        return self._objects(request, resource, served, namespace or "", path[1:])

    def _list(
        self,
        request: Request,
        resource: CustomResource,
        version: CrdVersion,
        namespace: str | None,
    ) -> Response:
        """Answer a list, or with watch=true a stream of events (JSON lines); Tables if asked."""
        wanted = negotiate(request.accept, request.params)
        options = ListOptions.from_query(request.params)
        if request.params.get("watch") not in ("true", "1"):
            listed = self.store.list_objects(resource, version, namespace, options)
            if wanted is not None:
                listed = tables.table(
                    listed["items"],
                    columns=version.columns,
                    request=wanted,
                    metadata=listed["metadata"],
                )
            return Response.json(200, listed)
        since = request.params.get("resourceVersion", "")
        try:
            timeout = float(request.params.get("timeoutSeconds") or 1800)
            int(since or "0")
        except ValueError as exc:
            raise bad_request("invalid timeoutSeconds or resourceVersion") from exc
        events = self.store.watch(
            resource,
            version,
            namespace,
            options,
            resource_version=since,
            timeout=timeout,
            stopping=self.stopping,
        )
        if wanted is not None:
            events = tables.watch_tables(events, columns=version.columns, request=wanted)
        lines = (json.dumps(event).encode() + b"\n" for event in events)
        return Response(200, b"", JSON, stream=lines)

    def _get(
        self,
        request: Request,
        resource: CustomResource,
        version: CrdVersion,
        namespace: str,
        name: str,
    ) -> dict[str, Any]:
        """Return one object, or a one-row Table of it when the client asks for one."""
        wanted = negotiate(request.accept, request.params)
        obj = self.store.get(resource, version, namespace, name)
        if wanted is None:
            return obj
        metadata = {"resourceVersion": obj["metadata"]["resourceVersion"]}
        return tables.table([obj], columns=version.columns, request=wanted, metadata=metadata)

    def _discovery(self, rest: list[str]) -> dict[str, Any]:
        if not rest:
            return discovery.api_group_list(self.resources)
        if len(rest) == 1:
            for group in discovery.api_groups(self.resources):
                if group["name"] == rest[0]:
                    return {"kind": "APIGroup", "apiVersion": "v1", **group}
            raise _not_found()
        document = discovery.group_resources(self.resources, rest[0], rest[1])
        if document is None:
            raise _not_found()
        return document

    def _objects(
        self,
        request: Request,
        resource: CustomResource,
        version: CrdVersion,
        namespace: str,
        rest: list[str],
    ) -> Response:
        store = self.store
        if not rest:
            self._allow(request, "GET", "POST")
            if request.method == "POST":
                created = store.create(resource, version, namespace, request.document())
                return Response.json(201, created)
            return self._list(request, resource, version, namespace)
        name = rest[0]
        status = rest[1:] == ["status"]
        if len(rest) > 2 or (len(rest) == 2 and (not status or not version.status_subresource)):
            raise _not_found()
        if status:
            self._allow(request, "GET", "PUT", "PATCH")
        else:
            self._allow(request, "GET", "PUT", "PATCH", "DELETE")
        if request.method in ("GET", "HEAD"):
            return Response.json(200, self._get(request, resource, version, namespace, name))
        if request.method == "DELETE":
            # Clients may send no body, or a JSON null, instead of empty DeleteOptions.
            delete_options = (request.document() if request.body.strip() else None) or {}
            if not isinstance(delete_options, dict):
                raise bad_request("DeleteOptions must be an object")
            deleted = store.delete(resource, version, namespace, name, delete_options)
            return Response.json(200, deleted)
        if request.method == "PUT":
            body = request.document()
            updated = store.update(resource, version, namespace, name, body, status=status)
            return Response.json(200, updated)
        media = request.content_type.split(";", 1)[0].strip().lower()
        patch_type = _PATCH_TYPES.get(media)
        if patch_type is None:
            raise ApiError(
                415,
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(_PATCH_TYPES)}",
            )
        patched = store.patch(
            resource,
            version,
            namespace,
            name,
            patch_type=patch_type,
            patch=request.document(),
            status=status,
        )
        return Response.json(200, patched)
