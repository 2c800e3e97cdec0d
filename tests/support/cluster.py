"""Run the integration suite against a real cluster instead of the Kubernetes API test server.

Opt in with KUBERNAUT_REAL_CLUSTER=1 and KUBECONFIG pointing at a cluster where the chart's CRD
is installed. Tests that need fault injection are skipped there; every namespace the suite
creates is deleted at the end (which deletes its RemediationRequests too).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

GROUP = "remediation.kubernaut.io"
VERSION = "v1alpha1"


class RealCluster:
    """The subset of KubeApiServer's test API that a real cluster can offer."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
        self._core = k8s.CoreV1Api(api)
        self._custom = k8s.CustomObjectsApi(api)
        self.created_namespaces: list[str] = []

    def write_kubeconfig(self, path: Path, **_: Any) -> Path:
        shutil.copyfile(self.kubeconfig, path)
        return path

    def add_namespace(self, name: str, *, labels: Mapping[str, str] | None = None) -> None:
        metadata = k8s.V1ObjectMeta(name=name, labels=dict(labels or {}))
        self._core.create_namespace(k8s.V1Namespace(metadata=metadata))
        self.created_namespaces.append(name)

    def objects(self, plural: str, *, namespace: str | None = None) -> list[dict[str, Any]]:
        if namespace is None:
            listed: Any = self._custom.list_cluster_custom_object(GROUP, VERSION, plural)
        else:
            listed = self._custom.list_namespaced_custom_object(GROUP, VERSION, namespace, plural)
        items: list[dict[str, Any]] = listed["items"]
        return items

    def inject(self, **_: Any) -> Any:
        pytest.skip("fault injection needs the Kubernetes API test server")

    def count(self, **_: Any) -> int:
        pytest.skip("the request log needs the Kubernetes API test server")

    def add_object(self, *_: Any, **__: Any) -> dict[str, Any]:
        pytest.skip("workloads made to order need the Kubernetes API test server")

    def delete_object(self, *_: Any) -> None:
        pytest.skip("workloads made to order need the Kubernetes API test server")

    def deny(self, **_: Any) -> None:
        pytest.skip("denied permissions need the Kubernetes API test server")

    def clear_faults(self) -> None:
        return None

    def cleanup(self) -> None:
        """Delete every namespace this run created."""
        for name in self.created_namespaces:
            self._core.delete_namespace(name)
        self.created_namespaces.clear()
