"""Constants and builders shared by the Kubernetes API test server tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import config

CRD_PATH = (
    Path(__file__).resolve().parents[3] / "helm/kubernaut-gateway/crds/remediationrequests.yaml"
)
GROUP = "remediation.kubernaut.io"
VERSION = "v1alpha1"
PLURAL = "remediationrequests"
API_VERSION = f"{GROUP}/{VERSION}"
NAMESPACE = "team-a"
# What `kubectl get` sends for human-readable output: a Table, else the object.
KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)

_SPEC: dict[str, Any] = {
    "signalFingerprint": "0123456789abcdef" * 4,
    "signalName": "KubePodCrashLooping",
    "severity": "critical",
    "environment": "production",
    "priority": "P0",
    "signalType": "prometheus-alert",
    "signalSource": "alertmanager",
    "targetType": "kubernetes",
    "targetResource": {"kind": "Pod", "name": "p", "namespace": NAMESPACE},
    "firingTime": "2026-11-24T10:00:00Z",
    "receivedTime": "2026-11-24T10:00:00Z",
    "deduplication": {
        "firstSeen": "2026-11-24T10:00:00Z",
        "lastSeen": "2026-11-24T10:00:00Z",
        "occurrenceCount": 1,
    },
}


def valid_spec(**overrides: Any) -> dict[str, Any]:
    """Return a spec with every field the CRD requires, with `overrides` applied."""
    spec = copy.deepcopy(_SPEC)
    spec.update(overrides)
    return spec


def rr_body(
    name: str = "rr-1",
    *,
    labels: dict[str, str] | None = None,
    spec: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return a valid RemediationRequest body."""
    metadata: dict[str, Any] = {"name": name}
    if labels is not None:
        metadata["labels"] = labels
    return {
        "apiVersion": API_VERSION,
        "kind": "RemediationRequest",
        "metadata": metadata,
        "spec": spec if spec is not None else valid_spec(),
        **extra,
    }


def create_rr(custom: Any, body: dict[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """Create a RemediationRequest through the client and return the stored object."""
    created: dict[str, Any] = custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body
    )
    return created


# The kubernetes package leaves these loaders untyped; give them a typed name once.
_load_client: Callable[..., Any] = config.new_client_from_config
_load_config: Callable[..., None] = config.load_kube_config


def new_api_client(kubeconfig: Path) -> Any:
    """Return a kubernetes ApiClient configured from `kubeconfig`."""
    return _load_client(config_file=str(kubeconfig))


def load_configuration(kubeconfig: Path, configuration: Any) -> None:
    """Load `kubeconfig` into a kubernetes client Configuration."""
    _load_config(config_file=str(kubeconfig), client_configuration=configuration)


def status_of(error: Any) -> dict[str, Any]:
    """Return the Status object in an ApiException's body."""
    status: dict[str, Any] = json.loads(error.body or "{}")
    return status


def header(error: Any, name: str) -> str | None:
    """Return one response header of an ApiException."""
    headers = error.headers or {}
    value: str | None = headers.get(name)
    return value
