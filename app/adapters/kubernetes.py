"""The Kubernetes API: RemediationRequest writes and namespace reads, retried with backoff."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import backoff
import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from app.adapters.breaker import CircuitBreaker
from app.adapters.owner_refs import ACCEPT, LOOKUPS, read_ownership
from app.domain import ObjectRef, ResourceRef, rfc3339
from app.service.errors import KubernetesUnavailable, MissingPermission
from app.service.ports import (
    Flapping,
    Occurrences,
    Ownership,
    SignalCount,
    StormAggregation,
)

GROUP = "remediation.kubernaut.io"
VERSION = "v1alpha1"
PLURAL = "remediationrequests"
TRANSIENT_CODES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 10.0

log = logging.getLogger(__name__)
T = TypeVar("T")
CallRecorder = Callable[[str, str], None]


class _CircuitOpen(Exception):
    """The breaker is open: the call was not made."""


class _Transient(Exception):
    """A failure worth retrying; carries the server's Retry-After when it sent one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


# What the gateway uses of the client, which imports each API class and model on first use
# (CoreV1Api alone pulls in some 250 models: about a second of CPU).
CLIENT_CLASSES = (
    "ApiClient",
    "Configuration",
    "CoreV1Api",
    "CustomObjectsApi",
    "VersionApi",
    "AuthenticationV1Api",
    "AuthorizationV1Api",
    "V1Namespace",
    "V1TokenReview",
    "V1TokenReviewSpec",
    "V1SubjectAccessReview",
    "V1SubjectAccessReviewSpec",
    "V1ResourceAttributes",
)


def import_client_classes() -> None:
    """Import now what the gateway will use of the Kubernetes client (see CLIENT_CLASSES)."""
    for name in CLIENT_CLASSES:
        getattr(k8s, name)


def api_client(*, kubeconfig: str | None, in_cluster: bool | None = None) -> k8s.ApiClient:
    """Build a client: in-cluster in a pod, else the kubeconfig (KUBECONFIG or ~/.kube)."""
    configuration = k8s.Configuration()
    if in_cluster or (in_cluster is None and kubeconfig is None and _in_pod()):
        k8s_config.load_incluster_config(client_configuration=configuration)
    else:
        k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    # backoff below is the only retry layer: urllib3's own retries would multiply attempts.
    configuration.retries = False
    return k8s.ApiClient(configuration)


def _in_pod() -> bool:
    from pathlib import Path

    return Path(k8s_config.incluster_config.SERVICE_TOKEN_FILENAME).exists()


def _wait_gen(*, base: float = 0.05, cap: float = 1.0) -> Generator[float, Any, None]:
    """Yield the server's Retry-After when given, else capped exponential with full jitter."""
    attempt = 0
    exc = yield 0.0
    while True:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = min(float(retry_after), MAX_RETRY_AFTER)
        else:
            delay = random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter
        attempt += 1
        exc = yield delay


def _rfc3339(ms: int) -> str:
    return rfc3339(datetime.fromtimestamp(ms / 1000, UTC))


def _signal_status(signal: SignalCount) -> dict[str, Any]:
    identity = signal.identity
    return {
        "name": identity.name,
        "type": identity.signal_type,
        "target": {"kind": identity.target_kind, "name": identity.target_name},
        "occurrenceCount": signal.count,
        "lastSeenAt": _rfc3339(signal.last_seen_ms),
    }


class OwnWrites(Protocol):
    """Takes note of what this process has just created (the resource index)."""

    def created(self, obj: Mapping[str, Any]) -> None:
        """Hold a resource this process has just created (its own write)."""


def retry_after_header(exc: ApiException) -> float | None:
    """Return the seconds of an API error's Retry-After header, if it has a usable one."""
    value = (exc.headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class KubernetesApi:
    """Creates RemediationRequests and reads namespaces, within a retry budget per call."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        timeout: float,
        retry_budget: float,
        breaker: CircuitBreaker,
        record: CallRecorder | None = None,
        on_retry: Callable[[str], None] | None = None,
        index: OwnWrites | None = None,
    ) -> None:
        self._index = index
        self._api = api
        self._custom = k8s.CustomObjectsApi(api)
        self._core = k8s.CoreV1Api(api)
        self._version = k8s.VersionApi(api)
        self._timeout = timeout
        self._budget = retry_budget
        self._record = record or (lambda operation, code: None)
        self._on_retry = on_retry or (lambda operation: None)
        self.breaker = breaker

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        """Create one RemediationRequest; an AlreadyExists after a retry is our own write."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        attempts = 0

        def attempt() -> ObjectRef:
            nonlocal attempts
            attempts += 1
            try:
                made: Any = self._call(
                    "create",
                    lambda: self._custom.create_namespaced_custom_object(
                        GROUP,
                        VERSION,
                        namespace,
                        PLURAL,
                        dict(body),
                        _request_timeout=self._timeout,
                    ),
                )
            except ApiException as exc:
                if exc.status != 409 or attempts == 1:
                    raise
            else:
                if self._index is not None and isinstance(made, Mapping):
                    self._index.created(made)
            return ObjectRef(namespace, name)

        return self._retrying("create", attempt)

    def list_labelled(self, namespace: str, selector: str) -> list[Mapping[str, Any]]:
        """Return the RemediationRequests of a namespace that match a label selector."""
        listed: Any = self._retrying(
            "list",
            lambda: self._call(
                "list",
                lambda: self._custom.list_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    namespace,
                    PLURAL,
                    label_selector=selector,
                    _request_timeout=self._timeout,
                ),
            ),
        )
        items = listed.get("items") if isinstance(listed, Mapping) else None
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise KubernetesUnavailable("kubernetes list: unexpected answer")
        return items

    def write_occurrences(self, occurrences: Occurrences) -> None:
        """Merge-patch status.deduplication (and status.signals, when listed) of one
        RemediationRequest."""
        status: dict[str, Any] = {
            "deduplication": {
                "firstSeenAt": _rfc3339(occurrences.first_seen_ms),
                "lastSeenAt": _rfc3339(occurrences.last_seen_ms),
                "occurrenceCount": occurrences.count,
            }
        }
        if occurrences.signals:
            status["signals"] = [_signal_status(signal) for signal in occurrences.signals]
            status["signalsTruncated"] = occurrences.signals_truncated > 0
        self._patch_status(occurrences.ref, status)

    def write_storm(self, aggregation: StormAggregation) -> None:
        """Merge-patch status.stormAggregation of one storm RemediationRequest."""
        self._patch_status(
            aggregation.ref,
            {
                "stormAggregation": {
                    "alertCount": aggregation.alert_count,
                    "affectedResources": list(aggregation.affected),
                    "truncatedCount": aggregation.truncated,
                    "lastUpdated": _rfc3339(aggregation.updated_ms),
                }
            },
        )

    def write_flapping(self, flapping: Flapping) -> None:
        """Label a RemediationRequest flapping (or take the label off) and write its
        status.flapping: two merge patches, made only when flapping starts or stops."""
        label = "true" if flapping.flapping else None
        patch = {"metadata": {"labels": {"kubernaut.io/flapping": label}}}
        self._retrying(
            "patch",
            lambda: self._call(
                "patch",
                lambda: self._custom.patch_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    flapping.ref.namespace,
                    PLURAL,
                    flapping.ref.name,
                    patch,
                    _request_timeout=self._timeout,
                ),
            ),
        )
        status: dict[str, Any] = {
            "transitions": flapping.transitions,
            "since": _rfc3339(flapping.since_ms),
            "stoppedAt": None if flapping.flapping else _rfc3339(flapping.stops_ms),
        }
        self._patch_status(flapping.ref, {"flapping": status})

    def _patch_status(self, ref: ObjectRef, status: Mapping[str, Any]) -> None:
        patch = {"status": dict(status)}
        self._retrying(
            "patch_status",
            lambda: self._call(
                "patch_status",
                lambda: self._custom.patch_namespaced_custom_object_status(
                    GROUP,
                    VERSION,
                    ref.namespace,
                    PLURAL,
                    ref.name,
                    patch,
                    _request_timeout=self._timeout,
                ),
            ),
        )

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

        def attempt() -> Mapping[str, str] | None:
            try:
                namespace = self._call(
                    "get_namespace",
                    lambda: self._core.read_namespace(name, _request_timeout=self._timeout),
                )
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise
            return dict((namespace.metadata and namespace.metadata.labels) or {})

        return self._retrying("get_namespace", attempt)

    def ownership(self, ref: ResourceRef) -> Ownership:
        """Return whether a Pod, ReplicaSet or Job exists and its controller (a GET of its
        metadata); a 403 is MissingPermission, naming the grant."""
        lookup = LOOKUPS[ref.kind]
        path = lookup.path.format(namespace=ref.namespace, name=ref.name)

        def attempt() -> Ownership:
            try:
                return self._call(lookup.operation, lambda: read_ownership(self._get(path), ref))
            except ApiException as exc:
                if exc.status == 404:
                    return Ownership(exists=False)
                if exc.status == 403:
                    raise MissingPermission(lookup.permission) from exc
                raise

        return self._retrying(lookup.operation, attempt)

    def _get(self, path: str) -> Any:
        """GET a path of the API as the client's typed methods do; return the decoded JSON."""
        method, url, headers, _, _ = self._api.param_serialize(
            "GET", path, header_params={"Accept": ACCEPT}, auth_settings=["BearerToken"]
        )
        response = self._api.call_api(
            method, url, header_params=headers, _request_timeout=self._timeout
        )
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return json.loads(response.data)

    def ping(self) -> None:
        """Raise KubernetesUnavailable unless the API answers /version with a JSON object.

        The body is not read as a VersionInfo: a server that answers at all is up, and an
        answer the client's model would reject must not fail readiness with a traceback.
        """
        try:
            answer: Any = self._call(
                "version",
                lambda: self._version.get_code(
                    _preload_content=False, _request_timeout=self._timeout
                ),
            )
        except ApiException as exc:
            # Only the status: the exception's text carries the server's headers and body.
            raise KubernetesUnavailable(f"kubernetes: HTTP {exc.status}") from exc
        except (_Transient, _CircuitOpen) as exc:
            raise KubernetesUnavailable(f"kubernetes: {exc}") from exc
        try:
            version = json.loads(answer.data)
        except ValueError:
            version = None
        if not isinstance(version, dict):
            raise KubernetesUnavailable("kubernetes: /version did not answer a JSON object")

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        """Make one API call through the breaker; turn transient failures into _Transient."""
        if not self.breaker.allow():
            self._record(operation, "circuit_open")
            raise _CircuitOpen("circuit breaker open")
        try:
            result = call()
        except ApiException as exc:
            self._record(operation, str(exc.status))
            transient = exc.status in TRANSIENT_CODES
            # Throttling (429) means the API is alive and busy: backoff absorbs it.
            self.breaker.record(success=exc.status < 500)
            if transient:
                raise _Transient(f"HTTP {exc.status}", retry_after_header(exc)) from exc
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            self._record(operation, "error")
            self.breaker.record(success=False)
            raise _Transient(type(exc).__name__) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # An answer the client cannot read (a proxy's HTML page, a malformed body).
            self._record(operation, "malformed")
            self.breaker.record(success=False)
            raise _Transient(f"unexpected answer ({type(exc).__name__})") from exc
        self._record(operation, "ok")
        self.breaker.record(success=True)
        return result

    def _retried(self, operation: str, details: Any) -> None:
        self._on_retry(operation)
        log.info(
            "retrying kubernetes %s after %s (attempt %d)",
            operation,
            details.get("exception"),
            details["tries"],
        )

    def _retrying(self, operation: str, attempt: Callable[[], T]) -> T:
        retrying = backoff.on_exception(
            _wait_gen,
            _Transient,
            max_time=self._budget,
            jitter=None,
            on_backoff=lambda details: self._retried(operation, details),
        )(attempt)
        try:
            return retrying()
        except _Transient as exc:
            raise KubernetesUnavailable(f"kubernetes {operation}: gave up: {exc}") from exc
        except _CircuitOpen as exc:
            raise KubernetesUnavailable(f"kubernetes {operation}: {exc}") from exc
        except ApiException as exc:
            raise KubernetesUnavailable(
                f"kubernetes {operation}: rejected: HTTP {exc.status} {exc.reason}"
            ) from exc
