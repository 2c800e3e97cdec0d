"""The Kubernetes API: RemediationRequest writes and namespace reads, retried with backoff."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from app.adapters.breaker import CircuitBreaker
from app.adapters.kube_calls import CallRecorder, Calls, CircuitOpen, Transient
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

log = logging.getLogger(__name__)


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
        self._calls = Calls(breaker=breaker, budget=retry_budget, record=record, on_retry=on_retry)
        self.breaker = breaker

    def create(self, body: Mapping[str, Any]) -> ObjectRef:
        """Create one RemediationRequest; an AlreadyExists after a retry is our own write."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        attempts = 0

        def attempt() -> ObjectRef:
            nonlocal attempts
            attempts += 1
            try:
                made: Any = self._calls.call(
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

        return self._calls.retrying("create", attempt)

    def list_labelled(self, namespace: str, selector: str) -> list[Mapping[str, Any]]:
        """Return the RemediationRequests of a namespace that match a label selector."""
        listed: Any = self._calls.retrying(
            "list",
            lambda: self._calls.call(
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
        labels = {"kubernaut.io/flapping": "true" if flapping.flapping else None}
        self._patch("patch", flapping.ref, {"metadata": {"labels": labels}})
        status: dict[str, Any] = {
            "transitions": flapping.transitions,
            "since": _rfc3339(flapping.since_ms),
            "stoppedAt": None if flapping.flapping else _rfc3339(flapping.stops_ms),
        }
        self._patch_status(flapping.ref, {"flapping": status})

    def _patch_status(self, ref: ObjectRef, status: Mapping[str, Any]) -> None:
        self._patch("patch_status", ref, {"status": dict(status)})

    def _patch(self, operation: str, ref: ObjectRef, body: Mapping[str, Any]) -> None:
        """Merge-patch a RemediationRequest (`patch`) or its status subresource
        (`patch_status`), retried like every call."""
        method = (
            self._custom.patch_namespaced_custom_object_status
            if operation == "patch_status"
            else self._custom.patch_namespaced_custom_object
        )
        self._calls.retrying(
            operation,
            lambda: self._calls.call(
                operation,
                lambda: method(
                    GROUP,
                    VERSION,
                    ref.namespace,
                    PLURAL,
                    ref.name,
                    body,
                    _request_timeout=self._timeout,
                ),
            ),
        )

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        """Return the namespace's labels, or None when it does not exist."""

        def attempt() -> Mapping[str, str] | None:
            try:
                namespace = self._calls.call(
                    "get_namespace",
                    lambda: self._core.read_namespace(name, _request_timeout=self._timeout),
                )
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise
            return dict((namespace.metadata and namespace.metadata.labels) or {})

        return self._calls.retrying("get_namespace", attempt)

    def ownership(self, ref: ResourceRef) -> Ownership:
        """Return whether a Pod, ReplicaSet or Job exists and its controller (a GET of its
        metadata); a 403 is MissingPermission, naming the grant."""
        lookup = LOOKUPS[ref.kind]
        path = lookup.path.format(namespace=ref.namespace, name=ref.name)

        def attempt() -> Ownership:
            try:
                return self._calls.call(
                    lookup.operation, lambda: read_ownership(self._get(path), ref)
                )
            except ApiException as exc:
                if exc.status == 404:
                    return Ownership(exists=False)
                if exc.status == 403:
                    raise MissingPermission(lookup.permission) from exc
                raise

        return self._calls.retrying(lookup.operation, attempt)

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
            answer: Any = self._calls.call(
                "version",
                lambda: self._version.get_code(
                    _preload_content=False, _request_timeout=self._timeout
                ),
            )
        except ApiException as exc:
            # Only the status: the exception's text carries the server's headers and body.
            raise KubernetesUnavailable(f"kubernetes: HTTP {exc.status}") from exc
        except (Transient, CircuitOpen) as exc:
            raise KubernetesUnavailable(f"kubernetes: {exc}") from exc
        try:
            version = json.loads(answer.data)
        except ValueError:
            version = None
        if not isinstance(version, dict):
            raise KubernetesUnavailable("kubernetes: /version did not answer a JSON object")
