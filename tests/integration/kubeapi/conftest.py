"""Fixtures: a fresh Kubernetes API test server per test, and real clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.support.kubeapi import KubeApiServer

from .helpers import CRD_PATH, NAMESPACE, new_api_client


@pytest.fixture
def server() -> Iterator[KubeApiServer]:
    """Serve a fresh API server with the RemediationRequest CRD and namespace team-a."""
    with KubeApiServer(crd_paths=[CRD_PATH]) as api_server:
        api_server.add_namespace(NAMESPACE)
        yield api_server


@pytest.fixture
def api_client(server: KubeApiServer, tmp_path: Path) -> Iterator[Any]:
    """Return a real kubernetes ApiClient built from the server's kubeconfig."""
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    api = new_api_client(kubeconfig)
    yield api
    api.close()


@pytest.fixture
def custom(api_client: Any) -> Any:
    """Return a CustomObjectsApi talking to the server."""
    return client.CustomObjectsApi(api_client)


@pytest.fixture
def core(api_client: Any) -> Any:
    """Return a CoreV1Api talking to the server."""
    return client.CoreV1Api(api_client)
