"""The real-cluster adapter of the suite, checked against the API test server it stands in for."""

from __future__ import annotations

import uuid

import pytest

from tests.support.cluster import RealCluster


def test_real_cluster_mode_creates_lists_and_cleans_up_namespaces(kube_api, kubeconfig):
    if isinstance(kube_api, RealCluster):
        pytest.skip("already running against a real cluster")
    cluster = RealCluster(kubeconfig)
    name = f"real-{uuid.uuid4().hex[:8]}"

    cluster.add_namespace(name, labels={"environment": "staging"})

    assert kube_api.objects("remediationrequests", namespace=name) == []
    assert cluster.objects("remediationrequests", namespace=name) == []
    cluster.cleanup()
    assert cluster.created_namespaces == []
    assert kube_api.count(method="DELETE", path=f"/api/v1/namespaces/{name}$") == 1


def test_fault_injection_is_skipped_on_a_real_cluster(kubeconfig):
    with pytest.raises(pytest.skip.Exception):
        RealCluster(kubeconfig).inject(method="POST", status=500)
