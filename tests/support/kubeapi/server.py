"""Serve the Kubernetes API test server over HTTP on loopback."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.support.processes import Running

from . import builtins
from .crd import load_crds
from .faults import Fault, FaultSet
from .model import RecordedRequest, TokenIdentity
from .rbac import DEFAULT_USER, Denial, Denials
from .routes import Request, Response, Router
from .status import MESSAGES, ApiError
from .store import Store

# Requests API Priority and Fairness never rejects: version, health and discovery.
_EXEMPT = re.compile(r"^/(version|healthz|livez|readyz)/?$|^/api(/v1)?/?$|^/apis(/[^/]+){0,2}/?$")
_TOO_MANY = "Too many requests, please try again later."
_MAX_BODY = 16 * 1024 * 1024


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: KubeApiServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Remember open connections so that stop() can close idle keep-alive ones too.
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for connection in connections:
            # The peer may have closed it already.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request are routine in fault tests; stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
    # delayed ACKs add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean: the request log replaces the access log."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Skip trailers up to the blank line that ends the message.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ApiError(413, "Request entity too large")
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send(Response.error(ApiError(400, "the request body could not be read")))
            return
        except ApiError as error:
            # The unread body would be parsed as the next request: close instead.
            self.close_connection = True
            self.send(Response.error(error))
            return
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=split.query,
            content_type=self.headers.get("Content-Type", ""),
            body=body,
            accept=self.headers.get("Accept", ""),
        )
        self.server.owner.serve_request(self, request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def send(self, response: Response) -> None:
        """Write `response` with a correct Content-Length, keeping the connection alive."""
        if response.stream is not None:
            self._stream(response)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _stream(self, response: Response) -> None:
        """Send a watch: chunked, one event per chunk, flushed as it comes."""
        assert response.stream is not None
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            for chunk in response.stream:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except DropConnection:
            self.drop()
        except OSError:
            self.close_connection = True

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        # The client may have gone away first.
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class KubeApiServer(Running):
    """A kube-apiserver stand-in for the real Kubernetes client: CRDs, reviews, faults."""

    def __init__(
        self,
        *,
        crd_paths: Sequence[Path],
        host: str = "127.0.0.1",
        port: int = 0,
        max_in_flight: int | None = None,
    ) -> None:
        self._resources = [*builtins.BUILTINS, *load_crds(crd_paths)]
        self._store = Store(self._resources)
        self._router = Router(self._store, self._resources, lambda: self._address)
        self._faults = FaultSet()
        self._denials = Denials()
        self._host = host
        self._port = port
        self._max_in_flight = max_in_flight
        self._in_flight = 0
        self._log: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._bind()

    # --- lifecycle -------------------------------------------------------------------------

    def _bind(self) -> None:
        self._http = _HttpServer((self._host, self._port), self)
        # Keep the port so that stop() then start() comes back at the same URL.
        self._port = int(self._http.server_address[1])

    @property
    def _address(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:41234."""
        return f"http://{self._address}"

    def start(self) -> KubeApiServer:
        """Serve in a background thread; return self."""
        if self._thread is not None:
            return self
        if self._http is None:
            self._bind()
        assert self._http is not None
        self._router.stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"kubeapi-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; start() may be called again."""
        http, thread = self._http, self._thread
        self._http, self._thread = None, None
        if http is None:
            return
        self._router.stopping.set()
        if thread is not None:
            http.shutdown()
            thread.join(timeout=5)
        http.server_close()
        http.close_connections()

    def write_kubeconfig(
        self,
        path: Path,
        *,
        token: str = "sandbox-admin",
        namespace: str = "default",
    ) -> Path:
        """Write a kubeconfig pointing at this server with a bearer token; return its path."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "sandbox",
                    "cluster": {"server": self.url, "insecure-skip-tls-verify": True},
                }
            ],
            "users": [{"name": "sandbox", "user": {"token": token}}],
            "contexts": [
                {
                    "name": "sandbox",
                    "context": {"cluster": "sandbox", "user": "sandbox", "namespace": namespace},
                }
            ],
            "current-context": "sandbox",
            "preferences": {},
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # --- state -----------------------------------------------------------------------------

    def add_namespace(self, name: str, *, labels: Mapping[str, str] | None = None) -> None:
        """Create namespace `name` (or replace its labels); ValueError on an invalid name."""
        self._store.add_namespace(name, labels)

    def objects(self, plural: str, *, namespace: str | None = None) -> list[dict[str, Any]]:
        """Return copies of the stored objects of `plural`, oldest first."""
        return self._store.objects(plural, namespace)

    def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Return a copy of one stored object, or None."""
        return self._store.get_object(plural, namespace, name)

    def patch_status(
        self, plural: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        """Merge `status` into an object's status directly, skipping validation."""
        self._store.patch_status(plural, namespace, name, status)

    def add_object(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "",
        owners: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Create an object of a built-in kind (Pod, ReplicaSet, Deployment, StatefulSet,
        DaemonSet, Job, CronJob, Node) with these owner references; return it as stored."""
        resource = builtins.BY_KIND[kind]
        obj = builtins.body(kind, name, namespace=namespace, owners=owners or [])
        return self._store.create(resource, resource.preferred, namespace, obj)

    def delete_object(self, kind: str, namespace: str, name: str) -> None:
        """Delete an object of a built-in kind (a pod that is gone); KeyError when missing."""
        resource = builtins.BY_KIND[kind]
        if self._store.get_object(resource.plural, namespace, name) is None:
            raise KeyError(f"{kind} {namespace}/{name} does not exist")
        self._store.delete(resource, resource.preferred, namespace, name, {})

    def reset(self) -> None:
        """Drop all objects, added namespaces, faults, denials, tokens and the request log."""
        self._store.reset()
        self.clear_faults()
        self.clear_requests()

    def add_token(self, token: str, identity: TokenIdentity) -> None:
        """Make TokenReviews of `token` authenticate as `identity`."""
        self._store.add_token(token, identity)

    # --- faults ----------------------------------------------------------------------------

    def inject(
        self,
        *,
        method: str | None = None,
        path: str = ".*",
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = None,
        watches: bool | None = None,
        watch_mode: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Fault:
        """Make matching requests fail, stall, drop or answer oddly; return the fault for
        removal and hits (see faults.py for `watches`, `watch_mode` and `body`)."""
        fault = Fault(
            method=method,
            path=path,
            status=status,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            times=times,
            watches=watches,
            watch_mode=watch_mode,
            body=body,
            content_type=content_type,
        )
        return self._faults.add(fault)

    def end_watches(self) -> None:
        """End every open watch normally, as an API server does at its timeout."""
        ending, self._router.stopping = self._router.stopping, threading.Event()
        ending.set()

    def deny(
        self,
        *,
        verb: str,
        resource: str,
        group: str = "",
        namespace: str | None = None,
        user: str = DEFAULT_USER,
    ) -> None:
        """Answer `verb` on `resource` (in `namespace`, or everywhere) 403 Forbidden, as
        kube-apiserver does when RBAC does not allow it, until clear_faults()."""
        self._denials.add(Denial(verb, group, resource, namespace, user))

    def clear_faults(self) -> None:
        """Remove every injected fault and denial."""
        self._faults.clear()
        self._denials.clear()

    # --- request log -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return a copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def count(
        self, *, method: str | None = None, path: str = ".*", status: int | None = None
    ) -> int:
        """Count logged requests by method, path regex (re.search) and answered status."""
        pattern = re.compile(path)
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and pattern.search(r.path)
            and (status is None or r.status == status)
        )

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    # --- request processing ----------------------------------------------------------------

    def _record(self, request: Request, status: int) -> None:
        with self._lock:
            self._log.append(
                RecordedRequest(request.method, request.path, request.query, status, request.body)
            )

    def _admit(self, request: Request) -> bool:
        if self._max_in_flight is None or _EXEMPT.match(request.path):
            return True
        with self._lock:
            if self._in_flight >= self._max_in_flight:
                return False
            self._in_flight += 1
            return True

    def _release(self, request: Request) -> None:
        if self._max_in_flight is None or _EXEMPT.match(request.path):
            return
        with self._lock:
            self._in_flight -= 1

    def serve_request(self, handler: _Handler, request: Request) -> None:
        """Apply the in-flight limit and faults, route the request, log and answer it."""
        if not self._admit(request):
            error = ApiError(
                429, _TOO_MANY, details={"retryAfterSeconds": 1}, headers={"Retry-After": "1"}
            )
            self._record(request, 429)
            handler.send(Response.error(error))
            return
        try:
            response = self._process(request)
            if response is None:
                self._record(request, 0)
        finally:
            # Release and record before answering: a client that sends its next request the
            # moment it reads this answer must find the slot free and the log up to date.
            self._release(request)
        if response is None:
            handler.drop()
            return
        self._record(request, response.status)
        handler.send(response)

    def _process(self, request: Request) -> Response | None:
        watching = request.params.get("watch") in ("true", "1")
        fault = self._faults.take(request.method, request.path, watch=watching)
        if fault is not None:
            fault.hold()
            if fault.drop:
                return None
            faulted = self._faulted(fault, watching=watching)
            if faulted is not None:
                return faulted
        forbidden = self._denials.check(request.method, request.path, watch=watching)
        if forbidden is not None:
            return Response.error(forbidden)
        try:
            return self._router.handle(request)
        except Exception as exc:  # any bug must become a 500, not a hung connection
            return Response.error(ApiError(500, f"Internal error occurred: {exc!r}"))

    def _faulted(self, fault: Fault, *, watching: bool) -> Response | None:
        """The answer a fault gives instead of the route's, if it gives one."""
        if fault.status is not None:
            return _fault_response(fault)
        if fault.body is not None:
            return Response(200, fault.body, fault.content_type)
        if fault.watch_mode is not None and watching:
            return Response(200, b"", stream=self._misbehaving(fault))
        return None

    def _misbehaving(self, fault: Fault) -> Iterator[bytes]:
        """The chunks of a watch that misbehaves as `fault.watch_mode` says."""
        if fault.watch_mode == "stall":
            while not fault.released(0.1) and not self._router.stopping.is_set():
                pass
        elif fault.watch_mode == "gone":
            status = ApiError(410, "too old resource version: 1 (2)", reason="Expired").body
            yield json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"
        elif fault.watch_mode == "drop":
            raise DropConnection
        return


class DropConnection(Exception):
    """A streamed answer stops here: the connection closes without ending the stream."""


def _fault_response(fault: Fault) -> Response:
    assert fault.status is not None
    details: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        details["retryAfterSeconds"] = fault.retry_after
        headers["Retry-After"] = str(fault.retry_after)
    message = MESSAGES.get(fault.status, f"injected fault: HTTP {fault.status}")
    error = ApiError(fault.status, message, details=details or None, headers=headers)
    return Response.error(error)
